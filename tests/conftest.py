"""Shared fixtures: a real PostgreSQL (started by scripts/test.sh) and SQLite, each as a
fresh empty database or as a demo database generated once per session."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from audit.db import Source, check_database, create_readonly_engine

PG_URL_ENV = "AUDIT_TEST_PG_URL"
DIALECTS = ("sqlite", "postgresql")
DEMO_END = datetime(2026, 11, 20, 12, 0)  # naive UTC, like created_at
DEMO_NOW = DEMO_END.replace(tzinfo=UTC)
DEMO_ROWS = 20_000
DEMO_DAYS = 90
DEMO_SEED = 11


def pytest_configure(config: pytest.Config) -> None:
    if not os.environ.get(PG_URL_ENV):
        raise pytest.UsageError(
            f"{PG_URL_ENV} is not set: run the tests with scripts/test.sh, which starts a "
            "throwaway PostgreSQL (the PostgreSQL tests must run, never skip)."
        )


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


@pytest.fixture(params=DIALECTS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty, writable database URL on each dialect."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


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


@pytest.fixture(scope="session", params=DIALECTS)
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoDatabase]:
    from audit.tools.demo import write_demo

    with fresh_database(request.param, tmp_path_factory.mktemp("demo")) as url:
        write_demo(url, rows=DEMO_ROWS, days=DEMO_DAYS, seed=DEMO_SEED, end=DEMO_END)
        writer = sa.create_engine(url)
        engine = create_readonly_engine(url)
        report = check_database(engine)
        assert report.ok, report.message
        assert report.source is not None
        yield DemoDatabase(request.param, url, writer, report.source)
        engine.dispose()
        writer.dispose()


@pytest.fixture(scope="session")
def truth(demo: DemoDatabase) -> pd.DataFrame:
    """The whole demo table, read with plain SQL (see tests/groundtruth.py)."""
    from tests.groundtruth import all_rows

    return all_rows(demo)


@pytest.fixture(autouse=True)
def fresh_streamlit_caches() -> Iterator[None]:
    """Settings, engines and query results are cached per process: start each test clean."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(scope="session", params=DIALECTS)
def hostile(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoDatabase]:
    """A database of hostile rows (tests/hostile.py) on each dialect."""
    from tests.hostile import write_hostile

    with fresh_database(request.param, tmp_path_factory.mktemp("hostile")) as url:
        write_hostile(url)
        writer = sa.create_engine(url)
        engine = create_readonly_engine(url)
        report = check_database(engine)
        assert report.source is not None, report.message
        yield DemoDatabase(request.param, url, writer, report.source)
        engine.dispose()
        writer.dispose()


@pytest.fixture(autouse=True)
def apptest_like_a_running_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """AppTest re-creates Streamlit's page manager on every run, which then treats this app
    (it has a pages/ folder) as pre-st.navigation for that run, as a real server does only
    on its very first run; the page then reruns through app.py and a clicked button's
    trigger is lost. Behave like a server past its first run (the first run itself is
    covered by a browser test on a fresh server)."""
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self: PagesManager, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)
