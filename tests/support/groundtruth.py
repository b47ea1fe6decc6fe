"""Ground truth for tests: the demo table read with plain SQL and filtered in pandas,
independently of the query layer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from audit.filters import AuditFilter
from audit.vocab import category_label, outcome_label, severity_level
from tests.support.databases import DemoDatabase

ALL_ROWS_SQL = """
SELECT a.id, a.created_at, a.severity, a.category, a.action, a.resource_type, a.success,
       a.user_id, a.ip_address, a.description, a.error_message, a.resource_id, a.user_agent,
       CAST(a.details AS TEXT) AS details, CAST(a.metadata AS TEXT) AS metadata,
       CAST(a.tags AS TEXT) AS tags, u.email, u.username
FROM audit_logs a LEFT JOIN users u ON u.id = a.user_id
"""


def all_rows(demo: DemoDatabase) -> pd.DataFrame:
    """Every row of the demo table, read with plain SQL: the tests' ground truth."""
    frame = pd.DataFrame(demo.rows(ALL_ROWS_SQL))
    frame["created_at"] = pd.to_datetime(frame["created_at"])
    return frame


def in_window(frame: pd.DataFrame, flt: AuditFilter, now: datetime) -> pd.DataFrame:
    window = flt.window(now)
    mask = pd.Series(True, index=frame.index)
    if window.start is not None:
        mask &= frame["created_at"] >= window.start
    if window.end is not None:
        mask &= frame["created_at"] < window.end
    return frame[mask]


def labels(column: pd.Series, label) -> pd.Series:
    """Display labels of a column read by pandas, where NULL arrives as NaN or NA."""
    return column.map(lambda v: label(None if pd.isna(v) else v))


def expected_rows(frame: pd.DataFrame, flt: AuditFilter, now: datetime) -> pd.DataFrame:
    rows = in_window(frame, flt, now)
    if flt.severities:
        rows = rows[labels(rows["severity"], severity_level).isin(flt.severities)]
    if flt.categories:
        rows = rows[labels(rows["category"], category_label).isin(flt.categories)]
    if flt.actions:
        rows = rows[rows["action"].isin(flt.actions)]
    if flt.outcomes:
        rows = rows[outcomes(rows).isin(flt.outcomes)]
    return rows


def outcomes(rows: pd.DataFrame) -> pd.Series:
    return rows["success"].map(lambda v: outcome_label(None if pd.isna(v) else bool(v)))


def local_bucket(moment: datetime, tz: str, width: str) -> datetime:
    local = moment.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).replace(tzinfo=None)
    if width == "minute":
        return local.replace(second=0, microsecond=0)
    if width == "hour":
        return local.replace(minute=0, second=0, microsecond=0)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return day if width == "day" else day - timedelta(days=day.weekday())
