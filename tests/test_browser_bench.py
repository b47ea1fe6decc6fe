"""The browser benchmark's arithmetic and report, on made-up samples (no browser): ratios
are to the floor in the same run, targets are judged on the median of the runs and apply
at the sizes the issue names. The tool itself runs in tests/e2e/test_browser_bench.py."""

from __future__ import annotations

import json
import os
import shutil
import socket
import socketserver
import subprocess
import threading
from datetime import datetime
from pathlib import Path

from audit.markers import COMPLETE_MARKER_ID
from audit.tools.bench.browser.floor_app import CATEGORIES, HOURS, METRICS, SEVERITIES
from audit.tools.bench.browser.nginx import write_config
from audit.tools.bench.browser.relay import Relay
from audit.tools.bench.browser.report import checks, figures, markdown, scale, write
from audit.tools.bench.browser.run import FLOOR_APP, Options, Run
from audit.tools.bench.browser.timing import Sample, cpu_seconds
from audit.tools.bench.browser.views import Data, View, dashboard_views

DATA = Data(
    datetime(2026, 11, 20, 12, 1), newest_id=50_000, busiest_user=38, rows=50_000, dialect="sqlite"
)


def _run(floor_reload: float, overview_reload: float, cpu: float = 0.2) -> Run:
    run = Run("2026-11-29T17:00:00+00:00", [1.0, 1.0, 1.0], [2.0, 2.0, 2.0])
    for seconds in (2.0, 2.2, 1.8):
        run.add("floor", "fresh", Sample(seconds * 2, 0.1))
        run.add("floor", "reload", Sample(seconds * floor_reload / 2, 0.1))
        run.add("overview", "reload", Sample(seconds * overview_reload / 2, cpu))
        run.add("overview", "next minute", Sample(seconds * overview_reload, cpu * 2))
    return run


def test_ratios_are_medians_against_the_floor_of_the_same_run() -> None:
    found = {(f.view, f.scenario): f for f in figures(_run(1.0, 1.5))}
    assert found["floor", "reload"].ratio == 1.0
    assert found["overview", "reload"].ratio == 1.5
    assert found["overview", "next minute"].ratio == 3.0  # against the floor's reload
    reload = found["overview", "reload"]
    spread = (reload.min_s, reload.median_s, reload.max_s)
    assert [round(x, 3) for x in spread] == [1.35, 1.5, 1.65] and reload.n == 3


def test_a_target_is_met_only_when_it_holds_in_every_run() -> None:
    runs = [_run(1.0, 1.2), _run(1.0, 1.4), _run(1.0, 1.25)]  # met in two of three
    by_target = {(c.target, c.page): c for c in checks(runs, DATA.rows)}
    reload = by_target["reload ≤ 1.3× the floor's reload", "overview"]
    assert [round(m, 2) for m in reload.measured] == [1.2, 1.4, 1.25] and not reload.met
    held = {(c.target, c.page): c for c in checks(runs[:1] + runs[2:], DATA.rows)}
    assert held["reload ≤ 1.3× the floor's reload", "overview"].met
    cpu = by_target["server CPU per view ≤ 0.5 s (worst scenario)", "overview"]
    assert cpu.measured == [0.4, 0.4, 0.4] and cpu.met  # the worst scenario's median
    assert not by_target["next minute ≤ 1.3× the floor's reload", "overview"].met


def test_each_size_has_its_own_targets() -> None:
    assert (scale(50_000), scale(1_000_000), scale(10_000_000)) == ("demo", "1M", "10M")
    at_10m = {c.target for c in checks([_run(1.0, 1.9)], 10_000_000)}
    assert at_10m == {"reload ≤ 2× the floor's reload (mirror)"}


def test_views_pin_now_in_the_url() -> None:
    views = {v.name: v for v in dashboard_views(DATA)}
    assert views["event"].url("http://h", DATA.now) == (
        "http://h/event?id=50000&now=2026-11-20T12%3A01%3A00Z"
    )
    assert views["profile"].url("http://h", None) == "http://h/user?id=38"
    assert View("overview", "").url("http://h", None) == "http://h/"


