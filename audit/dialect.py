"""The small seam where SQLite, PostgreSQL, DuckDB (the columnar mirror) and ClickHouse
differ: JSON as text, local time and buckets, JSON-list membership. Everything else in the
query layer is dialect-neutral Core. DuckDB has PostgreSQL's ``date_trunc`` and
``extract``; ClickHouse has ``date_trunc`` too (its weeks come back as dates), and its own
``toHour`` and ``toDayOfWeek``. Its LIKE escape and exact time parameters are handled in
the engine itself (:mod:`audit.clickhouse.engine`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from audit.timerange import offset_segments, shifted

POSTGRESQL = "postgresql"
SQLITE = "sqlite"
DUCKDB = "duckdb"
CLICKHOUSE = "clickhousedb"  # clickhouse-connect's dialect, for a server and for chdb
# Dialects with PostgreSQL's casts and date functions.
_PG_FUNCTIONS = (POSTGRESQL, DUCKDB)
# Copies of the analytic columns (no session id, no JSON): the mirror and ClickHouse.
COPIES = (DUCKDB, CLICKHOUSE)

_SQLITE_TRUNCATE = {
    "minute": ("%Y-%m-%d %H:%M:00",),
    "hour": ("%Y-%m-%d %H:00:00",),
    "day": ("%Y-%m-%d 00:00:00",),
    "week": ("%Y-%m-%d 00:00:00", "-6 days", "weekday 1"),  # the Monday on or before
}


# ---------------------------------------------------------------------------------------
# Times as stored. SQLite keeps whatever a program gave it: created_at may hold text in
# another format, a number, or text that is no time at all; SQLAlchemy's reader raises on
# anything but its own format. PostgreSQL keeps real timestamps, up to the year 9999 and
# beyond Python's.

# The text SQLite compares as a time lies between these (not numbers: SQLite would turn
# a numeric text into a number before comparing it with the column).
SQLITE_TIME_TEXT = ("0001-01-01", "9999-12-32")


def naive_utc_time(value: Any) -> datetime | None:
    """A stored time as naive UTC: a datetime, or ISO 8601 text in any of its forms (an
    offset is honoured); ``None`` for anything else. Numbers are not guessed at: Unix
    seconds, milliseconds and SQLite's Julian days look alike."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        return value
    try:
        return value.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        return None


class _ReadableTime(sa.types.TypeDecorator):
    """``created_at`` read through :func:`naive_utc_time` instead of SQLAlchemy's reader."""

    impl = sa.String
    cache_ok = True

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> datetime | None:
        return naive_utc_time(value)


def readable_time(column: sa.ColumnElement, dialect: str) -> sa.ColumnElement:
    """``created_at`` as rows show it: on SQLite a naive UTC datetime or ``None`` whatever
    was stored (see :func:`naive_utc_time`)."""
    if dialect == SQLITE:
        return sa.type_coerce(column, _ReadableTime())
    return column


def stored_time(column: sa.ColumnElement, dialect: str) -> sa.ColumnElement:
    """``created_at`` exactly as stored, for keyset cursors: on SQLite the text or number
    itself (the order rows are paged in is SQLite's order of those values)."""
    if dialect == SQLITE:
        return sa.type_coerce(column, sa.String)
    return column


def time_text_bounds(column: sa.ColumnElement, dialect: str) -> list[sa.ColumnElement[bool]]:
    """On SQLite, only values that can be times (text from the year 1 to 9999), for the
    data's first and last time: numbers sort before every text, other text after it."""
    if dialect != SQLITE:
        return []
    low, high = SQLITE_TIME_TEXT
    return [column >= sa.literal(low, sa.String), column < sa.literal(high, sa.String)]


def time_value(column: sa.ColumnElement, dialect: str) -> sa.ColumnElement:
    """``created_at`` where it can be a time, else NULL, read as :func:`readable_time`:
    for ``min()`` and ``max()``, which on SQLite would pick a number or stray text."""
    if dialect != SQLITE:
        return column
    can_be_time = sa.and_(*time_text_bounds(column, dialect))
    return readable_time(sa.case((can_be_time, column), else_=None), dialect)


