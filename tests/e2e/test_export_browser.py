"""Exports in a real browser, on a server started by audit.server with an environment that
asks for the tables' own download: the tables still offer none, and the Export panel's
file downloads whole, is logged, and its button is gone after the download."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from audit.browser import wait_until_drawn
from audit.export.log import read_log
from audit.server import running_server

QUERY = (
    "range=custom&from=2026-11-13T00:00:00%2B00:00&to=2026-11-20T00:00:00%2B00:00&tz=UTC"
    "&action=login&size=25"
)
NAME = "audit-explorer_2026-11-13_2026-11-20_action-login.csv"  # what the file holds
WHERE = "created_at >= '2026-11-13' AND created_at < '2026-11-20' AND action = 'login'"


@dataclass(frozen=True)
class ExportServer:
    url: str
    export_log: Path


@pytest.fixture(scope="module")
def server(e2e_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExportServer]:
    folder = tmp_path_factory.mktemp("export-server")
    export_log = folder / "export-log.jsonl"
    env = {
        "AUDIT_EXPORT_LOG": str(export_log),
        # What a deployment's environment might say; the server must not listen to it.
        "STREAMLIT_CLIENT_DISABLE_DATA_EXPORT": "false",
    }
    with running_server(e2e_db, env=env, log_path=folder / "streamlit.log") as base_url:
        yield ExportServer(base_url, export_log)


def _logins(writer: sa.Engine) -> int:
    with writer.connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM audit_logs WHERE {WHERE}")).scalar_one()


def test_tables_offer_no_download_of_their_own(server: ExportServer, page: Page) -> None:
    page.goto(f"{server.url}/explorer?{QUERY}")
    wait_until_drawn(page)
    page.locator('[data-testid="stDataFrame"]').first.hover()
    toolbar = page.locator('[data-testid="stElementToolbar"]').first
    expect(toolbar.get_by_role("button", name=re.compile("^Search"))).to_be_visible()
    assert toolbar.get_by_role("button", name=re.compile("^Download")).count() == 0


def test_the_export_panel_file_downloads_whole_and_is_then_gone(
    server: ExportServer, page: Page, e2e_writer: sa.Engine
) -> None:
    total = _logins(e2e_writer)
    page.goto(f"{server.url}/explorer?{QUERY}")
    wait_until_drawn(page)
    page.get_by_role("button", name="Export").click()
    page.get_by_role("button", name="Prepare file").click()
    download = page.get_by_role("button", name=re.compile("^Download CSV$"))
    download.wait_for(timeout=60_000)
    with page.expect_download() as started:
        download.click()
    assert started.value.suggested_filename == NAME
    content = Path(started.value.path()).read_bytes()
    assert content.decode("utf-8-sig").count("\r\n") == total + 1  # header and rows
    expect(page.get_by_text(f"Downloaded {NAME}", exact=False)).to_be_visible()
    wait_until_drawn(page)  # the rerun the download started has drawn no button
    expect(download).to_have_count(0)
    (entry,) = read_log(server.export_log)
    assert (entry["rows"], entry["via"]) == (total, "browser")
