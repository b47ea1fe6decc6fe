"""What is unusual, explained: a steady weekly rhythm (by wall clock in Berlin, across the
end of summer time) planted over six weeks, plus a spike of failed logins, an action never
seen before and a user back after a long silence. The spike and the newcomers are found
with the right sentences, the steady weeks give nothing, every engine (SQLite,
PostgreSQL, the DuckDB mirror and ClickHouse of each) gives the same answer, and the feed
and the page show it, masked for viewers."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from audit import queries
from audit.anomalies import (
    FEED_KEYS,
    Family,
    Findings,
    Kind,
    Rules,
    events_filter,
    explain,
    find_anomalies,
    history_note,
)
from audit.anomalies import __main__ as feed
from audit.anomalies.baselines import Baseline, baseline, exact_median
from audit.clickhouse import ClickHouse
from audit.db import Source, check_database, create_readonly_engine
from audit.filters import AuditFilter
from audit.mirror import Mirror
from audit.schema import audit_logs, metadata, users
from tests.support.databases import chdb_url, fresh_database

BERLIN = ZoneInfo("Europe/Berlin")
FIRST_MONDAY = datetime(2026, 9, 28)  # local; summer time ends on Sunday 25 October
WEEKS = 6
FAILURES_BY_WEEK = (2, 1, 3, 2, 2, 2)  # failed logins in every working hour, per week
SPIKE_AT = datetime(2026, 11, 3, 10, 0)  # Tuesday of the last week, local
SPIKE_EXTRA = 39  # on top of that hour's 2: 41 failed logins
NEW_ACTION_AT = datetime(2026, 11, 4, 15, 5)
RETURNING_AT = datetime(2026, 11, 5, 11, 20)
LAST_WEEK = AuditFilter(
    range="custom",
    tz="Europe/Berlin",
    start=datetime(2026, 11, 2, tzinfo=BERLIN),
    end=datetime(2026, 11, 9, tzinfo=BERLIN),
)
# A steady week whose four weeks before include the end of summer time.
STEADY_WEEK = LAST_WEEK.with_values(
    start=datetime(2026, 10, 26, tzinfo=BERLIN), end=datetime(2026, 11, 2, tzinfo=BERLIN)
)
# Nine days (so days, by weekday), the first of them 25 hours long.
STEADY_DAYS = LAST_WEEK.with_values(
    start=datetime(2026, 10, 25, tzinfo=BERLIN), end=datetime(2026, 11, 3, tzinfo=BERLIN)
)
NOW = datetime(2026, 11, 20, tzinfo=UTC)
RULES = Rules(threshold=5.0, min_count=10)
SPIKE_SENTENCE = (
    "failed logins 41 on Tue 03 Nov 10:00–11:00, usually 1–3 at this hour (4-week median 2)"
)


def _utc(local: datetime) -> datetime:
    return local.replace(tzinfo=BERLIN).astimezone(UTC).replace(tzinfo=None)


def _event(local: datetime, action: str, success: bool, user: int, ip: str) -> dict[str, Any]:
    return {
        "created_at": _utc(local),
        "action": action,
        "resource_type": "user",
        "description": f"{action} by {user}",
        "success": success,
        "user_id": user,
        "ip_address": ip,
        "severity": "low",
    }


def _working_hour(start: datetime, week: int) -> list[dict[str, Any]]:
    """The same events in this wall-clock hour every week; failures vary a little."""
    rows = [_event(start + timedelta(minutes=5 * i), "login", True, 1 + i % 3, "198.51.100.1")
            for i in range(3 + start.hour % 3)]  # fmt: skip
    rows += [_event(start + timedelta(minutes=7 + i), "read", True, 3, "198.51.100.2")
             for i in range(2)]  # fmt: skip
    rows += [_event(start + timedelta(minutes=20 + i), "login", False, 1, "203.0.113.9")
             for i in range(FAILURES_BY_WEEK[week])]  # fmt: skip
    return rows


def planted_rows() -> list[dict[str, Any]]:
    rows = []
    for day in range(WEEKS * 7):
        date = FIRST_MONDAY + timedelta(days=day)
        if date.weekday() < 5:
            for hour in range(8, 18):
                rows += _working_hour(date.replace(hour=hour), day // 7)
        else:
            rows += [_event(date.replace(hour=h, minute=30), "read", True, 3, "198.51.100.2")
                     for h in range(10, 15)]  # fmt: skip
    rows += [_event(SPIKE_AT + timedelta(seconds=50 * i), "login", False, 2, "192.0.2.66")
             for i in range(SPIKE_EXTRA)]  # fmt: skip
    rows += [_event(NEW_ACTION_AT + timedelta(minutes=i), "export_all", True, 3, "198.51.100.2")
             for i in range(12)]  # fmt: skip
    rows.append(_event(datetime(2026, 8, 1, 9, 0), "login", True, 9, "198.51.100.9"))
    rows += [_event(RETURNING_AT + timedelta(minutes=i), "read", True, 9, "198.51.100.9")
             for i in range(3)]  # fmt: skip
    return rows


def write_planted(url: str) -> None:
    engine = sa.create_engine(url)
    metadata.create_all(engine)
    people = [{"id": i, "email": f"user{i}@example.com", "username": f"user{i}"}
              for i in (1, 2, 3, 9)]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(users.insert(), people)
        conn.execute(audit_logs.insert(), planted_rows())
    engine.dispose()


@pytest.fixture(scope="module")
def engines(
    tmp_path_factory: pytest.TempPathFactory, chdb_folder: Path
) -> Iterator[dict[str, Source]]:
    """The planted data on SQLite and PostgreSQL, and the mirror and ClickHouse of each."""
    folder = tmp_path_factory.mktemp("anomalies")
    sources: dict[str, Source] = {}
    with fresh_database("sqlite", folder) as lite, fresh_database("postgresql", folder) as pg:
        opened = []
        for name, url in (("sqlite", lite), ("postgresql", pg)):
            write_planted(url)
            engine = create_readonly_engine(url)
            source = check_database(engine).source
            assert source is not None
            mirror = Mirror(folder / f"mirror-{name}" / "audit.duckdb")
            mirror.sync_step(source, budget_seconds=math.inf)
            assert mirror.ready_for(source)
            sources[name] = source
            sources[f"mirror of {name}"] = mirror.source_for(source)
            store = ClickHouse(chdb_url(chdb_folder), writable=True)
            store.sync_step(source)
            assert store.ready_for(source)
            sources[f"clickhouse of {name}"] = store.source_for(source)
            opened += [(engine, mirror), (engine, store)]
        sources["sqlite url"] = lite  # type: ignore[assignment]
        yield sources
        for engine, mirror in opened:
            mirror.close()
            engine.dispose()


ENGINES = (
    "sqlite",
    "postgresql",
    "mirror of sqlite",
    "mirror of postgresql",
    "clickhouse of sqlite",
    "clickhouse of postgresql",
)


def _sentences(findings: Findings) -> list[str]:
    return [explain(a, findings.width) for a in findings.anomalies]


@pytest.mark.parametrize("engine", ENGINES)
def test_the_spike_and_the_newcomers_are_found_and_explained(
    engines: dict[str, Source], engine: str
) -> None:
    findings = find_anomalies(engines[engine], LAST_WEEK, NOW, RULES)
    assert findings.width == "hour" and findings.weeks_available == 4
    assert SPIKE_SENTENCE in _sentences(findings)
    spike = next(a for a in findings.anomalies if explain(a, "hour") == SPIKE_SENTENCE)
    assert spike.kind is Kind.SPIKE
    assert spike.series.key() == {"action": "login", "outcome": "failure"}
    assert (spike.count, spike.expected, spike.weeks) == (41, 2.0, (2, 2, 3, 1))
    new = [a for a in findings.anomalies if a.kind is Kind.FIRST_SEEN]
    assert [(a.series.key(), a.count) for a in new] == [({"action": "export_all"}, 12)]
    assert explain(new[0], "hour") == (
        "'export_all' events seen for the first time on Wed 04 Nov 15:05: 12 in this range"
    )
    back = [a for a in findings.anomalies if a.kind is Kind.RETURNING]
    assert [(a.series.key(), a.count) for a in back] == [({"user_id": 9}, 3)]
    assert "after 96 days of silence" in explain(back[0], "hour")


@pytest.mark.parametrize("engine", ENGINES)
def test_nothing_but_the_plants_is_unusual(engines: dict[str, Source], engine: str) -> None:
    """No false positive: every spike or drop is a view of planted events: the spike's
    hour (the failed logins, the logins, the IP, the user, the whole volume) and the user
    who ran the new action in its hour (the new action itself is told once, as new)."""
    findings = find_anomalies(engines[engine], LAST_WEEK, NOW, RULES)
    departures = [a for a in findings.anomalies if a.kind in (Kind.SPIKE, Kind.DROP)]
    in_spike = [a for a in departures if a.bucket_start == SPIKE_AT]
    assert {a.series.family for a in in_spike} == {
        Family.ACTION_OUTCOME, Family.ACTION, Family.IP_FAILURES, Family.USER, Family.TOTAL
    }  # fmt: skip
    others = [a.series.key() for a in departures if a.bucket_start != SPIKE_AT]
    assert others == [{"user_id": 3}]
    group = findings.groups()[0]
    assert explain(group.lead, "hour") == SPIKE_SENTENCE  # the most specific first
    assert group.members[-1].series.family is Family.TOTAL


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("flt", [STEADY_WEEK, STEADY_DAYS], ids=["hours", "weekdays"])
def test_the_steady_rhythm_is_not_unusual(
    engines: dict[str, Source], engine: str, flt: AuditFilter
) -> None:
    """Hours across the end of summer time and days by weekday: wall-clock buckets."""
    findings = find_anomalies(engines[engine], flt, NOW, RULES)
    assert findings.anomalies == ()
    assert findings.band and all(p.low <= p.expected <= p.high for p in findings.band)


def test_every_engine_gives_the_same_answer(engines: dict[str, Source]) -> None:
    for flt in (LAST_WEEK, STEADY_DAYS, LAST_WEEK.with_values(range="all")):
        answers = [find_anomalies(engines[name], flt, NOW, RULES) for name in ENGINES]
        assert all(answer == answers[0] for answer in answers[1:]), flt


@pytest.mark.parametrize("engine", ("sqlite", "postgresql"))
def test_each_link_opens_exactly_the_events_counted(
    engines: dict[str, Source], engine: str
) -> None:
    source = engines[engine]
    findings = find_anomalies(source, LAST_WEEK, NOW, RULES)
    for item in findings.anomalies:
        target = events_filter(item, LAST_WEEK, findings.tz)
        assert queries.count_events(source, target, NOW) == item.count, explain(item, "hour")


def test_a_higher_minimum_count_or_threshold_silences_the_spike(
    engines: dict[str, Source],
) -> None:
    quiet = find_anomalies(engines["sqlite"], LAST_WEEK, NOW, Rules(5.0, 50))
    assert all(a.kind is not Kind.SPIKE or a.count >= 50 for a in quiet.anomalies)
    assert SPIKE_SENTENCE not in _sentences(quiet)
    strict = find_anomalies(engines["sqlite"], LAST_WEEK, NOW, Rules(100.0, 10))
    assert SPIKE_SENTENCE not in _sentences(strict)


# ---------------------------------------------------------------------------------------
# Honest about history: exact statistics, and no baseline invented


def test_median_and_mad_are_exact() -> None:
    assert exact_median([3, 1, 2, 2]) == 2.0 and exact_median([1, 4, 2, 5]) == 3.0
    base = Baseline((2, 2, 3, 1))
    assert (base.median, base.mad) == (2.0, 0.5)
    assert base.spread == math.sqrt(2)  # the counting-noise floor over 1.4826 x 0.5


def test_weeks_before_the_data_do_not_count_and_too_few_give_no_baseline() -> None:
    bucket = datetime(2026, 11, 3, 10)
    counts = {bucket - timedelta(weeks=1): 4, bucket - timedelta(weeks=2): 6}
    covered = bucket - timedelta(weeks=2)  # the data starts two weeks before
    assert baseline(counts, bucket, covered) == Baseline((4, 6))
    assert baseline(counts, bucket, bucket - timedelta(weeks=1)) is None
    assert baseline(counts, bucket, bucket - timedelta(weeks=9)) == Baseline((4, 6, 0, 0))


def test_the_history_note_says_what_is_missing() -> None:
    short = Findings("UTC", "hour", RULES, weeks_available=2, history_start=datetime(2026, 1, 5))
    assert "Only 2 of the four weeks" in (history_note(short) or "")
    none = Findings("UTC", "hour", RULES, weeks_available=1, history_start=datetime(2026, 1, 5))
    assert "no baseline can be drawn" in (history_note(none) or "")
    assert history_note(Findings("UTC", "hour", RULES, weeks_available=4)) is None


# ---------------------------------------------------------------------------------------
# The feed for machines


def _feed(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = feed.main(list(args))
    return code, capsys.readouterr().out


def test_feed_json_has_exactly_the_keys_and_exits_3(
    engines: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    query = LAST_WEEK.to_params()
    text = "&".join(f"{k}={v}" for k, vs in query.items() for v in vs).replace("+", "%2B")
    code, out = _feed(capsys, "--db", engines["sqlite url"], "--query", text)
    assert code == feed.EXIT_FOUND
    records = json.loads(out)
    assert all(tuple(r) == FEED_KEYS for r in records)
    spike = next(r for r in records if r["explanation"] == SPIKE_SENTENCE)
    assert spike["series"] == {"action": "login", "outcome": "failure"}
    assert (spike["bucket_start"], spike["bucket_end"]) == (
        "2026-11-03T09:00:00Z", "2026-11-03T10:00:00Z"
    )  # fmt: skip
    assert (spike["kind"], spike["count"], spike["expected"]) == ("spike", 41, 2.0)
    assert {"ip": "192.0.2.66", "outcome": "failure"} in [r["series"] for r in records]


def test_feed_for_viewers_masks_people_and_addresses(
    engines: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    query = "range=custom&from=2026-11-02T00:00:00%2B01:00&to=2026-11-09T00:00:00%2B01:00"
    code, out = _feed(
        capsys,
        "--db",
        engines["sqlite url"],
        "--query",
        query,
        "--role",
        "viewer",
        "--format",
        "csv",
    )
    assert code == feed.EXIT_FOUND
    assert out.splitlines()[0] == ",".join(FEED_KEYS)
    assert "192.0.2.66" not in out and "user2@" not in out and "user_id" not in out
    assert "192.0.2.x" in out and "@example.com" in out


def test_feed_exit_codes(
    engines: dict[str, Any], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = engines["sqlite url"]
    steady = "range=custom&tz=Europe/Berlin&from=2026-10-26T00:00:00%2B01:00&to=2026-11-02T00:00:00%2B01:00"
    assert _feed(capsys, "--db", db, "--query", steady) == (feed.EXIT_NONE, "[]\n")
    assert feed.main(["--db", db, "--query", "range=forever"]) == feed.EXIT_BAD_INPUT
    assert feed.main(["--db", db, "--format", "xml"]) == feed.EXIT_BAD_INPUT
    assert (
        feed.main(["--db", db, "--query", "ip=1.2.3.4", "--role", "viewer"]) == feed.EXIT_BAD_INPUT
    )
    missing = f"sqlite:///{tmp_path}/missing.sqlite3"
    assert feed.main(["--db", missing, "--query", "range=7d"]) == feed.EXIT_UNREADABLE


# ---------------------------------------------------------------------------------------
# The page


def test_overview_shows_the_unusual_section_with_links(
    engines: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.apptest import page_text, run_page

    at = run_page(
        "pages/overview.py",
        {"AUDIT_DB_URL": engines["sqlite url"], "AUDIT_AGGREGATE_ENGINE": "source"},
        monkeypatch,
        tz="Europe/Berlin",
        **{
            "from": "2026-11-02T00:00:00+01:00",
            "to": "2026-11-09T00:00:00+01:00",
            "now": NOW.isoformat(),
        },
    )
    assert not at.exception, [e.value for e in at.exception]
    assert "Unusual" in [h.value for h in at.subheader]
    text = page_text(at).replace("\\", "")
    assert SPIKE_SENTENCE in text
    assert "export_all" in text and "5 robust deviations" in text
    assert "[events](explorer?" in text
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert "expected (4-week median)" in [trace.get("name") for trace in chart["data"]]


def test_threshold_and_minimum_count_are_settings() -> None:
    from audit.config import ConfigError, load_settings

    env = {"AUDIT_ANOMALY_THRESHOLD": "3.5", "AUDIT_ANOMALY_MIN_COUNT": "25"}
    settings = load_settings(env=env, secrets={})
    assert (settings.anomaly_threshold, settings.anomaly_min_count) == (3.5, 25)
    from_secrets = load_settings(env={}, secrets={"audit": {"anomaly_threshold": 4}})
    assert from_secrets.anomaly_threshold == 4.0
    with pytest.raises(ConfigError, match="anomaly_threshold"):
        load_settings(env={"AUDIT_ANOMALY_THRESHOLD": "-1"}, secrets={})
