"""``python -m audit.tools.demo``: write demo data to a database."""

from __future__ import annotations

import argparse
import time
from datetime import datetime

from audit.config import DEMO_DB_PATH
from audit.db import hide_secrets
from audit.progress import ProgressBar
from audit.tools.demo.clock import resolve_end
from audit.tools.demo.defaults import DEFAULT_DAYS, DEFAULT_ROWS, DEFAULT_SEED, DEFAULT_URL
from audit.tools.demo.writer import write_demo


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
        "--end",
        type=_parse_end,
        default=None,
        help="ISO time the data ends at, UTC unless an offset is given (default: this hour)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """``python -m audit.tools.demo [--url URL] [--rows N] [--days D] [--seed S] [--end ISO]``."""
    args = _arguments(argv)
    if args.url == DEFAULT_URL:
        DEMO_DB_PATH.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    written = write_demo(args.url, args.rows, args.days, args.seed, args.end, ProgressBar())
    elapsed = time.perf_counter() - started
    print(f"wrote {written:,} audit rows to {hide_secrets(args.url)} in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
