"""Security detections on SQLite and PostgreSQL: rule edges on hand-made data, every planted
demo story found by its rule, no attack finding on data without attacks, and the events
behind every finding selected exactly by its Explorer filter."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
import sqlalchemy as sa

from audit import queries, security
from audit.db import Source, check_database, create_readonly_engine
from audit.filters import AuditFilter
from audit.schema import audit_logs, metadata, users
from audit.security import Attempt, Attempts, Detections, Thresholds, account_takeover
from audit.tools.demo import stories, write_demo
from audit.tools.demo.rows import login_row, make_row, permission_row
from audit.vocab import HIGH_SEVERITIES, is_security_event
from tests.support.databases import DEMO_DAYS, DEMO_END, DEMO_ROWS, DEMO_SEED, DemoDatabase
from tests.support.groundtruth import expected_rows

UTC_NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
BASE = datetime(2026, 3, 10, 9, 0, 0, 123456)  # a Tuesday; microseconds on purpose
AGENT = "pytest"
DEFAULT = Thresholds()


def _filter(start: datetime, end: datetime, **kw: object) -> AuditFilter:
    return AuditFilter(range="custom", start=start, end=end, **kw)


HAND_FILTER = _filter(BASE.replace(tzinfo=UTC) - timedelta(days=1), UTC_NOW)


def _source(url: str) -> Iterator[Source]:
    engine = create_readonly_engine(url)
    report = check_database(engine)
    assert report.ok and report.source is not None, report.message
    yield report.source
    engine.dispose()


def _load(url: str, rows: list[dict], user_ids: range = range(1, 100)) -> None:
    writer = sa.create_engine(url)
    with writer.begin() as conn:
        metadata.create_all(conn, tables=[users, audit_logs])
        conn.execute(
            users.insert(),
            [{"id": u, "email": f"u{u}@x.test", "username": f"u{u}"} for u in user_ids],
        )
        for number, row in enumerate(rows, start=1):
            row["id"] = number
        conn.execute(audit_logs.insert(), rows)
    writer.dispose()


def _fails(ip: str, user_ids: list[int], offsets: list[timedelta]) -> list[dict]:
    return [
        login_row(BASE + o, u, False, ip, AGENT) for u, o in zip(user_ids, offsets, strict=True)
    ]


def _spread(count: int, span: timedelta) -> list[timedelta]:
    """``count`` moments from 0 to exactly ``span``."""
    return [span * k / (count - 1) for k in range(count)]


def _edge_rows() -> list[dict]:
    """One scenario per IP or user, named by what should (not) fire."""
    ten, fifteen, thirty = (timedelta(minutes=m) for m in (10, 15, 30))
    second = timedelta(seconds=1)
    rows: list[dict] = []
    # Brute force: 4 in a minute (no), 5 spanning exactly 10 minutes (yes), 5 spanning 10:01 (no)
    rows += _fails("10.0.0.1", [1] * 4, _spread(4, timedelta(minutes=1)))
    rows += _fails("10.0.0.2", [1] * 5, _spread(5, ten))
    rows += _fails("10.0.0.3", [1] * 5, _spread(5, ten + second))
    # Spraying: 4 users (no), 5 users spanning exactly 15 minutes (yes), 5 spanning 15:01 (no)
    rows += _fails("10.0.1.1", [2, 3, 4, 5, 2, 3], _spread(6, timedelta(minutes=20)))
    rows += _fails("10.0.1.2", [2, 3, 4, 5, 6], _spread(5, fifteen))
    rows += _fails("10.0.1.3", [2, 3, 4, 5, 6], _spread(5, fifteen + second))
    # Takeover: failures spread over 40 minutes before a success at +40 min.
    later = timedelta(hours=3)
    success = later + timedelta(minutes=40)
    for user, failures, earliest in ((20, 4, thirty), (21, 5, thirty), (22, 5, thirty + second)):
        ip = f"10.0.2.{user}"
        first = success - earliest
        offsets = [
            first + (earliest - timedelta(minutes=1)) * k / (failures - 1) for k in range(failures)
        ]
        rows += _fails(ip, [user] * failures, offsets)
        rows.append(login_row(BASE + success, user, True, ip, AGENT))
    return rows


@pytest.fixture
def edge_source(db_url: str) -> Iterator[Source]:
    _load(db_url, _edge_rows())
    yield from _source(db_url)


def _fired(found: Detections, rule: str, attribute: str) -> set:
    return {getattr(f, attribute) for f in found.by_rule()[rule]}


def _assert_evidence_exact(source: Source, found: Detections, now: datetime) -> None:
    for finding in found.all():
        assert queries.count_events(source, finding.evidence, now) == finding.events, finding


def test_rule_edges_n_minus_one_and_one_second_too_wide(edge_source: Source) -> None:
    found = security.detect(edge_source, HAND_FILTER, UTC_NOW, DEFAULT)
    assert _fired(found, security.BRUTE_FORCE, "ip") == {"10.0.0.2"}
    assert _fired(found, security.SPRAYING, "ip") == {"10.0.1.2"}
    assert _fired(found, security.TAKEOVER, "user_id") == {21}
    brute = next(f for f in found.by_rule()[security.BRUTE_FORCE] if f.ip == "10.0.0.2")
    assert (brute.events, brute.last_seen - brute.first_seen) == (5, timedelta(minutes=10))
    assert brute.risk == security.MEDIUM and "at least 5 within 10 minutes" in brute.summary
    takeover = found.by_rule()[security.TAKEOVER][0]
    assert takeover.events == 6 and takeover.ip == "10.0.2.21" and takeover.risk == security.HIGH
    _assert_evidence_exact(edge_source, found, UTC_NOW)


def test_thresholds_change_what_fires(edge_source: Source) -> None:
    looser = Thresholds(bruteforce_failures=4, spray_min_users=4, takeover_failures=4)
    found = security.detect(edge_source, HAND_FILTER, UTC_NOW, looser)
    assert _fired(found, security.BRUTE_FORCE, "ip") == {"10.0.0.1", "10.0.0.2", "10.0.0.3"}
    assert _fired(found, security.SPRAYING, "ip") == {"10.0.1.1", "10.0.1.2", "10.0.1.3"}
    assert _fired(found, security.TAKEOVER, "user_id") == {20, 21, 22}
    wider = Thresholds(
        bruteforce_window_minutes=11, spray_window_minutes=16, takeover_window_minutes=31
    )
    found = security.detect(edge_source, HAND_FILTER, UTC_NOW, wider)
    assert _fired(found, security.BRUTE_FORCE, "ip") == {"10.0.0.2", "10.0.0.3"}
    assert _fired(found, security.SPRAYING, "ip") == {"10.0.1.2", "10.0.1.3"}
    assert _fired(found, security.TAKEOVER, "user_id") == {21, 22}


def test_the_filter_limits_what_the_rules_see(edge_source: Source) -> None:
    only_success = HAND_FILTER.with_values(outcomes=("success",))
    found = security.detect(edge_source, only_success, UTC_NOW, DEFAULT)
    assert not found.by_rule()[security.BRUTE_FORCE] and not found.by_rule()[security.TAKEOVER]
    one_user = HAND_FILTER.with_values(users=(21,))
    found = security.detect(edge_source, one_user, UTC_NOW, DEFAULT)
    assert _fired(found, security.TAKEOVER, "user_id") == {21}
    assert found.by_rule()[security.TAKEOVER][0].evidence.users == (21,)


# ---------------------------------------------------------------------------------------
# Bursts and windows, without a database


def _times(*minutes: float) -> list[datetime]:
    return [BASE + timedelta(minutes=m) for m in minutes]


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        ((0, 1, 2, 3), []),
        ((0, 2.5, 5, 7.5, 10), [(0, 4, 5)]),
        ((0, 1, 2, 3, 4, 9.9, 30, 31, 32, 33, 34), [(0, 5, 6), (6, 10, 5)]),
        # Overlapping qualifying windows merge into one burst.
        ((0, 1, 2, 3, 4, 8, 12, 13, 14, 15, 16), [(0, 10, 6)]),
    ],
)
def test_bursts_merge_overlapping_windows(minutes: tuple[float, ...], expected: list) -> None:
    assert security.bursts(_times(*minutes), timedelta(minutes=10), 5) == expected


def test_bursts_with_a_tie_at_the_edge_keep_the_tie_inside() -> None:
    times = _times(0, 1, 2, 3, 10, 10)  # two events exactly at the end of the window
    assert security.bursts(times, timedelta(minutes=10), 5) == [(0, 5, 6)]


def test_distinct_key_bursts_count_users_not_attempts() -> None:
    times = _times(0, 1, 2, 3, 4, 5)
    assert security.bursts(times, timedelta(minutes=10), 5, [1, 1, 2, 2, 3, None]) == []
    assert security.bursts(times, timedelta(minutes=10), 3, [1, 1, 2, 2, 3, None]) == [(0, 5, 3)]


def test_takeover_counts_every_login_in_its_span() -> None:
    failures = Attempts(
        tuple(Attempt(i, BASE + timedelta(minutes=i), "1.1.1.1", 7) for i in range(6))
    )
    early = Attempt(100, BASE + timedelta(minutes=2, seconds=30), "2.2.2.2", 7)  # 3 failures before
    late = Attempt(101, BASE + timedelta(minutes=6), "1.1.1.1", 7)
    found = security.takeover(failures, Attempts((early, late)), DEFAULT, HAND_FILTER, str)
    assert len(found) == 1
    assert found[0].events == 8  # six failures and both successes share the span
    assert found[0].ips == ("1.1.1.1", "2.2.2.2")


# ---------------------------------------------------------------------------------------
# Users with many IPs, first-seen IPs, privileged actions off hours


def _event(t: datetime, user: int, ip: str) -> dict:
    return make_row(t, user, "read", "user", None, "x", ip_address=ip, success=True)


def _profile_rows() -> list[dict]:
    day = timedelta(days=1)
    start = BASE - timedelta(days=60)
    rows = [_event(start, 99, "10.9.9.9")]  # the oldest event: history from here on
    rows += [_event(BASE + timedelta(hours=h), 30, f"10.3.0.{h}") for h in range(3)]  # 3 IPs
    rows += [_event(BASE + timedelta(hours=h), 31, f"10.3.1.{h}") for h in range(2)]  # 2 IPs
    # User 32: one IP seen exactly 30 days before, another 30 days and 1 second before.
    rows += [_event(BASE - 30 * day, 32, "10.4.0.1"), _event(BASE, 32, "10.4.0.1")]
    rows += [
        _event(BASE - 30 * day - timedelta(seconds=1), 32, "10.4.0.2"),
        _event(BASE, 32, "10.4.0.2"),
    ]
    rows += [_event(BASE, 32, "10.4.0.3")]  # never before
    return rows


def test_many_ips_and_first_seen_ips(db_url: str) -> None:
    _load(db_url, _profile_rows())
    for source in _source(db_url):
        found = security.detect(source, HAND_FILTER, UTC_NOW, DEFAULT)
        assert _fired(found, security.MULTI_IP, "user_id") == {30, 32}
        new = {(f.user_id, f.ip) for f in found.by_rule()[security.NEW_IP]}
        assert (32, "10.4.0.1") not in new
        assert {(32, "10.4.0.2"), (32, "10.4.0.3")} <= new
        assert all(f.risk == security.MEDIUM for f in found.by_rule()[security.NEW_IP])
        _assert_evidence_exact(source, found, UTC_NOW)
        # Starting the range right after the oldest event leaves too little history to judge.
        early = _filter(BASE.replace(tzinfo=UTC) - timedelta(days=59), UTC_NOW)
        found = security.detect(source, early, UTC_NOW, DEFAULT)
        assert any("could not be judged" in note for note in found.notes)


BERLIN = ZoneInfo("Europe/Berlin")


def _berlin(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    local = datetime(2026, 3, day, hour, minute, second, tzinfo=BERLIN)
    return local.astimezone(UTC).replace(tzinfo=None)


def test_privileged_actions_off_hours_in_the_display_timezone(db_url: str) -> None:
    grants = {
        "before eight": _berlin(10, 7, 59, 59),
        "at eight": _berlin(10, 8),
        "before six": _berlin(10, 17, 59, 59),
        "at six": _berlin(10, 18),
        "saturday noon": _berlin(14, 12),
    }
    rows = [
        permission_row(t, 40 + k, "permission_grant", 1, "x") for k, t in enumerate(grants.values())
    ]
    rows.append(
        make_row(_berlin(10, 22), 50, "create_api_key", "api_key", "9", "key", success=True)
    )
    rows.append(make_row(_berlin(10, 23), 51, "delete", "user", "3", "gone", success=True))
    rows.append(make_row(_berlin(10, 23), 52, "read", "user", "3", "not privileged"))
    _load(db_url, rows)
    berlin = HAND_FILTER.with_values(tz="Europe/Berlin")
    for source in _source(db_url):
        found = security.detect(source, berlin, UTC_NOW, DEFAULT)
        fired = _fired(found, security.OFF_HOURS, "user_id")
        assert fired == {40, 43, 44, 50, 51}
        kinds = {f.user_id: f.risk for f in found.by_rule()[security.OFF_HOURS]}
        assert kinds[50] == security.MEDIUM and kinds[51] == security.HIGH
        _assert_evidence_exact(source, found, UTC_NOW)
        listed = security.lifecycle(source, berlin, UTC_NOW, DEFAULT)
        assert set(listed["user_id"]) == {40, 41, 42, 43, 44, 50}
        flags = dict(zip(listed["user_id"], listed["off_hours"], strict=True))
        assert flags[40] and not flags[41]


# ---------------------------------------------------------------------------------------
# The demo's planted stories, and data without attacks


def _demo_week() -> AuditFilter:
    end = DEMO_END.replace(tzinfo=UTC)
    return _filter(end - timedelta(days=7), end)


@pytest.fixture(scope="module")
def story() -> dict:
    return stories(days=DEMO_DAYS, seed=DEMO_SEED, end=DEMO_END, rows=DEMO_ROWS)


def test_every_planted_attack_is_found_by_its_rule(demo: DemoDatabase, story: dict) -> None:
    found = security.detect(demo.source, _demo_week(), demo.now, DEFAULT).by_rule()
    brute, spray, take = story["brute_force"], story["spraying"], story["takeover"]
    bf = next(f for f in found[security.BRUTE_FORCE] if f.ip == brute["ip"])
    assert (bf.first_seen, bf.last_seen, bf.events) == (brute["start"], brute["end"], 40)
    assert bf.user_id == brute["user_id"] and bf.risk == security.HIGH
    (sp,) = found[security.SPRAYING]
    assert (sp.ip, sp.events, set(sp.user_ids)) == (
        spray["ip"],
        spray["attempts"],
        set(spray["user_ids"]),
    )
    assert (sp.first_seen, sp.last_seen) == (spray["start"], spray["end"])
    (to,) = found[security.TAKEOVER]
    assert (to.user_id, to.ip, to.risk) == (take["user_id"], take["attacker_ip"], security.HIGH)
    assert (to.first_seen, to.last_seen) == (take["failures_start"], take["success_at"])
    assert to.events == take["failure_count"] + 1
    # Only the attacks fire these three rules (the spray's IP also brute-forces).
    assert {f.ip for f in found[security.BRUTE_FORCE]} == {brute["ip"], spray["ip"]}


@pytest.mark.parametrize("max_spans", [account_takeover.MAX_TAKEOVER_SPANS, 0])
def test_takeover_reads_only_successes_near_failures_and_finds_the_same(
    demo: DemoDatabase, monkeypatch: pytest.MonkeyPatch, max_spans: int
) -> None:
    monkeypatch.setattr(account_takeover, "MAX_TAKEOVER_SPANS", max_spans)  # 0: one span per user
    flt, th = AuditFilter(range="all"), Thresholds(takeover_failures=2, takeover_window_minutes=60)
    failures = security.failed_logins(demo.source, flt, demo.now)
    candidates = security.takeover_candidates(failures, th)
    assert len(candidates) > 3
    c = audit_logs.c
    successes = sa.select(c.id, c.created_at, c.ip_address, c.user_id).where(
        c.success.is_(True),
        c.action == "login",
        c.created_at.is_not(None),
        c.user_id.in_(candidates),
    )
    with demo.writer.connect() as conn:
        every = [Attempt(*row) for row in conn.execute(successes.order_by(c.created_at, c.id))]
    near = security.takeover_successes(demo.source, flt, demo.now, failures, th)
    assert set(near.rows) < set(every)
    expected = security.takeover(failures, Attempts(tuple(every)), th, flt, str)
    got = security.takeover(failures, near, th, flt, str)
    assert expected and sorted(got, key=_finding_key) == sorted(expected, key=_finding_key)


def _finding_key(finding: security.Finding) -> tuple:
    return (finding.user_id, finding.first_seen)


def test_the_takeover_aftermath_is_found_too(demo: DemoDatabase, story: dict) -> None:
    take = story["takeover"]
    found = security.detect(demo.source, _demo_week(), demo.now, DEFAULT)
    off = {(f.user_id, f.first_seen) for f in found.by_rule()[security.OFF_HOURS]}
    assert (take["user_id"], take["permission_grant_at"]) in off
    assert (take["user_id"], take["api_key_created_at"]) in off
    new = {(f.user_id, f.ip): f for f in found.by_rule()[security.NEW_IP]}
    assert new[(take["user_id"], take["attacker_ip"])].risk == security.MEDIUM
    assert (story["brute_force"]["user_id"], story["brute_force"]["ip"]) in new
    assert {f.rule for f in found.involving(user_id=take["user_id"])} >= {
        security.TAKEOVER,
        security.NEW_IP,
        security.OFF_HOURS,
    }


def test_every_finding_opens_exactly_its_events(demo: DemoDatabase) -> None:
    flt = _demo_week().with_values(tz="Europe/Berlin")
    found = security.detect(demo.source, flt, demo.now, DEFAULT)
    assert len(found.all()) > 10
    _assert_evidence_exact(demo.source, found, demo.now)
    for finding in found.all()[:5]:
        query = parse_qs(urlparse(security.explorer_url(finding.evidence)).query)
        assert AuditFilter.from_params(query)[0] == finding.evidence


def test_many_ip_users_equal_ground_truth(demo: DemoDatabase, truth: pd.DataFrame) -> None:
    flt = _demo_week()
    found = security.detect(demo.source, flt, demo.now, DEFAULT)
    rows = expected_rows(truth, flt, demo.now)
    ips = rows.dropna(subset=["user_id"]).groupby("user_id")["ip_address"].nunique()
    assert _fired(found, security.MULTI_IP, "user_id") == {int(u) for u in ips[ips >= 3].index}


def test_story_free_weeks_of_the_demo_have_no_attack(demo: DemoDatabase) -> None:
    end = DEMO_END.replace(tzinfo=UTC) - timedelta(days=8)
    quiet = _filter(end - timedelta(days=DEMO_DAYS - 8), end)
    found = security.detect(demo.source, quiet, demo.now, DEFAULT).by_rule()
    assert security.failed_logins(demo.source, quiet, demo.now).rows  # there are mistypes
    assert not found[security.BRUTE_FORCE] + found[security.SPRAYING] + found[security.TAKEOVER]


def test_demo_data_without_its_attacks_raises_nothing(db_url: str) -> None:
    end = datetime(2026, 5, 1)
    facts = stories(days=21, seed=5, end=end, rows=6000)
    attackers = [facts[k]["ip"] for k in ("brute_force", "spraying")]
    attackers.append(facts["takeover"]["attacker_ip"])
    write_demo(db_url, rows=6000, days=21, seed=5, end=end)
    writer = sa.create_engine(db_url)
    with writer.begin() as conn:
        removed = conn.execute(audit_logs.delete().where(audit_logs.c.ip_address.in_(attackers)))
        assert removed.rowcount > 60
    writer.dispose()
    everything, now = AuditFilter(range="all"), end.replace(tzinfo=UTC)
    for source in _source(db_url):
        found = security.detect(source, everything, now, DEFAULT).by_rule()
        assert len(security.failed_logins(source, everything, now).rows) > 5
        assert not found[security.BRUTE_FORCE] + found[security.SPRAYING] + found[security.TAKEOVER]


# ---------------------------------------------------------------------------------------
# Security page aggregates and profiles


def test_high_security_events_and_failure_summary(demo: DemoDatabase, truth: pd.DataFrame) -> None:
    flt = _demo_week()
    rows = expected_rows(truth, flt, demo.now)
    flags = [
        is_security_event(a, None if pd.isna(k) else k) and s in HIGH_SEVERITIES
        for a, k, s in zip(rows["action"], rows["category"], rows["severity"], strict=True)
    ]
    high = security.high_security_events(demo.source, flt, demo.now, limit=10_000)
    assert sorted(high["id"]) == sorted(rows[flags]["id"])
    assert security.count_high_security_events(demo.source, flt, demo.now) == sum(flags)
    failures = security.login_failures_filter(flt)
    assert failures is not None
    failed = rows[(rows["action"] == "login") & (rows["success"] == False)]  # noqa: E712
    summary = security.failure_summary(demo.source, failures, demo.now)
    assert summary == security.FailureSummary(
        len(failed), failed["ip_address"].nunique(), failed["user_id"].nunique()
    )


def test_login_failures_filter_respects_the_filter() -> None:
    assert security.login_failures_filter(AuditFilter(actions=("logout",))) is None
    assert security.login_failures_filter(AuditFilter(outcomes=("success",))) is None
    narrowed = security.login_failures_filter(AuditFilter(outcomes=("failure", "success")))
    assert (
        narrowed is not None
        and narrowed.outcomes == ("failure",)
        and narrowed.actions == ("login",)
    )


def test_ip_profile_facts_equal_ground_truth(
    demo: DemoDatabase, truth: pd.DataFrame, story: dict
) -> None:
    ip = story["brute_force"]["ip"]
    flt = _demo_week().with_values(ip=ip)
    rows = truth[truth["ip_address"] == ip]
    summary = security.entity_summary(demo.source, flt, demo.now)
    assert summary.events == len(expected_rows(rows, flt, demo.now))
    in_week = expected_rows(rows, flt, demo.now)
    assert summary.failures == int((in_week["success"] == False).sum())  # noqa: E712
    assert summary.users == 1 and summary.failure_ratio == 1.0
    ever = security.ever_seen(demo.source, flt.with_values(severities=("high",)), demo.now)
    assert (ever.start, ever.end) == (rows["created_at"].min(), rows["created_at"].max())
    agents = security.top_user_agents(demo.source, flt, demo.now)
    assert agents.iloc[0]["user_agent"] == story["brute_force"]["user_agent"]
    latest = security.latest_events(demo.source, flt, demo.now, size=5)
    assert list(latest["id"]) == sorted(rows["id"], reverse=True)[:5]


def test_account_and_labels(demo: DemoDatabase, story: dict) -> None:
    victim = story["takeover"]["user_id"]
    row = security.account(demo.source, victim)
    assert row is not None and "@" in row.get("email")
    hard = story["hard_deleted_user"]["user_id"]
    assert security.account(demo.source, hard) is None
    labels = security.user_labels(demo.source, [victim, hard])
    assert labels[victim] == row.get("email") and "not in users" in labels[hard]


# ---------------------------------------------------------------------------------------
# Thresholds in the URL, links, user ids


def test_thresholds_from_and_to_url_parameters() -> None:
    chosen, notices = security.thresholds_from_params(
        {"bf_n": ["7"], "sp_w": "abc", "to_n": ["0"], "ip_n": ["4"]}, DEFAULT
    )
    assert (chosen.bruteforce_failures, chosen.multi_ip_min) == (7, 4)
    assert chosen.spray_window_minutes == 15 and chosen.takeover_failures == 5
    assert len(notices) == 2 and "sp_w" in notices[0]
    assert security.thresholds_to_params(chosen, DEFAULT) == {"bf_n": ["7"], "ip_n": ["4"]}
    hours, notices = security.thresholds_from_params({"bh_from": "18", "bh_to": "9"}, DEFAULT)
    assert (hours.business_hours_start, hours.business_hours_end) == (8, 18) and notices


def test_thresholds_default_to_the_settings() -> None:
    from audit.config import Settings

    assert Thresholds.from_settings(Settings(bruteforce_failures=9)).bruteforce_failures == 9
    assert Thresholds.from_settings(Settings()) == DEFAULT


def test_profile_links_keep_the_filter_and_name_the_entity() -> None:
    flt = AuditFilter(range="30d", tz="Asia/Kolkata", users=(3,), ip="10.*")
    ip_link = security.ip_url("2001:db8::1", flt, {"bf_n": ["7"]})
    assert ip_link.startswith("ip?ip=2001:db8::1&")
    query = parse_qs(urlparse(ip_link).query)
    assert query["ip"] == ["2001:db8::1"] and query["user"] == ["3"] and query["bf_n"] == ["7"]
    user_query = parse_qs(urlparse(security.user_url(17, flt)).query)
    assert user_query["id"] == ["17"] and "user" not in user_query and user_query["ip"] == ["10.*"]
    assert security.event_url(5, flt).startswith("event?id=5&")


def test_findings_frame_has_links_for_every_finding() -> None:
    finding = security.Finding(
        security.BRUTE_FORCE, "high", "why", BASE, BASE, 3, HAND_FILTER, ip="1.2.3.4", user_id=8
    )
    frame = security.findings_frame([finding], HAND_FILTER, {8: "eve@x.test"})
    row = frame.iloc[0]
    assert row["user"] == "eve@x.test" and row["explorer"].startswith("explorer?")
    assert row["ip_profile"].startswith("ip?ip=1.2.3.4") and row["user_profile"].startswith(
        "user?id=8"
    )
    assert str(row["first_seen"].tz) == "UTC"


def test_off_hours_is_local_time() -> None:
    assert security.is_off_hours(datetime(2026, 3, 10, 7, 59), DEFAULT)
    assert not security.is_off_hours(datetime(2026, 3, 10, 8, 0), DEFAULT)
    assert security.is_off_hours(datetime(2026, 3, 10, 18, 0), DEFAULT)
    assert security.is_off_hours(datetime(2026, 3, 14, 12, 0), DEFAULT)  # Saturday
