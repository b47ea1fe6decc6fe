"""Rows, a page at a time by keyset on ``(created_at, id)`` (NULL times sort last in both
orders), single events and their neighbours, returned as DataFrames."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa

from audit import dialect
from audit.db import Source
from audit.dimensions import parse_id
from audit.filters import AuditFilter
from audit.queries.users import user_column, user_ids, user_label
from audit.schema import JSON_COLUMNS, audit_logs, users
from audit.vocab import (
    outcome_label,
)

PAGE_SIZES: tuple[int, ...] = (25, 50, 100, 500)
c = audit_logs.c


# ---------------------------------------------------------------------------------------
# Pages of rows, by keyset on (created_at, id); NULL timestamps sort last in both orders.


# A value SQLite stored in created_at that is not a time in its own format (text in
# another format, a number): a cursor keeps it as stored, so paging goes on exactly from it.
StoredValue = str | int | float


@dataclass(frozen=True)
class Cursor:
    created_at: datetime | StoredValue | None
    id: int


def _bound(moment: datetime | StoredValue) -> Any:
    """A cursor's time as the value ``created_at`` is compared with."""
    if isinstance(moment, datetime):
        return moment  # bound as the column's own type
    types = {str: sa.String, int: sa.Integer, float: sa.Float}
    return sa.literal(moment, types[type(moment)])


def timed_after(cursor: Cursor, newest_first: bool) -> sa.ColumnElement[bool]:
    """Rows with a time that come after ``cursor`` (which has one) in the page order, in a
    form an index on ``created_at`` serves (the bound first, then the tie on id)."""
    created, row_id = c.created_at, c.id
    assert cursor.created_at is not None
    moment = _bound(cursor.created_at)
    if newest_first:
        return sa.and_(created <= moment, sa.or_(created < moment, row_id < cursor.id))
    return sa.and_(created >= moment, sa.or_(created > moment, row_id > cursor.id))


def before_cursor(cursor: Cursor, newest_first: bool) -> sa.ColumnElement[bool]:
    """Rows that come before ``cursor`` in the page order."""
    created, row_id = c.created_at, c.id
    if cursor.created_at is None:
        earlier_id = row_id > cursor.id if newest_first else row_id < cursor.id
        return sa.or_(created.is_not(None), earlier_id)
    moment = _bound(cursor.created_at)
    if newest_first:
        return sa.and_(created >= moment, sa.or_(created > moment, row_id > cursor.id))
    return sa.and_(created <= moment, sa.or_(created < moment, row_id < cursor.id))


def row_order(newest_first: bool, reverse: bool = False) -> list[sa.ColumnElement]:
    descending = newest_first != reverse
    created = c.created_at.desc() if descending else c.created_at.asc()
    created = created.nulls_first() if reverse else created.nulls_last()
    return [created, c.id.desc() if descending else c.id.asc()]


def row_columns(source: Source) -> list[sa.ColumnElement]:
    """The columns of a row page: every audit column (JSON as text) plus the user's labels."""
    columns: list[sa.ColumnElement] = []
    for column in audit_logs.columns:
        if column.name in JSON_COLUMNS:
            columns.append(dialect.json_text(column, source.dialect).label(column.name))
        elif column.name == "created_at":
            columns.append(dialect.readable_time(column, source.dialect).label(column.name))
        else:
            columns.append(column)
    if source.has_users:
        columns += [user_column("email", source), user_column("username", source)]
    else:
        columns += [sa.null().label("email"), sa.null().label("username")]
    return columns


def rows_statement(source: Source, flt: AuditFilter, now: datetime) -> sa.Select:
    """Every matching row with user labels, unordered and unlimited (for paging and export)."""
    joined = (
        audit_logs.outerjoin(users, users.c.id == c.user_id) if source.has_users else audit_logs
    )
    return sa.select(*row_columns(source)).select_from(joined).where(source.where(flt, now))


@dataclass(frozen=True)
class Page:
    rows: pd.DataFrame
    first: Cursor | None
    last: Cursor | None
    has_more: bool


def page_rows(
    source: Source,
    flt: AuditFilter,
    now: datetime,
    size: int = 50,
    after: Cursor | None = None,
    before: Cursor | None = None,
    newest_first: bool = True,
) -> Page:
    """One page of matching rows. ``after`` pages forward, ``before`` pages back."""
    after, before = _usable(after, source), _usable(before, source)
    reverse = before is not None
    stored = dialect.stored_time(c.created_at, source.dialect).label(STORED_TIME)
    rows: list[dict[str, Any]] = []
    with source.connect() as conn:
        for statement in _page_parts(source, flt, now, after, before, newest_first):
            wanted = size + 1 - len(rows)
            if wanted <= 0:
                break
            statement = statement.add_columns(stored).limit(wanted)
            rows += [dict(r._mapping) for r in conn.execute(statement)]
    has_more = len(rows) > size
    rows = rows[:size]
    if reverse:
        rows.reverse()
    frame = rows_frame(rows, flt.tz)
    first = _cursor_of(rows[0]) if rows else None
    last = _cursor_of(rows[-1]) if rows else None
    return Page(frame, first, last, has_more)


STORED_TIME = "stored_created_at"  # the column a page's cursors are made from


def _cursor_of(row: dict[str, Any]) -> Cursor:
    """The cursor just at ``row``: its time as stored. A time in SQLAlchemy's own format
    (all of Enclava's) becomes a datetime again, so cursors in URLs stay readable."""
    stored = row[STORED_TIME]
    if isinstance(stored, str):
        moment = dialect.naive_utc_time(stored)
        if moment and moment.isoformat(sep=" ", timespec="microseconds") == stored:
            stored = moment
    return Cursor(stored, row["id"])


