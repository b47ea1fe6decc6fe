"""The ClickHouse copy of ``audit_logs``: its tables, its state, and the sync that keeps it
equal to the source (run by ``python -m audit.clickhouse sync``, never by the dashboard).

Tables, in the database the URL names (created when missing, one node):

- ``audit_logs_rows``: the columns of :data:`audit.copies.MIRROR_COLUMNS`, ``day``
  (``Date32`` of the time, 1900-01-01 for rows without one), ``version`` and ``deleted``;
  a ``ReplacingMergeTree(version, deleted)`` partitioned by month and ordered by
  ``(day, id)``: the newest version of a (day, id) wins, a deleted one hides it. A minmax
  index on ``created_at`` lets a time range skip the granules outside it (the rows are
  in day order, so it narrows as well as the key would).
- ``audit_logs``: a view of the newest, undeleted version of each row (``FINAL``). The
  query functions read it as they read the source's table.
- ``users_rows`` and its view ``users`` (id, email, username), kept the same way.
- ``sync_state``: one row per sync step; the newest says which source, how far, how fresh.

The contract is the mirror's (:mod:`audit.mirror`): new ids are appended in keyset chunks;
once caught up, slices (a UTC day each, the edges, the rows without a time) are compared
between source and ClickHouse by rows, sum of ids and sum of a row fingerprint, and a slice
that differs is copied again: its source rows inserted with a newer version, then every
row of its older versions that the source no longer has marked deleted. ClickHouse has no
transaction around the two: for that moment a reader may count a deleted row once more.

Times ClickHouse cannot hold (``DateTime64`` and ``Date32`` reach from 1900 to 2299) are
not copied; their rows are counted in the state (``unheld``), and while there are any the
dashboard answers from the source. Rows without a time are copied with ``created_at``
NULL, as the mirror keeps them.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

import sqlalchemy as sa

from audit.clickhouse.engine import client, create_database, create_engine, describe
from audit.copies import (
    MIRROR_COLUMNS,
    MIRROR_USER_COLUMNS,
    Progress,
    Slice,
    SyncReport,
    day_slices,
    estimate_max_id,
    mirrored_columns,
    mirrored_value,
    source_columns,
    summary,
    verify_slices,
)
from audit.db import Source
from audit.dialect import SQLITE
from audit.schema import audit_logs, users

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
CHUNK_ROWS = 50_000
# The times ClickHouse holds: DateTime64 and Date32 reach from 1900 to 2299.
HELD_START = datetime(1900, 1, 1)
HELD_END = datetime(2300, 1, 1)

ROWS_TABLE = "audit_logs_rows"
_KEEPING = ("version", "deleted")
USERS_TABLE = "users_rows"

_TYPES: dict[str, str] = {
    "id": "Int64",
    "created_at": "Nullable(DateTime64(6, 'UTC'))",
    "user_id": "Nullable(Int64)",
    "action": "LowCardinality(Nullable(String))",
    "resource_type": "LowCardinality(Nullable(String))",
    "severity": "LowCardinality(Nullable(String))",
    "category": "LowCardinality(Nullable(String))",
    "success": "Nullable(Bool)",
}
_COLUMNS_DDL = ",\n  ".join(f"{n} {_TYPES.get(n, 'Nullable(String)')}" for n in MIRROR_COLUMNS)
_NAMES = ", ".join(MIRROR_COLUMNS)

DDL: tuple[str, ...] = (
    f"""CREATE TABLE IF NOT EXISTS {ROWS_TABLE} (
  {_COLUMNS_DDL},
  day Date32 MATERIALIZED ifNull(toDate32(created_at), toDate32('1900-01-01')),
  version UInt64,
  deleted UInt8,
  INDEX created_minmax created_at TYPE minmax GRANULARITY 1
) ENGINE = ReplacingMergeTree(version, deleted)
PARTITION BY toYYYYMM(day) ORDER BY (day, id)""",
    f"""CREATE VIEW IF NOT EXISTS audit_logs AS
SELECT {_NAMES}, version FROM {ROWS_TABLE} FINAL WHERE deleted = 0""",
    f"""CREATE TABLE IF NOT EXISTS {USERS_TABLE} (
  id Int64, email Nullable(String), username Nullable(String), version UInt64, deleted UInt8
) ENGINE = ReplacingMergeTree(version, deleted) ORDER BY id""",
    f"""CREATE VIEW IF NOT EXISTS users AS
