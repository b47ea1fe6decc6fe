"""Charts as a reader meets them in a real browser: Back undoes a drill, a heatmap cell
drills like a bar (to exactly its events), and no legend is clipped or scrolls."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import sqlalchemy as sa
from playwright.sync_api import Page

from audit.browser import wait_until_drawn
from audit.vocab import KNOWN_SEVERITIES, SEVERITY_LEVELS

WEEK = "range=custom&from=2026-11-10T00:00:00%2B00:00&to=2026-11-17T00:00:00%2B00:00&tz=UTC"


def _params(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def _click_point(page: Page, title: str, selector: str, index: int = -1) -> None:
    chart = page.locator('[data-testid="stPlotlyChart"]').filter(has_text=title)
    mark = chart.locator(selector).nth(index)
    mark.hover(force=True)
    mark.click(force=True)
    page.wait_for_url("**/explorer?**")
    wait_until_drawn(page)


def test_back_returns_to_the_view_before_the_drill(app_url: str, page: Page) -> None:
    page.goto(f"{app_url}/?{WEEK}")
    wait_until_drawn(page)
    before = _params(page)
    _click_point(page, "Top actions", ".barlayer .point path")
    (drilled,) = _params(page)["action"]
    page.go_back()
    page.wait_for_url(lambda url: "/explorer" not in url)
    wait_until_drawn(page)
    page.wait_for_function("() => !location.search.includes('drilled_from')")
    wait_until_drawn(page)
    assert _params(page) == before
    action_filter = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').nth(2)
    assert drilled not in action_filter.inner_text()  # the bar shows the view, not the drill
    assert "/explorer" not in page.url


def _level_sql(level: str) -> str:
    if level == "unset":
        known = ", ".join(f"'{s}'" for s in KNOWN_SEVERITIES)
        return f"(severity IS NULL OR severity NOT IN ({known}))"
    return "severity IN (" + ", ".join(f"'{s}'" for s in SEVERITY_LEVELS[level]) + ")"


def test_a_heatmap_cell_opens_the_explorer_on_its_events(
    app_url: str, page: Page, e2e_writer: sa.Engine
) -> None:
    page.goto(f"{app_url}/?{WEEK}")
    wait_until_drawn(page)
    _click_point(page, "Category by severity", ".scatterlayer .point")
    params = _params(page)
    (level,), (category,) = params["severity"], params["category"]
    where = "category IS NULL" if category == "uncategorized" else "category = :category"
    with e2e_writer.connect() as conn:
        expected = conn.execute(
            sa.text(
                "SELECT count(*) FROM audit_logs WHERE created_at >= '2026-11-10' "
                f"AND created_at < '2026-11-17' AND {_level_sql(level)} AND {where}"
            ),
            {"category": category},
        ).scalar_one()
    assert expected > 0
    assert page.get_by_text(f"of {expected:,}").count() > 0  # "Rows 1 to 50 of N"


def test_a_rhythm_cell_opens_the_explorer_on_its_weekday_and_hour(
    app_url: str, page: Page, e2e_writer: sa.Engine
) -> None:
    page.goto(f"{app_url}/?{WEEK}")
    wait_until_drawn(page)
    # Cells are drawn Sunday (top) to Monday, each 00 to 23: Tuesday 10:00 is 5 * 24 + 10.
    _click_point(page, "Activity rhythm", ".scatterlayer .point", 5 * 24 + 10)
    params = _params(page)
    assert (params["weekday"], params["hour"]) == (["tue"], ["10"])
    with e2e_writer.connect() as conn:
        expected = conn.execute(
            sa.text(
                "SELECT count(*) FROM audit_logs WHERE created_at >= '2026-11-10' "
                "AND created_at < '2026-11-17' AND extract(isodow FROM created_at) = 2 "
                "AND extract(hour FROM created_at) = 10"
            )
        ).scalar_one()
    assert expected > 0
    assert page.get_by_text(f"of {expected:,}").count() > 0


def test_no_legend_is_clipped_or_scrolls(app_url: str, page: Page) -> None:
    page.goto(f"{app_url}/?{WEEK}&breakdown=resource_type")
    wait_until_drawn(page)
    charts = page.locator('[data-testid="stPlotlyChart"]')
    for index in range(charts.count()):
        chart = charts.nth(index)
        legend = chart.locator("g.legend")
        if legend.count() == 0:
            continue
        assert (
            chart.locator("g.legend .scrollbar").count() == 0
            or not chart.locator("g.legend .scrollbar").first.is_visible()
        )
        box, outer = legend.first.bounding_box(), chart.bounding_box()
        assert box is not None and outer is not None
        assert (
            box["x"] >= outer["x"] - 1
            and box["x"] + box["width"] <= outer["x"] + outer["width"] + 1
        )
        assert box["y"] + box["height"] <= outer["y"] + outer["height"] + 1
