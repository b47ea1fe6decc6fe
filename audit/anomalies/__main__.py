"""The feed for machines: ``python -m audit.anomalies --query 'range=24h'`` prints what is
unusual in a dashboard filter's range, as one JSON array (default) or CSV with the columns
``series, kind, bucket_start, bucket_end, count, expected, spread, explanation`` (times in
UTC). ``--role viewer`` masks addresses and people, as the dashboard does for viewers.

Exit status: 0 nothing unusual, 3 something unusual, 1 a bad argument or query, 2 the
database cannot be read."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.parse
from typing import Any, NoReturn

import sqlalchemy as sa

from audit.access import viewer_filter
from audit.anomalies.explain import FEED_KEYS, feed_record
from audit.anomalies.rules import Findings, Rules, find_anomalies
from audit.config import ConfigError, Settings, load_settings
from audit.db import check_database, create_readonly_engine, describe_failure
from audit.feeds import render_feed
from audit.filters import AuditFilter
from audit.timerange import utc_now

EXIT_NONE = 0
EXIT_BAD_INPUT = 1
EXIT_UNREADABLE = 2
EXIT_FOUND = 3


class BadArgument(Exception):
    """A command-line argument or the query cannot be used."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse would exit with status 2
        raise BadArgument(message)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = _Parser(
        prog="python -m audit.anomalies",
        description="What is unusual in a dashboard filter's range, for machines.",
    )
    parser.add_argument("--db", help="database URL (default: the dashboard's AUDIT_DB_URL)")
    parser.add_argument(
        "--query", default="", help="the dashboard's URL query, e.g. 'range=24h&tz=Europe/Berlin'"
    )
    parser.add_argument("--format", choices=("json", "csv"), default="json")
    parser.add_argument("--role", choices=("analyst", "viewer"), default="analyst")
    return parser.parse_args(argv)


def _filter(query: str, settings: Settings, viewer: bool) -> AuditFilter:
    """The query as a filter; any value the dashboard would drop is an error here."""
    if "://" in query:
        query = urllib.parse.urlsplit(query).query
    params = urllib.parse.parse_qs(query.lstrip("?"), keep_blank_values=True)
    flt, notices = AuditFilter.from_params(params, settings.default_timezone)
    if viewer:
        flt, withheld = viewer_filter(flt)
        notices += withheld
    if notices:
        raise BadArgument("; ".join(notices))
    return flt


def render(findings: Findings, fmt: str, masked: bool) -> str:
    records = [feed_record(item, findings, masked) for item in findings.anomalies]
    return render_feed(records, FEED_KEYS, fmt, _csv_cell)


def _csv_cell(name: str, value: Any) -> Any:
    """The series as compact JSON."""
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


def _fail(message: str, code: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    try:
        args = _arguments(argv)
        settings = load_settings()
        flt = _filter(args.query, settings, args.role == "viewer")
    except (BadArgument, ConfigError) as exc:
        return _fail(str(exc), EXIT_BAD_INPUT)
    try:
        timeout = settings.statement_timeout_seconds
        engine = create_readonly_engine(args.db or settings.db_url, timeout)
    except (ValueError, sa.exc.ArgumentError) as exc:
        return _fail(str(exc), EXIT_BAD_INPUT)
    try:
        rules = Rules(settings.anomaly_threshold, settings.anomaly_min_count)
        return _run(engine, flt, args, rules)
    finally:
        engine.dispose()


def _run(engine: sa.Engine, flt: AuditFilter, args: argparse.Namespace, rules: Rules) -> int:
    report = check_database(engine)
    if report.source is None:
        return _fail(f"{report.message} {report.fix}", EXIT_UNREADABLE)
    try:
        findings = find_anomalies(report.source, flt, utc_now(), rules)
    except sa.exc.SQLAlchemyError as exc:
        reason = describe_failure(exc).reason
        return _fail(f"the database cannot be read: {reason}", EXIT_UNREADABLE)
    sys.stdout.write(render(findings, args.format, args.role == "viewer"))
    return EXIT_FOUND if findings.anomalies else EXIT_NONE


if __name__ == "__main__":
    raise SystemExit(main())
