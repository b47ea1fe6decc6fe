"""Headless Chromium (Debian's) driven by Playwright, and the wait that tells when a
Streamlit page is really drawn: used by the snapshot command and the browser tests."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from audit.markers import COMPLETE_MARKER_ID, PROBLEM_MARKER_ID

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

CHROMIUM_PATH = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
EXCEPTION_SELECTOR = '[data-testid="stException"]'

_APP_IDLE = (
    '[data-testid="stApp"][data-test-connection-state="CONNECTED"]'
    '[data-test-script-state="notRunning"]'
)
_BUSY = ", ".join(
    [
        '[data-testid="stSkeleton"]',
        '[data-testid="stAppSkeleton"]',
        '[data-testid="stSpinner"]',
        '[data-stale="true"]',
        '[data-testid="stStatusWidgetRunningIcon"]',
        '[data-testid="stStatusWidgetRunningManIcon"]',
    ]
)
_DRAWN_JS = f"""() => {{
  if (!document.querySelector('{_APP_IDLE}')) return false;
  if (document.querySelector('{_BUSY}')) return false;
  if (!document.getElementById('{COMPLETE_MARKER_ID}')) return false;
  const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
  return charts.every(c => c.querySelector('.main-svg'));
}}"""


class PageNotReady(RuntimeError):
    """The page did not finish drawing in time, or drew an error."""


def _problem_text(page: Page) -> str:
    """The page's alerts, read once its script has finished drawing them."""
    for _ in range(50):
        if page.query_selector(_APP_IDLE):
            break
        time.sleep(0.1)
    alerts = page.locator('[data-testid="stAlert"]')
    texts = [alerts.nth(i).inner_text().strip() for i in range(alerts.count())]
    return " ".join(t for t in texts if t) or "no details shown"


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(
        executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGS
    )


def _drawn(page: Page) -> bool:
    return bool(page.evaluate(_DRAWN_JS))


def wait_until_drawn(page: Page, timeout: float = 60.0, settle: float = 0.3) -> None:
    """Block until the page is drawn: connected and idle, nothing stale or loading, the
    completion marker present, every chart painted, fonts loaded, and still so after a
    short settle. Raises :class:`PageNotReady` on timeout or when an exception shows."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.query_selector(EXCEPTION_SELECTOR):
            raise PageNotReady("the page shows an exception")
        if page.query_selector(f"#{PROBLEM_MARKER_ID}"):
            raise PageNotReady(f"the page reports a problem: {_problem_text(page)}")
        if _drawn(page):
            page.evaluate("document.fonts.ready.then(() => true)")
            time.sleep(settle)
            if _drawn(page):
                return
        time.sleep(0.1)
    raise PageNotReady(f"the page was not drawn within {timeout:.0f} s")
