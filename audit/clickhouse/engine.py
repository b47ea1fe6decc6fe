"""The one way to reach ClickHouse: a SQLAlchemy engine through clickhouse-connect's
dialect, for a server (``clickhousedb://user:password@host:8123/db``) or for ClickHouse's
engine in-process through chdb (``chdb:///path/to/dir``, optionally ``?database=name``).

Both URLs become the same dialect and the same SQL text with bound parameters: only the
transport differs (HTTP, or chdb's in-process engine, which clickhouse-connect drives as
one of its backends). The dialect is clickhouse-connect's, with two corrections
(registered as ``clickhousedb.audit``):

- ``LIKE … ESCAPE '\\'``: ClickHouse has no ESCAPE clause, and backslash is already its
  escape character, so the clause is dropped (any other escape character is refused).
- ORDER BY places NULLs as the source's database does (SQLite first when ascending,
  PostgreSQL last), so ties in top lists come out alike (ClickHouse puts them last always).
- Times bound as parameters keep their microseconds (the client renders a naive datetime
  to whole seconds, which moves a bound such as ``created_at < 12:00:00.7`` past a row at
  ``12:00:00.5``).

The dashboard's engine is read-only (``readonly=2``: no writes, settings allowed) with
``max_execution_time`` as its statement timeout; only ``python -m audit.clickhouse sync``
opens a writable one.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import sqlalchemy as sa
from clickhouse_connect.cc_sqlalchemy.dialect import ClickHouseDialect
from clickhouse_connect.cc_sqlalchemy.sql.compiler import ChStatementCompiler
from sqlalchemy.dialects import registry
from sqlalchemy.engine import URL, make_url
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression, ColumnElement, UnaryExpression

from audit.config import PROJECT_ROOT
from audit.db import hide_secrets

CHDB_SCHEME = "chdb"
SERVER_SCHEMES = ("clickhousedb", "clickhousedb+connect")
DEFAULT_DATABASE = "audit"
_DRIVER = "clickhousedb+audit"
_NATIVE_ESCAPE = "\\"

# Settings of every session: an outer join fills a missing side with NULL, as SQL does
# (ClickHouse's default fills it with 0 and ''); FINAL reads each month on its own.
SESSION_SETTINGS: dict[str, str] = {
    "join_use_nulls": "1",
    "do_not_merge_across_partitions_select_final": "1",
}


def _native_escape(binary: BinaryExpression) -> BinaryExpression:
    escape = binary.modifiers.get("escape")
    if escape is None:
        return binary
    if escape != _NATIVE_ESCAPE:
        raise sa.exc.CompileError("ClickHouse's LIKE escapes with a backslash only")
    clone = binary._clone()
    clone.modifiers = {k: v for k, v in binary.modifiers.items() if k != "escape"}
    return clone


def _with_nulls(clause: ColumnElement, first_on_ascending: bool) -> ColumnElement:
    modifier = clause.modifier if isinstance(clause, UnaryExpression) else None
    if modifier in (operators.nulls_first_op, operators.nulls_last_op):
        return clause
    first = first_on_ascending != (modifier is operators.desc_op)
    return clause.nulls_first() if first else clause.nulls_last()


class _Compiler(ChStatementCompiler):
    def order_by_clause(self, select: Any, **kw: Any) -> str:
        first = getattr(self.dialect, "nulls_first_on_ascending", None)
        if first is None or not select._order_by_clauses:
            return super().order_by_clause(select, **kw)
        clauses = [_with_nulls(clause, first) for clause in select._order_by_clauses]
        return " ORDER BY " + ", ".join(self.process(clause, **kw) for clause in clauses)

    def visit_like_op_binary(self, binary: Any, operator: Any, **kw: Any) -> str:
        return super().visit_like_op_binary(_native_escape(binary), operator, **kw)

    def visit_not_like_op_binary(self, binary: Any, operator: Any, **kw: Any) -> str:
        return super().visit_not_like_op_binary(_native_escape(binary), operator, **kw)

    def visit_ilike_op_binary(self, binary: Any, operator: Any, **kw: Any) -> str:
        return super().visit_ilike_op_binary(_native_escape(binary), operator, **kw)

    def visit_not_ilike_op_binary(self, binary: Any, operator: Any, **kw: Any) -> str:
        return super().visit_not_ilike_op_binary(_native_escape(binary), operator, **kw)


def time_text(value: datetime) -> str:
    """A naive UTC time as ClickHouse reads it into ``DateTime64(6)``."""
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


class _DateTime(sa.DateTime):
    def bind_processor(self, dialect: sa.Dialect) -> Any:
        def process(value: Any) -> Any:
            return time_text(value) if isinstance(value, datetime) else value

        return process


class AuditClickHouseDialect(ClickHouseDialect):
    """clickhouse-connect's dialect with ClickHouse's own LIKE escape and exact times."""

    statement_compiler = _Compiler
    supports_statement_cache = False  # as clickhouse-connect's own (said, to silence a warning)

    def __init__(self, nulls_first_on_ascending: bool | None = None, **kwargs: Any) -> None:
        self.nulls_first_on_ascending = nulls_first_on_ascending
        super().__init__(**kwargs)

    @classmethod
    def import_dbapi(cls) -> Any:
        return ClickHouseDialect.import_dbapi()

    colspecs: ClassVar[dict[Any, Any]] = {**ClickHouseDialect.colspecs, sa.DateTime: _DateTime}


registry.register("clickhousedb.audit", __name__, "AuditClickHouseDialect")


def is_clickhouse_url(url: str) -> bool:
    scheme = url.split("://", 1)[0].lower()
    return scheme == CHDB_SCHEME or scheme in SERVER_SCHEMES


def chdb_path(url: str) -> Path:
    """The data folder a ``chdb://`` URL names (relative paths from the project's root)."""
    rest = url.split("://", 1)[1].split("?", 1)[0]
    path = Path(rest)
    return path if path.is_absolute() else PROJECT_ROOT / path


