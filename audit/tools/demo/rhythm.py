"""When traffic happens: the office's working day, quiet weekends, and the share of
people against machines."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from audit.tools.demo.clock import OFFICE_UTC_OFFSET

HOUR_SHAPE = (
    0.02, 0.01, 0.01, 0.01, 0.01, 0.02, 0.05, 0.25, 0.7, 1.0, 1.0, 0.95,
    0.6, 0.85, 1.0, 1.0, 0.9, 0.7, 0.45, 0.22, 0.1, 0.07, 0.05, 0.03,
)  # fmt: skip
WEEKEND_FACTOR = 0.07
HUMAN_SHARE = 0.75


def hour_weight(t: datetime) -> float:
    local = t + timedelta(hours=OFFICE_UTC_OFFSET)
    return HOUR_SHAPE[local.hour] * (WEEKEND_FACTOR if local.weekday() >= 5 else 1.0)


def apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` into integer parts proportional to ``weights`` (largest remainder)."""
    scale = total / sum(weights)
    raw = [w * scale for w in weights]
    parts = [int(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: (parts[i] - raw[i], i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts
