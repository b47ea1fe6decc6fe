"""The dashboard's database access: a read-only engine with a statement timeout, and a
start-up check that explains what is wrong with the database in words."""

from __future__ import annotations

import math
import os
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any
from urllib.parse import quote, unquote

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from audit.filters import AuditFilter, where_clause
from audit.schema import REQUIRED_AUDIT_COLUMNS, USER_LABEL_COLUMNS
from audit.timerange import TimeWindow

SQLITE_TIMEOUT_CHECK_EVERY = 10_000  # SQLite VM instructions between deadline checks
FILE_IDENTITY = "file_identity"  # a pooled SQLite connection's file, as it was opened


REDACTED = "***"
# A parameter whose name holds one of these is a secret: password, sslpassword, passfile,
# passphrase, pwd, client_secret, token, api_key, credentials, ...
_SECRET_NAME = r"[\w.-]*(?:pass|pwd|secret|token|api_?key|credential)[\w.-]*"
_SECRET_PARAMETER = re.compile(
    rf"(?P<name>\b{_SECRET_NAME}\s*=\s*)(?P<value>'(?:[^'\\]|\\.)*'|\"[^\"]*\"|[^\s&;,'\"]+)",
    re.IGNORECASE,
)
_USERINFO_PASSWORD = re.compile(
    r"(?P<name>\b[a-z][a-z0-9+.-]*://[^\s/?#@:]*:)(?P<value>[^\s@]+)(?=@)", re.IGNORECASE
)


def hide_secrets(text: str | URL) -> str:
    """Text that may show a database URL or connection settings (a URL itself, an error
    message, a log line), with every password replaced by ``***``: the one in a URL's
    userinfo, and the value of every parameter named as a secret (``?password=``,
    ``&sslpassword=``, ``password='…'`` in a connection string, ...). Every text that
    names the database goes through here before it is shown, logged or stored."""
    if isinstance(text, URL):
        text = text.render_as_string(hide_password=True)
    text = _USERINFO_PASSWORD.sub(rf"\g<name>{REDACTED}", text)
    return _SECRET_PARAMETER.sub(rf"\g<name>{REDACTED}", text)


def sqlite_file_uri(path: str) -> str:
    """A ``file:`` URI naming exactly ``path``: every character URIs give a meaning (``#``,
    ``?``, ``%``, spaces) is percent-encoded, and the empty authority keeps a path that
    starts with ``//`` a path."""
    return "file://" + quote(os.path.abspath(path), safe="/")


def readonly_sqlite_url(url: URL) -> URL:
    """Rewrite a SQLite file URL to open the file with ``mode=ro`` through a URI. The path
    is taken as written (a leading ``file:`` is dropped), never as a URI itself."""
    database = url.database or ""
    path = database.removeprefix("file:")
    if not path or path == ":memory:":
        raise ValueError("The dashboard needs a SQLite database file, not an in-memory database")
    return url.set(database=sqlite_file_uri(path), query={"mode": "ro", "uri": "true"})


def sqlite_file_path(engine: sa.Engine) -> str | None:
    """The file a read-only SQLite engine opens (``None`` for other databases)."""
    database = engine.url.database or ""
    if engine.dialect.name != "sqlite" or not database.startswith("file://"):
        return None
    return unquote(database.removeprefix("file://"))


def file_identity(path: str) -> tuple[int, int] | None:
    """Which file ``path`` names now (device and inode); ``None`` when there is none."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_dev, status.st_ino


# ---------------------------------------------------------------------------------------
# SQLite's statement timeout. SQLite has none: its progress handler aborts a statement past
# a deadline. Python's sqlite3 steps a statement to its first row in execute() and to each
# further row in the fetch calls, so the deadline is armed for each of those calls, and the
# time they take is charged to the statement: the timeout bounds SQLite's work on the whole
# result, while the time a reader spends between rows is not charged (as on PostgreSQL,
# where the server works on its own). A streamed result (``stream_results``, as exports
# read) gets the whole timeout for each fetch, like PostgreSQL's FETCH from a server-side
# cursor.


class _TimedCursor(sqlite3.Cursor):
    """A cursor that charges SQLite's work on its statement to the statement's budget."""

    connection: _TimedConnection
    restart_each_fetch = False

    def __init__(self, connection: _TimedConnection) -> None:
        super().__init__(connection)
        self._left = connection.statement_timeout

    def _start(self, restart: bool) -> float:
        """Arm the deadline for one call into SQLite; the moment it started."""
        if restart:
            self._left = self.connection.statement_timeout
        started = time.monotonic()
        self.connection.deadline = started + self._left
        return started

    def _stop(self, started: float) -> None:
        self.connection.deadline = math.inf
        self._left -= time.monotonic() - started

    def execute(self, sql: str, parameters: Any = (), /) -> _TimedCursor:
        started = self._start(restart=True)
        try:
            return super().execute(sql, parameters)
        finally:
            self._stop(started)

    def executemany(self, sql: str, parameters: Any, /) -> _TimedCursor:
        started = self._start(restart=True)
        try:
            return super().executemany(sql, parameters)
        finally:
            self._stop(started)

    def fetchone(self) -> Any:
        started = self._start(self.restart_each_fetch)
        try:
            return super().fetchone()
        finally:
            self._stop(started)

    def fetchmany(self, size: int | None = None) -> list[Any]:
        started = self._start(self.restart_each_fetch)
        try:
            return super().fetchmany(self.arraysize if size is None else size)
        finally:
            self._stop(started)

    def fetchall(self) -> list[Any]:
        started = self._start(self.restart_each_fetch)
        try:
            return super().fetchall()
        finally:
            self._stop(started)


class _TimedConnection(sqlite3.Connection):
    """A SQLite connection whose statements stop once past the statement timeout."""

    statement_timeout = math.inf
    deadline = math.inf

    def limit_statements(self, timeout_seconds: float) -> None:
        self.statement_timeout = timeout_seconds
        self.set_progress_handler(self._past_deadline, SQLITE_TIMEOUT_CHECK_EVERY)

    def _past_deadline(self) -> int:
        return 1 if time.monotonic() > self.deadline else 0

    def cursor(self, factory: Any = _TimedCursor) -> Any:  # type: ignore[override]
        return super().cursor(factory)


def _install_sqlite_deadline(engine: sa.Engine, timeout_seconds: float) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: _TimedConnection, _record: Any) -> None:
        dbapi_conn.limit_statements(timeout_seconds)

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _per_fetch_when_streamed(
        _conn: sa.Connection, cursor: Any, _sql: str, _params: Any, context: Any, _many: bool
    ) -> None:
        if isinstance(cursor, _TimedCursor) and context is not None:
            cursor.restart_each_fetch = bool(context.execution_options.get("stream_results"))


def _install_sqlite_file_check(engine: sa.Engine, path: str) -> None:
    """A pooled connection keeps the file it opened even once that file is replaced or
    deleted: on checkout, a connection whose file is no longer the one at ``path`` sends
    the whole pool away (the next connection opens the new file, or fails without one)."""

    @sa.event.listens_for(engine, "do_connect")
    def _before_open(_dialect: Any, record: Any, _cargs: Any, _cparams: Any) -> None:
        # Before opening: a file replaced in between is caught at the next checkout.
        record.info[FILE_IDENTITY] = file_identity(path)

    @sa.event.listens_for(engine, "checkout")
    def _on_checkout(_dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        if record.info.get(FILE_IDENTITY) != file_identity(path):
            raise sa.exc.InvalidatePoolError("the database file was replaced or removed")


def _sqlite_engine(parsed: URL, statement_timeout_seconds: float) -> sa.Engine:
    url = readonly_sqlite_url(parsed)
    engine = sa.create_engine(url, pool_pre_ping=True, connect_args={"factory": _TimedConnection})
    _install_sqlite_deadline(engine, statement_timeout_seconds)
    path = sqlite_file_path(engine)
    assert path is not None
    _install_sqlite_file_check(engine, path)
    return engine


def create_readonly_engine(url: str, statement_timeout_seconds: float = 15.0) -> sa.Engine:
    """An engine through which no write can succeed."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, statement_timeout_seconds)
    if parsed.get_backend_name() == "postgresql":
        timeout_ms = int(statement_timeout_seconds * 1000)
        options = f"-c default_transaction_read_only=on -c statement_timeout={timeout_ms}"
        return sa.create_engine(
            parsed,
            pool_pre_ping=True,
            # Every transaction also begins READ ONLY, so even a session whose default was
            # changed with SET SESSION CHARACTERISTICS cannot write.
            execution_options={"postgresql_readonly": True},
            connect_args={
                "options": options,
                "connect_timeout": 5,
                "application_name": "audit-dashboard",
            },
        )
    raise ValueError(
        f"Unsupported database {parsed.get_backend_name()!r}: use PostgreSQL or SQLite"
    )


def is_timeout_error(exc: BaseException) -> bool:
    """True when a database error means the statement timeout ended the query."""
    text = str(getattr(exc, "orig", exc)).lower()
    return "statement timeout" in text or "canceling statement" in text or "interrupted" in text


class FailureKind(Enum):
    TIMEOUT = "timeout"  # the statement timeout stopped the query
    CONNECTION = "connection"  # the database cannot be reached: worth waiting for
    QUERY = "query"  # the database answered with an error: retrying gives the same


@dataclass(frozen=True)
class QueryFailure:
    """A database error in words, and whether waiting could help."""

    kind: FailureKind
    reason: str


