"""``generate``: the users and the audit rows, background and planted stories merged in
time order, one day at a time."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from operator import itemgetter

from audit.tools.demo.background import Background
from audit.tools.demo.clock import HOUR, resolve_end
from audit.tools.demo.defaults import DEFAULT_DAYS, DEFAULT_ROWS, DEFAULT_SEED
from audit.tools.demo.people import HARD_DELETED_ID, people, user_row
from audit.tools.demo.plan import Plan
from audit.tools.demo.planted import plan_stories
from audit.tools.demo.rhythm import HUMAN_SHARE, apportion, hour_weight
from audit.tools.demo.rows import Row


def _stream(rows: int, days: int, seed: int, end: datetime, plan: Plan) -> Iterator[Row]:
    start = end - timedelta(days=days)
    hours = [start + i * HOUR for i in range(days * 24)]
    hw = [hour_weight(h) for h in hours]
    total = sum(hw)
    mix = [HUMAN_SHARE * w / total + (1 - HUMAN_SHARE) / len(hours) for w in hw]
    p_human = [HUMAN_SHARE * w / total / m for w, m in zip(hw, mix, strict=True)]
    counts = apportion(rows - len(plan.rows), mix)
    planted: dict[int, list[Row]] = {}
    for row in plan.rows:
        planted.setdefault((row["created_at"] - start) // timedelta(days=1), []).append(row)
    bg = Background(random.Random(seed), people(days, end), plan)
    next_id = 1
    for d in range(days):
        cut = slice(d * 24, d * 24 + 24)
        chunk = bg.day_rows(hours[cut], counts[cut], p_human[cut], hw[cut])
        chunk += planted.get(d, [])
        chunk.sort(key=itemgetter("created_at"))
        for row in chunk:
            row["id"] = next_id
            next_id += 1
            yield row


def generate(
    rows: int = DEFAULT_ROWS,
    days: int = DEFAULT_DAYS,
    seed: int = DEFAULT_SEED,
    end: datetime | None = None,
) -> tuple[list[dict], Iterator[dict]]:
    """Returns (user_rows, audit_row_iterator). Deterministic for (rows, days, seed, end).

    ``end``: naive UTC datetime the data ends at (exclusive); default now (UTC) truncated to
    the hour. Audit rows are dicts keyed by ``audit_logs`` column names (including ``id``,
    1..rows, ascending with ``created_at``), JSON columns as dict/list or None, ``created_at``
    naive UTC. Rows are produced one 24-hour chunk at a time (sorted within the chunk), so
    memory stays flat for any ``rows``. User rows are keyed by ``users`` column names; the
    hard-deleted user has no row. See ``stories`` for what is planted.
    """
    if rows < 0 or days < 1:
        raise ValueError("rows must be >= 0 and days >= 1")
    end = resolve_end(end)
    plan = plan_stories(rows, days, seed, end)
    urng = random.Random(f"enclava-demo-users:{seed}")
    user_rows = [user_row(p, end, urng) for p in people(days, end) if p.id != HARD_DELETED_ID]
    return user_rows, _stream(rows, days, seed, end, plan)
