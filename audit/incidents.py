"""The incidents of a range, for machines (cron jobs, SIEM imports):

    python -m audit.incidents --query 'range=24h' --min-risk high --format json

The query is the dashboard's URL query (filter and thresholds, as on the security page);
the incidents are the page's, computed where the router sends the detections (the mirror
when it can answer). Exit codes: 0 nothing at or above ``--min-risk``, 3 something was
found, 1 a bad argument or query, 2 the database cannot be read."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import sqlalchemy as sa

from audit.access import Identities, Role
from audit.config import ConfigError, Settings, load_settings
from audit.db import Source, check_database, create_readonly_engine
from audit.feeds import render_feed
from audit.filters import AuditFilter
from audit.queries.users import known_identities
from audit.routing import Call, Router, run
from audit.security import Thresholds, thresholds_from_params
from audit.security.incidents import (
    INCIDENT_RISKS,
    Incident,
    Incidents,
    find_incidents,
    mask_incident_text,
    masked_principal,
    queries_user_name,
)
from audit.timerange import utc_now

EXIT_NONE, EXIT_BAD_ARGUMENT, EXIT_UNREADABLE, EXIT_FOUND = 0, 1, 2, 3
FORMATS = ("json", "csv")
COLUMNS = ("id", "principal", "risk", "first_seen", "last_seen", "rules", "story", "event_ids")


class FeedError(Exception):
    """A bad argument or query (exit 1) or an unreadable database (exit 2)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would exit 2: that code means the database
        raise FeedError(message, EXIT_BAD_ARGUMENT)


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = _Parser(prog="python -m audit.incidents", description=__doc__.split("\n")[0])
    parser.add_argument("--db", help="database URL (default: the configured database)")
    parser.add_argument(
        "--query", default="", help="the dashboard's query, e.g. 'range=24h&tz=Europe/Berlin'"
    )
    parser.add_argument("--format", default="json", choices=FORMATS)
    parser.add_argument("--min-risk", default="low", choices=INCIDENT_RISKS[::-1])
    parser.add_argument("--role", default="analyst", choices=("analyst", "viewer"))
    return parser.parse_args(argv)


def _moment(params: dict[str, list[str]]) -> datetime:
    """The query's ``now`` (as a page's pinned ``now``), else the next whole minute."""
    text = (params.get("now") or [""])[-1].strip()
    if not text:
        return utc_now().replace(second=0, microsecond=0) + timedelta(minutes=1)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise FeedError(f"invalid --query: now={text[:40]!r} is not an ISO time", 1) from exc
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def parse_query(query: str, settings: Settings) -> tuple[AuditFilter, Thresholds, datetime]:
    """The filter, thresholds and ``now`` of a dashboard query; any ignored part is an error."""
    params = parse_qs(query.lstrip("?"), keep_blank_values=True)
    flt, notices = AuditFilter.from_params(params)
    th, more = thresholds_from_params(params, Thresholds.from_settings(settings))
    if notices or more:
        raise FeedError("invalid --query: " + " ".join([*notices, *more]), EXIT_BAD_ARGUMENT)
    return flt, th, _moment(params)


def _source(url: str, settings: Settings) -> Source:
    engine = create_readonly_engine(url, settings.statement_timeout_seconds)
    health = check_database(engine)
    if not health.ok or health.source is None:
        raise FeedError(f"{health.message} {health.fix}".strip(), EXIT_UNREADABLE)
    return health.source


def _iso(moment: datetime) -> str:
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def incident_record(
    incident: Incident, labels: dict[int, str], identities: Identities | None
) -> dict[str, Any]:
    """One incident as the feed prints it; masked and without events for viewers
    (``identities`` given), as on the page."""
    principal = incident.principal if identities is None else masked_principal(incident.principal)
    story = incident.story
    if identities is not None:
        story = mask_incident_text(story, incident, labels, identities)
    user = (
        principal.user
        if identities is not None
        else queries_user_name(principal.user_id, principal.user)
    )
    return {
        "id": incident.id,
        "principal": {"user_id": principal.user_id, "user": user, "ip": principal.ip},
        "risk": incident.risk,
        "first_seen": _iso(incident.first_seen),
        "last_seen": _iso(incident.last_seen),
        "rules": list(incident.rules),
        "story": story,
        "event_ids": [] if identities is not None else list(incident.event_ids),
    }


def _csv_cell(name: str, value: Any) -> Any:
    if name == "principal":
        parts = [value["user"], value["ip"]]
        return " ".join(str(p) for p in parts if p is not None)
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return value


def render(records: list[dict[str, Any]], form: str) -> str:
    return render_feed(records, COLUMNS, form, _csv_cell)


def compute(args: argparse.Namespace) -> tuple[Incidents, Source]:
    try:
        settings = load_settings()
    except ConfigError as exc:
        raise FeedError(str(exc), EXIT_BAD_ARGUMENT) from exc
    flt, th, now = parse_query(args.query, settings)
    source = _source(args.db or settings.db_url, settings)
    call = Call(find_incidents, flt, (th,))
    try:
        router = Router(settings)
        return run(call, router.route(call, source), now), source
    except sa.exc.SQLAlchemyError as exc:
        raise FeedError(f"the database could not be read: {exc}", EXIT_UNREADABLE) from exc


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _arguments(argv)
        found, source = compute(args)
        viewer = args.role == Role.VIEWER.value
        identities = Identities(known_identities(source)) if viewer else None
        wanted = found.at_least(args.min_risk)
        labels = found.label_map()
        records = [incident_record(i, labels, identities) for i in wanted]
    except FeedError as exc:
        print(f"incidents failed: {exc}", file=sys.stderr)
        return exc.code
    sys.stdout.write(render(records, args.format))
    for note in found.notes:
        print(f"note: {note}", file=sys.stderr)
    return EXIT_FOUND if records else EXIT_NONE


if __name__ == "__main__":
    raise SystemExit(main())
