"""The Explorer in a real browser: a filter from the URL, paging, and selecting a row."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import sqlalchemy as sa
from playwright.sync_api import Page

from audit.browser import wait_until_drawn

QUERY = "range=custom&from=2026-11-13T00:00:00%2B00:00&to=2026-11-20T00:00:00%2B00:00&tz=UTC&action=login&size=25"
WHERE = "created_at >= '2026-11-13' AND created_at < '2026-11-20' AND action = 'login'"


def _ids(writer: sa.Engine, offset: int, limit: int) -> list[int]:
    with writer.connect() as conn:
        sql = f"SELECT id FROM audit_logs WHERE {WHERE} ORDER BY created_at DESC, id DESC LIMIT {limit} OFFSET {offset}"
        return [r.id for r in conn.execute(sa.text(sql))]


def _select_row(page: Page, row_index: int) -> None:
    """Click a row's selection box in the data grid (a canvas: by position)."""
    grid = page.locator('[data-testid="stDataFrame"]').first
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 18, box["y"] + 35 * (row_index + 1) + 17)


def test_select_a_row_and_see_its_detail(app_url: str, page: Page, e2e_writer: sa.Engine) -> None:
    page.goto(f"{app_url}/explorer?{QUERY}")
    wait_until_drawn(page)
    with e2e_writer.connect() as conn:
        total = conn.execute(sa.text(f"SELECT count(*) FROM audit_logs WHERE {WHERE}")).scalar_one()
    assert page.get_by_text(f"Rows 1 to 25 of {total:,}").is_visible()
    first_id = _ids(e2e_writer, 0, 1)[0]
    _select_row(page, 0)
    page.get_by_role("heading", name=f"Event {first_id}").wait_for(timeout=30_000)
    wait_until_drawn(page)
    assert parse_qs(urlparse(page.url).query)["selected"] == [str(first_id)]
    assert page.get_by_role("heading", name="Related events").is_visible()


def test_older_and_newer_pages(app_url: str, page: Page, e2e_writer: sa.Engine) -> None:
    page.goto(f"{app_url}/explorer?{QUERY}")
    wait_until_drawn(page)
    page.get_by_role("button", name="Older").click()
    page.wait_for_url("**after=**")
    wait_until_drawn(page)
    assert page.get_by_text("Rows 26 to 50").is_visible()
    page.get_by_role("button", name="Newer").click()
    page.wait_for_url("**before=**")
    wait_until_drawn(page)
    assert page.get_by_text("Rows 1 to 25").is_visible()
    params = parse_qs(urlparse(page.url).query)
    assert params["action"] == ["login"] and params["size"] == ["25"]
