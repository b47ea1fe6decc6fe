"""A local, columnar copy of the analytic columns of ``audit_logs`` (DuckDB), for
aggregates over millions of rows.

The mirror is a DuckDB file the dashboard writes itself; the source database is only ever
read, through the dashboard's read-only engine. The file holds a table named ``audit_logs``
with the columns in :data:`MIRROR_COLUMNS` and a ``users`` table (id, email, username), so
the query functions of :mod:`audit.queries` and :mod:`audit.security` run on it unchanged
through :meth:`Mirror.source_for` (DuckDB's branches live in :mod:`audit.dialect`).

Keeping it current, one bounded step at a time (:meth:`Mirror.sync_step`):

1. **Append.** Audit rows get rising ids, so new rows are ``id > last_id``, read in
   keyset chunks of :data:`CHUNK_ROWS`. The step stops after its time budget; the next step
   goes on from there. Each chunk and the new ``last_id`` are committed together.
2. **Verify.** Once caught up, the step compares slices of the mirrored range (one UTC day
   of ``created_at`` each, plus the rows before the first day, after the last and without a
   time) between source and mirror: the row count, the sum of ids and the sum of a
   fingerprint of every mirrored column (the first 32 bits of an MD5 of the row's canonical
   text, computed in SQL on PostgreSQL and DuckDB and by a function registered on the
   SQLite connection). A slice that differs (rows deleted, rewritten, or committed late
   with a lower id) is copied again. The newest day is checked at every step, the others in
   turn, newest first, as far as the budget allows. The slices, the fingerprint and the
   verification walk are in :mod:`audit.copies`, shared with the ClickHouse store.

The file holds personal data (user ids, IP addresses, user agents). Its folder is created
with mode 0700 and the file with 0600; put it on a local disk of the dashboard's host.
"""

from __future__ import annotations

import argparse
import logging
import os
import stat
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

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
from audit.dialect import (
    POSTGRESQL,
    SQLITE,
)
from audit.schema import audit_logs, users

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
CHUNK_ROWS = 25_000
STEP_SECONDS = 1.0
MEMORY_LIMIT = "64MB"
THREADS = 2

# DuckDB's setting for the NULL order of each source (a setting of the whole database file).
_NULL_ORDERS: dict[str, str] = {
    SQLITE: "nulls_first_on_asc_last_on_desc",
    POSTGRESQL: "nulls_last_on_asc_first_on_desc",
}


# ---------------------------------------------------------------------------------------
# The mirror's tables

_metadata = sa.MetaData()

mirror_logs = sa.Table(
    "audit_logs",
    _metadata,
    *mirrored_columns(),
)
mirror_users = sa.Table(
    "users",
    _metadata,
    sa.Column("id", sa.BigInteger),
    sa.Column("email", sa.String),
    sa.Column("username", sa.String),
)
mirror_state = sa.Table(
    "mirror_state",
    _metadata,
    sa.Column("format", sa.Integer, nullable=False),
    sa.Column("source", sa.String, nullable=False),
    sa.Column("last_id", sa.BigInteger, nullable=False),
    sa.Column("built", sa.Boolean, nullable=False),
    sa.Column("as_of", sa.DateTime),
    sa.Column("verify_day", sa.Date),
    sa.Column("version", sa.BigInteger, nullable=False),
)
_ARROW_TYPES: dict[str, pa.DataType] = {
    "id": pa.int64(),
    "created_at": pa.timestamp("us"),
    "user_id": pa.int64(),
    "success": pa.bool_(),
}
_ARROW_SCHEMA = pa.schema([(name, _ARROW_TYPES.get(name, pa.string())) for name in MIRROR_COLUMNS])


@dataclass(frozen=True)
class MirrorState:
    source: str
    last_id: int
    built: bool
    as_of: datetime | None  # naive UTC: every row committed before it was mirrored
    verify_day: date | None  # the next day the verification checks
    version: int  # changes whenever the mirror's content changes


# ---------------------------------------------------------------------------------------
# The file


