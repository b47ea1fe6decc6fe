"""The name of an export file: what it holds (the time range in the display timezone) and
when it was made."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from audit.export.formats import require_format
from audit.filters import AuditFilter


def export_filename(flt: AuditFilter, now: datetime, fmt: str, exported_at: datetime) -> str:
    """``audit-events_<range in the display tz>_exported-<UTC time>.<ext>``; only letters,
    digits and ``-_+.`` appear in it."""
    extension = require_format(fmt).extension
    exported = exported_at.astimezone(UTC).strftime("%Y-%m-%dT%H%M%SZ")
    return f"audit-events_{_range_part(flt, now)}_exported-{exported}.{extension}"


def _range_part(flt: AuditFilter, now: datetime) -> str:
    window = flt.window(now)
    zone = ZoneInfo(flt.tz)
    start, end = window.start, window.end
    if start is None:
        return "all-time" if end is None else "until_" + _name_stamp(end, zone)
    if end is None:
        return "from_" + _name_stamp(start, zone)
    return f"{_name_stamp(start, zone)}_to_{_name_stamp(end, zone)}"


def _name_stamp(naive_utc: datetime, zone: ZoneInfo) -> str:
    return naive_utc.replace(tzinfo=UTC).astimezone(zone).strftime("%Y-%m-%dT%H%M%z")
