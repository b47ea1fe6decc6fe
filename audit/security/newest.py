"""The newest rows matching a filter (the lists of the security page and the profiles),
optionally found through the mirror's index."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from audit import queries
from audit.db import Source
from audit.filters import AuditFilter
from audit.schema import audit_logs

c = audit_logs.c


def newest_rows(
    source: Source,
    flt: AuditFilter,
    now: datetime,
    conditions: Sequence[sa.ColumnElement[bool]],
    limit: int,
    ids_from: Source | None = None,
) -> sa.Select:
    """The newest ``limit`` rows matching ``flt`` and ``conditions``, read from ``source``.

    On a large table the database may walk its time index over millions of rows to find a
    few rare ones. ``ids_from`` (the mirror) finds the candidates instead: the ids of its
    newest matching rows, plus every id newer than it holds. The source then reads those
    rows by primary key and applies the filter again, so every row shown matches."""
    statement = queries.rows_statement(source, flt, now).where(*conditions)
    if ids_from is not None:
        statement = statement.where(_candidate_ids(ids_from, flt, now, conditions, limit))
    return statement.order_by(*queries.row_order(newest_first=True)).limit(limit)


def _candidate_ids(
    index: Source,
    flt: AuditFilter,
    now: datetime,
    conditions: Sequence[sa.ColumnElement[bool]],
    limit: int,
) -> sa.ColumnElement[bool]:
    newest = (
        sa.select(c.id)
        .where(index.where(flt, now), *conditions)
        .order_by(*queries.row_order(newest_first=True))
        .limit(limit)
    )
    with index.connect() as conn:
        ids = [int(i) for i in conn.execute(newest).scalars()]
        last = conn.execute(sa.select(sa.func.max(c.id))).scalar()
    if last is None:
        return sa.true()
    return sa.or_(c.id.in_(ids), c.id > int(last))
