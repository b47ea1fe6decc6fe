"""Anomalies: buckets whose count departs from their baseline beyond a robust threshold
(and above a minimum count), actions seen for the first time and users back after a long
silence; grouped so that views of the same bucket's events show together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

import sqlalchemy as sa

from audit.anomalies import baselines as bl
from audit.anomalies.series import SPECIFICITY, TOTAL, Family, Series
from audit.db import Source
from audit.filters import AuditFilter
from audit.queries.users import user_id_or_none
from audit.schema import audit_logs
from audit.timerange import TimeWindow, local_naive

c = audit_logs.c

SILENCE = timedelta(days=60)  # a user active again after this long is "returning"
FIRST_SEEN_HISTORY = timedelta(weeks=bl.WEEKS)  # history needed to call an action new
NEWCOMERS_LIMIT = 20  # first-seen actions and returning users kept, most events first
DEFAULT_THRESHOLD = 5.0
DEFAULT_MIN_COUNT = 10


class Kind(Enum):
    SPIKE = "spike"
    DROP = "drop"
    FIRST_SEEN = "first_seen"
    RETURNING = "returning"


@dataclass(frozen=True)
class Rules:
    threshold: float = DEFAULT_THRESHOLD  # in robust deviations
    min_count: int = DEFAULT_MIN_COUNT


@dataclass(frozen=True)
class Anomaly:
    """One unusual bucket of a series (times local in the display timezone), or a series
    seen for the first time or again after a silence (its first event's bucket; ``count``
    is then its events in the range, ``since`` the last event before, if any)."""

    kind: Kind
    series: Series
    bucket_start: datetime
    bucket_end: datetime
    count: int
    expected: float = 0.0
    spread: float = 0.0
    weeks: tuple[int, ...] = ()
    score: float = 0.0
    first: datetime | None = None  # first event (first_seen, returning), local
    since: datetime | None = None  # last event before the silence (returning), local

    @property
    def departure(self) -> float:
        """How unusual, for ranking: robust deviations (first-seen and returning: none)."""
        return abs(self.score)


@dataclass(frozen=True)
class BandPoint:
    """The whole volume's expected count for one bucket, and the normal range around it."""

    bucket: datetime
    expected: float
    low: float
    high: float


@dataclass(frozen=True)
class Group:
    """Anomalies of one bucket (views of the same events), the most specific first."""

    members: tuple[Anomaly, ...]

    @property
    def lead(self) -> Anomaly:
        return self.members[0]


@dataclass(frozen=True)
class Findings:
    """Everything the pages and the feed show: the anomalies (most unusual first), the
    expected band of the whole volume, and what the baseline could and could not use."""

    tz: str
    width: str  # "hour" or "day"
    rules: Rules
    anomalies: tuple[Anomaly, ...] = ()
    band: tuple[BandPoint, ...] = ()
    weeks_available: int = 0  # previous weeks the range's first bucket has (0 to 4)
    history_start: datetime | None = None  # local
    analysed_from: datetime | None = None  # local, when a long range was cut

    def groups(self) -> list[Group]:
        """Spikes and drops grouped by bucket (most unusual group first), then first-seen
        actions and returning users, one each."""
        by_bucket: dict[tuple[datetime, Kind], list[Anomaly]] = {}
        for item in self.anomalies:
            if item.kind in (Kind.SPIKE, Kind.DROP):
                by_bucket.setdefault((item.bucket_start, item.kind), []).append(item)
        grouped = [Group(tuple(sorted(items, key=_specific_first))) for items in by_bucket.values()]
        grouped.sort(key=lambda g: (-max(a.departure for a in g.members), g.lead.bucket_start))
        newcomers = [a for a in self.anomalies if a.kind in (Kind.FIRST_SEEN, Kind.RETURNING)]
        return grouped + [Group((a,)) for a in newcomers]


DEFAULT_RULES = Rules()


def _specific_first(item: Anomaly) -> tuple[int, float]:
    return (-SPECIFICITY[item.series.family], -item.departure)


def no_findings(flt: AuditFilter, rules: Rules) -> Findings:
    return Findings(flt.tz, "hour", rules)


def find_anomalies(
    source: Source, flt: AuditFilter, now: datetime, rules: Rules = DEFAULT_RULES
) -> Findings:
    """Every anomaly of the filter's range (of a long range, its last 92 days)."""
    sc = bl.scope(source, flt, now)
    if sc is None:
        return no_findings(flt, rules)
    first_event = bl.history_start(source)
    counts = bl.merged(
        bl.action_counts(source, flt, now, sc),
        bl.user_counts(source, flt, now, sc),
        bl.ip_failure_counts(source, flt, now, sc),
    )
    covered = bl.covered_from(sc, first_event)
    newcomers = first_seen_actions(source, flt, now, sc, first_event)
    newcomers += returning_users(source, flt, now, sc)
    departures = [
        a
        for s, per in counts.items()
        if not _told_already(s, newcomers)
        for a in _departures(s, per, sc, covered, rules)
    ]
    departures.sort(key=lambda a: (-a.departure, a.bucket_start, str(a.series)))
    history_weeks = bl.weeks_available(sc, covered)
    return Findings(
        flt.tz,
        sc.width,
        rules,
        tuple(departures + newcomers),
        _band(counts.get(TOTAL, {}), sc, covered, rules),
        history_weeks,
        local_naive(first_event, flt.tz) if first_event else None,
        sc.first if sc.cut else None,
    )


