"""``python -m audit.tools.bench``: build or open the databases, measure, write the report."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from audit.tools.bench.checks import targets
from audit.tools.bench.databases import build_targets
from audit.tools.bench.machine import machine
from audit.tools.bench.operations import measure
from audit.tools.bench.parameters import DEFAULT_ROWS, DOCS_JSON, DOCS_MD, PG_URL_ENVS, QUICK_ROWS
from audit.tools.bench.report import rerender, write_reports
from audit.tools.bench.scenarios import run_target


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m audit.tools.bench",
        description="Benchmark the dashboard's queries (source database and DuckDB mirror) "
        "against the naive read_sql + pandas way; writes docs/performance.md and .json. "
        "With --clickhouse: overview and security from PostgreSQL, the mirror and "
        "ClickHouse (in-process), see python -m audit.tools.bench --clickhouse --help.",
    )
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="demo rows to build")
    parser.add_argument(
        "--url",
        action="append",
        help="measure this database instead (read only; repeatable); nothing is built",
    )
    parser.add_argument(
        "--pg-url",
        help="PostgreSQL server URL to build the demo database in "
        f"(default: ${PG_URL_ENVS[0]} or ${PG_URL_ENVS[1]})",
    )
    parser.add_argument("--dialects", default="sqlite,postgresql", help="which to build")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: {QUICK_ROWS:,} rows, SQLite only, measured in this process",
    )
    parser.add_argument("--fresh", action="store_true", help="rebuild the demo databases")
    parser.add_argument("--workdir", type=Path, help="where databases and mirrors are kept")
    parser.add_argument("--out", type=Path, default=DOCS_MD, help="Markdown report")
    parser.add_argument("--json", type=Path, default=DOCS_JSON, help="JSON results")
    parser.add_argument(
        "--rerender", action="store_true", help="rewrite the Markdown from the JSON, no measuring"
    )
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.rows = QUICK_ROWS if args.rows == DEFAULT_ROWS else args.rows
        args.dialects = "sqlite" if args.dialects == "sqlite,postgresql" else args.dialects
    return args


@contextmanager
def _workdir(given: Path | None) -> Iterator[Path]:
    if given is not None:
        given.mkdir(parents=True, exist_ok=True)
        yield given
        return
    folder = Path(tempfile.gettempdir()) / "audit-bench"
    folder.mkdir(exist_ok=True)
    yield folder


def main(argv: list[str] | None = None) -> int:
    if "--browser" in (sys.argv[1:] if argv is None else argv):
        from audit.tools.bench.browser.cli import main as browser_main

        return browser_main(argv)
    if "--clickhouse" in (sys.argv[1:] if argv is None else argv):
        from audit.tools.bench.clickhouse import main as clickhouse_main

        return clickhouse_main(sys.argv[1:] if argv is None else argv)
    args = _arguments(argv)
    if args.measure:
        print(json.dumps(measure(json.loads(args.measure)), default=str))
        return 0
    if args.rerender:
        rerender(args.out, args.json)
        return 0
    with _workdir(args.workdir) as workdir:
        for target in build_targets(args, workdir):
            info = machine(target) | {"started": datetime.now(UTC).isoformat(timespec="seconds")}
            run = run_target(target, workdir, args.quick)
            write_reports(run, info, args.out, args.json)
            for check in targets(run):
                print(
                    f"{target.key}: {check.target}: {check.measured} "
                    f"({ {True: 'met', False: 'MISSED', None: '-'}[check.met] })"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
