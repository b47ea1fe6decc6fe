"""What a copy of ``audit_logs`` holds and how it is checked against the source, for every
copy (the DuckDB mirror of :mod:`audit.mirror`, the ClickHouse store of
:mod:`audit.clickhouse.store`): the mirrored columns and how their values are read, the
slices of the copied range (one UTC day each, the edges, the rows without a time), a
fingerprint of every row computed alike in each engine's SQL, and the verification walk
that compares the slices and has a copy repair the ones that differ."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from audit.db import Source
from audit.dialect import (
    CLICKHOUSE,
    DUCKDB,
    POSTGRESQL,
    SQLITE,
    naive_utc_time,
    readable_time,
    time_text_bounds,
)
from audit.schema import audit_logs

MIRROR_COLUMNS: tuple[str, ...] = (
    "id",
    "created_at",
    "user_id",
    "action",
    "resource_type",
    "resource_id",
    "severity",
    "category",
    "success",
    "ip_address",
    "user_agent",
)
MIRROR_USER_COLUMNS: tuple[str, ...] = ("id", "email", "username")

Progress = Callable[[int, int], None]


_TYPES: dict[str, sa.types.TypeEngine] = {
    "id": sa.BigInteger(),
    "created_at": sa.DateTime(),
    "user_id": sa.BigInteger(),
    "success": sa.Boolean(),
}


def mirrored_columns() -> list[sa.Column]:
    """The mirrored columns with their types, for a copy's table (the mirror's, ClickHouse's)."""
    return [sa.Column(name, _TYPES.get(name, sa.String())) for name in MIRROR_COLUMNS]


def mirrored_value(name: str, value: Any) -> Any:
    """A value as the mirror holds it. SQLite keeps whatever a program gave it: a number
    where text belongs is kept as its text, a ``user_id`` that is not a whole number is no
    user (the mirror's column holds numbers)."""
    if value is None or name == "created_at":
        return value
    kind = _TYPES.get(name, sa.String())
    if isinstance(kind, sa.BigInteger):
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if isinstance(kind, sa.String):
        return value if isinstance(value, str) else str(value)
    return value


@dataclass
class SyncReport:
    appended: int = 0
    caught_up: bool = False
    verified: int = 0  # slices compared
    resynced: list[str] = field(default_factory=list)  # slices copied again
    users: int = 0
    seconds: float = 0.0
    append_seconds: float = 0.0  # of which spent fetching and inserting new rows
    rows: int = 0  # rows in the mirror afterwards
    behind: int = 0  # ids between the mirror's last id and the source's largest
    skipped: bool = False  # another step was running

    @property
    def fraction(self) -> float:
        total = self.rows + self.behind
        return 1.0 if total == 0 else min(self.rows / total, 1.0)


# ---------------------------------------------------------------------------------------
# Slices of the mirrored range, and their fingerprints


@dataclass(frozen=True)
class Slice:
    """Rows with ``start <= created_at < end`` (either bound open), or ``created_at`` NULL."""

    start: datetime | None
    end: datetime | None
    null_time: bool = False

    def clause(
        self, table: sa.Table, last_id: int, dialect: str = DUCKDB
    ) -> sa.ColumnElement[bool]:
        """On a SQLite source a value that is no time (other text, a number) is mirrored
        as NULL (see :func:`source_columns`), so it belongs with the rows without a time."""
        created = table.c.created_at
        parts = [table.c.id <= last_id]
        can_be_time = time_text_bounds(created, dialect)
        if self.null_time:
            parts.append(
                sa.or_(created.is_(None), sa.not_(sa.and_(*can_be_time)))
                if can_be_time
                else created.is_(None)
            )
        else:
            parts += can_be_time
        if self.start is not None:
            parts.append(created >= self.start)
        if self.end is not None:
            parts.append(created < self.end)
        if not self.null_time and self.start is None and self.end is None:
            parts.append(created.is_not(None))
        return sa.and_(*parts)

    def describe(self) -> str:
        if self.null_time:
            return "rows without a time"
        if self.start is not None and self.end == self.start + timedelta(days=1):
            return f"{self.start:%Y-%m-%d}"
        return f"[{self.start or '…'}, {self.end or '…'})"


def day_slice(day: date) -> Slice:
    """The rows of one UTC day; the last day Python holds (9999-12-31) has an open end."""
    start = datetime(day.year, day.month, day.day)
    return Slice(start, start + timedelta(days=1) if day < date.max else None)


NULL_TIME = "\\N"
_SEPARATOR = "\x1f"
_UDF_NAME = "audit_mirror_fingerprint"


