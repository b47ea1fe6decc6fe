"""The overview in a real browser: filters from the URL survive moving between pages, and
the KPI shown equals SQL."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import sqlalchemy as sa
from playwright.sync_api import Page

from audit.browser import wait_until_drawn
from audit.server import running_server

FILTER_QUERY = (
    "range=custom&from=2026-11-10T00:00:00%2B05:30&to=2026-11-17T00:00:00%2B05:30"
    "&tz=Asia/Kolkata&severity=low&severity=medium&outcome=failure"
)
EXPECTED_PARAMS = {
    "range": ["custom"],
    "from": ["2026-11-10T00:00:00+05:30"],
    "to": ["2026-11-17T00:00:00+05:30"],
    "tz": ["Asia/Kolkata"],
    "severity": ["low", "medium"],
    "outcome": ["failure"],
}


def _params(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def _filter_params(page: Page) -> dict[str, list[str]]:
    return {k: v for k, v in _params(page).items() if k in EXPECTED_PARAMS}


def _metric(page: Page, label: str) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return metric.locator('[data-testid="stMetricValue"]').inner_text().strip()


def _sidebar_link(page: Page, name: str):
    return page.locator('[data-testid="stSidebar"]').get_by_role("link", name=name)


def test_filters_survive_navigation_and_kpis_equal_sql(
    app_url: str, page: Page, e2e_writer: sa.Engine
) -> None:
    page.goto(f"{app_url}/?{FILTER_QUERY}")
    wait_until_drawn(page)
    assert _filter_params(page) == EXPECTED_PARAMS
    with e2e_writer.connect() as conn:
        expected = conn.execute(
            sa.text(
                "SELECT count(*) FROM audit_logs WHERE created_at >= '2026-11-09 18:30' "
                "AND created_at < '2026-11-16 18:30' "
                "AND severity IN ('low', 'info', 'medium', 'warning') "
                "AND success IS FALSE"
            )
        ).scalar_one()
    assert expected > 0
    assert _metric(page, "Events") == f"{expected:,}"

    _sidebar_link(page, "Explorer").click()
    page.wait_for_url("**/explorer?**")
    wait_until_drawn(page)
    assert _filter_params(page) == EXPECTED_PARAMS
    assert page.get_by_role("heading", name="Explorer").is_visible()

    _sidebar_link(page, "Overview").click()
    page.wait_for_url(lambda url: "/explorer" not in url)
    wait_until_drawn(page)
    assert _filter_params(page) == EXPECTED_PARAMS
    assert _metric(page, "Events") == f"{expected:,}"
    selected = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').first
    assert "low" in selected.inner_text() and "medium" in selected.inner_text()


def test_changing_a_filter_writes_it_to_the_url(app_url: str, page: Page) -> None:
    page.goto(f"{app_url}/?range=30d&tz=UTC")
    wait_until_drawn(page)
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name="Last 90 days").click()
    page.wait_for_url("**range=90d**")
    wait_until_drawn(page)
    assert _params(page)["range"] == ["90d"]


def test_a_page_opened_first_on_a_fresh_server_is_complete(e2e_db: str, page: Page) -> None:
    # Streamlit runs the first request of a new server in its pages/-folder mode.
    with running_server(e2e_db) as fresh_url:
        page.goto(f"{fresh_url}/explorer?range=7d&tz=UTC&severity=high")
        wait_until_drawn(page)
        assert page.get_by_role("heading", name="Explorer").is_visible()
        assert _params(page)["severity"] == ["high"]
        assert _sidebar_link(page, "Overview").is_visible()


def test_clicking_a_top_list_bar_opens_the_explorer_with_that_value(
    app_url: str, page: Page
) -> None:
    page.goto(
        f"{app_url}/?range=custom&from=2026-11-10T00:00:00%2B00:00&to=2026-11-17T00:00:00%2B00:00&tz=UTC"
    )
    wait_until_drawn(page)
    chart = page.locator('[data-testid="stPlotlyChart"]').filter(has_text="Top actions")
    top_bar = chart.locator(".barlayer .point path").last  # bars are drawn bottom-up
    label = chart.locator(".yaxislayer-above .ytick text").last.text_content()
    top_bar.hover(force=True)
    top_bar.click(force=True)
    page.wait_for_url("**/explorer?**")
    wait_until_drawn(page)
    params = _params(page)
    assert params["action"] == [label]
    assert params["from"] == ["2026-11-10T00:00:00+00:00"] and params["tz"] == ["UTC"]


def test_breakdown_choice_lives_in_the_url(app_url: str, page: Page) -> None:
    page.goto(
        f"{app_url}/?range=custom&from=2026-11-10T00:00:00%2B00:00&to=2026-11-17T00:00:00%2B00:00&tz=UTC&breakdown=action"
    )
    wait_until_drawn(page)
    assert _params(page)["breakdown"] == ["action"]
    assert page.get_by_text("by action").count() > 0
    page.locator('[data-testid="stButtonGroup"]').get_by_text("Outcome", exact=True).click()
    page.wait_for_url("**breakdown=outcome**")
    wait_until_drawn(page)
    assert page.get_by_text("by outcome").count() > 0
