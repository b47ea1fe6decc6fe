"""The situations a view is timed in, each a short script of what a person does:

- ``first``: the view's first opening since the server started (its caches cold);
- ``fresh``: a new browser context (nothing cached in the browser; the server's results
  cached from the first opening);
- ``reload``: the browser's reload button on the page just drawn;
- ``next minute``: the same view one minute later, opened again with ``now`` pinned where
  the dashboard's own clock puts it then (relative ranges end at the end of a 5-minute step,
  see :func:`audit.timerange.anchored_now`, so a minute later within the step it is the
  same moment; once a step, the view costs what ``first`` costs); with ``--wait-minute``
  the view is opened on the dashboard's own clock and reloaded after the next whole minute;
- ``filter``: a severity picked in the sidebar's multiselect, until the page is drawn again;
- ``click``: a bar of the overview's first volume chart clicked, until the explorer it
  opens is drawn (each repetition another bar, so the explorer's results are not cached).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from audit.browser import wait_until_drawn
from audit.timerange import RELATIVE_STEP, anchored_now
from audit.tools.bench.browser.timing import WATCHER_JS, Sample, timed
from audit.tools.bench.browser.views import View

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

SCENARIOS = ("first", "fresh", "reload", "next minute", "filter", "click")
SCENARIO_TITLES = {
    "first": "first view since the server started",
    "fresh": "fresh browser context",
    "reload": "reload",
    "next minute": "the same view one minute later",
    "filter": "after a filter change",
    "click": "after a click-through from a chart",
}
VIEWPORT = {"width": 1400, "height": 1000}
FILTER_VALUE = "high"
EXPLORER_URL = re.compile(r"/explorer\?")


@dataclass
class Visit:
    """One view in one browser context: the page, its server and what it is pinned to."""

    page: Page
    view: View
    base: str
    server_pid: int
    now: datetime
    timeout: float

    def open(self, now: datetime | None) -> None:
        """Navigate; the readiness wait that follows does the waiting (the load event may
        take longer than Playwright's 30 s on a slow link or a loaded machine)."""
        self.page.goto(self.view.url(self.base, now), wait_until="commit", timeout=self.timeout_ms)

    def reload(self) -> None:
        self.page.reload(wait_until="commit", timeout=self.timeout_ms)

    @property
    def timeout_ms(self) -> float:
        return self.timeout * 1000

    def time(self, act: Callable[[], object]) -> Sample:
        return timed(self.page, self.server_pid, act, self.timeout)

    def settle_at(self, now: datetime | None) -> None:
        """Open the view without timing it: the starting point of a timed action."""
        self.open(now)
        wait_until_drawn(self.page, timeout=self.timeout)


def new_context(browser: Browser) -> tuple[BrowserContext, Page]:
    context = browser.new_context(viewport=VIEWPORT, timezone_id="UTC")
    context.add_init_script(WATCHER_JS)
    return context, context.new_page()


def first_or_fresh(visit: Visit) -> Sample:
    return visit.time(lambda: visit.open(visit.now))


def reload(visit: Visit) -> Sample:
    return visit.time(visit.reload)


def next_minute(visit: Visit, repetition: int, wait: bool) -> Sample:
    if not wait:
        # The first opening was at the start of the step that ends at visit.now.
        clock = visit.now - RELATIVE_STEP + timedelta(minutes=repetition + 1, seconds=1)
        later = anchored_now(clock, RELATIVE_STEP)
        return visit.time(lambda: visit.open(later))
    visit.settle_at(None)
    time.sleep(60 - datetime.now().second + 1)  # past the next whole minute
    return visit.time(visit.reload)


def filter_change(visit: Visit, repetition: int, page_is_new: bool) -> Sample:
    """Pick a severity in the sidebar, from a page whose filtered results are not cached:
    the one the next-minute scenario left (``page_is_new``), else one opened for it."""
    if not page_is_new:
        visit.settle_at(visit.now + timedelta(minutes=repetition + 1))
    page = visit.page
    page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').first.click()
    options = page.get_by_role("option")
    wanted = options.filter(has_text=re.compile(rf"^{FILTER_VALUE}\b"))
    option = wanted.first if wanted.count() else options.nth(1)  # 0 is "Select all"
    sample = visit.time(option.click)
    page.keyboard.press("Escape")
    return sample


_BAR_HEIGHTS_JS = """() => {
  const chart = document.querySelector('[data-testid="stPlotlyChart"]');
  return [...chart.querySelectorAll('.barlayer .point path')]
    .map(bar => bar.getBoundingClientRect().height);
}"""


def click_through(visit: Visit, repetition: int) -> Sample:
    """Click the (repetition + 1)-th tallest bar of the first chart, opened at a moment of
    its own so that the drilled explorer is not cached either."""
    visit.settle_at(visit.now - timedelta(minutes=repetition + 1))
    heights = visit.page.evaluate(_BAR_HEIGHTS_JS)
    if not heights:
        raise RuntimeError("the first chart has no bars to click")
    ranked = sorted(range(len(heights)), key=lambda i: -heights[i])
    bar = visit.page.locator('[data-testid="stPlotlyChart"]').first.locator(".barlayer .point path")
    target = bar.nth(ranked[repetition % len(ranked)])
    target.hover(force=True)

    def act() -> None:
        target.click(force=True)
        visit.page.wait_for_url(EXPLORER_URL, wait_until="commit", timeout=visit.timeout_ms)

    return visit.time(act)