def _told_already(series: Series, newcomers: list[Anomaly]) -> bool:
    """A new action's or a returning user's series: against a baseline of nothing, each of
    its buckets would be a spike; its first-seen or returning anomaly says it once."""
    return any(
        (series.action is not None and series.action == n.series.action)
        or (series.user_id is not None and series.user_id == n.series.user_id)
        for n in newcomers
    )


def _departures(
    series: Series,
    per_bucket: dict[datetime, int],
    sc: bl.Scope,
    covered: datetime | None,
    rules: Rules,
) -> list[Anomaly]:
    found = []
    for bucket in sc.buckets():
        base = bl.baseline(per_bucket, bucket, covered)
        if base is None:
            continue
        count = per_bucket.get(bucket, 0)
        kind = _judge(base, count, rules, sc.complete(bucket))
        if kind is not None:
            found.append(
                Anomaly(
                    kind,
                    series,
                    bucket,
                    bucket + sc.step,
                    count,
                    base.median,
                    base.spread,
                    base.weeks,
                    round(base.score(count), 6),
                )
            )
    return found


def _judge(base: bl.Baseline, count: int, rules: Rules, complete: bool) -> Kind | None:
    """A spike needs at least ``min_count`` events; a drop an expected count of at least
    ``min_count`` and a complete bucket (the range's last one may still be filling)."""
    score = base.score(count)
    if score >= rules.threshold and count >= rules.min_count:
        return Kind.SPIKE
    if score <= -rules.threshold and base.median >= rules.min_count and complete:
        return Kind.DROP
    return None


def _band(
    per_bucket: dict[datetime, int], sc: bl.Scope, covered: datetime | None, rules: Rules
) -> tuple[BandPoint, ...]:
    points = []
    for bucket in sc.buckets():
        base = bl.baseline(per_bucket, bucket, covered)
        if base is not None:
            reach = rules.threshold * base.spread
            low = max(0.0, base.median - reach)
            points.append(BandPoint(bucket, base.median, low, base.median + reach))
    return tuple(points)


# ---------------------------------------------------------------------------------------
# Series seen for the first time, or again after a silence


def _in_range(sc: bl.Scope) -> sa.ColumnElement[bool]:
    return sa.and_(c.created_at >= sc.range.start, c.created_at < sc.range.end)


def _count_in(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def first_seen_actions(
    source: Source, flt: AuditFilter, now: datetime, sc: bl.Scope, first_event: datetime | None
) -> list[Anomaly]:
    """Actions whose first event ever (under the filter's other constraints) falls in the
    range; only when the data reaches four weeks further back (else nothing is "new")."""
    start = sc.range.start
    assert start is not None
    if first_event is None or first_event > start - FIRST_SEEN_HISTORY:
        return []
    first = sa.func.min(c.created_at)
    statement = (
        sa.select(c.action, first, _count_in(_in_range(sc)))
        .where(source.where(flt, now, TimeWindow(None, sc.range.end)), c.action.is_not(None))
        .group_by(c.action)
        .having(first >= start)
    )
    rows = [(action, bl.as_datetime(when), int(n)) for action, when, n in source.rows(statement)]
    kept = sorted((r for r in rows if r[1] is not None), key=lambda r: (-r[2], r[0]))
    return [
        _newcomer(Kind.FIRST_SEEN, Series(Family.ACTION, action=str(action)), when, n, None, sc)
        for action, when, n in kept[:NEWCOMERS_LIMIT]
    ]


def returning_users(source: Source, flt: AuditFilter, now: datetime, sc: bl.Scope) -> list[Anomaly]:
    """Users whose first event in the range comes at least 60 days after their last one."""
    start, end = sc.range.start, sc.range.end
    assert start is not None and end is not None
    before = sa.func.max(sa.case((c.created_at < start, c.created_at), else_=sa.null()))
    first_in = sa.func.min(sa.case((_in_range(sc), c.created_at), else_=sa.null()))
    # Read as text where SQLite may hold a bad row's time as a number: as_datetime parses.
    statement = (
        sa.select(
            c.user_id,
            sa.type_coerce(before, sa.String),
            sa.type_coerce(first_in, sa.String),
            _count_in(_in_range(sc)),
        )
        .where(source.where(flt, now, TimeWindow(None, end)), c.user_id.is_not(None))
        .group_by(c.user_id)
        .having(sa.and_(first_in.is_not(None), before < end - SILENCE))
    )
    found = []
    for stored, last, first, n in source.rows(statement):
        last, first, user_id = bl.as_datetime(last), bl.as_datetime(first), user_id_or_none(stored)
        if user_id is None or last is None or first is None:
            continue
        if first - last >= SILENCE:
            found.append((user_id, last, first, int(n)))
    found.sort(key=lambda r: (-r[3], r[0]))
    found = found[:NEWCOMERS_LIMIT]
    labels = bl.user_labels(source, [r[0] for r in found])
    return [
        _newcomer(
            Kind.RETURNING,
            Series(Family.USER, user_id=uid, user_label=labels[uid]),
            first,
            n,
            last,
            sc,
        )
        for uid, last, first, n in found
    ]


def _newcomer(
    kind: Kind, series: Series, first: datetime, count: int, since: datetime | None, sc: bl.Scope
) -> Anomaly:
    local = local_naive(first, sc.tz)
    bucket = bl.floor_bucket(local, sc.width)
    return Anomaly(
        kind, series, bucket, bucket + sc.step, count, first=local,
        since=local_naive(since, sc.tz) if since else None,
    )  # fmt: skip
