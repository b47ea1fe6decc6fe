"""The security page's own counts and lists besides the detections: failed logins and
high-severity security events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from audit import queries
from audit.db import Source
from audit.filters import AuditFilter
from audit.schema import audit_logs
from audit.security.logins import FAILURE, login_actions
from audit.security.newest import newest_rows
from audit.vocab import high_severity_clause, security_event_clause

c = audit_logs.c


def login_failures_filter(flt: AuditFilter) -> AuditFilter | None:
    """The filter narrowed to failed logins; ``None`` when the filter excludes them."""
    actions = login_actions(flt)
    if not actions or (flt.outcomes and FAILURE not in flt.outcomes):
        return None
    return flt.with_values(actions=actions, outcomes=(FAILURE,))


@dataclass(frozen=True)
class FailureSummary:
    failures: int
    ips: int
    users: int


def failure_summary(source: Source, flt: AuditFilter, now: datetime) -> FailureSummary:
    """Failed logins, distinct IPs and distinct users among them (``flt`` already narrowed)."""
    statement = sa.select(
        sa.func.count(),
        sa.func.count(sa.distinct(c.ip_address)),
        sa.func.count(sa.distinct(c.user_id)),
    ).where(source.where(flt, now))
    return FailureSummary(*(int(v) for v in source.rows(statement)[0]))


def high_security_events(
    source: Source,
    flt: AuditFilter,
    now: datetime,
    limit: int = 200,
    ids_from: Source | None = None,
) -> pd.DataFrame:
    """Security events of high or critical severity (``error`` ranks with ``high``),
    newest first: rows as :func:`audit.queries.rows_frame` makes them. ``ids_from``: see
    :func:`audit.security.newest.newest_rows`."""
    conditions = [security_event_clause(), high_severity_clause()]
    statement = newest_rows(source, flt, now, conditions, limit, ids_from)
    return queries.rows_frame([dict(r._mapping) for r in source.rows(statement)], flt.tz)


def count_high_security_events(source: Source, flt: AuditFilter, now: datetime) -> int:
    statement = sa.select(sa.func.count()).where(
        source.where(flt, now), security_event_clause(), high_severity_clause()
    )
    return int(source.rows(statement)[0][0])
