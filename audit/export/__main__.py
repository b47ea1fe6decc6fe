"""The command line: ``python -m audit.export --format csv --query 'range=7d&severity=high'``
exports the events matching a dashboard filter straight to disk, for results too large for
the browser. The file is readable by its owner only, and each export is logged to the
dashboard's export log with the OS user who ran it. Exit status: 0 written, 1 refused,
2 failed."""

from __future__ import annotations

import argparse
import os
import pwd
import sys
import tempfile
import urllib.parse
from collections.abc import Callable
from datetime import datetime
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
from audit.export.log import export_log_path, log_export
from audit.export.rows import ExportRefused
from audit.export.write import write_export
from audit.filters import AuditFilter
from audit.timerange import NOW_PARAM, ignored_now, parse_now, utc_now

EXIT_REFUSED = 1
EXIT_FAILED = 2  # database unreachable or unusable, or the export failed
VIA = "command line"


class ExportNotLogged(Exception):
    """The export log could not be written: the export is not delivered."""


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
        "(a whole dashboard URL works too; empty: the dashboard's default, the last 7 days); "
        "now=<ISO time> ends a relative range there, as on the pages",
    )
    parser.add_argument("--db", help="database URL (default: the dashboard's AUDIT_DB_URL)")
    parser.add_argument(
        "--out",
        help="directory or file to write (default: this directory). In a directory the file "
        "is named as the Explorer names it (page, range, filters), never replacing a file",
    )
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
    """``out`` itself when it names a file; else a new file named ``filename`` in ``out``
    (or here), beside any earlier export of the same name (``_copy-2``, ...)."""
    if out is None:
        return _unused(Path.cwd() / filename)
    target = Path(out)
    if target.is_dir() or out.endswith(("/", os.sep)):
        target.mkdir(mode=0o700, parents=True, exist_ok=True)  # a new folder: owner-only
        return _unused(target / filename)
    return target


def _unused(path: Path) -> Path:
    """``path``, or the first ``<stem>_copy-N<suffix>`` that does not exist yet."""
    candidate, copy = path, 1
    while candidate.exists() or candidate.is_symlink():
        copy += 1
        candidate = path.with_name(f"{path.stem}_copy-{copy}{path.suffix}")
    return candidate


def _query_now(params: dict[str, list[str]]) -> tuple[datetime, list[str]]:
    """``now=`` of the query, as the pages read it; else this moment (with a notice when
    the query's ``now`` is not a time)."""
    text = params.get(NOW_PARAM, [""])[-1]
    moment = parse_now(text) if text else None
    if moment is not None:
        return moment, []
    return utc_now(), [ignored_now(text)] if text else []


def os_user() -> str:
    """Who runs this command: the effective user's name (its id when it has none)."""
    uid = os.geteuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def _terminal_progress(done: int, total: int) -> None:
    print(f"\r{done:,} / {total:,} rows", end="", file=sys.stderr, flush=True)


def _export_to_file(
    target: Path, write: Callable[[BinaryIO], int], record: Callable[[int], None]
) -> int:
    """Write to a new hidden file beside ``target``, record the export, then rename the file
    over ``target``: no partial or empty file is left behind when the export is refused or
    fails, and no file is delivered unrecorded. The hidden file has a random name and is
    created exclusively and owner-only (``mkstemp``: ``O_EXCL``, 0600), so a file or
    symbolic link planted there is never written through; the rename replaces a link at
    ``target`` itself, never what it points to."""
    descriptor, partial_name = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".part"
    )
    partial = Path(partial_name)
    try:
        with os.fdopen(descriptor, "wb") as out:
            rows = write(out)
        record(rows)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return rows


def _logger(flt: AuditFilter, args: argparse.Namespace, target: Path) -> Callable[[int], None]:
    """What logs this command's export of some rows, with the OS user and the query."""

    def log(rows: int) -> None:
        try:
            file_name = str(target.absolute())
            log_export(os_user(), flt, args.format, rows, file_name, via=VIA, query=args.query)
        except OSError as exc:
            problem = f"cannot write the export log {export_log_path()}: {exc}"
            raise ExportNotLogged(problem) from exc

    return log


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
    params = _query_params(args.query)
    flt, notices = AuditFilter.from_params(params, settings.default_timezone)
    now, now_notices = _query_now(params)
    for notice in notices + now_notices:
        print(f"notice: {notice}", file=sys.stderr)
    timeout = args.timeout or settings.statement_timeout_seconds
    try:
        engine = create_readonly_engine(args.db or settings.db_url, timeout)
    except (ValueError, sa.exc.ArgumentError) as exc:
        return _fail(f"error: {exc}")
    try:
        return _run(engine, flt, now, args, settings.export_row_cap)
    finally:
        engine.dispose()


def _run(
    engine: sa.Engine, flt: AuditFilter, now: datetime, args: argparse.Namespace, cap: int
) -> int:
    report = check_database(engine)
    if report.source is None:
        return _fail(f"error: {report.message}\n{report.fix}")
    source = report.source
    target = _target_path(args.out, export_filename(flt, now, args.format))
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
        rows = _export_to_file(target, write, _logger(flt, args, target))
    except ExportRefused as exc:
        return _fail(str(exc), EXIT_REFUSED)
    except ExportNotLogged as exc:
        return _fail(f"error: {exc}. No file was written.")
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
