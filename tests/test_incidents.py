"""Incidents on SQLite and PostgreSQL: planted stories (a takeover chain, spraying across
nine users, benign office traffic) each become exactly one incident with exactly its events,
benign traffic raises nothing above low risk, ids hold across ranges, and the feed's output
and exit codes follow --min-risk and the role."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from audit import incidents as feed
from audit.db import Source, check_database, create_readonly_engine
from audit.filters import AuditFilter
from audit.schema import audit_logs, metadata, users
from audit.security import Thresholds
from audit.security.incidents import CRITICAL, Incident, Incidents, find_incidents
from audit.tools.demo.rows import login_row, make_row, permission_row

T0 = datetime(2026, 3, 10, 9, 0, 0, 250000)  # a Tuesday, in business hours
NOW = datetime(2026, 3, 12, tzinfo=UTC)
WEEK = AuditFilter(range="custom", start=T0.replace(tzinfo=UTC) - timedelta(days=2), end=NOW)
OFFICE_IP, ATTACKER_IP, SPRAY_IP = "198.51.100.20", "203.0.113.77", "198.18.0.9"
VICTIM, SPRAYED = 3, list(range(20, 29))  # nine users
OFFICE = list(range(40, 50))
AGENT = "Mozilla/5.0"


def _at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def takeover_rows() -> list[dict]:
    """14 failed logins in 6 minutes, a success from that IP, a permission grant 2 minutes
    later and an API key from the same IP."""
    rows = [login_row(_at(0.45 * k), VICTIM, False, ATTACKER_IP, AGENT) for k in range(14)]
    rows.append(login_row(_at(7), VICTIM, True, ATTACKER_IP, AGENT, "sess-taken"))
    grant = permission_row(_at(9), VICTIM, "permission_grant", VICTIM, "users:admin")
    key = make_row(
        _at(12),
        VICTIM,
        "create_api_key",
        "api_key",
        "77",
        "Created API key",
        ip_address=ATTACKER_IP,
        session_id="sess-taken",
        success=True,
    )
    grant["ip_address"] = ATTACKER_IP
    return [*rows, grant, key]


def spray_rows() -> list[dict]:
    """One IP failing as nine users, one or two attempts each, within 11 minutes."""
    targets = SPRAYED + SPRAYED[:3]
    return [login_row(_at(120 + k), user, False, SPRAY_IP, AGENT) for k, user in enumerate(targets)]


def office_rows() -> list[dict]:
    """Ten colleagues behind the office NAT: logins, reads, one mistyped password, an API
    key during business hours; and the same office a week earlier (so no IP is new)."""
    rows = []
    for day in (-7, 0):
        for n, user in enumerate(OFFICE):
            at = T0 + timedelta(days=day, minutes=240 + 7 * n)
            rows.append(login_row(at, user, True, OFFICE_IP, AGENT, f"s{day}{user}"))
            rows += [
                make_row(
                    at + timedelta(minutes=m),
                    user,
                    "read",
                    "budget",
                    "1",
                    "Read",
                    ip_address=OFFICE_IP,
                    success=True,
                )
                for m in (1, 3)
            ]
    rows.append(login_row(_at(300), OFFICE[0], False, OFFICE_IP, AGENT))
    rows.append(
        make_row(
            _at(310),
            OFFICE[1],
            "create_api_key",
            "api_key",
            "5",
            "Created key",
            ip_address=OFFICE_IP,
            success=True,
        )
    )
    rows.append(make_row(T0 - timedelta(days=60), OFFICE[0], "read", "budget", "1", "Read"))
    return rows


def _write(url: str, rows: list[dict]) -> list[dict]:
    writer = sa.create_engine(url)
    rows = sorted(rows, key=lambda r: r["created_at"])
    for number, row in enumerate(rows, start=1):
        row["id"] = number
    with writer.begin() as conn:
        metadata.create_all(conn, tables=[users, audit_logs])
        conn.execute(
            users.insert(),
            [{"id": u, "email": f"u{u}@corp.test", "username": f"u{u}"} for u in range(1, 60)],
        )
        conn.execute(audit_logs.insert(), rows)
    writer.dispose()
    return rows


@pytest.fixture
def planted(db_url: str) -> Iterator[tuple[Source, str, dict[str, list[int]]]]:
    stories = {"takeover": takeover_rows(), "spray": spray_rows(), "office": office_rows()}
    _write(db_url, [row for rows in stories.values() for row in rows])
    ids = {name: sorted(r["id"] for r in rows) for name, rows in stories.items()}
    engine = create_readonly_engine(db_url)
    report = check_database(engine)
    assert report.source is not None, report.message
    yield report.source, db_url, ids
    engine.dispose()


def _found(source: Source, flt: AuditFilter = WEEK) -> Incidents:
    return find_incidents(source, flt, NOW, Thresholds())


def _holding(found: Incidents, event_ids: list[int]) -> list[Incident]:
    return [i for i in found.incidents if set(i.event_ids) & set(event_ids)]


def test_each_story_is_exactly_one_incident_with_its_events(planted) -> None:
    source, _, ids = planted
    found = _found(source)
    (takeover,) = _holding(found, ids["takeover"])
    assert list(takeover.event_ids) == ids["takeover"]
    assert takeover.risk == CRITICAL and takeover.principal.user_id == VICTIM
    assert takeover.principal.ip == ATTACKER_IP
    assert set(takeover.rules) >= {"brute_force", "takeover"}
    assert takeover.story == (
        f"14 failed logins on u{VICTIM}@corp.test from {ATTACKER_IP} in 6 min, then a success "
        "from that IP, then a permission grant 2 min later, then an API key creation 3 min later"
    )
    (spray,) = _holding(found, ids["spray"])
    assert list(spray.event_ids) == ids["spray"]
    assert spray.principal.user_id is None and spray.principal.ip == SPRAY_IP
    assert {"brute_force", "spraying"} <= set(spray.rules) and spray.risk == "high"
    assert spray.story.startswith(f"12 failed logins on 9 users from {SPRAY_IP} in 11 min")


def test_benign_office_traffic_forms_no_incident_above_low(planted) -> None:
    source, _, ids = planted
    office = _holding(_found(source), ids["office"])
    assert all(i.risk == "low" for i in office), [(i.risk, i.story) for i in office]


def test_the_timeline_collapses_runs(planted) -> None:
    source, _, ids = planted
    (takeover,) = _holding(_found(source), ids["takeover"])
    assert [(s.what, s.count) for s in takeover.timeline] == [
        ("failed login", 14),
        ("successful login", 1),
        ("permission grant", 1),
        ("API key creation", 1),
    ]


def test_the_id_holds_in_any_range_that_contains_the_incident(planted) -> None:
    source, _, ids = planted
    narrow = WEEK.with_values(start=_at(-1).replace(tzinfo=UTC), end=_at(30).replace(tzinfo=UTC))
    (wide,) = _holding(_found(source), ids["takeover"])
    (small,) = _holding(_found(source, narrow), ids["takeover"])
    assert wide.id == small.id and wide.id.startswith("inc-")
    assert len({i.id for i in _found(source).incidents}) == len(_found(source).incidents)


def test_the_list_is_sorted_by_risk_then_recency(planted) -> None:
    source, _, _ = planted
    found = _found(source).incidents
    order = [("critical", "high", "medium", "low").index(i.risk) for i in found]
    assert order == sorted(order) and found[0].risk == CRITICAL


def _feed(url: str, capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str]:
    assert WEEK.start is not None
    times = {"from": WEEK.start.isoformat(), "to": NOW.isoformat(), "now": NOW.isoformat()}
    query = urlencode({"range": "custom"} | times)
    code = feed.main(["--db", url, "--query", query, *args])
    return code, capsys.readouterr().out


def test_the_feed_prints_the_incidents_and_exits_by_min_risk(planted, capsys) -> None:
    source, url, ids = planted
    code, out = _feed(url, capsys)
    records = json.loads(out)
    assert code == feed.EXIT_FOUND and len(records) == len(_found(source).incidents)
    top = records[0]
    assert list(top) == [
        "id",
        "principal",
        "risk",
        "first_seen",
        "last_seen",
        "rules",
        "story",
        "event_ids",
    ]
    assert top["principal"] == {
        "user_id": VICTIM,
        "user": f"u{VICTIM}@corp.test",
        "ip": ATTACKER_IP,
    }
    assert top["event_ids"] == ids["takeover"] and top["first_seen"].endswith("Z")
    code, out = _feed(url, capsys, "--min-risk", "critical", "--format", "csv")
    lines = out.splitlines()
    assert code == feed.EXIT_FOUND and len(lines) == 2 and lines[0].startswith("id,principal")
    assert " ".join(map(str, ids["takeover"])) in lines[1]


def test_the_feed_exits_0_when_nothing_reaches_min_risk(db_url: str, capsys) -> None:
    _write(db_url, office_rows())
    code, out = _feed(db_url, capsys, "--min-risk", "medium")
    assert (code, json.loads(out)) == (feed.EXIT_NONE, [])
    code, _ = _feed(db_url, capsys)
    assert code in (feed.EXIT_NONE, feed.EXIT_FOUND)


def test_the_feed_masks_for_viewers(planted, capsys) -> None:
    _, url, _ = planted
    code, out = _feed(url, capsys, "--role", "viewer", "--min-risk", "critical")
    (record,) = json.loads(out)
    assert code == feed.EXIT_FOUND and record["event_ids"] == []
    assert record["principal"] == {"user_id": None, "user": "@corp.test", "ip": "203.0.113.x"}
    assert ATTACKER_IP not in out and f"u{VICTIM}@" not in out


def test_the_feed_refuses_bad_arguments_and_unreadable_databases(planted, capsys, tmp_path) -> None:
    _, url, _ = planted
    assert feed.main(["--db", url, "--query", "range=forever"]) == feed.EXIT_BAD_ARGUMENT
    assert feed.main(["--db", url, "--query", "range=7d&bf_n=x"]) == feed.EXIT_BAD_ARGUMENT
    assert feed.main(["--db", url, "--min-risk", "huge"]) == feed.EXIT_BAD_ARGUMENT
    missing = f"sqlite:///{tmp_path}/none.sqlite3"
    assert feed.main(["--db", missing, "--query", "range=7d"]) == feed.EXIT_UNREADABLE
    assert "incidents failed" in capsys.readouterr().err
