"""First-seen IPs: a user's first event from an IP with no event for that user in the
lookback before it. The (user, IP) pairs of the range, each joined to the pair's latest
earlier event within the lookback (two scans, returning one row per pair)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from audit import dialect, queries
from audit.db import Source
from audit.filters import AuditFilter
from audit.schema import audit_logs
from audit.security.findings import (
    LOW,
    MEDIUM,
    NEW_IP,
    Finding,
    duration_text,
    evidence_filter,
    plural,
)
from audit.security.labels import Label
from audit.security.thresholds import Thresholds

c = audit_logs.c


def first_ip_events(
    source: Source, flt: AuditFilter, now: datetime, th: Thresholds
) -> list[sa.Row]:
    """For each (user, IP) pair with events matching the filter: the first and last of
    them, their count and successes, and ``previous``, the pair's latest event of any kind
    before the first, looked for back to the lookback before the range starts. Two grouped
    scans (the range, and the lookback plus the range) joined on the pair."""
    time = dialect.time_value(c.created_at, source.dialect)
    pairs = (
        sa.select(
            c.user_id,
            c.ip_address,
            sa.func.min(time).label("first"),
            sa.func.max(time).label("last"),
            sa.func.count().label("events"),
            queries.flag_sum(c.success.is_(True)).label("successes"),
        )
        .where(
            source.where(flt, now),
            c.user_id.is_not(None),
            c.ip_address.is_not(None),
            c.created_at.is_not(None),
        )
        .group_by(c.user_id, c.ip_address)
        .subquery("pairs")
    )
    before = audit_logs.alias("before")
    h = before.c
    joined = [h.user_id == pairs.c.user_id, h.ip_address == pairs.c.ip_address]
    joined.append(h.created_at < pairs.c.first)
    window = flt.window(now)
    if window.start is not None:
        joined.append(h.created_at >= window.start - timedelta(days=th.new_ip_lookback_days))
    if window.end is not None:
        joined.append(h.created_at < window.end)
    # Grouped by the pair alone (the rest depends on it) so the database can hash, not sort.
    statement = (
        sa.select(
            pairs.c.user_id,
            pairs.c.ip_address,
            *(sa.func.max(column).label(column.name) for column in list(pairs.c)[2:]),
            sa.func.max(dialect.time_value(h.created_at, source.dialect)).label("previous"),
        )
        .select_from(pairs.outerjoin(before, sa.and_(*joined)))
        .group_by(pairs.c.user_id, pairs.c.ip_address)
    )
    # On SQLite a pair may have no readable time, or a user id that is text: left out.
    return [
        row
        for row in source.rows(statement)
        if row.first is not None and queries.user_id_or_none(row.user_id) is not None
    ]


def data_start(source: Source) -> datetime | None:
    """The oldest ``created_at`` in the table (an index lookup)."""
    time = dialect.readable_time(c.created_at, source.dialect)
    bounds = dialect.time_text_bounds(c.created_at, source.dialect)
    with source.connect() as conn:
        return conn.execute(sa.select(sa.func.min(time)).where(*bounds)).scalar_one()


@dataclass(frozen=True)
class NewIpResult:
    findings: list[Finding]
    unjudged: int  # pairs first seen too close to the start of the data to tell


def new_ips(
    rows: Sequence[sa.Row], oldest: datetime | None, th: Thresholds, flt: AuditFilter, label: Label
) -> NewIpResult:
    """Findings over :func:`first_ip_events`; ``oldest``: the table's first ``created_at``.
    A pair first seen less than the lookback after it cannot be judged."""
    lookback = timedelta(days=th.new_ip_lookback_days)
    found, unjudged = [], 0
    for row in rows:
        if row.previous is not None and row.first - row.previous <= lookback:
            continue
        if row.previous is None and (oldest is None or row.first - lookback < oldest):
            unjudged += 1
            continue
        found.append(_new_ip_finding(row, th, flt, label))
    return NewIpResult(found, unjudged)


def _new_ip_finding(row: sa.Row, th: Thresholds, flt: AuditFilter, label: Label) -> Finding:
    before = (
        f"last seen {duration_text(row.first - row.previous)} before"
        if row.previous is not None
        else f"no event from it in the {th.new_ip_lookback_days} days before"
    )
    successes = int(row.successes or 0)
    summary = (
        f"{label(row.user_id)} used {row.ip_address} for the first time ({before}); "
        f"{plural(int(row.events), 'event')} from it in the range, {successes:,} "
        f"successful (rule: no event from that IP for the user in the "
        f"{th.new_ip_lookback_days} days before)."
    )
    return Finding(
        NEW_IP,
        MEDIUM if successes else LOW,
        summary,
        row.first,
        row.last,
        int(row.events),
        evidence_filter(flt, row.first, row.last, users=(row.user_id,), ip=row.ip_address),
        ip=row.ip_address,
        user_id=row.user_id,
        ips=(row.ip_address,),
        user_ids=(row.user_id,),
    )
