"""Users seen from many IPs: GROUP BY user and IP, then by user HAVING enough IPs (one
scan of the range)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from audit import dialect, queries
from audit.db import Source
from audit.filters import AuditFilter
from audit.schema import audit_logs
from audit.security.findings import LOW, MEDIUM, MULTI_IP, Finding, evidence_filter, listing
from audit.security.labels import Label
from audit.security.thresholds import Thresholds

c = audit_logs.c


def multi_ip_pairs(source: Source, flt: AuditFilter, now: datetime, th: Thresholds) -> list[sa.Row]:
    """Events per (user, IP) of the users seen from at least K distinct IPs, the IP
    possibly NULL: user_id, ip_address, events, first, last. Grouping by the pair first
    and then by user avoids a costlier count(DISTINCT)."""
    time = dialect.time_value(c.created_at, source.dialect)
    pairs = (
        sa.select(
            c.user_id,
            c.ip_address,
            sa.func.count().label("events"),
            sa.func.min(time).label("first"),
            sa.func.max(time).label("last"),
        )
        .where(source.where(flt, now), c.user_id.is_not(None))
        .group_by(c.user_id, c.ip_address)
        .cte("pairs")
    )
    many = (
        sa.select(pairs.c.user_id)
        .group_by(pairs.c.user_id)
        .having(sa.func.count(pairs.c.ip_address) >= th.multi_ip_min)
    )
    statement = sa.select(pairs).where(pairs.c.user_id.in_(many)).order_by(pairs.c.user_id)
    # On SQLite a user id may be text: no user to name, left out.
    rows = source.rows(statement)
    return [row for row in rows if queries.user_id_or_none(row.user_id) is not None]


def multi_ip(
    rows: Sequence[sa.Row], th: Thresholds, flt: AuditFilter, label: Label
) -> list[Finding]:
    """One finding per user of :func:`multi_ip_pairs`; 2K IPs or more is medium risk."""
    by_user: dict[int, list[sa.Row]] = defaultdict(list)
    for row in rows:
        by_user[row.user_id].append(row)
    found = []
    for user_id, pairs in by_user.items():
        ips = {r.ip_address: int(r.events) for r in pairs if r.ip_address is not None}
        times = [r.first for r in pairs if r.first is not None]  # None: no readable time
        if not times:
            continue
        first, last = min(times), max(r.last for r in pairs if r.last is not None)
        summary = (
            f"{label(user_id)} was seen from {len(ips):,} distinct IPs: {listing(ips)} "
            f"(rule: at least {th.multi_ip_min} distinct IPs in the range)."
        )
        found.append(
            Finding(
                MULTI_IP,
                MEDIUM if len(ips) >= 2 * th.multi_ip_min else LOW,
                summary,
                first,
                last,
                sum(int(r.events) for r in pairs),
                evidence_filter(flt, first, last, users=(user_id,)),
                user_id=user_id,
                ips=tuple(sorted(ips)),
                user_ids=(user_id,),
            )
        )
    return found