def json_text(column: sa.ColumnElement, dialect: str) -> sa.ColumnElement[str]:
    """A JSON column as its text (SQLite stores text already; may even be invalid JSON)."""
    if dialect == CLICKHOUSE:  # its CAST to String refuses NULL
        return sa.func.toString(column, type_=sa.Text)
    if dialect in _PG_FUNCTIONS:
        return sa.cast(column, sa.Text)
    return sa.type_coerce(column, sa.Text)


def _utc_offset(
    column: sa.ColumnElement, tz: str, start: datetime, end: datetime
) -> sa.ColumnElement[int]:
    return _offset_search(column, offset_segments(tz, start, end))


def _offset_search(
    column: sa.ColumnElement, segments: tuple[tuple[datetime, int], ...]
) -> sa.ColumnElement[int]:
    """The offset of the segment holding the time, as nested CASEs that halve the segments
    at each step: an open range (every transition since 1970) costs a row a few comparisons,
    not a hundred."""
    if len(segments) == 1:
        return sa.literal(segments[0][1])
    middle = len(segments) // 2
    boundary = sa.literal(segments[middle][0], sa.DateTime)
    earlier, later = segments[:middle], segments[middle:]
    return sa.case(
        (column < boundary, _offset_search(column, earlier)),
        else_=_offset_search(column, later),
    )


def local_time(
    column: sa.ColumnElement, dialect: str, tz: str, start: datetime, end: datetime
) -> sa.ColumnElement:
    """``created_at`` (naive UTC) as naive local time in ``tz``. ``start``/``end`` bound the
    data so SQLite can be given the offsets that apply (it has no timezone database); DuckDB
    is given them too."""
    if tz == "UTC":  # stored times are UTC already: no conversion to pay for per row
        return column
    if dialect == DUCKDB:  # plain arithmetic: about 10 times faster than its ICU timezone()
        seconds = sa.func.to_seconds(_utc_offset(column, tz, start, end), type_=sa.Interval())
        return _within_python_years(column + seconds, start, end)
    if dialect == CLICKHOUSE:  # the same arithmetic; it holds the years 1900 to 2299 only
        offset = _utc_offset(column, tz, start, end)
        return sa.func.addSeconds(column, offset, type_=sa.DateTime())
    if dialect == POSTGRESQL:
        local = sa.func.timezone(tz, sa.func.timezone("UTC", column))
        return _within_python_years(local, start, end)
    # SQLite's datetime() gives NULL past the year 9999: such a row gets no bucket.
    offset = _utc_offset(column, tz, start, end)
    return sa.func.datetime(column, sa.cast(offset, sa.String) + " seconds")


# A local time further than this from UTC's is held back (no zone is 26 hours away).
_LARGEST_OFFSET = timedelta(hours=26)


def _within_python_years(
    local: sa.ColumnElement, start: datetime, end: datetime
) -> sa.ColumnElement:
    """A local time held within the years Python holds, when the data reaches their ends
    (a time in the last hours of 9999 is in the year 10000 east of Greenwich, which the
    driver cannot hand over). Data well within them pays nothing."""
    if end > shifted(datetime.max, -_LARGEST_OFFSET):
        local = sa.func.least(local, sa.literal(datetime.max.replace(microsecond=0)))
    if start < shifted(datetime.min, _LARGEST_OFFSET):
        local = sa.func.greatest(local, sa.literal(datetime.min))
    return local


def truncate(local: sa.ColumnElement, dialect: str, width: str) -> sa.ColumnElement:
    """Start of the minute/hour/day/week (weeks start on Monday) holding a local time."""
    if dialect == CLICKHOUSE:  # a week's start comes back as a Date32: made a time again
        start = sa.func.date_trunc(width, local)
        return sa.func.toDateTime64(start, 0, "UTC") if width == "week" else start
    if dialect in _PG_FUNCTIONS:
        return sa.func.date_trunc(width, local)
    fmt, *modifiers = _SQLITE_TRUNCATE[width]
    return sa.func.strftime(fmt, local, *modifiers)


