"""Baselines in SQL: counts per series and local time bucket over the range and the four
weeks before it, grouped in the database (source or mirror), then the exact median and
median absolute deviation of the same bucket in each of the four previous weeks.

Where each step runs, and why:

- **Counting is SQL.** One grouped query per family of series (actions with outcomes, users,
  IPs' failures), each a ``GROUP BY`` over the local bucket (:mod:`audit.dialect`'s local
  time, so SQLite, PostgreSQL and DuckDB bucket alike across DST changes). The database
  returns at most *series x buckets* rows: families are capped (the most active actions,
  users and IPs over the scanned span), the range analysed is at most
  :data:`MAX_ANALYSED_DAYS`, so the result is bounded whatever the table's size.
- **The median and MAD are Python, over those grouped rows.** Each is a statistic of exactly
  four small integers (zero for a week without events), so it is exact arithmetic here and
  identical whichever engine counted. In SQL it would need a calendar of buckets generated
  per dialect (to fill the zeros) and date arithmetic on SQLite's text buckets, for no
  saving: the rows it reads are already the bounded grouped result.

Hours are compared with the same hour of the week (wall clock in the display timezone);
ranges longer than 8 days use days, compared with the same weekday."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from audit import dialect
from audit.anomalies.series import TOTAL, Family, Series
from audit.db import Source
from audit.filters import AuditFilter
from audit.queries import effective_window, user_column, user_label
from audit.queries.users import user_id_or_none
from audit.schema import audit_logs, users
from audit.timerange import TimeWindow, local_naive, to_naive_utc

c = audit_logs.c

WEEKS = 4  # previous weeks a bucket is compared with
WEEK = timedelta(weeks=1)
MIN_WEEKS = 2  # fewer weeks of history: no baseline at all
HOUR_RANGE_DAYS = 8  # longer ranges compare days, not hours
MAX_ANALYSED_DAYS = 92  # of a longer range, the last 92 days are analysed
TOP_ACTIONS = 30
TOP_USERS = 25
TOP_IPS = 25
MAD_SCALE = 1.4826  # MAD x this estimates a standard deviation for normal data
STEPS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}

Counts = dict[Series, dict[datetime, int]]


@dataclass(frozen=True)
class Scope:
    """What is analysed: bucket width, the range's buckets (local wall time in ``tz``), and
    the UTC span scanned (the range and the four weeks before it)."""

    tz: str
    width: str
    first: datetime  # local start of the first bucket analysed
    end: datetime  # local end of the range (the last bucket may be partial)
    scan: TimeWindow  # naive UTC
    range: TimeWindow  # naive UTC: the part of the filter's range analysed
    cut: bool  # the range was longer than MAX_ANALYSED_DAYS

    @property
    def step(self) -> timedelta:
        return STEPS[self.width]

    def buckets(self) -> list[datetime]:
        out, moment = [], self.first
        while moment < self.end:
            out.append(moment)
            moment += self.step
        return out

    def complete(self, bucket: datetime) -> bool:
        return bucket + self.step <= self.end

    def utc(self, local: datetime) -> datetime:
        """A local wall time as an aware UTC moment (the first, when it occurs twice)."""
        return local.replace(tzinfo=ZoneInfo(self.tz)).astimezone(UTC)


def scope(source: Source, flt: AuditFilter, now: datetime) -> Scope | None:
    """The analysed scope of a filter, or ``None`` when its range holds no time at all."""
    window = effective_window(source, flt, now)
    if window.start is None or window.end is None or window.start >= window.end:
        return None
    latest = to_naive_utc(now) + timedelta(days=1)  # a stray row in 9999 is not a range to watch
    if window.end > latest:
        window = TimeWindow(window.start, latest)
        if window.start >= window.end:
            return None
    start, cut = window.start, False
    if window.end - start > timedelta(days=MAX_ANALYSED_DAYS):
        start, cut = window.end - timedelta(days=MAX_ANALYSED_DAYS), True
    width = "hour" if window.end - start <= timedelta(days=HOUR_RANGE_DAYS) else "day"
    first = floor_bucket(local_naive(start, flt.tz), width)
    try:  # four weeks before a range at datetime's lower edge do not exist: nothing to compare
        earliest = first - WEEKS * WEEK - timedelta(days=1)  # a day's margin for any offset
        scan_start = to_naive_utc(earliest.replace(tzinfo=ZoneInfo(flt.tz)))
    except OverflowError:
        return None
    end = local_naive(window.end, flt.tz)
    return Scope(
        flt.tz, width, first, end, TimeWindow(scan_start, window.end),
        TimeWindow(start, window.end), cut,
    )  # fmt: skip


def floor_bucket(moment: datetime, width: str) -> datetime:
    floored = moment.replace(minute=0, second=0, microsecond=0)
    return floored.replace(hour=0) if width == "day" else floored


def as_datetime(value: Any) -> datetime | None:
    """A bucket or time as the engines return it (SQLite: text) as a naive datetime."""
    if value is None or isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------
# SQL: grouped counts


def _bucket(source: Source, sc: Scope) -> sa.ColumnElement:
    assert sc.scan.start is not None and sc.scan.end is not None
    local = dialect.local_time(c.created_at, source.dialect, sc.tz, sc.scan.start, sc.scan.end)
    return dialect.truncate(local, source.dialect, sc.width).label("bucket")


def _top(
    source: Source, where: sa.ColumnElement[bool], column: sa.ColumnElement, limit: int
) -> list[Any]:
    """The ``limit`` most frequent non-NULL values over ``where`` (ties by value)."""
    count = sa.func.count().label("count")
    statement = (
        sa.select(column.label("value"), count)
        .where(where, column.is_not(None))
        .group_by(column)
        .order_by(count.desc(), column)
        .limit(limit)
    )
    return [value for value, _ in source.rows(statement)]


def _grouped(
    source: Source, sc: Scope, where: sa.ColumnElement[bool], *keys: sa.ColumnElement
) -> list[tuple[Any, ...]]:
    bucket = _bucket(source, sc)
    statement = (
        sa.select(bucket, *keys, sa.func.count().label("count"))
        .where(where)
        .group_by(bucket, *keys)
    )
    return [tuple(row) for row in source.rows(statement)]


def _add(counts: Counts, series: Series, bucket: Any, n: int) -> None:
    moment = as_datetime(bucket)
    if moment is not None:
        per_bucket = counts.setdefault(series, {})
        per_bucket[moment] = per_bucket.get(moment, 0) + int(n)


def action_counts(source: Source, flt: AuditFilter, now: datetime, sc: Scope) -> Counts:
    """The whole volume, each of the top actions, and each of them by outcome."""
    where = source.where(flt, now, sc.scan)
    top = _top(source, where, c.action, TOP_ACTIONS)
    outcome = sa.case(
        (c.success.is_(True), "success"), (c.success.is_(False), "failure"), else_="unknown"
    ).label("outcome")
    counts: Counts = {TOTAL: {}}
    if not top:  # no events at all (PostgreSQL refuses to group by a constant NULL)
        for bucket, n in _grouped(source, sc, where):
            _add(counts, TOTAL, bucket, n)
        return counts
    action = sa.case((c.action.in_(top), c.action), else_=sa.null()).label("action")
    for bucket, name, result, n in _grouped(source, sc, where, action, outcome):
        _add(counts, TOTAL, bucket, n)
        if name is not None:
            _add(counts, Series(Family.ACTION, action=name), bucket, n)
            _add(counts, Series(Family.ACTION_OUTCOME, action=name, outcome=result), bucket, n)
    return counts


def user_counts(source: Source, flt: AuditFilter, now: datetime, sc: Scope) -> Counts:
    """The volume of each of the most active users (none when the filter names one user:
    that user's volume is then the whole volume)."""
    if len(flt.users) == 1:
        return {}
    where = source.where(flt, now, sc.scan)
    # A user id stored as text (SQLite) names no user: left out, not an error.
    top = [
        u for u in map(user_id_or_none, _top(source, where, c.user_id, TOP_USERS)) if u is not None
    ]
    if not top:
        return {}
    labels = user_labels(source, top)
    counts: Counts = {}
    for bucket, stored, n in _grouped(source, sc, sa.and_(where, c.user_id.in_(top)), c.user_id):
        user_id = user_id_or_none(stored)
        if user_id is None:
            continue
        series = Series(Family.USER, user_id=user_id, user_label=labels[user_id])
        _add(counts, series, bucket, n)
    return counts


def ip_failure_counts(source: Source, flt: AuditFilter, now: datetime, sc: Scope) -> Counts:
    """The failures of each of the addresses that failed most."""
    where = sa.and_(source.where(flt, now, sc.scan), c.success.is_(False))
    top = _top(source, where, c.ip_address, TOP_IPS)
    if not top:
        return {}
    counts: Counts = {}
    rows = _grouped(source, sc, sa.and_(where, c.ip_address.in_(top)), c.ip_address)
    for bucket, ip, n in rows:
        _add(counts, Series(Family.IP_FAILURES, ip=str(ip)), bucket, n)
    return counts


def user_labels(source: Source, ids: Iterable[int]) -> dict[int, str]:
    """How the dashboard names each user (email, else username, else a note)."""
    wanted = sorted({int(i) for i in ids})
    found: dict[int, tuple[Any, Any]] = {}
    if source.has_users and wanted:
        statement = sa.select(
            users.c.id, user_column("email", source), user_column("username", source)
        ).where(users.c.id.in_(wanted))
        found = {int(i): (email, name) for i, email, name in source.rows(statement)}
    return {i: user_label(i, *found.get(i, (None, None))) for i in wanted}


def history_start(source: Source) -> datetime | None:
    """The table's first event (naive UTC): weeks before it are unknown, not zero."""
    first = source.scalar(sa.select(sa.func.min(c.created_at, type_=sa.String)))
    return as_datetime(first)


# ---------------------------------------------------------------------------------------
# Python: the exact median and MAD of the previous weeks


@dataclass(frozen=True)
class Baseline:
    """A bucket's previous weeks (most recent first; only weeks the data covers)."""

    weeks: tuple[int, ...]

    @property
    def median(self) -> float:
        return exact_median(self.weeks)

    @property
    def mad(self) -> float:
        middle = self.median
        return exact_median([abs(n - middle) for n in self.weeks])

    @property
    def spread(self) -> float:
        """One robust deviation: the scaled MAD, never below counting noise (the square
        root of the median, at least 1), so a perfectly steady series does not make every
        small wobble a large deviation."""
        return max(MAD_SCALE * self.mad, math.sqrt(max(self.median, 1.0)))

    def score(self, count: int) -> float:
        return (count - self.median) / self.spread


def exact_median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def baseline(
    per_bucket: dict[datetime, int], bucket: datetime, covered_from: datetime | None
) -> Baseline | None:
    """The same bucket one to four weeks earlier (wall clock): a week without events counts
    0; a week before the data begins does not count; fewer than MIN_WEEKS: no baseline."""
    weeks = []
    for back in range(1, WEEKS + 1):
        earlier = bucket - back * WEEK
        if covered_from is None or earlier < covered_from:
            break
        weeks.append(per_bucket.get(earlier, 0))
    return Baseline(tuple(weeks)) if len(weeks) >= MIN_WEEKS else None


def covered_from(sc: Scope, first_event: datetime | None) -> datetime | None:
    """The first local bucket the data covers whole (after the table's first event)."""
    if first_event is None:
        return None
    start = floor_bucket(local_naive(first_event, sc.tz), sc.width)
    return start if start == local_naive(first_event, sc.tz) else start + sc.step


def weeks_available(sc: Scope, first: datetime | None) -> int:
    """How many previous weeks the earliest analysed bucket can be compared with."""
    if first is None:
        return 0
    return sum(1 for back in range(1, WEEKS + 1) if sc.first - back * WEEK >= first)


def merged(*parts: Counts) -> Counts:
    out: Counts = defaultdict(dict)
    for part in parts:
        for series, per_bucket in part.items():
            out[series].update(per_bucket)
    return dict(out)
