"""The analytics mirror in a real browser: the first build ends in numbers from the mirror
with their freshness, and the Refresh button brings rows added since into the KPIs."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect

from audit.browser import wait_until_drawn
from audit.schema import audit_logs
from audit.server import running_server
from audit.tools.demo import write_demo
from tests.support.databases import DEMO_DAYS, DEMO_END, DEMO_SEED, fresh_database

ROWS = 5_000
ADDED = 120
QUERY = "range=all&tz=UTC"


def _events(page: Page):
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="Events").first
    return metric.locator('[data-testid="stMetricValue"]')


def _add_rows(writer: sa.Engine) -> int:
    """Copies of the first rows as new events (new ids); the new total."""
    c = audit_logs.c
    with writer.begin() as conn:
        top = conn.execute(sa.select(sa.func.max(c.id))).scalar_one()
        rows = [dict(r._mapping) for r in conn.execute(sa.select(audit_logs).limit(ADDED))]
        for offset, row in enumerate(rows, start=1):
            row["id"] = top + offset
        conn.execute(audit_logs.insert(), rows)
        return conn.execute(sa.select(sa.func.count()).select_from(audit_logs)).scalar_one()


def test_refresh_syncs_the_mirror_and_the_kpis_show_new_rows(
    browser: Browser, tmp_path: Path
) -> None:
    with fresh_database("sqlite", tmp_path) as url:
        write_demo(url, rows=ROWS, days=DEMO_DAYS, seed=DEMO_SEED, end=DEMO_END)
        env = {
            "AUDIT_AGGREGATE_ENGINE": "mirror",
            "AUDIT_MIRROR_PATH": str(tmp_path / "mirror" / "audit_logs.duckdb"),
        }
        writer = sa.create_engine(url)
        with running_server(url, env=env, log_path=tmp_path / "server.log") as base_url:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            page.goto(f"{base_url}/?{QUERY}")
            freshness = page.get_by_text("Charts and counts from the local mirror")
            expect(freshness).to_be_visible(timeout=60_000)  # after the first build
            wait_until_drawn(page)
            expect(_events(page)).to_have_text(f"{ROWS:,}")

            total = _add_rows(writer)
            page.get_by_role("button", name="Refresh").click()
            expect(_events(page)).to_have_text(f"{total:,}", timeout=30_000)
            wait_until_drawn(page)
            assert total == ROWS + ADDED
            context.close()
        writer.dispose()
