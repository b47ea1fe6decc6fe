"""The facts behind the per-IP and per-user profiles: counts, first and last seen, user
agents, latest events and the user's account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa

from audit import dialect, queries
from audit.db import Source
from audit.filters import AuditFilter
from audit.schema import audit_logs, users
from audit.security.newest import newest_rows
from audit.timerange import TimeWindow

c = audit_logs.c


def user_profile_filter(flt: AuditFilter, user_id: int) -> AuditFilter:
    return flt.with_values(users=(user_id,))


@dataclass(frozen=True)
class EntitySummary:
    """Counts over the events matching a profile's filter."""

    events: int
    successes: int
    failures: int
    ips: int
    users: int
    user_agents: int
    first: datetime | None
    last: datetime | None

    @property
    def unknown(self) -> int:
        return self.events - self.successes - self.failures

    @property
    def failure_ratio(self) -> float | None:
        known = self.successes + self.failures
        return self.failures / known if known else None


def entity_summary(source: Source, flt: AuditFilter, now: datetime) -> EntitySummary:
    statement = sa.select(
        sa.func.count(),
        queries.flag_sum(c.success.is_(True)),
        queries.flag_sum(c.success.is_(False)),
        sa.func.count(sa.distinct(c.ip_address)),
        sa.func.count(sa.distinct(c.user_id)),
        sa.func.count(sa.distinct(c.user_agent)),
        sa.func.min(dialect.time_value(c.created_at, source.dialect)),
        sa.func.max(dialect.time_value(c.created_at, source.dialect)),
    ).where(source.where(flt, now))
    *counts, first, last = source.rows(statement)[0]
    return EntitySummary(*(int(n) for n in counts), first, last)


def ever_seen(source: Source, flt: AuditFilter, now: datetime) -> TimeWindow:
    """First and last event of the filter's IP and users in the whole table, whatever the
    other filters and the range say."""
    entity = AuditFilter(range="all", ip=flt.ip, users=flt.users)
    return queries.data_bounds(source, entity, now)


def top_user_agents(
    source: Source, flt: AuditFilter, now: datetime, limit: int = 10
) -> pd.DataFrame:
    """Most frequent user agents. Columns: user_agent, count."""
    count = sa.func.count().label("count")
    statement = (
        sa.select(c.user_agent, count)
        .where(source.where(flt, now))
        .group_by(c.user_agent)
        .order_by(count.desc(), c.user_agent)
        .limit(limit)
    )
    rows = [("(none)" if agent is None else agent, int(n)) for agent, n in source.rows(statement)]
    frame = pd.DataFrame(rows, columns=["user_agent", "count"])
    frame["user_agent"] = frame["user_agent"].astype("string")
    frame["count"] = frame["count"].astype("int64")
    return frame


def latest_events(
    source: Source, flt: AuditFilter, now: datetime, size: int = 50, ids_from: Source | None = None
) -> pd.DataFrame:
    """The newest ``size`` rows of a profile; ``ids_from``: see
    :func:`audit.security.newest.newest_rows`."""
    statement = newest_rows(source, flt, now, [], size, ids_from)
    return queries.rows_frame([dict(r._mapping) for r in source.rows(statement)], flt.tz)


@dataclass(frozen=True)
class Account:
    """The ``users`` row of a profile's user (the columns that exist)."""

    values: tuple[tuple[str, Any], ...]

    def get(self, name: str) -> Any:
        return dict(self.values).get(name)


ACCOUNT_COLUMNS = (
    "email", "username", "full_name", "is_active", "is_superuser", "role_id",
    "created_at", "last_login", "account_locked", "failed_login_attempts",
)  # fmt: skip


def account(source: Source, user_id: int) -> Account | None:
    if not source.has_users:
        return None
    names = [n for n in ACCOUNT_COLUMNS if n in source.user_columns]
    statement = sa.select(*(users.c[n] for n in names)).where(users.c.id == user_id)
    rows = source.rows(statement)
    return Account(tuple(zip(names, rows[0], strict=True))) if rows else None
