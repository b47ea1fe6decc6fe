"""``write_demo`` (any database URL) and ``write_demo_file`` (an SQLite file, created
atomically): the only code here that writes."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from audit.schema import audit_logs, metadata, users
from audit.tools.demo.defaults import DEFAULT_DAYS, DEFAULT_ROWS, DEFAULT_SEED
from audit.tools.demo.generator import generate
from audit.tools.demo.loaders import load_postgres, load_sqlite


def _reset_tables(conn: sa.Connection, user_rows: list[dict]) -> None:
    """Drop ``audit_logs`` and ``users`` if they exist, create them, insert the users."""
    metadata.drop_all(conn, tables=[audit_logs, users], checkfirst=True)
    metadata.create_all(conn, tables=[users, audit_logs])
    conn.execute(users.insert(), user_rows)


def write_demo(
    url: str | sa.Engine,
    rows: int = DEFAULT_ROWS,
    days: int = DEFAULT_DAYS,
    seed: int = DEFAULT_SEED,
    end: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write ``generate(rows, days, seed, end)`` to the database at ``url``; return rows written.

    DESTRUCTIVE: drops the tables ``audit_logs`` and ``users`` first if they exist (nothing
    else), then creates them from ``audit.schema`` and loads users and audit rows in one
    transaction. PostgreSQL: ``COPY ... FROM STDIN`` through psycopg, then the id sequences
    are moved past max(id). The foreign key ``audit_logs.user_id -> users.id`` is re-created
    ``NOT VALID``, because the hard-deleted user's rows point at a missing user, as in real
    Enclava data. SQLite: ``executemany`` in chunks with ``synchronous=OFF`` and an in-memory
    journal; JSON stored as JSON text and times in SQLAlchemy's text format.
    ``progress(done, total)`` is called after every chunk of ``CHUNK_ROWS`` rows. A
    ``sa.Engine`` may be passed instead of a URL (it is not disposed).
    """
    engine = url if isinstance(url, sa.Engine) else sa.create_engine(url)
    report = progress or (lambda done, total: None)
    user_rows, audit_rows = generate(rows, days, seed, end)
    try:
        with engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:
                conn.exec_driver_sql("PRAGMA synchronous=OFF")
                conn.exec_driver_sql("PRAGMA journal_mode=MEMORY")
            _reset_tables(conn, user_rows)
            load = load_sqlite if sqlite else load_postgres
            written = load(conn, audit_rows, rows, report)
            conn.commit()
    finally:
        if engine is not url:
            engine.dispose()
    if written == 0:
        report(0, 0)
    return written


def write_demo_file(
    path: Path,
    rows: int = DEFAULT_ROWS,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Create a demo SQLite file atomically: written aside, then renamed into place, so a
    reader never opens a half-written database and two first starts cannot collide."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        written = write_demo(f"sqlite:///{partial}", rows=rows, progress=progress)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return written