def hour_of_day(local: sa.ColumnElement, dialect: str) -> sa.ColumnElement[int]:
    if dialect == CLICKHOUSE:
        return sa.func.toHour(local, type_=sa.Integer())
    if dialect in _PG_FUNCTIONS:
        return sa.cast(sa.extract("hour", local), sa.Integer)
    return sa.cast(sa.func.strftime("%H", local), sa.Integer)


def iso_weekday(local: sa.ColumnElement, dialect: str) -> sa.ColumnElement[int]:
    """Monday = 1 ... Sunday = 7."""
    if dialect == CLICKHOUSE:
        return sa.func.toDayOfWeek(local, type_=sa.Integer())
    if dialect in _PG_FUNCTIONS:
        return sa.cast(sa.extract("isodow", local), sa.Integer)
    sunday_zero = sa.cast(sa.func.strftime("%w", local), sa.Integer)
    return sa.case((sunday_zero == 0, 7), else_=sunday_zero)


def json_list_contains(
    column: sa.ColumnElement, dialect: str, value: str
) -> sa.ColumnElement[bool]:
    """The JSON column is a list holding the string ``value``; false for anything else,
    including (on SQLite) text that is not valid JSON."""
    if dialect == DUCKDB:
        return _duckdb_list_contains(column, value)
    if dialect == CLICKHOUSE:
        return _clickhouse_list_contains(column, value)
    if dialect == POSTGRESQL:
        as_jsonb = sa.cast(column, postgresql.JSONB)
        return sa.and_(
            sa.func.jsonb_typeof(as_jsonb) == "array",
            as_jsonb.contains(sa.func.jsonb_build_array(sa.literal(value, sa.String))),
        )
    text = sa.type_coerce(column, sa.Text)
    elements = sa.func.json_each(text).table_valued("value").alias("tag_element")
    member = sa.select(sa.literal(1)).select_from(elements).where(elements.c.value == value)
    is_array = sa.case((sa.func.json_type(text) == "array", member.exists()), else_=0)
    # Nested CASE: json_type() raises on invalid JSON, so it runs only after json_valid().
    return sa.case((sa.func.json_valid(text) == 1, is_array), else_=0) == 1


def _duckdb_list_contains(column: sa.ColumnElement, value: str) -> sa.ColumnElement[bool]:
    raw = sa.cast(column, sa.Text)
    # json_each() raises on invalid JSON and DuckDB may run it before any guarding CASE,
    # so invalid text is replaced by a JSON null first.
    text = sa.case((sa.func.json_valid(raw), raw), else_=sa.literal("null"))
    elements = sa.func.json_each(text).table_valued("value", "type").alias("tag_element")
    member = (
        sa.select(sa.literal(1))
        .select_from(elements)
        .where(
            elements.c.type == "VARCHAR",
            sa.func.json_extract_string(elements.c.value, "$") == sa.literal(value, sa.String),
        )
    )
    return sa.and_(sa.func.json_type(text) == "ARRAY", member.exists())


def _clickhouse_list_contains(column: sa.ColumnElement, value: str) -> sa.ColumnElement[bool]:
    # Invalid JSON and anything but an array give no elements; each element is raw JSON,
    # tested in a lambda (x -> ...) with the value still a bound parameter.
    text = sa.func.ifNull(json_text(column, CLICKHOUSE), "null")
    elements = sa.func.JSONExtractArrayRaw(text)
    element = sa.literal_column("x")
    holds = sa.and_(
        sa.func.JSONType(element) == "String",
        sa.func.JSONExtractString(element) == sa.literal(value, sa.String),
    )
    return sa.func.arrayExists(element.op("->")(holds), elements) == 1
