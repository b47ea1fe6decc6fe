"""``python -m audit.clickhouse sync --db SOURCE_URL --clickhouse URL``: bring ClickHouse's
copy of audit_logs up to date. Run it once per ClickHouse (cron or a service), with
credentials that may write there; the dashboard replicas only read."""

from __future__ import annotations

import argparse
import math
import sys

from audit.clickhouse.engine import describe
from audit.clickhouse.store import ClickHouse
from audit.config import ConfigError, load_settings
from audit.db import check_database, create_readonly_engine
from audit.progress import ProgressBar


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m audit.clickhouse",
        description="Keep ClickHouse's copy of audit_logs equal to the source's. The source "
        "is only read.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    sync = commands.add_parser(
        "sync",
        help="append new rows, then verify days and copy again those that differ",
    )
    sync.add_argument("--db", help="source database URL (default: the AUDIT_DB_URL setting)")
    sync.add_argument(
        "--clickhouse",
        help="ClickHouse URL, clickhousedb://user:password@host:8123/db or chdb:///dir "
        "(default: the AUDIT_CLICKHOUSE_URL setting)",
    )
    sync.add_argument(
        "--budget",
        type=float,
        default=math.inf,
        help="seconds to spend (default: until caught up and every day verified); the next "
        "run goes on where this one stopped",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    url = args.clickhouse or settings.clickhouse_url
    if not url:
        print("No ClickHouse URL: pass --clickhouse or set AUDIT_CLICKHOUSE_URL", file=sys.stderr)
        return 1
    engine = create_readonly_engine(args.db or settings.db_url, settings.statement_timeout_seconds)
    health = check_database(engine)
    if health.source is None:
        print(health.message, file=sys.stderr)
        return 2
    store = ClickHouse(url, writable=True)
    report = store.sync_step(health.source, args.budget, ProgressBar())
    state = store.state()
    store.close()
    engine.dispose()
    print(
        f"clickhouse {describe(url)}: {report.rows:,} rows, {report.appended:,} appended, "
        f"{report.verified} slices verified, {len(report.resynced)} copied again, "
        f"in {report.seconds:.1f} s"
    )
    if state is not None and state.unheld:
        print(
            f"{state.unheld:,} rows have times ClickHouse cannot hold (before 1900 or after "
            "2299): the dashboard answers from the source while they are there",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
