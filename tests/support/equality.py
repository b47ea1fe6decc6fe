"""What the equality tests of the copies (the DuckDB mirror, ClickHouse) share: the filters,
every overview and security aggregate of a source, the comparison, and the changes made to
a source behind a copy's back (appends, deletions, rewrites)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import sqlalchemy as sa

from audit import queries, security
from audit.db import Source
from audit.dimensions import COUNTED
from audit.filters import AuditFilter
from audit.schema import audit_logs, users
from audit.timerange import BUCKET_WIDTHS
from tests.support.databases import DEMO_END, DEMO_NOW

ROWS = 12_000
DAYS = 35
SEED = 5
BERLIN = ZoneInfo("Europe/Berlin")

FILTERS: dict[str, AuditFilter] = {
    "all time": AuditFilter(range="all"),
    "30 days in Kolkata": AuditFilter(range="30d", tz="Asia/Kolkata"),
    "DST change in Berlin, low and info": AuditFilter(
        range="custom",
        tz="Europe/Berlin",
        start=datetime(2026, 10, 22, tzinfo=BERLIN),
        end=datetime(2026, 10, 30, tzinfo=BERLIN),
        severities=("low",),
    ),
    "failed security events, 90 days, New York": AuditFilter(
        range="90d", tz="America/New_York", outcomes=("failure",), categories=("security",)
    ),
    "exclusions, IP prefix, unset severity": AuditFilter(
        range="90d",
        excludes=("action:login", "category:uncategorized"),
        ip="198.51.100.*",
        severities=("unset", "medium", "high"),
    ),
    "two users, resource id": AuditFilter(range="all", users=(3, 12), resource_id="3"),
}
PROFILE_FILTERS: dict[str, AuditFilter] = {
    "user 12": AuditFilter(range="30d", users=(12,)),
    "office IP": AuditFilter(range="90d", ip="198.51.100.11"),
}
# After each change, every aggregate under fewer filters (time zones, DST, all kinds of field).
AFTER_CHANGE = (
    "all time",
    "DST change in Berlin, low and info",
    "exclusions, IP prefix, unset severity",
)
SECURITY_FILTERS: dict[str, AuditFilter] = {
    "7 days": AuditFilter(range="7d"),
    "30 days in Berlin": AuditFilter(range="30d", tz="Europe/Berlin"),
}


# ---------------------------------------------------------------------------------------
# Results from one engine, made comparable


def comparable(value: Any, keep_order: bool) -> Any:
    """DataFrames with one datetime resolution; unordered results sorted."""
    if not isinstance(value, pd.DataFrame):
        return value
    frame = value.copy()
    for name in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[name]):
            frame[name] = frame[name].astype("datetime64[ns]")
    if not keep_order and len(frame.columns):
        frame = frame.sort_values(list(frame.columns), na_position="first")
    return frame.reset_index(drop=True)


def overview_results(source: Source, names: tuple[str, ...]) -> dict[str, Any]:
    now, out = DEMO_NOW, {}
    for name in names:
        flt = FILTERS[name]
        out[f"kpis / {name}"] = queries.kpis(source, flt, now)
        out[f"severity_by_category / {name}"] = queries.severity_by_category(source, flt, now)
        out[f"activity_rhythm / {name}"] = queries.activity_rhythm(source, flt, now)
        counts = queries.overview_counts(source, flt, now)
        out[f"one scan: heatmap / {name}"] = counts.severity_by_category()
        for by in queries.COUNTED_TOGETHER:
            out[f"one scan: volume {by} / {name}"] = counts.volume(by)
        for by in COUNTED:
            out[f"top_values {by} / {name}"] = queries.top_values(source, flt, now, by)
            out[f"volume {by} / {name}"] = queries.volume(source, flt, now, by)
    dst = FILTERS["DST change in Berlin, low and info"]
    for width in BUCKET_WIDTHS:
        out[f"volume {width} / DST"] = queries.volume(source, dst, now, "outcome", width)
    return out


def security_results(source: Source) -> dict[str, Any]:
    now, th, out = DEMO_NOW, security.Thresholds(), {}
    for name, flt in SECURITY_FILTERS.items():
        out[f"detect / {name}"] = security.detect(source, flt, now, th)
        failures = security.login_failures_filter(flt)
        assert failures is not None
        out[f"failure_summary / {name}"] = security.failure_summary(source, failures, now)
        out[f"high security events / {name}"] = security.count_high_security_events(
            source, flt, now
        )
    for name, flt in PROFILE_FILTERS.items():
        out[f"entity_summary / {name}"] = security.entity_summary(source, flt, now)
        out[f"top_user_agents / {name}"] = security.top_user_agents(source, flt, now)
        out[f"ever_seen / {name}"] = security.ever_seen(source, flt, now)
    return out


def assert_same(origin: Source, mirror: Source, when: str, names: tuple[str, ...]) -> None:
    expected = overview_results(origin, names) | security_results(origin)
    got = overview_results(mirror, names) | security_results(mirror)
    assert got.keys() == expected.keys()
    for name, value in expected.items():
        keep_order = name.startswith(("top_values", "top_user_agents"))
        left, right = comparable(got[name], keep_order), comparable(value, keep_order)
        if isinstance(left, pd.DataFrame):
            assert left.attrs == right.attrs, f"{name} {when}"
            pd.testing.assert_frame_equal(left, right, obj=f"{name} {when}")
        else:
            assert left == right, f"{name} {when}"


# ---------------------------------------------------------------------------------------
# Changes to the source, made through a writable engine


@dataclass
class Writer:
    """A writable engine on the source, to change it behind a copy's back."""

    engine: sa.Engine

    def execute(self, statement: sa.Executable, rows: list[dict] | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(statement, rows) if rows else conn.execute(statement)

    def select(self, statement: sa.Select) -> list[dict]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(statement)]

    def max_id(self) -> int:
        return self.select(sa.select(sa.func.max(audit_logs.c.id).label("m")))[0]["m"]


