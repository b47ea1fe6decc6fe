"""``python -m audit.tools.demo``: write demo data to a database."""

from __future__ import annotations

import argparse
import time
from datetime import datetime

from audit.config import DEMO_DB_PATH, ConfigError, load_settings
from audit.db import hide_secrets
from audit.progress import ProgressBar
from audit.tools.demo.clock import resolve_end
from audit.tools.demo.defaults import DEFAULT_DAYS, DEFAULT_ROWS, DEFAULT_SEED, DEFAULT_URL
from audit.tools.demo.writer import write_demo, write_demo_file


def _parse_end(text: str) -> datetime:
    return resolve_end(datetime.fromisoformat(text))


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m audit.tools.demo",
        description="Create demo Enclava audit data. DROPS the audit_logs and users tables "
        "at --url first if they exist.",
    )
    parser.add_argument("--url", default=DEFAULT_URL, help=f"database URL (default {DEFAULT_URL})")
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="audit rows to write")
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS, help="days of history")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    parser.add_argument(
        "--if-missing",
        action="store_true",
        help="create the dashboard's embedded demo database (data/demo.sqlite3) unless it "
        "exists or another database is configured; nothing else is written",
    )
    parser.add_argument(
        "--end",
        type=_parse_end,
        default=None,
        help="ISO time the data ends at, UTC unless an offset is given (default: this hour)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """``python -m audit.tools.demo [--url URL] [--rows N] [--days D] [--seed S] [--end ISO]``."""
    args = _arguments(argv)
    if args.if_missing:
        return _embedded_demo(args.rows)
    if args.url == DEFAULT_URL:
        DEMO_DB_PATH.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    written = write_demo(args.url, args.rows, args.days, args.seed, args.end, ProgressBar())
    elapsed = time.perf_counter() - started
    print(f"wrote {written:,} audit rows to {hide_secrets(args.url)} in {elapsed:.1f} s")
    return 0


def _embedded_demo(rows: int) -> int:
    """The README's start: build the embedded demo database in the terminal, with its
    progress, before the dashboard starts (not on the first browser visit)."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"configuration: {exc}")
        return 1
    if not settings.is_demo:
        print("a database is configured (AUDIT_DB_URL or secrets): no demo database needed")
        return 0
    if DEMO_DB_PATH.exists():
        print(f"demo database ready: {DEMO_DB_PATH}")
        return 0
    print(f"creating the demo database {DEMO_DB_PATH} (first start only)")
    written = write_demo_file(DEMO_DB_PATH, rows=rows, progress=ProgressBar())
    print(f"wrote {written:,} audit rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
