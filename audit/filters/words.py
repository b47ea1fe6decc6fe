"""An :class:`AuditFilter` in words, for report headers and notices."""

from __future__ import annotations

from audit.dimensions import REGISTRY, split_exclusion
from audit.filters.model import AuditFilter


def describe_filter(flt: AuditFilter) -> str:
    """The filters (not the range) in words: 'all events' when none."""
    parts = []
    for dimension in REGISTRY:
        value = getattr(flt, dimension.field)
        if value:
            shown = (
                ", ".join(map(dimension.label, value)) if isinstance(value, tuple) else f"“{value}”"
            )
            zone = f" ({flt.tz})" if dimension.local else ""
            parts.append(f"{dimension.title}: {shown}{zone}")
    if flt.text:
        parts.append(f"Search: “{flt.text}”")
    for item in flt.excludes:
        dimension, value = split_exclusion(item)
        parts.append(f"not {dimension.replace('_', ' ')}: {value}")
    return "; ".join(parts) if parts else "all events"