def _private_folder(folder: Path) -> None:
    if not folder.exists():
        folder.mkdir(parents=True)
        os.chmod(folder, 0o700)
    elif stat.S_IMODE(folder.stat().st_mode) & 0o077:
        log.warning("The mirror's folder %s is readable by other users; use a private one", folder)


def _restrict_files(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + ".wal")):
        if candidate.exists() and stat.S_IMODE(candidate.stat().st_mode) != 0o600:
            os.chmod(candidate, 0o600)


def open_engine(path: Path) -> sa.Engine:
    """A DuckDB engine on the mirror file; its folder and file made owner-only."""
    _private_folder(path.parent)
    engine = sa.create_engine(
        f"duckdb:///{path}",
        connect_args={"config": {"memory_limit": MEMORY_LIMIT, "threads": THREADS}},
    )
    with engine.begin() as conn:
        _metadata.create_all(conn)
    _restrict_files(path)
    return engine


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _arrow_column(name: str, values: Sequence[Any]) -> pa.Array:
    kind = _ARROW_SCHEMA.field(name).type
    try:
        return pa.array(values, type=kind)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):  # odd values from SQLite
        return pa.array([mirrored_value(name, v) for v in values], type=kind)


def _arrow_chunk(rows: Sequence[Sequence[Any]]) -> pa.Table:
    columns = list(zip(*rows, strict=True))
    arrays = [
        _arrow_column(name, values) for name, values in zip(MIRROR_COLUMNS, columns, strict=True)
    ]
    return pa.Table.from_arrays(arrays, schema=_ARROW_SCHEMA)


def _insert_rows(conn: sa.Connection, rows: Sequence[Sequence[Any]]) -> None:
    duck = conn.connection.driver_connection
    duck.register("mirror_chunk", _arrow_chunk(rows))
    try:
        duck.execute("INSERT INTO audit_logs SELECT * FROM mirror_chunk")
    finally:
        duck.unregister("mirror_chunk")


# ---------------------------------------------------------------------------------------
# The mirror


