"""Time in the demo: naive UTC, whole hours and days, and the office's offset from UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

OFFICE_UTC_OFFSET = 1
HOUR = timedelta(hours=1)


def floor_day(t: datetime) -> datetime:
    return t.replace(hour=0, minute=0, second=0, microsecond=0)


def resolve_end(end: datetime | None) -> datetime:
    """``end`` as naive UTC; default now (UTC) truncated to the hour."""
    if end is None:
        return datetime.now(UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0)
    if end.tzinfo is not None:
        return end.astimezone(UTC).replace(tzinfo=None)
    return end


def after(t: datetime, minutes: float) -> datetime:
    return t + timedelta(minutes=minutes)
