"""Login attempts: the bounded, pre-filtered rows the window rules (brute force, spraying,
takeover) read.

A login attempt is a row whose action is in :data:`LOGIN_ACTIONS` (Enclava writes every
login as ``login`` with a ``success`` flag). It failed when ``success IS FALSE``; NULL is
neither a failure nor a success.

SQL selects the failed logins of the range (capped at :data:`ROW_CAP` rows, four narrow
columns), and the takeover rule the successful logins of the users with enough failures;
sliding windows run over those rows in Python, in linear time. SQLite cannot express a
time-valued ``RANGE`` window, and a self-join grows with the square of a burst, hence
Python on a bounded set. The cost is one scan of the range per query: only ``id`` and
``created_at`` are indexed in Enclava."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa

from audit import dialect
from audit.db import Source
from audit.filters import AuditFilter
from audit.queries import user_id_or_none
from audit.schema import audit_logs

c = audit_logs.c

LOGIN_ACTIONS: tuple[str, ...] = ("login",)
FAILURE, SUCCESS = "failure", "success"
ROW_CAP = 200_000  # failed (or successful) logins read for the window rules


def login_actions(flt: AuditFilter) -> tuple[str, ...]:
    """The login actions the filter lets through."""
    return tuple(a for a in LOGIN_ACTIONS if not flt.actions or a in flt.actions)


class Attempt(NamedTuple):
    id: int
    at: datetime
    ip: str | None
    user_id: int | None


@dataclass(frozen=True)
class Attempts:
    rows: tuple[Attempt, ...]
    truncated: bool = False


def read_attempts(
    source: Source, flt: AuditFilter, now: datetime, succeeded: bool, *extra: sa.ColumnElement
) -> Attempts:
    """Failed or successful logins matching the filter and ``extra``, oldest first, at most
    :data:`ROW_CAP`."""
    statement = (
        sa.select(
            c.id, dialect.readable_time(c.created_at, source.dialect), c.ip_address, c.user_id
        )
        .where(
            source.where(flt, now),
            c.action.in_(LOGIN_ACTIONS),
            c.success.is_(succeeded),
            c.created_at.is_not(None),
            *dialect.time_text_bounds(c.created_at, source.dialect),
            *extra,
        )
        .order_by(c.created_at, c.id)
        .limit(ROW_CAP + 1)
    )
    rows = source.rows(statement)
    # On SQLite a time may be stray text (read as None) and a user id text (no user).
    attempts = (
        Attempt(row_id, at, ip, user_id_or_none(user_id))
        for row_id, at, ip, user_id in rows[:ROW_CAP]
        if at is not None
    )
    return Attempts(tuple(attempts), len(rows) > ROW_CAP)


def failed_logins(source: Source, flt: AuditFilter, now: datetime) -> Attempts:
    """Failed logins matching the filter, oldest first, at most :data:`ROW_CAP`."""
    return read_attempts(source, flt, now, False)


def grouped(
    rows: Iterable[Attempt], key: Callable[[Attempt], Hashable]
) -> dict[Any, list[Attempt]]:
    """``rows`` by ``key`` (rows whose key is None left out), each group in ``rows`` order."""
    groups: dict[Any, list[Attempt]] = defaultdict(list)
    for row in rows:
        if key(row) is not None:
            groups[key(row)].append(row)
    return groups