def engine_url(url: str, settings: dict[str, str]) -> URL:
    """The SQLAlchemy URL for a configured ClickHouse URL, with session ``settings``."""
    parsed = make_url(url.replace(f"{CHDB_SCHEME}://", "clickhousedb://", 1))
    query = dict(parsed.query)
    if url.lower().startswith(f"{CHDB_SCHEME}://"):
        database = str(query.pop("database", DEFAULT_DATABASE))
        query |= {"interface": "chdb", "path": str(chdb_path(url))}
        parsed = URL.create(_DRIVER, database=database)
    elif parsed.drivername in SERVER_SCHEMES:
        parsed = parsed.set(drivername=_DRIVER)
    else:
        raise ValueError("a ClickHouse URL starts with clickhousedb:// or chdb://")
    return parsed.set(query=query | SESSION_SETTINGS | settings)


def create_engine(
    url: str,
    writable: bool = False,
    timeout_seconds: float = 15.0,
    nulls_first_on_ascending: bool | None = None,
) -> sa.Engine:
    """An engine on ClickHouse: read-only with a statement timeout, unless ``writable``
    (the sync command's), sorting NULLs first when ascending (as SQLite does) or last (as
    PostgreSQL does) when told. A chdb folder is created owner-only when missing."""
    if url.lower().startswith(f"{CHDB_SCHEME}://"):
        folder = chdb_path(url)
        if not folder.exists():
            folder.mkdir(parents=True, mode=0o700)
    settings = {} if writable else {"readonly": "2", "max_execution_time": f"{timeout_seconds:g}"}
    return sa.create_engine(
        engine_url(url, settings),
        pool_pre_ping=True,
        nulls_first_on_ascending=nulls_first_on_ascending,
    )


def database_name(engine: sa.Engine) -> str:
    return engine.url.database or DEFAULT_DATABASE


def create_database(url: str) -> None:
    """Create the URL's database when it does not exist (the sync command's first step)."""
    target = engine_url(url, {})
    bootstrap = sa.create_engine(target.set(database="default"))
    try:
        with bootstrap.connect() as conn:
            name = bootstrap.dialect.identifier_preparer.quote(target.database or "")
            conn.exec_driver_sql(f"CREATE DATABASE IF NOT EXISTS {name}")
    finally:
        bootstrap.dispose()


def describe(url: str) -> str:
    """The URL as it may be shown or logged (no password)."""
    return hide_secrets(url)


def client(conn: sa.Connection) -> Any:
    """The clickhouse-connect client under a connection (inserts of whole chunks)."""
    return conn.connection.driver_connection.client