def test_cpu_time_of_a_process_is_read_from_proc() -> None:
    before = cpu_seconds(os.getpid())
    sum(i * i for i in range(3_000_000))
    assert cpu_seconds(os.getpid()) > before


def test_the_report_keeps_the_document_and_replaces_its_own_section(tmp_path: Path) -> None:
    md, js = tmp_path / "p.md", tmp_path / "p.json"
    md.write_text("# P\n\nText.\n\n## Measured results\n\nQuery figures.\n")
    write("sqlite-50000", DATA, Options(), [_run(1.0, 1.2)], md, js)
    write("sqlite-50000", DATA, Options(), [_run(1.0, 1.2), _run(1.0, 1.1)], md, js)
    text = md.read_text()
    assert text.startswith("# P\n\nText.\n\n## Measured results\n\nQuery figures.")
    assert text.count("### Browser: sqlite, 50,000 rows (demo)") == 1
    assert "| overview | reload | 1.20 (1.08–1.32), **1.20×**; CPU 0.20+0.0, 2.00× | 1.10" in text
    assert markdown("k", DATA, Options(), [_run(1.0, 1.2)]).count("| Target |") == 1


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(65_536):
            self.request.sendall(data * 2)


def _exchange(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(payload)
        received = b""
        while len(received) < 2 * len(payload):
            received += conn.recv(65_536)
    return received


def test_the_relay_counts_each_way_and_tells_the_websocket_apart() -> None:
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo) as upstream:
        threading.Thread(target=upstream.serve_forever, daemon=True).start()
        relay = Relay(upstream.server_address[1])
        with relay.running():
            page = b"GET /static/js/index.js HTTP/1.1\r\n\r\n"
            stream = b"GET /_stcore/stream HTTP/1.1\r\nUpgrade: websocket\r\n\r\n"
            assert _exchange(relay.port, page) == page * 2
            _exchange(relay.port, stream)
            counts = relay.reset()
        upstream.shutdown()
    assert counts == {
        "http_up": len(page),
        "http_down": 2 * len(page),
        "ws_up": len(stream),
        "ws_down": 2 * len(stream),
    }
    assert relay.reset() == {}


def test_the_nginx_configuration_compresses_and_lets_the_websocket_upgrade(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path, 8080, 8501).read_text()
    for line in (
        "gzip on;",
        "proxy_pass http://127.0.0.1:8501;",
        "proxy_set_header Upgrade $http_upgrade;",
        "proxy_set_header Connection $connection_upgrade;",
        "proxy_set_header Host $http_host;",
        "listen 127.0.0.1:8080;",
    ):
        assert line in config
    assert "application/javascript" in config and str(tmp_path) in config
    if shutil.which("nginx"):  # the tool's own check; Debian's nginx is optional here
        done = subprocess.run(
            ["nginx", "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path),
             "-e", str(tmp_path / "error.log")],
            capture_output=True, text=True,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr


def test_the_floor_page_has_the_overviews_shape_and_the_completion_marker() -> None:
    from streamlit.testing.v1 import AppTest

    floor = AppTest.from_file(str(FLOOR_APP), default_timeout=60).run()
    assert not floor.exception
    assert [m.label for m in floor.metric] == list(METRICS)
    specs = [json.loads(chart.proto.spec) for chart in floor.get("plotly_chart")]
    assert len(specs) == 7
    assert [len(spec["data"]) for spec in specs[:2]] == [len(SEVERITIES), len(CATEGORIES)]
    assert all(len(trace["x"]) == HOURS for spec in specs[:2] for trace in spec["data"])
    assert COMPLETE_MARKER_ID in str([element.proto for element in floor.get("html")])


def test_without_the_floors_reload_a_scenario_is_compared_with_the_floors_own() -> None:
    run = Run("2026-11-29T17:00:00+00:00", [1.0, 1.0, 1.0], [1.0, 1.0, 1.0])
    run.add("floor", "next minute", Sample(2.0, 0.1))
    run.add("explorer", "next minute", Sample(1.0, 0.1))
    found = {(f.view, f.scenario): f.ratio for f in figures(run)}
    assert found["explorer", "next minute"] == 0.5
