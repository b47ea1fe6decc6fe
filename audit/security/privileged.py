"""Privileged actions: the kinds of sensitive action, those done outside business hours (a
rule: a filtered SELECT with the local hour and weekday computed in SQL, at most
:data:`LIST_LIMIT` rows), and the privilege and API-key lifecycle (a list)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import sqlalchemy as sa

from audit import dialect, queries
from audit.db import Source
from audit.filters import AuditFilter
from audit.schema import audit_logs
from audit.security.findings import HIGH, MEDIUM, OFF_HOURS, Finding, evidence_filter
from audit.security.labels import Label
from audit.security.newest import newest_rows
from audit.security.thresholds import Thresholds
from audit.timerange import local_moment

c = audit_logs.c

LIST_LIMIT = 500  # rows of the off-hours and lifecycle lists
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class ActionKind:
    """A kind of sensitive action: named actions, or generic CRUD actions on a resource type."""

    name: str
    actions: tuple[str, ...] = ()
    resource_type: str | None = None
    resource_actions: tuple[str, ...] = ()

    def clause(self) -> sa.ColumnElement[bool]:
        parts = [c.action.in_(self.actions)] if self.actions else []
        if self.resource_type is not None:
            parts.append(
                sa.and_(c.resource_type == self.resource_type, c.action.in_(self.resource_actions))
            )
        return sa.or_(*parts)


PERMISSION_CHANGE = ActionKind("permission change", ("permission_grant", "permission_revoke"))
ROLE_CHANGE = ActionKind(
    "role change",
    ("role_change", "role_assign", "role_update"),
    "role",
    ("create", "update", "delete"),
)
KEY_CREATION = ActionKind(
    "API key creation", ("api_key_create", "create_api_key"), "api_key", ("create",)
)
KEY_CHANGE = ActionKind("API key change", (), "api_key", ("update",))
KEY_DELETION = ActionKind(
    "API key deletion", ("api_key_delete", "delete_api_key"), "api_key", ("delete",)
)
USER_DELETION = ActionKind("user deletion", ("user_delete", "delete_user"), "user", ("delete",))
PASSWORD_RESET = ActionKind("password reset", ("password_reset",))
PRIVILEGED_KINDS: tuple[ActionKind, ...] = (
    PERMISSION_CHANGE,
    ROLE_CHANGE,
    KEY_CREATION,
    USER_DELETION,
    PASSWORD_RESET,
)
LIFECYCLE_KINDS: tuple[ActionKind, ...] = (
    PERMISSION_CHANGE,
    ROLE_CHANGE,
    KEY_CREATION,
    KEY_CHANGE,
    KEY_DELETION,
)
HIGH_RISK_KINDS = frozenset({PERMISSION_CHANGE.name, ROLE_CHANGE.name, USER_DELETION.name})


def _kind_of(kinds: Sequence[ActionKind]) -> sa.ColumnElement[str]:
    return sa.case(*[(k.clause(), k.name) for k in kinds], else_=None)


def business_hours_text(th: Thresholds) -> str:
    return f"{th.business_hours_start:02d}:00–{th.business_hours_end:02d}:00 Mon–Fri"


def is_off_hours(local: datetime, th: Thresholds) -> bool:
    """Outside business hours (``[start, end)`` local hours, Monday to Friday); not for
    a row without a (readable) time."""
    if pd.isna(local):
        return False
    in_hours = th.business_hours_start <= local.hour < th.business_hours_end
    return local.isoweekday() >= 6 or not in_hours


def _local_parts(
    source: Source, flt: AuditFilter, now: datetime
) -> tuple[sa.ColumnElement, sa.ColumnElement]:
    """Hour of day and ISO weekday of ``created_at`` in the display timezone."""
    span = queries.effective_window(source, flt, now)
    start = span.start or datetime(1970, 1, 1)
    end = span.end or start + timedelta(days=1)
    local = dialect.local_time(c.created_at, source.dialect, flt.tz, start, end)
    return dialect.hour_of_day(local, source.dialect), dialect.iso_weekday(local, source.dialect)


def off_hours_actions(
    source: Source, flt: AuditFilter, now: datetime, th: Thresholds
) -> list[sa.Row]:
    """Privileged actions before/after business hours (local) or at weekends, oldest first,
    at most :data:`LIST_LIMIT` + 1 rows (one more tells the list was cut)."""
    hour, weekday = _local_parts(source, flt, now)
    kinds = PRIVILEGED_KINDS
    statement = (
        sa.select(
            c.id,
            dialect.readable_time(c.created_at, source.dialect).label("created_at"),
            c.user_id,
            c.action,
            c.resource_type,
            c.resource_id,
            c.ip_address,
            _kind_of(kinds).label("kind"),
            hour.label("hour"),
            weekday.label("weekday"),
        )
        .where(
            source.where(flt, now),
            c.created_at.is_not(None),
            *dialect.time_text_bounds(c.created_at, source.dialect),
            sa.or_(*[k.clause() for k in kinds]),
            sa.or_(hour < th.business_hours_start, hour >= th.business_hours_end, weekday >= 6),
        )
        .order_by(c.created_at, c.id)
        .limit(LIST_LIMIT + 1)
    )
    # On SQLite a time may be stray text, read as None: no hour to judge, left out.
    return [row for row in source.rows(statement) if row.created_at is not None]


def _action_key(row: sa.Row) -> tuple[Any, ...]:
    return (row.created_at, row.action, row.resource_type, row.user_id, row.resource_id)


def off_hours(
    rows: Sequence[sa.Row], th: Thresholds, flt: AuditFilter, label: Label
) -> list[Finding]:
    """One finding per privileged action (twins at the same microsecond share one)."""
    groups: dict[tuple[Any, ...], list[sa.Row]] = defaultdict(list)
    for row in rows[:LIST_LIMIT]:
        groups[_action_key(row)].append(row)
    return [_off_hours_finding(same, th, flt, label) for same in groups.values()]


def _off_hours_finding(
    same: Sequence[sa.Row], th: Thresholds, flt: AuditFilter, label: Label
) -> Finding:
    row = same[0]
    moment, action, resource_type = row.created_at, row.action, row.resource_type
    # On SQLite a user id may be text: the action stays a finding, by an unknown user.
    user_id, resource_id = queries.user_id_or_none(row.user_id), row.resource_id
    local = local_moment(moment, ZoneInfo(flt.tz))
    target = f"{resource_type} {resource_id}" if resource_id else resource_type
    summary = (
        f"{label(user_id)}: {row.kind} ({action} on {target}) at {local:%H:%M} on "
        f"{WEEKDAY_NAMES[row.weekday - 1]} {local:%Y-%m-%d} ({flt.tz}), outside business "
        f"hours {business_hours_text(th)}."
    )
    narrow: dict[str, Any] = {"actions": (action,), "resource_types": (resource_type,)}
    if user_id is not None:
        narrow["users"] = (user_id,)
    if resource_id:
        narrow["resource_id"] = resource_id
    return Finding(
        OFF_HOURS,
        HIGH if row.kind in HIGH_RISK_KINDS else MEDIUM,
        summary,
        moment,
        moment,
        len(same),
        evidence_filter(flt, moment, moment, **narrow),
        ip=row.ip_address,
        user_id=user_id,
        ips=(row.ip_address,) if row.ip_address else (),
        user_ids=(user_id,) if user_id is not None else (),
    )


def lifecycle(
    source: Source,
    flt: AuditFilter,
    now: datetime,
    th: Thresholds,
    limit: int = LIST_LIMIT,
    ids_from: Source | None = None,
) -> pd.DataFrame:
    """Permission and role changes and the API-key lifecycle, newest first: the rows of
    :func:`audit.queries.rows_frame` plus ``kind`` and ``off_hours``. ``ids_from``: see
    :func:`audit.security.newest.newest_rows`."""
    statement = newest_rows(
        source, flt, now, [sa.or_(*[k.clause() for k in LIFECYCLE_KINDS])], limit, ids_from
    ).add_columns(_kind_of(LIFECYCLE_KINDS).label("kind"))
    rows = [dict(r._mapping) for r in source.rows(statement)]
    frame = queries.rows_frame(rows, flt.tz)
    frame["kind"] = pd.Series([r["kind"] for r in rows], dtype="string")
    frame["off_hours"] = [is_off_hours(moment, th) for moment in frame["created_at"]]
    return frame
