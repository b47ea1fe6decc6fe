"""PostgreSQL stopped under a running dashboard: a clear 'database unavailable' page, and
recovery by itself when the server is back, without restarting the dashboard."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from audit.browser import EXCEPTION_SELECTOR, wait_until_drawn
from audit.server import free_port, running_server
from audit.tools.demo import write_demo
from tests.support.databases import DEMO_END


def _as_postgres(*command: str) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


@dataclass
class Cluster:
    """A PostgreSQL server of this test's own, so stopping it disturbs no other test."""

    bin_dir: Path
    data_dir: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def pg_ctl(self, *args: str) -> None:
        command = _as_postgres(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-w", *args)
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.data_dir.parent} -c listen_addresses=127.0.0.1 -c fsync=off"
        )
        self.pg_ctl("-l", str(self.data_dir.parent / "server.log"), "-o", options, "start")

    def stop(self) -> None:
        self.pg_ctl("-m", "immediate", "stop")


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    bin_dir = Path(os.environ["AUDIT_TEST_PGCTL"]).parent
    root = Path(tempfile.mkdtemp(prefix="audit-outage-", dir="/tmp"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data = root / "data"
    initdb = _as_postgres(
        str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync"
    )
    subprocess.run(initdb, check=True, capture_output=True, timeout=120)
    own = Cluster(bin_dir, data, free_port())
    own.start()
    try:
        yield own
    finally:
        subprocess.run(
            _as_postgres(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


def test_outage_is_shown_and_recovers_without_restart(cluster: Cluster, page: Page) -> None:
    write_demo(cluster.url, rows=5_000, days=30, seed=5, end=DEMO_END)
    with running_server(cluster.url) as app:
        page.goto(f"{app}/?range=all&tz=UTC")
        wait_until_drawn(page)
        expect(page.locator('[data-testid="stMetric"]').first).to_be_visible()

        cluster.stop()
        page.get_by_role("button", name="Refresh").click()
        expect(page.get_by_text("Database unavailable")).to_be_visible(timeout=30_000)
        assert page.locator(EXCEPTION_SELECTOR).count() == 0

        cluster.start()  # no reload, no restart: the page notices by itself
        expect(page.locator('[data-testid="stMetric"]').first).to_be_visible(timeout=45_000)
        wait_until_drawn(page)
        assert page.locator(EXCEPTION_SELECTOR).count() == 0