def describe_failure(exc: BaseException) -> QueryFailure:
    """The one translation of a database error for pages and command-line tools."""
    reason = str(getattr(exc, "orig", exc)).strip().splitlines()
    text = hide_secrets(reason[0][:300]) if reason else type(exc).__name__
    if is_timeout_error(exc):
        return QueryFailure(FailureKind.TIMEOUT, text)
    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return QueryFailure(FailureKind.CONNECTION, text)
    if isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError):
        return QueryFailure(FailureKind.CONNECTION, text)
    return QueryFailure(FailureKind.QUERY, text)


@dataclass(frozen=True)
class Source:
    """The one way to run SQL against the audit database (or an engine standing in for it,
    such as the mirror): the read-only engine with its statement timeout, what the start-up
    check learnt about the tables, and the key that names it in caches."""

    engine: sa.Engine
    has_users: bool
    user_columns: frozenset[str]

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def key(self) -> str:
        """Names the database in cache keys and mirror state; never holds the password. A
        SQLite file's key names the file itself (device and inode), so results cached from a
        file that was since replaced or removed are not served as the new one's."""
        name = hide_secrets(self.engine.url)
        path = sqlite_file_path(self.engine)
        if path is None:
            return name
        identity = file_identity(path)
        return f"{name}#file=" + (f"{identity[0]}:{identity[1]}" if identity else "missing")

    @contextmanager
    def connect(self) -> Iterator[sa.Connection]:
        """A connection for several statements or a streamed read (exports)."""
        with self.engine.connect() as conn:
            yield conn

    def rows(self, statement: sa.Executable) -> list[sa.Row]:
        with self.connect() as conn:
            return list(conn.execute(statement))

    def one(self, statement: sa.Executable) -> sa.Row:
        with self.connect() as conn:
            return conn.execute(statement).one()

    def scalar(self, statement: sa.Executable) -> Any:
        with self.connect() as conn:
            return conn.execute(statement).scalar_one()

    def where(
        self, flt: AuditFilter, now: datetime, window: TimeWindow | None = None
    ) -> sa.ColumnElement[bool]:
        """The filter as a where-clause for this database."""
        return where_clause(flt, now, self.dialect, self.has_users, window)


class Health(Enum):
    OK = "ok"
    UNREACHABLE = "unreachable"
    NO_TABLE = "no_table"
    MISSING_COLUMNS = "missing_columns"
    EMPTY = "empty"


@dataclass(frozen=True)
class HealthReport:
    status: Health
    message: str
    fix: str
    source: Source | None = None

    @property
    def ok(self) -> bool:
        return self.status is Health.OK


def _describe_url(engine: sa.Engine) -> str:
    return hide_secrets(engine.url)


def _users_info(inspector: sa.Inspector) -> tuple[bool, frozenset[str]]:
    if not inspector.has_table("users"):
        return False, frozenset()
    columns = frozenset(c["name"] for c in inspector.get_columns("users"))
    usable = "id" in columns and any(c in columns for c in USER_LABEL_COLUMNS)
    return usable, columns if usable else frozenset()


def check_database(engine: sa.Engine) -> HealthReport:
    """Is this database usable by the dashboard? Never raises for database problems."""
    where = _describe_url(engine)
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            if not inspector.has_table("audit_logs"):
                return HealthReport(
                    Health.NO_TABLE,
                    f"The database {where} has no audit_logs table.",
                    "Point AUDIT_DB_URL at Enclava's database, or create demo data with "
                    "`python -m audit.tools.demo --url <URL>`.",
                )
            present = {c["name"] for c in inspector.get_columns("audit_logs")}
            missing = [c for c in REQUIRED_AUDIT_COLUMNS if c not in present]
            if missing:
                return HealthReport(
                    Health.MISSING_COLUMNS,
                    f"The audit_logs table in {where} lacks the column(s): {', '.join(missing)}.",
                    "Run Enclava's database migrations (alembic upgrade head) so the table has "
                    "its full schema.",
                )
            has_users, user_columns = _users_info(inspector)
            source = Source(engine, has_users, user_columns)
            if conn.execute(sa.text("SELECT 1 FROM audit_logs LIMIT 1")).first() is None:
                return HealthReport(
                    Health.EMPTY,
                    f"The audit_logs table in {where} holds no events yet.",
                    "Events appear here as soon as the application writes them.",
                    source,
                )
    except sa.exc.SQLAlchemyError as exc:
        reason = hide_secrets(str(getattr(exc, "orig", exc)).strip().splitlines()[0][:300])
        return HealthReport(
            Health.UNREACHABLE,
            f"The database {where} cannot be reached: {reason}",
            "Check that the server is running and that AUDIT_DB_URL (or [connections.audit] url "
            "in .streamlit/secrets.toml) is right.",
        )
    return HealthReport(Health.OK, "ready", "", source)