def _usable(cursor: Cursor | None, source: Source) -> Cursor | None:
    """``cursor``, unless it holds a stored value a database other than SQLite cannot
    compare (a hand-made URL): then paging starts over."""
    if cursor is None or source.dialect == dialect.SQLITE:
        return cursor
    return cursor if cursor.created_at is None or isinstance(cursor.created_at, datetime) else None


def rows_in_order(
    source: Source, flt: AuditFilter, now: datetime, newest_first: bool = True
) -> list[sa.Select]:
    """Every matching row in page order, as the statements to read in turn (see
    :func:`_page_parts`): for exports."""
    return _page_parts(source, flt, now, None, None, newest_first)


def _page_parts(
    source: Source,
    flt: AuditFilter,
    now: datetime,
    after: Cursor | None,
    before: Cursor | None,
    newest_first: bool,
) -> list[sa.Select]:
    """The statements a page reads in turn: rows with a time (in time order), then rows
    without one (in id order); the other way round when paging back. Two statements, so
    that PostgreSQL walks Enclava's own ``created_at`` index: a single ORDER BY with NULLS
    LAST makes it sort the whole range first (4 s at 10M rows, 1 ms this way)."""
    descending = newest_first != (before is not None)
    created, row_id = c.created_at, c.id
    timed = rows_statement(source, flt, now).where(created.is_not(None))
    timed = timed.order_by(*((created.desc(), row_id.desc()) if descending else (created, row_id)))
    untimed = rows_statement(source, flt, now).where(created.is_(None))
    untimed = untimed.order_by(row_id.desc() if descending else row_id)
    if after is not None and after.created_at is None:
        return [untimed.where(row_id < after.id if newest_first else row_id > after.id)]
    if after is not None:
        return [timed.where(timed_after(after, newest_first)), untimed]
    if before is not None and before.created_at is None:
        return [untimed.where(row_id > before.id if newest_first else row_id < before.id), timed]
    if before is not None:
        return [timed.where(before_cursor(before, newest_first))]
    return [timed, untimed]


def load_json(text: Any) -> Any:
    """JSON text from the table as a Python value; text that is not JSON stays text."""
    if text is None or not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


ROW_FRAME_COLUMNS: tuple[str, ...] = (
    *(col.name for col in audit_logs.columns),
    "email",
    "username",
    "user",
)


def rows_frame(rows: list[dict[str, Any]], tz: str) -> pd.DataFrame:
    """Rows as a DataFrame: time in the display timezone, labels for NULLs, JSON parsed."""
    frame = pd.DataFrame(rows, columns=[col for col in ROW_FRAME_COLUMNS if col != "user"])
    frame["created_at"] = (
        pd.to_datetime(frame["created_at"]).dt.tz_localize("UTC").dt.tz_convert(tz)
    )
    frame["user"] = [
        user_label(*r)
        for r in zip(frame["user_id"], frame["email"], frame["username"], strict=True)
    ]
    frame["user_id"] = user_ids(frame["user_id"])
    frame["outcome"] = [outcome_label(None if pd.isna(v) else bool(v)) for v in frame["success"]]
    for name in JSON_COLUMNS:
        frame[name] = frame[name].map(load_json).astype(object)
    return frame


# ---------------------------------------------------------------------------------------
# Explorer: positions and single events


def rows_before(
    source: Source, flt: AuditFilter, now: datetime, cursor: Cursor, newest_first: bool = True
) -> int:
    """How many matching rows come before ``cursor`` in the page order (for "rows X to Y")."""
    usable = _usable(cursor, source)
    if usable is None:
        return 0
    statement = (
        sa.select(sa.func.count())
        .select_from(audit_logs)
        .where(source.where(flt, now), before_cursor(usable, newest_first))
    )
    with source.connect() as conn:
        return int(conn.execute(statement).scalar_one())


STORED_MARK = "~"  # a cursor's stored value that is not a time, as JSON: ~"text"_12


def encode_cursor(cursor: Cursor) -> str:
    moment = cursor.created_at
    if isinstance(moment, datetime):
        text = moment.isoformat()
    elif moment is None:
        text = "null"
    else:
        text = STORED_MARK + json.dumps(moment)
    return f"{text}_{cursor.id}"


def decode_cursor(text: str) -> Cursor | None:
    """The cursor in a URL parameter, or ``None`` when it is not one."""
    moment, _, id_text = text.rpartition("_")
    row_id = parse_id(id_text)
    if row_id is None or not moment:
        return None
    if moment.startswith(STORED_MARK):
        stored = _stored_value(moment.removeprefix(STORED_MARK))
        return None if stored is None else Cursor(stored, row_id)
    try:
        created = None if moment == "null" else datetime.fromisoformat(moment)
    except ValueError:
        return None
    if created is not None and created.tzinfo is not None:
        return None
    return Cursor(created, row_id)


def _stored_value(text: str) -> StoredValue | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if type(value) not in (str, int, float) or value != value:  # NaN is no stored value
        return None
    if type(value) is int and not -(2**63) <= value < 2**63:  # beyond SQLite's integers
        return None
    return value


def event_rows_statement(source: Source) -> sa.Select:
    """Every column of a row page, from the table joined to its users, without a where."""
    joined = (
        audit_logs.outerjoin(users, users.c.id == c.user_id) if source.has_users else audit_logs
    )
    return sa.select(*row_columns(source)).select_from(joined)


def event_by_id(source: Source, event_id: int, tz: str) -> pd.Series | None:
    """One event with every field (JSON parsed, time in ``tz``), or ``None``."""
    statement = event_rows_statement(source).where(c.id == event_id)
    with source.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(statement)]
    return rows_frame(rows, tz).iloc[0] if rows else None