class Mirror:
    """The mirror file, and the steps that keep it equal to a source's ``audit_logs``."""

    def __init__(self, path: Path, chunk_rows: int = CHUNK_ROWS) -> None:
        self.path = Path(path)
        self.chunk_rows = chunk_rows
        self.engine = open_engine(self.path)
        self._lock = threading.Lock()
        self._null_order = ""

    def close(self) -> None:
        self.engine.dispose()

    # -- state ---------------------------------------------------------------------------

    def state(self) -> MirrorState | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(mirror_state)).first()
        if row is None or row.format != FORMAT_VERSION:
            return None
        return MirrorState(
            row.source, row.last_id, row.built, row.as_of, row.verify_day, row.version
        )

    def ready_for(self, origin: Source) -> bool:
        """Built from this source (complete up to its ``as_of``), so it may answer."""
        state = self.state()
        return state is not None and state.built and state.source == origin.key

    def source_for(self, origin: Source) -> Source:
        """The mirror as a :class:`Source` the query functions accept, sorting NULLs as the
        source's database does (ties in top lists then come out in the same order)."""
        null_order = _NULL_ORDERS.get(origin.dialect, _NULL_ORDERS[POSTGRESQL])
        if self._null_order != null_order:
            with self.engine.connect() as conn:
                conn.exec_driver_sql(f"SET default_null_order = '{null_order}'")
            self._null_order = null_order
        names = {n for n in MIRROR_USER_COLUMNS if n in origin.user_columns}
        return Source(self.engine, origin.has_users, frozenset(names))

    def rows(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(mirror_logs)).scalar())

    def build_progress(self, origin: Source) -> tuple[int, int]:
        """Rows mirrored, and about how many there will be once caught up."""
        state = self.state()
        last_id = state.last_id if state and state.source == origin.key else 0
        done = self.rows()
        return done, done + max(estimate_max_id(origin) - last_id, 0)

    def _save(self, conn: sa.Connection, state: MirrorState) -> None:
        conn.execute(mirror_state.delete())
        conn.execute(
            mirror_state.insert().values(
                format=FORMAT_VERSION,
                source=state.source,
                last_id=state.last_id,
                built=state.built,
                as_of=state.as_of,
                verify_day=state.verify_day,
                version=state.version,
            )
        )

    def _reset(self, origin: Source, previous: MirrorState | None) -> MirrorState:
        """Empty the mirror for a new source (or a new file format). The version goes on
        rising, so results cached under an earlier version are never taken for new ones."""
        version = previous.version + 1 if previous else 0
        fresh = MirrorState(origin.key, 0, False, None, None, version)
        with self.engine.begin() as conn:
            conn.execute(mirror_logs.delete())
            conn.execute(mirror_users.delete())
            self._save(conn, fresh)
        return fresh

    def _current(self, origin: Source) -> MirrorState:
        state = self.state()
        if state is None or state.source != origin.key:
            return self._reset(origin, state)
        return state

    # -- steps ---------------------------------------------------------------------------

    def sync_step(
        self,
        origin: Source,
        budget_seconds: float = STEP_SECONDS,
        progress: Progress | None = None,
        wait: bool = False,
    ) -> SyncReport:
        """Append new rows, then verify slices, for about ``budget_seconds`` (at least one
        chunk and, once caught up, two slices). Skipped when another step is running,
        unless ``wait``."""
        if not self._lock.acquire(blocking=wait):
            return SyncReport(skipped=True)
        try:
            return self._step(origin, time.monotonic() + budget_seconds, progress)
        finally:
            self._lock.release()
            _restrict_files(self.path)

    def build(self, origin: Source, progress: Progress | None = None) -> SyncReport:
        """Steps without a time budget until the mirror has caught up."""
        report = self.sync_step(origin, budget_seconds=float("inf"), progress=progress, wait=True)
        with self.engine.connect() as conn:
            conn.exec_driver_sql("CHECKPOINT")
        return report

    def _step(self, origin: Source, deadline: float, progress: Progress | None) -> SyncReport:
        started, started_utc = time.monotonic(), _utc_now()
        state = self._current(origin)
        report = SyncReport()
        state = self._append(origin, state, deadline, report, progress)
        report.append_seconds = time.monotonic() - started
        if report.caught_up:
            report.users = self._copy_users(origin)
            if state.built:
                state = self._verify(origin, state, deadline, report)
            changed = bool(report.appended or report.resynced or report.users) or not state.built
            state = replace(
                state, built=True, as_of=started_utc, version=state.version + int(changed)
            )
            with self.engine.begin() as conn:
                self._save(conn, state)
        report.rows = self.rows()
        report.behind = max(estimate_max_id(origin) - state.last_id, 0)
        report.seconds = time.monotonic() - started
        return report

    def _append(
        self,
        origin: Source,
        state: MirrorState,
        deadline: float,
        report: SyncReport,
        progress: Progress | None,
    ) -> MirrorState:
        done = self.rows()
        total = done + max(estimate_max_id(origin) - state.last_id, 0)
        while True:
            rows = self._fetch_after(origin, state.last_id)
            if rows:
                state = replace(state, last_id=int(rows[-1][0]), version=state.version + 1)
                with self.engine.begin() as conn:
                    _insert_rows(conn, rows)
                    self._save(conn, state)
                report.appended += len(rows)
                if progress:
                    progress(min(done + report.appended, total), total)
            if len(rows) < self.chunk_rows:
                report.caught_up = True
                return state
            if time.monotonic() >= deadline:
                return state

    def _fetch_after(self, origin: Source, last_id: int) -> list[sa.Row]:
        statement = (
            sa.select(*source_columns(origin.dialect))
            .where(audit_logs.c.id > last_id)
            .order_by(audit_logs.c.id)
            .limit(self.chunk_rows)
        )
        with origin.connect() as conn:
            return conn.execute(statement).all()

    def _copy_users(self, origin: Source) -> int:
        """The users table is small: copied whole at every step that caught up."""
        if not origin.has_users:
            return 0
        columns = [
            users.c[n] if n in origin.user_columns or n == "id" else sa.null()
            for n in MIRROR_USER_COLUMNS
        ]
        with origin.connect() as conn:
            rows = [tuple(r) for r in conn.execute(sa.select(*columns))]
        with self.engine.begin() as conn:
            current = [tuple(r) for r in conn.execute(sa.select(mirror_users))]
            if sorted(current, key=_user_key) == sorted(rows, key=_user_key):
                return 0
            conn.execute(mirror_users.delete())
            if rows:
                conn.execute(
                    mirror_users.insert(),
                    [dict(zip(MIRROR_USER_COLUMNS, r, strict=True)) for r in rows],
                )
        return len(rows)

    # -- verification ----------------------------------------------------------------------

    def _days(self) -> tuple[date, date] | None:
        with self.engine.connect() as conn:
            first, last = conn.execute(
                sa.select(
                    sa.func.min(mirror_logs.c.created_at), sa.func.max(mirror_logs.c.created_at)
                )
            ).one()
        return None if first is None else (first.date(), last.date())

    def _verify(
        self, origin: Source, state: MirrorState, deadline: float, report: SyncReport
    ) -> MirrorState:
        slices = day_slices(self._days(), state.verify_day)
        repair = partial(self._repair, origin, state)
        cursor = verify_slices(slices, state.verify_day, deadline, report, repair)
        return replace(state, verify_day=cursor)

    def _repair(self, origin: Source, state: MirrorState, piece: Slice) -> bool:
        """Copy the slice again when it differs from the source's; whether it did."""
        if not self._differs(origin, piece, state.last_id):
            return False
        self._resync(origin, piece, state.last_id)
        return True

    def _differs(self, origin: Source, piece: Slice, last_id: int) -> bool:
        with origin.connect() as conn:
            where = piece.clause(audit_logs, last_id, origin.dialect)
            theirs = summary(conn, audit_logs, where)
        with self.engine.connect() as conn:
            ours = summary(conn, mirror_logs, piece.clause(mirror_logs, last_id))
        return theirs != ours

    def _resync(self, origin: Source, piece: Slice, last_id: int) -> None:
        """Replace the slice's rows with the source's, in one mirror transaction."""
        with self.engine.begin() as conn:
            conn.execute(mirror_logs.delete().where(piece.clause(mirror_logs, last_id)))
            after = 0
            while True:
                statement = (
                    sa.select(*source_columns(origin.dialect))
                    .where(piece.clause(audit_logs, last_id, origin.dialect))
                    .where(audit_logs.c.id > after)
                    .order_by(audit_logs.c.id)
                    .limit(self.chunk_rows)
                )
                with origin.connect() as source_conn:
                    rows = source_conn.execute(statement).all()
                if rows:
                    _insert_rows(conn, rows)
                    after = int(rows[-1][0])
                if len(rows) < self.chunk_rows:
                    return


def _user_key(row: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple("" if v is None else str(v) for v in row)


# ---------------------------------------------------------------------------------------
# Command line: build or bring up to date a mirror ahead of time


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m audit.mirror",
        description="Build the DuckDB mirror of audit_logs, or bring it up to date. The "
        "source is only read. Stop the dashboard first: DuckDB lets one process write a file.",
    )
    parser.add_argument("--url", help="source database URL (default: the AUDIT_DB_URL setting)")
    parser.add_argument("--path", help="mirror file (default: the AUDIT_MIRROR_PATH setting)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from audit.config import load_settings
    from audit.db import check_database, create_readonly_engine
    from audit.progress import ProgressBar

    args = _arguments(argv)
    settings = load_settings()
    engine = create_readonly_engine(args.url or settings.db_url, settings.statement_timeout_seconds)
    health = check_database(engine)
    if health.source is None:
        print(health.message, file=sys.stderr)
        return 2
    mirror = Mirror(Path(args.path) if args.path else settings.mirror_path)
    report = mirror.build(health.source, ProgressBar())
    mirror.close()
    print(
        f"mirror {mirror.path}: {report.rows:,} rows, {report.appended:,} appended, "
        f"{len(report.resynced)} slices re-copied, in {report.seconds:.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
