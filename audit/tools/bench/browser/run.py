"""One run of the browser benchmark: the floor page's server and the dashboard's, one
headless Chromium, and every view timed in every scenario, the views taken in turn within
each repetition so that a change in the machine's load falls on all of them alike."""

from __future__ import annotations

import os
import sys
import tomllib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from audit.config import PROJECT_ROOT
from audit.server import StreamlitServer, streamlit_server
from audit.tools.bench.browser.scenarios import (
    SCENARIOS,
    Visit,
    click_through,
    filter_change,
    first_or_fresh,
    new_context,
    next_minute,
    reload,
)
from audit.tools.bench.browser.timing import Sample
from audit.tools.bench.browser.views import FLOOR_VIEW, PAGES, Data, View, dashboard_views

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

FLOOR_APP = Path(__file__).with_name("floor_app.py")
WEBSOCKET_COMPRESSION_ENV = "STREAMLIT_SERVER_ENABLE_WEBSOCKET_COMPRESSION"


@dataclass(frozen=True)
class Options:
    repeat: int = 3
    pages: tuple[str, ...] = PAGES
    scenarios: tuple[str, ...] = SCENARIOS
    wait_minute: bool = False
    timeout: float = 120.0
    aggregate_engine: str | None = None  # the dashboard's setting when None
    websocket_compression: bool = False


@dataclass
class Run:
    started: str
    load_at_start: list[float]
    load_at_end: list[float] = field(default_factory=list)
    samples: dict[str, dict[str, list[Sample]]] = field(default_factory=dict)
    errors: dict[str, dict[str, str]] = field(default_factory=dict)

    def add(self, view: str, scenario: str, sample: Sample) -> None:
        self.samples.setdefault(view, {}).setdefault(scenario, []).append(sample)

    def fail(self, view: str, scenario: str, error: Exception) -> None:
        self.errors.setdefault(view, {})[scenario] = f"{type(error).__name__}: {error}"[:300]


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def dashboard_env(db_url: str, mirror_path: Path, options: Options) -> dict[str, str]:
    env = {"AUDIT_DB_URL": db_url, "AUDIT_MIRROR_PATH": str(mirror_path)}
    if options.aggregate_engine:
        env["AUDIT_AGGREGATE_ENGINE"] = options.aggregate_engine
    return env | compression_env(options.websocket_compression)


def compression_env(on: bool) -> dict[str, str]:
    """Streamlit's websocket compression on or off (its environment variable wins over
    ``.streamlit/config.toml``)."""
    return {WEBSOCKET_COMPRESSION_ENV: "true" if on else "false"}


def configured_compression() -> bool:
    """``server.enableWebsocketCompression`` as the project's config.toml sets it."""
    path = PROJECT_ROOT / ".streamlit" / "config.toml"
    settings = tomllib.loads(path.read_text()) if path.exists() else {}
    return bool(settings.get("server", {}).get("enableWebsocketCompression", False))


@contextmanager
def servers(
    db_url: str, workdir: Path, options: Options
) -> Iterator[tuple[StreamlitServer, StreamlitServer]]:
    """The floor's server and the dashboard's, logging to ``workdir``."""
    with ExitStack() as stack:
        floor = stack.enter_context(
            streamlit_server(
                FLOOR_APP,
                compression_env(options.websocket_compression),
                log_path=workdir / "floor.log",
            )
        )
        dashboard = stack.enter_context(
            streamlit_server(
                env=dashboard_env(db_url, workdir / "mirror" / "audit_logs.duckdb", options),
                log_path=workdir / "dashboard.log",
            )
        )
        yield floor, dashboard


def measure(db_url: str, data: Data, workdir: Path, options: Options) -> Run:
    from playwright.sync_api import sync_playwright

    from audit.browser import launch

    run = Run(datetime.now(UTC).isoformat(timespec="seconds"), load_average())
    views = [FLOOR_VIEW, *dashboard_views(data, options.pages)]
    with servers(db_url, workdir, options) as (floor, dashboard), sync_playwright() as pw:
        browser = launch(pw)
        try:
            for view in views:  # opened once before the repetitions, timed or not
                server = floor if view is FLOOR_VIEW else dashboard
                _first(run, browser, _visitor(view, server, data, options), options)
            for repetition in range(options.repeat):
                for view in views:
                    server = floor if view is FLOOR_VIEW else dashboard
                    visitor = _visitor(view, server, data, options)
                    _repetition(run, browser, visitor, repetition, options)
        finally:
            browser.close()
    run.load_at_end = load_average()
    return run


@dataclass(frozen=True)
class _Visitor:
    view: View
    server: StreamlitServer
    now: datetime
    timeout: float

    def visit(self, page: Page) -> Visit:
        return Visit(page, self.view, self.server.base_url, self.server.pid, self.now, self.timeout)


def _visitor(view: View, server: StreamlitServer, data: Data, options: Options) -> _Visitor:
    return _Visitor(view, server, data.now, options.timeout)


def _first(run: Run, browser: Browser, visitor: _Visitor, options: Options) -> None:
    """The view's first opening since the server started, recorded when wanted: the
    repetitions then start with the server's caches (for the pinned moment) warm."""
    context, page = new_context(browser)
    visit = visitor.visit(page)
    try:
        if "first" in options.scenarios:
            _record(run, visitor.view.name, "first", lambda: first_or_fresh(visit))
        else:
            visit.settle_at(visit.now)
    finally:
        context.close()


def _repetition(
    run: Run, browser: Browser, visitor: _Visitor, repetition: int, options: Options
) -> None:
    wanted = options.scenarios
    name = visitor.view.name
    context, page = new_context(browser)
    visit = visitor.visit(page)
    try:
        if "fresh" in wanted:
            _record(run, name, "fresh", lambda: first_or_fresh(visit))
        else:
            visit.settle_at(visit.now)
        if "reload" in wanted:
            _record(run, name, "reload", lambda: reload(visit))
        if "next minute" in wanted:
            _record(
                run,
                name,
                "next minute",
                lambda: next_minute(visit, repetition, options.wait_minute),
            )
        if "filter" in wanted and visitor.view.sidebar_filters:
            # from a page of its own: the next minute's page may hold cached filtered results
            _record(run, name, "filter", lambda: filter_change(visit, repetition, False))
        if "click" in wanted and visitor.view.clicks_through:
            _record(run, name, "click", lambda: click_through(visit, repetition))
    finally:
        context.close()


def _record(run: Run, view: str, scenario: str, measure_once: Callable[[], Sample]) -> bool:
    try:
        sample = measure_once()
    except Exception as error:  # a failed view is reported, the run goes on
        run.fail(view, scenario, error)
        print(f"{view}, {scenario}: FAILED: {error}", file=sys.stderr)
        return False
    run.add(view, scenario, sample)
    print(
        f"{view}, {scenario}: {sample.seconds:.2f} s, server CPU {sample.server_cpu:.2f} s",
        file=sys.stderr,
    )
    return True
