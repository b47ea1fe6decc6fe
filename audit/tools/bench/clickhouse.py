"""``python -m audit.tools.bench --clickhouse``: the overview's and the security page's
queries over the whole range from PostgreSQL, from the DuckDB mirror and from ClickHouse
(its engine in-process, through chdb), on the benchmark's PostgreSQL demo database; plus
the time ClickHouse's first sync takes. Prints a Markdown table (and JSON with --json)."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from audit.db import Source, check_database, create_readonly_engine
from audit.mirror import Mirror
from audit.tools.bench.databases import _ensure_demo, _pg_database
from audit.tools.bench.page_queries import run_overview, run_security
from audit.tools.bench.parameters import PG_URL_ENVS, STATEMENT_TIMEOUT


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m audit.tools.bench --clickhouse")
    parser.add_argument("--clickhouse", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, default=1_000_000, help="demo rows")
    parser.add_argument("--pg-url", help="PostgreSQL server to build the demo database in")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/audit-bench"))
    parser.add_argument("--repeat", type=int, default=2, help="warm runs after the cold one")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument("--pages", default="overview,security", help="which pages' queries to time")
    return parser.parse_args(argv)


def _timed(action: Callable[[], Any], repeat: int) -> dict[str, float | None]:
    """The first run (cold) and the median of ``repeat`` more (warm), in seconds."""
    started = time.perf_counter()
    action()
    cold = time.perf_counter() - started
    warm = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        warm.append(time.perf_counter() - started)
    warm.sort()
    return {"cold_s": round(cold, 3), "warm_s": round(warm[len(warm) // 2], 3) if warm else None}


def _source(url: str) -> Source:
    source = check_database(create_readonly_engine(url, STATEMENT_TIMEOUT)).source
    assert source is not None, url
    return source


def _copies(source: Source, workdir: Path, rows: int) -> tuple[Source, Source, dict[str, float]]:
    """The mirror and ClickHouse, built (or brought up to date) from ``source``."""
    from audit.clickhouse import ClickHouse

    builds: dict[str, float] = {}
    started = time.perf_counter()
    mirror = Mirror(workdir / f"mirror-postgresql-{rows}" / "audit_logs.duckdb")
    mirror.build(source)
    builds["mirror: build or catch up"] = time.perf_counter() - started
    url = f"chdb://{workdir / 'chdb'}?database=bench_{rows}"
    store = ClickHouse(url, writable=True)
    started = time.perf_counter()
    report = store.sync_step(source, math.inf)
    label = "first sync" if report.appended else "verification pass (nothing new)"
    builds[f"clickhouse: {label}"] = time.perf_counter() - started
    store.close()
    reader = ClickHouse(url, timeout_seconds=STATEMENT_TIMEOUT)
    assert reader.ready_for(source)
    return mirror.source_for(source), reader.source_for(source), builds


def measure(args: argparse.Namespace) -> dict[str, Any]:
    server = args.pg_url or next((os.environ[e] for e in PG_URL_ENVS if e in os.environ), None)
    if server is None:
        raise SystemExit("no PostgreSQL server: pass --pg-url")
    url = _pg_database(server, f"audit_bench_{args.rows}")
    _ensure_demo(url, args.rows, False)
    source = _source(url)
    args.workdir.mkdir(parents=True, exist_ok=True)
    mirror, clickhouse, builds = _copies(source, args.workdir, args.rows)
    engines = {"postgresql": source, "mirror (DuckDB)": mirror, "clickhouse (chdb)": clickhouse}
    results = []
    pages = {
        "overview": lambda e: run_overview(e),
        "security": lambda e: run_security(e, source),
    }
    chosen = [p.strip() for p in args.pages.split(",")]
    for name, engine in engines.items():
        row: dict[str, Any] = {"engine": name}
        for page in chosen:
            row[page] = _timed(lambda e=engine, p=page: pages[p](e), args.repeat)
            print(f"{name}: {page} {row[page]}", file=sys.stderr)
        results.append(row)
    return {
        "rows": args.rows,
        "load_average": os.getloadavg(),
        "builds": {k: round(v, 1) for k, v in builds.items()},
        "results": results,
    }


def markdown(figures: dict[str, Any]) -> str:
    load = ", ".join(f"{v:.2f}" for v in figures["load_average"])
    lines = [
        f"{figures['rows']:,} rows (load average at the end: {load})",
        "",
        "| Engine | Overview cold | Overview warm | Security cold | Security warm |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in figures["results"]:
        cells = [
            f"{row[page][kind]:.2f} s" if page in row and row[page][kind] is not None else "-"
            for page in ("overview", "security")
            for kind in ("cold_s", "warm_s")
        ]
        lines.append(f"| {row['engine']} | " + " | ".join(cells) + " |")
    lines += ["", *(f"- {k}: {v:.1f} s" for k, v in figures["builds"].items())]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    args = _arguments(argv)
    figures = measure(args)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    print(markdown(figures))
    return 0
