"""What a planted story is: its rows, the facts tests and demos look for, and the windows
the background traffic keeps quiet around it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from audit.tools.demo.rows import Row


@dataclass
class Plan:
    """Planted rows, their facts, and (user_id, start, stop) windows the background avoids."""

    rows: list[Row]
    facts: dict[str, Any]
    quiet: list[tuple[int, datetime, datetime]]


def span(rows: Sequence[Row]) -> tuple[datetime, datetime]:
    times = [r["created_at"] for r in rows]
    return min(times), max(times)
