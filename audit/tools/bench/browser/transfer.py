"""What a fresh page load transfers (item 6 of issue 14): the bytes a browser receives for
a view opened in a new context, as plain HTTP (static files, HTML) and as websocket data
messages, and the websocket bytes of a filter change; straight from Streamlit and through
nginx compressing (:mod:`nginx`), each with Streamlit's websocket compression
(``server.enableWebsocketCompression``) off and on. The bytes are counted on the wire by
a relay in front of the browser's server (:mod:`relay`). Each fresh view is also timed on
loopback and over an emulated remote link (Chromium's network throttling)."""

from __future__ import annotations

import statistics
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from audit.browser import wait_until_drawn
from audit.server import StreamlitServer, streamlit_server
from audit.tools.bench.browser.nginx import nginx_in_front_of
from audit.tools.bench.browser.relay import Relay
from audit.tools.bench.browser.run import Options, compression_env, dashboard_env
from audit.tools.bench.browser.scenarios import Visit, filter_change, first_or_fresh, new_context
from audit.tools.bench.browser.views import Data, View, dashboard_views

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ROUTES = ("direct", "nginx")
REMOTE_LINK = {  # a remote user's connection, as Chromium's DevTools emulate it
    "offline": False,
    "latency": 40,  # ms
    "downloadThroughput": 20_000_000 / 8,  # bytes per second
    "uploadThroughput": 5_000_000 / 8,
}
REMOTE_LINK_TEXT = "20 Mbit/s down, 5 Mbit/s up, 40 ms"


@dataclass(frozen=True)
class Transfer:
    view: str
    route: str
    websocket_compression: bool
    http_down: int  # bytes to the browser: static files and HTML
    websocket_down: int  # the data messages of the first drawing
    up: int  # bytes from the browser
    filter_websocket_down: int  # a filter change's data messages
    loopback_s: float
    remote_s: float | None  # drawn over the emulated remote link (median; None: failed)
    server_cpu: float


def measure_transfers(db_url: str, data: Data, workdir: Path, options: Options) -> list[Transfer]:
    from playwright.sync_api import sync_playwright

    from audit.browser import launch

    found = []
    views = dashboard_views(data, options.pages)
    mirror = workdir / "mirror" / "audit_logs.duckdb"
    for compression in (False, True):
        settings = dashboard_env(db_url, mirror, options) | compression_env(compression)
        with (
            streamlit_server(env=settings, log_path=workdir / "transfer.log") as dashboard,
            sync_playwright() as pw,
        ):
            browser = launch(pw)
            for view in views:  # caches warm: the bytes and times are of the drawing alone
                _open_once(browser, view, dashboard.base_url, data)
            for route in ROUTES:
                with _route(route, dashboard) as port, Relay(port).running() as relay:
                    setting = _Setting(browser, relay, dashboard.pid, data, route, compression)
                    found += [setting.measure(view, options.repeat) for view in views]
            browser.close()
    return found


@contextmanager
def _route(route: str, dashboard: StreamlitServer) -> Iterator[int]:
    port = int(dashboard.base_url.rsplit(":", 1)[1])
    if route == "direct":
        yield port
        return
    with nginx_in_front_of(port) as nginx_port:
        yield nginx_port


def _open_once(browser: Browser, view: View, base: str, data: Data) -> None:
    context, page = new_context(browser)
    page.goto(view.url(base, data.now), wait_until="commit")
    wait_until_drawn(page, timeout=300)
    context.close()


@dataclass(frozen=True)
class _Setting:
    """A route (the relay in front of Streamlit or of nginx) and a compression setting."""

    browser: Browser
    relay: Relay
    server_pid: int
    data: Data
    route: str
    compression: bool

    def visit(self, page: Page, view: View) -> Visit:
        base = f"http://127.0.0.1:{self.relay.port}"
        return Visit(page, view, base, self.server_pid, self.data.now, 300)

    def measure(self, view: View, repeat: int) -> Transfer:
        context, page = new_context(self.browser)
        visit = self.visit(page, view)
        self.relay.reset()
        sample = first_or_fresh(visit)
        counts = self.relay.reset()
        filter_change(visit, 0, True)
        after_filter = self.relay.reset()
        context.close()
        result = Transfer(
            view.name,
            self.route,
            self.compression,
            counts.get("http_down", 0),
            counts.get("ws_down", 0),
            counts.get("http_up", 0) + counts.get("ws_up", 0),
            after_filter.get("ws_down", 0),
            sample.seconds,
            self.remote_seconds(view, repeat),
            sample.server_cpu,
        )
        print(f"transfer: {result}", file=sys.stderr)
        return result

    def remote_seconds(self, view: View, repeat: int) -> float | None:
        """The median time a fresh view takes to draw over the emulated remote link (a
        repetition that fails is reported and left out: the bytes are the figure)."""
        seconds = []
        for _ in range(repeat):
            context, page = new_context(self.browser)
            try:
                session = context.new_cdp_session(page)
                session.send("Network.enable")
                session.send("Network.emulateNetworkConditions", REMOTE_LINK)
                seconds.append(first_or_fresh(self.visit(page, view)).seconds)
            except Exception as error:  # any failure of one repetition
                print(
                    f"transfer: {view.name} over the remote link failed: {error}", file=sys.stderr
                )
            finally:
                context.close()
        self.relay.reset()
        return statistics.median(seconds) if seconds else None


def download_seconds(transfer: Transfer) -> float:
    """How long the bytes of a fresh view take at the remote link's speed alone."""
    down = transfer.http_down + transfer.websocket_down
    return down / REMOTE_LINK["downloadThroughput"]


TRANSFER_HEADING = "## Serving to remote users"
TRANSFER_PREFIX = "transfer"


def _seconds(value: float | None) -> str:
    return "failed" if value is None else f"{value:.2f}"


def _kb(size: int) -> str:
    return f"{size / 1024:,.0f}"


def transfer_markdown(data: Data, transfers: list[Transfer], loads: list[list[float]]) -> str:
    lines = [
        f"### Transfer: {data.dialect}, {data.rows:,} rows",
        "",
        f"A fresh browser context per view, views pinned to now={data.now:%Y-%m-%dT%H:%M}Z, "
        f"the server's caches warm; remote link emulated by Chromium: {REMOTE_LINK_TEXT} "
        "(its time the median of the repetitions). "
        f"Load average {loads[0]} at start and {loads[-1]} at end.",
        "",
        "| View | Route | Websocket compression | HTTP down (KB) | Websocket down (KB) "
        "| Up (KB) | Filter change, websocket down (KB) | Download at 20 Mbit/s (s) "
        "| Drawn on loopback (s) | Drawn over the remote link (s) | Server CPU (s) |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for t in transfers:
        lines.append(
            f"| {t.view} | {'nginx, gzip' if t.route == 'nginx' else 'Streamlit directly'} | "
            f"{'on' if t.websocket_compression else 'off'} | {_kb(t.http_down)} | "
            f"{_kb(t.websocket_down)} | {_kb(t.up)} | {_kb(t.filter_websocket_down)} | "
            f"{download_seconds(t):.1f} | {t.loopback_s:.2f} | {_seconds(t.remote_s)} | "
            f"{t.server_cpu:.2f} |"
        )
    return "\n".join(lines) + "\n"
