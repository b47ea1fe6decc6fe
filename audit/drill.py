"""Drill-through: the filter a click on a chart mark opens in the Explorer. Pure functions
over plotly selection points (their ``customdata`` carries the values)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from audit.dimensions import DIMENSIONS
from audit.filters import AuditFilter
from audit.timerange import CUSTOM

_BUCKET_STEPS: dict[str, timedelta] = {
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
}


def narrow(flt: AuditFilter, by: str, value: Any) -> AuditFilter | None:
    """The filter plus ``by = value``; ``None`` when the value cannot be filtered on
    (system events have no user id)."""
    dimension = DIMENSIONS[by]
    if not dimension.drillable:
        raise ValueError(f"{by!r} is not a drillable dimension")
    if value is None:  # NULL: selectable where the dimension has a word for it
        value = dimension.null_label
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():  # plotly may hand ids back as floats
        value = int(value)
    typed = dimension.typed(str(value))
    if typed is None:
        return None
    return flt.with_values(**{dimension.field: (typed,) if dimension.multi else typed})


def bucket_range(
    flt: AuditFilter, bucket_start: datetime, width: str, now: datetime
) -> AuditFilter:
    """The filter limited to one time bucket (local wall time in ``flt.tz``), never wider
    than the filter's own range."""
    zone = ZoneInfo(flt.tz)
    start = bucket_start.replace(tzinfo=zone)
    # Wall-clock arithmetic, so a day bucket across a DST change still ends at midnight.
    end = (bucket_start + _BUCKET_STEPS[width]).replace(tzinfo=zone)
    window = flt.window(now)
    utc = ZoneInfo("UTC")
    if window.start is not None:
        start = max(start, window.start.replace(tzinfo=utc))
    if window.end is not None:
        end = min(end, window.end.replace(tzinfo=utc))
    return flt.with_values(range=CUSTOM, start=start, end=end)


def _customdata(point: Mapping[str, Any]) -> list[Any]:
    data = point.get("customdata")
    if data is None:
        return []
    return list(data) if isinstance(data, list | tuple) else [data]


def from_volume_point(
    flt: AuditFilter, by: str, point: Mapping[str, Any], width: str, now: datetime
) -> AuditFilter | None:
    """A bar segment of the volume chart: its series value and its time bucket."""
    data = _customdata(point)
    if len(data) < 2:
        return None
    narrowed = narrow(flt, by, data[0])
    if narrowed is None:
        return None
    return bucket_range(narrowed, datetime.fromisoformat(str(data[1])), width, now)


def from_top_point(flt: AuditFilter, by: str, point: Mapping[str, Any]) -> AuditFilter | None:
    data = _customdata(point)
    return narrow(flt, by, data[0]) if data else None


def from_heatmap_point(flt: AuditFilter, point: Mapping[str, Any]) -> AuditFilter | None:
    """A severity x category cell."""
    data = _customdata(point)
    if len(data) < 2:
        return None
    return flt.with_values(severities=(str(data[0]),), categories=(str(data[1]),))


def from_rhythm_point(flt: AuditFilter, point: Mapping[str, Any]) -> AuditFilter | None:
    """A weekday x hour cell of the activity rhythm (local time in ``flt.tz``)."""
    data = _customdata(point)
    if len(data) < 2:
        return None
    by_day = narrow(flt, "weekday", data[0])
    return narrow(by_day, "hour", data[1]) if by_day is not None else None
