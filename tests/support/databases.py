"""Test databases: a real PostgreSQL (started by scripts/test.sh) and SQLite, fresh and
empty or populated (:class:`DemoDatabase`). The fixtures in tests/conftest.py use these."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from audit.db import Source

PG_URL_ENV = "AUDIT_TEST_PG_URL"
DIALECTS = ("sqlite", "postgresql")
DEMO_END = datetime(2026, 11, 20, 12, 0)  # naive UTC, like created_at
DEMO_NOW = DEMO_END.replace(tzinfo=UTC)
DEMO_ROWS = 20_000
DEMO_DAYS = 90
DEMO_SEED = 11


def pg_server_url() -> sa.URL:
    return sa.make_url(os.environ[PG_URL_ENV])


@contextmanager
def fresh_database(kind: str, tmp_dir: Path) -> Iterator[str]:
    """A new empty database of the given kind; removed afterwards."""
    if kind == "sqlite":
        path = tmp_dir / f"audit-{uuid.uuid4().hex[:8]}.sqlite3"
        yield f"sqlite:///{path}"
        path.unlink(missing_ok=True)
        return
    name = f"audit_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(pg_server_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield pg_server_url().set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def chdb_url(folder: Path) -> str:
    """A new, empty ClickHouse database in the test process's chdb folder."""
    return f"chdb://{folder}?database=t_{uuid.uuid4().hex[:12]}"


@dataclass
class DemoDatabase:
    """A populated database: ``writer`` for ground-truth SQL, ``source`` as the dashboard
    sees it (read-only engine), ``now`` the moment presets are relative to."""

    kind: str
    url: str
    writer: sa.Engine
    source: Source
    now: datetime = DEMO_NOW

    def scalar(self, sql: str, **params: object) -> object:
        with self.writer.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()

    def rows(self, sql: str, **params: object) -> list[sa.Row]:
        with self.writer.connect() as conn:
            return list(conn.execute(sa.text(sql), params))
