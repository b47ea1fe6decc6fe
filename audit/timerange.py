"""Time range presets, timezones and the choice of bucket width. Pure functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PRESETS: dict[str, timedelta | None] = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "90d": timedelta(days=90),
    "all": None,
}
PRESET_LABELS: dict[str, str] = {
    "1h": "Last hour",
    "24h": "Last 24 hours",
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "90d": "Last 90 days",
    "all": "All time",
}
CUSTOM = "custom"
DEFAULT_PRESET = "7d"

BUCKET_WIDTHS: tuple[str, ...] = ("minute", "hour", "day", "week")
# (longest span, bucket width): the first whose span covers the range wins.
_BUCKET_RULES: tuple[tuple[timedelta, str], ...] = (
    (timedelta(hours=3), "minute"),
    (timedelta(days=8), "hour"),
    (timedelta(days=190), "day"),
)


@dataclass(frozen=True)
class TimeWindow:
    """A half-open interval ``[start, end)`` in naive UTC, as ``created_at`` stores time.
    ``None`` means unbounded on that side."""

    start: datetime | None
    end: datetime | None

    @property
    def span(self) -> timedelta | None:
        if self.start is None or self.end is None:
            return None
        return self.end - self.start

    def previous(self) -> TimeWindow | None:
        """The window of equal length just before this one (for period comparison)."""
        if self.span is None or self.start is None:
            return None
        try:
            return TimeWindow(self.start - self.span, self.start)
        except OverflowError:  # a custom range reaching back to year 1 has no predecessor
            return None


def is_valid_timezone(name: str) -> bool:
    if not name or "\x00" in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def to_naive_utc(moment: datetime) -> datetime:
    """An aware datetime as the naive UTC value ``created_at`` holds."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def local_naive(naive_utc: datetime, tz: str) -> datetime:
    """A naive UTC moment as naive wall time in ``tz`` (see :func:`local_moment`)."""
    return local_moment(naive_utc, ZoneInfo(tz)).replace(tzinfo=None)


def utc_now() -> datetime:
    return datetime.now(UTC)


# The wall clock must not invalidate every cached result each minute: relative ranges end
# at the end of the current step, so a view opened again within it reuses what was computed
# (every number on a page then refers to one moment). New events reach the numbers when the
# step or the cache's time-to-live ends, or at once for a session that presses Refresh; the
# page says how old its numbers are.
RELATIVE_STEP = timedelta(minutes=5)


def anchored_now(moment: datetime, step: timedelta) -> datetime:
    """The end of the ``step``-long slot of the UTC day that holds ``moment`` (always later
    than ``moment``, so the newest events are inside every relative range)."""
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    slots = (moment - midnight) // step + 1
    return midnight + slots * step


NOW_PARAM = "now"  # the URL parameter that fixes the moment relative ranges end at
NOW_YEARS = (1900, 9000)  # far enough from datetime's limits for every range and period


def parse_now(text: str) -> datetime | None:
    """``now=<ISO time>`` (pages and the export command alike) as an aware UTC moment (naive
    means UTC), or ``None`` when it is not a time between the years of ``NOW_YEARS``."""
    try:
        moment = datetime.fromisoformat(text.strip())
        moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return moment if NOW_YEARS[0] <= moment.year <= NOW_YEARS[1] else None


def ignored_now(text: str) -> str:
    """The notice for a ``now=`` that :func:`parse_now` refused."""
    return f"Ignored now={text[:40]!r}: not a date and time between 1900 and 9000."


def choose_bucket(span: timedelta | None) -> str:
    """Bucket width for a range of this length (``None``: unknown, use weeks)."""
    if span is None:
        return "week"
    for longest, width in _BUCKET_RULES:
        if span <= longest:
            return width
    return "week"


def _offset_seconds(zone: ZoneInfo, naive_utc: datetime) -> int:
    offset = naive_utc.replace(tzinfo=UTC).astimezone(zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def _find_transition(zone: ZoneInfo, low: datetime, high: datetime) -> datetime:
    """First second in ``(low, high]`` whose offset differs from ``low``'s."""
    base = _offset_seconds(zone, low)
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if _offset_seconds(zone, middle) == base:
            low = middle
        else:
            high = middle
    return high


# Offsets are walked exactly only from 1970 to ten years ahead: audit data lives there, and
# the walk (a probe a day) then costs the same for a range of a week or of millennia (a
# stray row in the year 1 or 9999 included). Moments beyond take the nearer edge's offset.
EXACT_OFFSETS_FROM = datetime(1970, 1, 1)
EXACT_OFFSETS_AHEAD = timedelta(days=3653)


def shifted(moment: datetime, delta: timedelta) -> datetime:
    """``moment + delta``, held within the times Python can represent."""
    try:
        return moment + delta
    except OverflowError:
        limit = datetime.max if delta > timedelta(0) else datetime.min
        return limit.replace(tzinfo=moment.tzinfo)


def offset_segments(tz: str, start: datetime, end: datetime) -> tuple[tuple[datetime, int], ...]:
    """UTC offsets of ``tz`` between two naive UTC moments: the first pair is
    (``start``, offset at start), each further pair a transition (moment it starts, offset).
    Used where the database cannot convert timezones itself (SQLite). Outside 1970 to ten
    years from now, a moment takes the offset at the nearer edge of that span."""
    latest = datetime.now(UTC).replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
    low = min(max(start, EXACT_OFFSETS_FROM), latest + EXACT_OFFSETS_AHEAD)
    high = max(min(end, latest + EXACT_OFFSETS_AHEAD), low)
    return _walk_offsets(tz, low, high)


@lru_cache(maxsize=256)
def _walk_offsets(tz: str, start: datetime, end: datetime) -> tuple[tuple[datetime, int], ...]:
    zone = ZoneInfo(tz)
    segments = [(start, _offset_seconds(zone, start))]
    step = timedelta(days=1)
    cursor = start
    while cursor < end:
        following = min(cursor + step, end)
        if _offset_seconds(zone, following) != segments[-1][1]:
            moment = _find_transition(zone, cursor, following)
            segments.append((moment, _offset_seconds(zone, moment)))
        cursor = following
    return tuple(segments)


def local_moment(naive_utc: datetime, zone: ZoneInfo) -> datetime:
    """A naive UTC moment as an aware time in ``zone``; in UTC when the local time falls
    outside the years Python holds (the last hours of 9999 east of Greenwich)."""
    moment = naive_utc.replace(tzinfo=UTC)
    try:
        return moment.astimezone(zone)
    except OverflowError:
        return moment


def describe_window(window: TimeWindow, tz: str) -> str:
    """The absolute range in words, in the display timezone."""
    zone = ZoneInfo(tz)

    def fmt(moment: datetime | None, fallback: str) -> str:
        if moment is None:
            return fallback
        return local_moment(moment, zone).strftime("%Y-%m-%d %H:%M")

    return f"{fmt(window.start, 'the beginning')} to {fmt(window.end, 'now')} ({tz})"
