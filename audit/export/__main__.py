"""The command line: ``python -m audit.export --format csv --query 'range=7d&severity=high'``
exports the events matching a dashboard filter straight to disk, for results too large for
the browser. Exit status: 0 written, 1 refused, 2 failed."""

from __future__ import annotations

import argparse
import os
import sys
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import sqlalchemy as sa

from audit.config import ConfigError, load_settings
from audit.db import (
    FailureKind,
    check_database,
    create_readonly_engine,
    describe_failure,
    hide_secrets,
)
from audit.export.filename import export_filename
from audit.export.formats import FORMATS
from audit.export.rows import ExportRefused
from audit.export.write import write_export
from audit.filters import AuditFilter
from audit.timerange import utc_now

EXIT_REFUSED = 1
EXIT_FAILED = 2  # database unreachable or unusable, or the export failed


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m audit.export",
        description="Export the audit events matching a dashboard filter, streamed to disk.",
    )
    parser.add_argument("--format", choices=list(FORMATS), default="csv", help="file format")
    parser.add_argument(
        "--query",
        default="",
        help="the dashboard's URL query, e.g. 'range=7d&tz=Europe/Berlin&severity=high' "
        "(a whole dashboard URL works too; empty: the dashboard's default, the last 7 days)",
    )
    parser.add_argument("--db", help="database URL (default: the dashboard's AUDIT_DB_URL)")
    parser.add_argument("--out", help="directory or file to write (default: this directory)")
    parser.add_argument(
        "--oldest-first", action="store_true", help="oldest events first (default newest)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        help="statement timeout in seconds (default: the dashboard's setting)",
    )
    return parser.parse_args(argv)


def _query_params(query: str) -> dict[str, list[str]]:
    if "://" in query:
        query = urllib.parse.urlsplit(query).query
    return urllib.parse.parse_qs(query.lstrip("?"))


def _target_path(out: str | None, filename: str) -> Path:
    if out is None:
        return Path.cwd() / filename
    target = Path(out)
    if target.is_dir() or out.endswith(("/", os.sep)):
        target.mkdir(parents=True, exist_ok=True)
        return target / filename
    return target


def _terminal_progress(done: int, total: int) -> None:
    print(f"\r{done:,} / {total:,} rows", end="", file=sys.stderr, flush=True)


def _export_to_file(target: Path, write: Callable[[BinaryIO], int]) -> int:
    """Write to a hidden sibling and rename at the end: no partial or empty file is left
    behind when the export is refused or fails."""
    partial = target.with_name(f".{target.name}.part")
    try:
        with partial.open("wb") as out:
            rows = write(out)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return rows


def _fail(message: str, code: int = EXIT_FAILED) -> int:
    print(hide_secrets(message), file=sys.stderr)
    return code


def _database_failure(exc: sa.exc.SQLAlchemyError) -> int:
    failure = describe_failure(exc)
    timed_out = failure.kind is FailureKind.TIMEOUT
    hint = " Allow it more time with --timeout SECONDS." if timed_out else ""
    return _fail(f"error: the export failed: {failure.reason}{hint}")


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        return _fail(f"error: {exc}")
    flt, notices = AuditFilter.from_params(_query_params(args.query), settings.default_timezone)
    for notice in notices:
        print(f"notice: {notice}", file=sys.stderr)
    timeout = args.timeout or settings.statement_timeout_seconds
    try:
        engine = create_readonly_engine(args.db or settings.db_url, timeout)
    except (ValueError, sa.exc.ArgumentError) as exc:
        return _fail(f"error: {exc}")
    try:
        return _run(engine, flt, args, settings.export_row_cap)
    finally:
        engine.dispose()


def _run(engine: sa.Engine, flt: AuditFilter, args: argparse.Namespace, cap: int) -> int:
    report = check_database(engine)
    if report.source is None:
        return _fail(f"error: {report.message}\n{report.fix}")
    source = report.source
    now = utc_now()
    target = _target_path(args.out, export_filename(flt, now, args.format, now))
    progress = _terminal_progress if sys.stderr.isatty() else None

    def write(out: BinaryIO) -> int:
        return write_export(
            source,
            flt,
            now,
            args.format,
            out,
            cap=cap,
            newest_first=not args.oldest_first,
            progress=progress,
        )

    try:
        rows = _export_to_file(target, write)
    except ExportRefused as exc:
        return _fail(str(exc), EXIT_REFUSED)
    except sa.exc.SQLAlchemyError as exc:
        return _database_failure(exc)
    except OSError as exc:
        return _fail(f"error: cannot write {target}: {exc}")
    if progress:
        print(file=sys.stderr)
    print(target)
    print(f"{rows} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
