"""``python -m audit.tools.bench --browser``: the browser benchmark's command line.

    python -m audit.tools.bench --browser --url sqlite:////tmp/bench-demo.sqlite3 --runs 3

opens the floor page and the dashboard's overview, explorer, security page, an event and a
user profile in headless Chromium, times each in every scenario (see ``scenarios``), prints
the figures with their ratios to the floor and the issue's targets, and writes them to a
section of ``docs/performance.md`` (and ``docs/performance-browser.json``)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from audit.config import PROJECT_ROOT
from audit.tools.bench.browser.report import write
from audit.tools.bench.browser.run import Options, configured_compression, load_average, measure
from audit.tools.bench.browser.scenarios import SCENARIOS
from audit.tools.bench.browser.transfer import (
    TRANSFER_HEADING,
    TRANSFER_PREFIX,
    measure_transfers,
    transfer_markdown,
)
from audit.tools.bench.browser.views import PAGES, Data, read_data
from audit.tools.bench.databases import build_targets
from audit.tools.bench.parameters import DEFAULT_ROWS, DOCS_MD
from audit.tools.bench.report import replace_section

DOCS_JSON = PROJECT_ROOT / "docs" / "performance-browser.json"
DEFAULT_WORKDIR = Path("/tmp/audit-bench")


def _names(text: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in allowed]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(allowed)}")
    return names


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m audit.tools.bench --browser",
        description="Time the dashboard's pages in headless Chromium against a floor page "
        "(seven metrics, seven plotly charts, no database) measured in the same run.",
    )
    parser.add_argument("--browser", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", action="append", help="database to measure (read only)")
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="demo rows to build")
    parser.add_argument("--pg-url", help="PostgreSQL server to build the demo database in")
    parser.add_argument("--dialects", default="sqlite", help="which demo databases to build")
    parser.add_argument("--fresh", action="store_true", help="rebuild the demo databases")
    parser.add_argument("--runs", type=int, default=1, help="whole runs (3 judge a target)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of each figure")
    parser.add_argument(
        "--pages",
        type=lambda t: _names(t, PAGES),
        default=PAGES,
        help=f"comma-separated, of {','.join(PAGES)}",
    )
    parser.add_argument(
        "--scenarios",
        type=lambda t: _names(t, SCENARIOS),
        default=SCENARIOS,
        help=f"comma-separated, of {','.join(SCENARIOS)}",
    )
    parser.add_argument(
        "--wait-minute",
        action="store_true",
        help="really wait for the next minute (default: pin now= a minute later in the URL)",
    )
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per view")
    parser.add_argument(
        "--aggregate-engine",
        choices=("source", "mirror", "auto"),
        help="the dashboard's AUDIT_AGGREGATE_ENGINE (default: its setting); unless source, "
        "the mirror is built before the servers start",
    )
    parser.add_argument(
        "--websocket-compression",
        choices=("on", "off"),
        help="run both servers with server.enableWebsocketCompression on or off "
        "(default: as .streamlit/config.toml says)",
    )
    parser.add_argument(
        "--transfer",
        action="store_true",
        help="instead of the timings: bytes of a fresh page load, straight from Streamlit and "
        "through nginx compressing, with websocket compression off and on",
    )
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--out", type=Path, default=DOCS_MD, help="Markdown report")
    parser.add_argument("--json", type=Path, default=DOCS_JSON, help="JSON results")
    return parser.parse_args(argv)


def _options(args: argparse.Namespace) -> Options:
    return Options(
        repeat=args.repeat,
        pages=args.pages,
        scenarios=args.scenarios,
        wait_minute=args.wait_minute,
        timeout=args.timeout,
        aggregate_engine=args.aggregate_engine,
        websocket_compression=(
            configured_compression()
            if args.websocket_compression is None
            else args.websocket_compression == "on"
        ),
    )


def _key(data: Data, args: argparse.Namespace) -> str:
    """What a run's figures are stored and found under: the database, and the settings
    given that change what is measured."""
    parts = [data.dialect, str(data.rows)]
    if args.aggregate_engine:
        parts.append(args.aggregate_engine)
    if args.websocket_compression:
        parts.append(f"wscompression-{args.websocket_compression}")
    return "-".join(parts)


def _build_mirror(db_url: str, path: Path) -> None:
    from audit.mirror import main as mirror_main

    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # it holds personal data
    if mirror_main(["--url", db_url, "--path", str(path)]) != 0:
        raise SystemExit("the mirror could not be built")


def _transfer(
    db_url: str, data: Data, workdir: Path, options: Options, args: argparse.Namespace
) -> str:
    loads = [load_average()]
    transfers = measure_transfers(db_url, data, workdir, options)
    loads.append(load_average())
    key = f"{data.dialect}-{data.rows}"
    section = transfer_markdown(data, transfers, loads)
    text = args.out.read_text() if args.out.exists() else "# Performance\n"
    args.out.write_text(replace_section(text, key, section, TRANSFER_PREFIX, TRANSFER_HEADING))
    stored = json.loads(args.json.read_text()) if args.json.exists() else {}
    stored[f"transfer-{key}"] = {"loads": loads, "transfers": [asdict(t) for t in transfers]}
    args.json.write_text(json.dumps(stored, indent=1, sort_keys=True, default=str) + "\n")
    return section


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    args.quick = True  # build only the database measured, not the query benchmark's small one
    args.workdir.mkdir(parents=True, exist_ok=True)
    options = _options(args)
    print(f"load average at start: {load_average()}", file=sys.stderr)
    for target in build_targets(args, args.workdir):
        data = read_data(target.url)
        key = _key(data, args)
        workdir = args.workdir / f"browser-{data.dialect}-{data.rows}"
        workdir.mkdir(exist_ok=True)
        if options.aggregate_engine != "source":
            _build_mirror(target.url, workdir / "mirror" / "audit_logs.duckdb")
        if args.transfer:
            print(_transfer(target.url, data, workdir, options, args))
            continue
        runs = [measure(target.url, data, workdir, options) for _ in range(args.runs)]
        print(write(key, data, options, runs, args.out, args.json))
    print(f"load average at end: {load_average()}", file=sys.stderr)
    return 0