def _canonical_text(values: Sequence[Any]) -> str:
    """A row's mirrored values as text, the same on every engine (see :func:`_fingerprint`)."""
    parts = []
    for name, raw in zip(MIRROR_COLUMNS, values, strict=True):
        value = mirrored_value(name, raw)
        if value is None:
            parts.append(NULL_TIME)
        elif name == "created_at":
            moment = naive_utc_time(value)  # as source_columns reads it
            parts.append(NULL_TIME if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S.%f"))
        elif name == "success":
            parts.append("t" if value else "f")
        else:
            parts.append(str(value))
    return _SEPARATOR.join(parts)


def row_fingerprint(*values: Any) -> int:
    """The first 32 bits of the MD5 of a row's canonical text, as a non-negative integer."""
    digest = hashlib.md5(_canonical_text(values).encode(), usedforsecurity=False).hexdigest()
    return int(digest[:8], 16)


def _sql_text_part(column: sa.ColumnElement, name: str, dialect: str) -> sa.ColumnElement:
    if name == "created_at":
        if dialect == POSTGRESQL:
            text = sa.func.to_char(column, "YYYY-MM-DD HH24:MI:SS.US")
        elif dialect == CLICKHOUSE:
            text = sa.func.formatDateTime(column, "%Y-%m-%d %H:%i:%S.%f")
        else:
            text = sa.func.strftime(column, "%Y-%m-%d %H:%M:%S.%f")
    elif name == "success":
        text = sa.case((column.is_(True), "t"), (column.is_(False), "f"))
    elif dialect == CLICKHOUSE:  # its CAST to String refuses NULL
        text = sa.func.toString(column, type_=sa.Text)
    else:
        text = sa.cast(column, sa.Text)
    return sa.func.coalesce(text, NULL_TIME)


def _fingerprint(table: sa.Table, dialect: str) -> sa.ColumnElement[int]:
    """SQL for :func:`row_fingerprint` on PostgreSQL, DuckDB and ClickHouse; on SQLite the
    Python function registered as ``audit_mirror_fingerprint``."""
    columns = [table.c[name] for name in MIRROR_COLUMNS]
    if dialect == SQLITE:
        return getattr(sa.func, _UDF_NAME)(*columns)
    pieces: list[sa.ColumnElement] = []
    for name, column in zip(MIRROR_COLUMNS, columns, strict=True):
        if pieces:
            pieces.append(sa.literal(_SEPARATOR))
        pieces.append(_sql_text_part(column, name, dialect))
    if dialect == CLICKHOUSE:  # MD5() gives the 16 bytes themselves: the first 4, big-endian
        digest = sa.func.MD5(sa.func.concat(*pieces))
        return sa.func.reinterpretAsUInt32(sa.func.reverse(sa.func.substring(digest, 1, 4)))
    prefix = sa.func.substr(sa.func.md5(sa.func.concat(*pieces)), 1, 8)
    if dialect == POSTGRESQL:
        return sa.cast(sa.cast(sa.literal("x") + prefix, postgresql.BIT(32)), sa.BigInteger)
    if dialect == DUCKDB:
        return sa.cast(sa.literal("0x") + prefix, sa.BigInteger)
    raise ValueError(f"No fingerprint for the {dialect!r} dialect")


@dataclass(frozen=True)
class SliceSummary:
    rows: int
    id_sum: int
    fingerprint_sum: int


def summary(conn: sa.Connection, table: sa.Table, where: sa.ColumnElement[bool]) -> SliceSummary:
    """Rows, sum of ids and sum of fingerprints of a slice, alike on every engine."""
    if conn.dialect.name == SQLITE:
        conn.connection.driver_connection.create_function(
            _UDF_NAME, len(MIRROR_COLUMNS), row_fingerprint, deterministic=True
        )
    statement = sa.select(
        sa.func.count(),
        sa.func.coalesce(sa.func.sum(table.c.id), 0),
        sa.func.coalesce(sa.func.sum(_fingerprint(table, conn.dialect.name)), 0),
    ).where(where)
    return SliceSummary(*(int(v) for v in conn.execute(statement).one()))


Repair = Callable[[Slice], bool]


def day_slices(
    days: tuple[date, date] | None,
    cursor: date | None,
    low: datetime | None = None,
    high: datetime | None = None,
) -> Iterator[tuple[Slice, date | None]]:
    """The slices a verification step checks, each with the cursor to save once it is
    checked: the newest day, then from ``cursor`` back to the oldest day, then the edges
    (times from ``low`` and until ``high``; a cursor before the oldest day means the edges
    are next), then the rows without a time. ``days``: the copy's first and last day."""
    if days is None:
        if low is not None or high is not None:
            yield Slice(low, high), None
        yield Slice(None, None, null_time=True), None
        return
    first, last = days
    one_day = timedelta(days=1)
    yield day_slice(last), cursor
    day = cursor if cursor and cursor < last else last - one_day
    while day >= first:
        yield day_slice(day), day - one_day
        day -= one_day
    yield Slice(low, day_slice(first).start), first - one_day
    after_last = day_slice(last).end
    if after_last is not None:
        yield Slice(after_last, high), first - one_day
    yield Slice(None, None, null_time=True), None


def verify_slices(
    slices: Iterator[tuple[Slice, date | None]],
    cursor: date | None,
    deadline: float,
    report: SyncReport,
    repair: Repair,
) -> date | None:
    """Check (and repair) slices until the deadline; the cursor to continue from (the
    given one when none was checked). The newest day is checked at every step, and one
    more slice at least, so a pass always moves on."""
    for piece, next_cursor in slices:
        if report.verified >= 2 and time.monotonic() >= deadline:
            break
        report.verified += 1
        if repair(piece):
            report.resynced.append(piece.describe())
        cursor = next_cursor
    return cursor


def source_columns(dialect: str) -> list[sa.ColumnElement]:
    """The mirrored columns as read from the source; on SQLite ``created_at`` as a naive UTC
    time or NULL whatever another program stored there (text in other forms, numbers)."""
    return [
        readable_time(audit_logs.c[name], dialect) if name == "created_at" else audit_logs.c[name]
        for name in MIRROR_COLUMNS
    ]


def estimate_max_id(source: Source) -> int:
    with source.connect() as conn:
        return int(conn.execute(sa.select(sa.func.max(audit_logs.c.id))).scalar() or 0)
