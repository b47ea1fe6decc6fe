"""Browser fixtures: a dashboard server over a PostgreSQL demo database, and Debian's
Chromium driven by Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, sync_playwright

from audit.browser import launch
from audit.server import running_server
from audit.tools.demo import write_demo
from tests.support.databases import DEMO_DAYS, DEMO_END, DEMO_ROWS, DEMO_SEED, fresh_database


@pytest.fixture(scope="session")
def e2e_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database("postgresql", tmp_path_factory.mktemp("e2e")) as url:
        write_demo(url, rows=DEMO_ROWS, days=DEMO_DAYS, seed=DEMO_SEED, end=DEMO_END)
        yield url


@pytest.fixture(scope="session")
def e2e_writer(e2e_db: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(e2e_db)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def app_url(e2e_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("server") / "streamlit.log"
    with running_server(e2e_db, log_path=log) as base_url:
        yield base_url
    print(Path(log).read_text(errors="replace")[-3000:])


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 1400, "height": 1000}, timezone_id="Europe/Berlin"
    )
    tab = context.new_page()
    yield tab
    context.close()