def appended_rows(source: Writer) -> list[dict]:
    """Copies of early rows as new events: most in the last day, some late-arriving (old
    times), some without a time or a user, and some from a user the mirror has not seen."""
    originals = source.select(sa.select(audit_logs).where(audit_logs.c.id <= 1_500))
    next_id = source.max_id() + 1
    for offset, row in enumerate(originals):
        row["id"] = next_id + offset
        if offset % 10 == 0:
            row["created_at"] = DEMO_END - timedelta(days=40, minutes=offset)
        else:
            row["created_at"] = DEMO_END - timedelta(minutes=1 + offset % 600)
        if offset % 97 == 0:
            row["created_at"] = None
        if offset % 89 == 0:
            row["user_id"] = None
        if offset % 50 == 0:
            row["user_id"] = 900
    return originals


def append(source: Writer) -> None:
    source.execute(users.insert(), [{"id": 900, "email": "new@example.com", "username": "new"}])
    source.execute(audit_logs.insert(), appended_rows(source))


def delete(source: Writer) -> None:
    c = audit_logs.c
    source.execute(audit_logs.delete().where(c.id.between(3_000, 3_400)))
    one_day = datetime(2026, 10, 25)
    source.execute(
        audit_logs.delete().where(
            c.created_at >= one_day, c.created_at < one_day + timedelta(days=1)
        )
    )
    source.execute(audit_logs.delete().where(c.id == source.max_id()))


def rewrite(source: Writer) -> None:
    """Changes that keep every count and id: a same-length severity, a time within the
    same day, an address, an outcome, and a user's email (a soft delete)."""
    c = audit_logs.c
    high = source.select(sa.select(c.id).where(c.severity == "high").order_by(c.id).limit(1))
    source.execute(audit_logs.update().where(c.id == high[0]["id"]).values(severity="info"))
    moved = source.select(sa.select(c.created_at).where(c.id == 5_000))[0]["created_at"]
    moved += timedelta(seconds=1)
    source.execute(audit_logs.update().where(c.id == 5_000).values(created_at=moved))
    source.execute(audit_logs.update().where(c.id == 6_000).values(ip_address="192.0.2.99"))
    source.execute(audit_logs.update().where(c.id == 7_000).values(success=None))
    source.execute(users.update().where(users.c.id == 12).values(email="deleted_12_x@example.com"))
