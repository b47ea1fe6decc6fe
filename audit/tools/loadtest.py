"""Concurrent sessions against one dashboard: every session must see the right numbers.

    python -m audit.tools.loadtest --db postgresql+psycopg://... --sessions 10 [--nginx]

Starts a dashboard over --db on a free local port, opens N headless Chromium sessions at
once on the overview and the explorer, checks the events count each shows against SQL,
and prints the latency per page, the bytes sent to the browsers and the server's peak
memory. With --nginx the sessions go through Debian's nginx compressing in front of the
dashboard (see "Serving to remote users" in docs/performance.md). Not a test: a
measurement."""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from audit.browser import _DRAWN_JS, CHROMIUM_ARGS, CHROMIUM_PATH
from audit.config import PROJECT_ROOT
from audit.filters import AuditFilter, where_clause
from audit.schema import audit_logs
from audit.server import free_port
from audit.tools.bench.browser.nginx import nginx_in_front_of
from audit.tools.bench.browser.relay import Relay

QUERY = "range=all&tz=UTC"


@dataclass
class Peak:
    """Highest resident memory of a process, sampled in the background."""

    pid: int
    kib: int = 0
    running: bool = True
    thread: threading.Thread = field(init=False)

    def __post_init__(self) -> None:
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        status = Path(f"/proc/{self.pid}/status")
        while self.running and status.exists():
            for line in status.read_text().splitlines():
                if line.startswith("VmRSS:"):
                    self.kib = max(self.kib, int(line.split()[1]))
            time.sleep(0.1)


def expected_count(db_url: str) -> int:
    engine = sa.create_engine(db_url)
    flt, _ = AuditFilter.from_params({"range": "all"})
    clause = where_clause(flt, datetime.now(UTC), engine.dialect.name, has_users=True)
    with engine.connect() as conn:
        count = conn.execute(
            sa.select(sa.func.count()).select_from(audit_logs).where(clause)
        ).scalar_one()
    engine.dispose()
    return int(count)


async def _drawn(page, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await page.evaluate(_DRAWN_JS):
            return
        await asyncio.sleep(0.1)
    raise TimeoutError("page not drawn")


async def _session(browser, base: str, expected: int) -> dict[str, float | bool]:
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    result: dict[str, float | bool] = {}
    started = time.perf_counter()
    await page.goto(f"{base}/?{QUERY}")
    await _drawn(page)
    result["overview_s"] = time.perf_counter() - started
    value = (
        await page.locator('[data-testid="stMetric"]')
        .first.locator('[data-testid="stMetricValue"]')
        .inner_text()
    )
    result["overview_ok"] = value.strip() == f"{expected:,}"
    started = time.perf_counter()
    await page.goto(f"{base}/explorer?{QUERY}")
    await _drawn(page)
    result["explorer_s"] = time.perf_counter() - started
    result["explorer_ok"] = await page.get_by_text(f"of {expected:,}").count() > 0
    await context.close()
    return result


async def _run_sessions(base: str, sessions: int, expected: int) -> list[dict]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGS
        )
        results = await asyncio.gather(
            *(_session(browser, base, expected) for _ in range(sessions))
        )
        await browser.close()
    return list(results)


def _wait_healthy(base: str, process: subprocess.Popen) -> None:
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            if process.poll() is not None:
                raise SystemExit("the dashboard did not start") from None
        time.sleep(0.2)
    raise SystemExit("the dashboard did not start")


def _print_transfer(sent: dict[str, int], sessions: int, nginx: bool) -> None:
    http, websocket = sent.get("http_down", 0), sent.get("ws_down", 0)
    route = "through nginx (gzip)" if nginx else "straight from Streamlit"
    print(
        f"sent to the browsers {route}: {(http + websocket) / 2**20:.1f} MiB "
        f"({http / 2**20:.1f} MiB HTTP, {websocket / 2**20:.1f} MiB websocket), "
        f"{(http + websocket) / max(sessions, 1) / 2**20:.2f} MiB per session"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m audit.tools.loadtest", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--db", required=True, help="database URL (read through the dashboard)")
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--nginx", action="store_true", help="through nginx compressing")
    parser.add_argument(
        "--websocket-compression",
        action="store_true",
        help="with Streamlit's server.enableWebsocketCompression",
    )
    args = parser.parse_args(argv)
    expected = expected_count(args.db)
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(PROJECT_ROOT / "app.py"),
        "--server.port",
        str(port),
    ]
    env = dict(os.environ) | {
        "AUDIT_DB_URL": args.db,
        "STREAMLIT_SERVER_ENABLE_WEBSOCKET_COMPRESSION": str(args.websocket_compression).lower(),
    }
    output = subprocess.DEVNULL
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=output)
    try:
        _wait_healthy(f"http://127.0.0.1:{port}", process)
        with ExitStack() as stack:
            upstream = stack.enter_context(nginx_in_front_of(port)) if args.nginx else port
            relay = stack.enter_context(Relay(upstream).running())
            peak = Peak(process.pid)
            started = time.perf_counter()
            base = f"http://127.0.0.1:{relay.port}"
            results = asyncio.run(_run_sessions(base, args.sessions, expected))
            wall = time.perf_counter() - started
            peak.running = False
            sent = relay.reset()
    finally:
        process.terminate()
        process.wait(timeout=20)
    for page in ("overview", "explorer"):
        times = [r[f"{page}_s"] for r in results]
        correct = sum(bool(r[f"{page}_ok"]) for r in results)
        print(
            f"{page}: {correct}/{len(results)} sessions saw {expected:,} events; "
            f"latency median {statistics.median(times):.2f} s, max {max(times):.2f} s"
        )
    print(f"all sessions done in {wall:.1f} s; dashboard peak memory {peak.kib / 1024:.0f} MiB")
    _print_transfer(sent, len(results), args.nginx)
    return 0 if all(r["overview_ok"] and r["explorer_ok"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