SELECT id, email, username, version FROM {USERS_TABLE} FINAL WHERE deleted = 0""",
    """CREATE TABLE IF NOT EXISTS sync_state (
  written UInt64, format UInt32, source String, last_id Int64, built Bool,
  as_of Nullable(DateTime64(6, 'UTC')), verify_day Nullable(Date32), version UInt64,
  unheld UInt64
) ENGINE = ReplacingMergeTree(written) ORDER BY tuple()""",
)

_metadata = sa.MetaData()
ch_logs = sa.Table(
    "audit_logs",
    _metadata,
    *mirrored_columns(),
    sa.Column("version", sa.BigInteger),
)
ch_rows = sa.Table(
    ROWS_TABLE,
    _metadata,
    *mirrored_columns(),
    sa.Column("version", sa.BigInteger),
    sa.Column("deleted", sa.Integer),
)
ch_users = sa.Table(
    "users",
    _metadata,
    *(sa.Column(n, sa.BigInteger if n == "id" else sa.String) for n in MIRROR_USER_COLUMNS),
    sa.Column("version", sa.BigInteger),
)
ch_user_rows = sa.Table(
    USERS_TABLE,
    _metadata,
    *(sa.Column(n, sa.BigInteger if n == "id" else sa.String) for n in MIRROR_USER_COLUMNS),
    sa.Column("version", sa.BigInteger),
    sa.Column("deleted", sa.Integer),
)
sync_state = sa.Table(
    "sync_state",
    _metadata,
    sa.Column("written", sa.BigInteger),
    sa.Column("format", sa.Integer),
    sa.Column("source", sa.String),
    sa.Column("last_id", sa.BigInteger),
    sa.Column("built", sa.Boolean),
    sa.Column("as_of", sa.DateTime),
    sa.Column("verify_day", sa.Date),
    sa.Column("version", sa.BigInteger),
    sa.Column("unheld", sa.BigInteger),
)


@dataclass(frozen=True)
class ClickHouseState:
    source: str
    last_id: int
    built: bool
    as_of: datetime | None  # naive UTC: every row committed before it was copied
    verify_day: date | None  # the next day the verification checks
    version: int  # changes whenever the copy's content changes
    unheld: int  # rows whose time ClickHouse cannot hold (not copied)


def held(moment: datetime | None) -> bool:
    """Whether ClickHouse holds this time (no time at all is held, as NULL)."""
    return moment is None or HELD_START <= moment < HELD_END


def _outside_held() -> sa.ColumnElement[bool]:
    created = audit_logs.c.created_at
    return sa.or_(created < HELD_START, created >= HELD_END)


def _insert_values(row: Sequence[Any], version: int) -> list[Any]:
    """A source row as ClickHouse takes it: times as UTC (the client would read a naive
    time in the process's own zone), outcomes as booleans (SQLite gives 0 and 1)."""
    values = [mirrored_value(name, v) for name, v in zip(MIRROR_COLUMNS, row, strict=True)]
    created = MIRROR_COLUMNS.index("created_at")
    if values[created] is not None:
        values[created] = values[created].replace(tzinfo=UTC)
    success = MIRROR_COLUMNS.index("success")
    if values[success] is not None:
        values[success] = bool(values[success])
    return [*values, version, 0]


class ClickHouse:
    """ClickHouse's copy of a source: read by the dashboard (read-only engine), written only
    by the sync command (``writable``)."""

    def __init__(
        self,
        url: str,
        writable: bool = False,
        chunk_rows: int = CHUNK_ROWS,
        timeout_seconds: float = 15.0,
    ) -> None:
        self.url = url
        self.chunk_rows = chunk_rows
        if writable:
            create_database(url)
        self.writable, self.timeout_seconds = writable, timeout_seconds
        self.engine = create_engine(url, writable, timeout_seconds)
        self._readers: dict[bool, sa.Engine] = {}
        self._lock = threading.Lock()
        self._last_version = 0
        if writable:
            with self.engine.connect() as conn:
                for statement in DDL:
                    conn.exec_driver_sql(statement)

    @property
    def key(self) -> str:
        return describe(self.url)

    def close(self) -> None:
        for engine in (self.engine, *self._readers.values()):
            engine.dispose()

    # -- reading ---------------------------------------------------------------------------

    def state(self) -> ClickHouseState | None:
        """The newest state; ``None`` before the first sync (or of another format)."""
        statement = sa.select(sync_state).order_by(sync_state.c.written.desc()).limit(1)
        try:
            with self.engine.connect() as conn:
                row = conn.execute(statement).first()
        except sa.exc.DBAPIError:  # no tables yet: the sync has never run
            return None
        if row is None or row.format != FORMAT_VERSION:
            return None
        return ClickHouseState(
            row.source, row.last_id, row.built, row.as_of, row.verify_day, row.version, row.unheld
        )

    def ready_for(self, origin: Source) -> bool:
        """Built from this source and holding all its rows, so it may answer."""
        state = self.state()
        return state is not None and state.built and state.source == origin.key and not state.unheld

    def source_for(self, origin: Source) -> Source:
        """ClickHouse as a :class:`Source` the query functions accept, sorting NULLs as the
        source's database does (ties in top lists then come out in the same order)."""
        first = origin.dialect == SQLITE
        with self._lock:
            if first not in self._readers:
                self._readers[first] = create_engine(
                    self.url, self.writable, self.timeout_seconds, nulls_first_on_ascending=first
                )
        names = {n for n in MIRROR_USER_COLUMNS if n in origin.user_columns}
        return Source(self._readers[first], origin.has_users, frozenset(names))

    def rows(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(ch_logs)).scalar())

    # -- writing ---------------------------------------------------------------------------

    def _next_version(self) -> int:
        """A version above every earlier one of this process (nanoseconds since 1970)."""
        self._last_version = max(self._last_version + 1, time.time_ns())
        return self._last_version

    def _save(self, state: ClickHouseState) -> None:
        values = {
            "written": self._next_version(),
            "format": FORMAT_VERSION,
            "source": state.source,
            "last_id": state.last_id,
            "built": state.built,
            "as_of": state.as_of,
            "verify_day": state.verify_day,
            "version": state.version,
            "unheld": state.unheld,
        }
        with self.engine.connect() as conn:
            conn.execute(sync_state.insert().values(**values))

    def _insert(self, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        version = self._next_version()
        data = [_insert_values(row, version) for row in rows]
        with self.engine.connect() as conn:
            client(conn).insert(ROWS_TABLE, data, column_names=[*MIRROR_COLUMNS, *_KEEPING])

    def _current(self, origin: Source) -> ClickHouseState:
        state = self.state()
        if state is not None and state.source == origin.key:
            return state
        # Another source (or format): empty the copy. The version goes on rising, so
        # results cached under an earlier one are never taken for new ones.
        with self.engine.connect() as conn:
            conn.exec_driver_sql(f"TRUNCATE TABLE IF EXISTS {ROWS_TABLE}")
            conn.exec_driver_sql(f"TRUNCATE TABLE IF EXISTS {USERS_TABLE}")
        version = state.version + 1 if state else 0
        fresh = ClickHouseState(origin.key, 0, False, None, None, version, 0)
        self._save(fresh)
        return fresh

    def sync_step(
        self, origin: Source, budget_seconds: float = math.inf, progress: Progress | None = None
    ) -> SyncReport:
        """Append new rows, then verify slices, for about ``budget_seconds`` (at least one
        chunk and, once caught up, two slices)."""
        started, started_utc = time.monotonic(), datetime.now(UTC).replace(tzinfo=None)
        deadline = started + budget_seconds
        state = self._current(origin)
        report = SyncReport()
        state = self._append(origin, state, deadline, report, progress)
        report.append_seconds = time.monotonic() - started
        if report.caught_up:
            report.users = self._copy_users(origin)
            if state.built:
                state = self._verify(origin, state, deadline, report)
            unheld = self._unheld(origin, state.last_id)
            changed = bool(report.appended or report.resynced or report.users)
            changed = changed or not state.built or unheld != state.unheld
            state = replace(
                state,
                built=True,
                as_of=started_utc,
                version=state.version + int(changed),
                unheld=unheld,
            )
            self._save(state)
        report.rows = self.rows()
        report.behind = max(estimate_max_id(origin) - state.last_id, 0)
        report.seconds = time.monotonic() - started
        return report

    def _append(
        self,
        origin: Source,
        state: ClickHouseState,
        deadline: float,
        report: SyncReport,
        progress: Progress | None,
    ) -> ClickHouseState:
        done = self.rows()
        total = done + max(estimate_max_id(origin) - state.last_id, 0)
        while True:
            statement = (
                sa.select(*source_columns(origin.dialect))
                .where(audit_logs.c.id > state.last_id)
                .order_by(audit_logs.c.id)
                .limit(self.chunk_rows)
            )
            with origin.connect() as conn:
                rows = conn.execute(statement).all()
            if rows:
                self._insert([row for row in rows if held(row.created_at)])
                state = replace(state, last_id=int(rows[-1][0]), version=state.version + 1)
                self._save(state)
                report.appended += len(rows)
                if progress:
                    progress(min(done + report.appended, total), total)
            if len(rows) < self.chunk_rows:
                report.caught_up = True
                return state
            if time.monotonic() >= deadline:
                return state

    def _unheld(self, origin: Source, last_id: int) -> int:
        statement = sa.select(sa.func.count()).where(audit_logs.c.id <= last_id, _outside_held())
        with origin.connect() as conn:
            return int(conn.execute(statement).scalar_one())

    def _copy_users(self, origin: Source) -> int:
        """The users table is small: compared whole at every step that caught up."""
        if not origin.has_users:
            return 0
        columns = [
            users.c[n] if n in origin.user_columns or n == "id" else sa.null()
            for n in MIRROR_USER_COLUMNS
        ]
        with origin.connect() as conn:
            rows = sorted((tuple(r) for r in conn.execute(sa.select(*columns))), key=_user_key)
        current_columns = [ch_users.c[n] for n in MIRROR_USER_COLUMNS]
        with self.engine.connect() as conn:
            current = [tuple(r) for r in conn.execute(sa.select(*current_columns))]
        if sorted(current, key=_user_key) == rows:
            return 0
        stale_below = self._next_version()
        version = self._next_version()
        with self.engine.connect() as conn:
            if rows:
                data = [[*row, version, 0] for row in rows]
                client(conn).insert(
                    USERS_TABLE, data, column_names=[*MIRROR_USER_COLUMNS, *_KEEPING]
                )
            _mark_deleted(conn, ch_user_rows, ch_users, ch_users.c.version < stale_below)
        return len(rows)

    # -- verification ----------------------------------------------------------------------

    def _days(self) -> tuple[date, date] | None:
        created = ch_logs.c.created_at
        with self.engine.connect() as conn:
            first, last = conn.execute(sa.select(sa.func.min(created), sa.func.max(created))).one()
        return None if first is None else (first.date(), last.date())

    def _verify(
        self, origin: Source, state: ClickHouseState, deadline: float, report: SyncReport
    ) -> ClickHouseState:
        """As the mirror's, the edges within the times ClickHouse holds."""
        slices = day_slices(self._days(), state.verify_day, HELD_START, HELD_END)
        repair = partial(self._repair, origin, state)
        cursor = verify_slices(slices, state.verify_day, deadline, report, repair)
        return replace(state, verify_day=cursor)

    def _repair(self, origin: Source, state: ClickHouseState, piece: Slice) -> bool:
        if not self._differs(origin, piece, state.last_id):
            return False
        self._resync(origin, piece, state.last_id)
        return True

    def _differs(self, origin: Source, piece: Slice, last_id: int) -> bool:
        with origin.connect() as conn:
            theirs = summary(conn, audit_logs, piece.clause(audit_logs, last_id, origin.dialect))
        with self.engine.connect() as conn:
            ours = summary(conn, ch_logs, piece.clause(ch_logs, last_id))
        return theirs != ours

    def _resync(self, origin: Source, piece: Slice, last_id: int) -> None:
        """The slice's source rows inserted anew, then its older rows marked deleted (those
        the source still has were just given a newer version, which wins)."""
        stale_below = self._next_version()
        after = 0
        while True:
            statement = (
                sa.select(*source_columns(origin.dialect))
                .where(piece.clause(audit_logs, last_id, origin.dialect), audit_logs.c.id > after)
                .order_by(audit_logs.c.id)
                .limit(self.chunk_rows)
            )
            with origin.connect() as conn:
                rows = conn.execute(statement).all()
            self._insert(rows)
            if rows:
                after = int(rows[-1][0])
            if len(rows) < self.chunk_rows:
                break
        stale = sa.and_(piece.clause(ch_logs, last_id), ch_logs.c.version < stale_below)
        with self.engine.connect() as conn:
            _mark_deleted(conn, ch_rows, ch_logs, stale)


def _mark_deleted(
    conn: sa.Connection, table: sa.Table, view: sa.Table, where: sa.ColumnElement[bool]
) -> None:
    """Insert a deleted version of every row of ``view`` matching ``where``, in ClickHouse
    (nothing passes through Python). Its version is the row's own plus one: newer than the
    row, older than any version inserted since."""
    names = [c.name for c in view.columns if c.name != "version"]
    marked = sa.select(
        *(view.c[n] for n in names), (view.c.version + 1).label("version"), sa.literal(1)
    ).where(where)
    conn.execute(table.insert().from_select([*names, "version", "deleted"], marked))


def _user_key(row: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple("" if v is None else str(v) for v in row)
