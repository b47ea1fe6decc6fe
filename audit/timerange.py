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
        return TimeWindow(self.start - self.span, self.start)


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


def utc_now() -> datetime:
    return datetime.now(UTC)


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


# Transitions are looked for in these years only: a stray row in the year 1 or 9999 would
# otherwise mean a scan of millions of days (and local times Python cannot hold). Rows
# beyond take the offset at the nearer end.
OFFSETS_SCANNED = (datetime(1900, 1, 1), datetime(2200, 1, 1))


def shifted(moment: datetime, delta: timedelta) -> datetime:
    """``moment + delta``, held within the times Python can represent."""
    try:
        return moment + delta
    except OverflowError:
        limit = datetime.max if delta > timedelta(0) else datetime.min
        return limit.replace(tzinfo=moment.tzinfo)


@lru_cache(maxsize=256)
def offset_segments(tz: str, start: datetime, end: datetime) -> tuple[tuple[datetime, int], ...]:
    """UTC offsets of ``tz`` between two naive UTC moments: the first pair is
    (``start``, offset at start), each further pair a transition (moment it starts, offset).
    Used where the database cannot convert timezones itself (SQLite). Only transitions
    within :data:`OFFSETS_SCANNED` are looked for."""
    zone = ZoneInfo(tz)
    first, last = OFFSETS_SCANNED
    cursor = min(max(start, first), last)
    end = min(max(end, first), last)
    segments = [(start, _offset_seconds(zone, cursor))]
    step = timedelta(days=1)
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
