"""Shared fixtures: a real PostgreSQL (started by scripts/test.sh) and SQLite, each as a
fresh empty database or as a demo database generated once per session. The helpers they
use live in tests/support."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from audit.db import check_database, create_readonly_engine
from tests.support.databases import (
    DEMO_DAYS,
    DEMO_END,
    DEMO_ROWS,
    DEMO_SEED,
    DIALECTS,
    PG_URL_ENV,
    DemoDatabase,
    fresh_database,
)
from tests.support.groundtruth import all_rows
from tests.support.hostile import write_hostile


def pytest_configure(config: pytest.Config) -> None:
    if not os.environ.get(PG_URL_ENV):
        raise pytest.UsageError(
            f"{PG_URL_ENV} is not set: run the tests with scripts/test.sh, which starts a "
            "throwaway PostgreSQL (the PostgreSQL tests must run, never skip)."
        )


@pytest.fixture(params=DIALECTS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty, writable database URL on each dialect."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def chdb_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test process's one chdb data folder (chdb opens one folder per process): each
    test that needs ClickHouse takes a database of its own in it (``chdb_url``)."""
    return tmp_path_factory.mktemp("chdb")


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
    """The whole demo table, read with plain SQL (see tests/support/groundtruth.py)."""
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
    """A database of hostile rows (tests/support/hostile.py) on each dialect."""
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
