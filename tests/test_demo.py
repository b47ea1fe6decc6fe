"""Tests for the demo data generator and writer (``audit.tools.demo``)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from audit.schema import audit_logs, users
from audit.tools import demo
from audit.tools.demo.__main__ import main
from audit.tools.demo.clock import resolve_end
from audit.tools.demo.rows import AUDIT_COLUMNS

END = datetime(2026, 3, 18, 15, 0)  # a Wednesday afternoon, naive UTC
ROWS = 5_000
MODEL_ACTIONS = {
    "create", "read", "update", "delete", "login", "logout", "api_key_create",
    "api_key_delete", "budget_create", "budget_update", "budget_exceed", "module_enable",
    "module_disable", "permission_grant", "permission_revoke", "system_config",
    "security_event",
}  # fmt: skip
EXTRA_ACTIONS = {"create_api_key", "password_reset", "role_change", "chat_completion"}


def rows_of(rows: int = ROWS, seed: int = 3, days: int = 90) -> list[dict]:
    return list(demo.generate(rows, days, seed, END)[1])


@pytest.fixture(scope="module")
def sample() -> list[dict]:
    return rows_of()


@pytest.fixture(scope="module")
def facts() -> dict:
    return demo.stories(90, 3, END, rows=ROWS)


def failed_logins(rows: list[dict]) -> list[dict]:
    return [r for r in rows if r["action"] == "login" and r["success"] is False]


def windows_over(
    rows: list[dict], key: str, span: timedelta, measure: str | None = None
) -> dict[object, int]:
    """Per ``key`` value: the most rows (or distinct ``measure`` values) in any ``span``."""
    groups: dict[object, list[dict]] = defaultdict(list)
    for r in rows:
        groups[r[key]].append(r)
    best = {}
    for value, group in groups.items():
        group.sort(key=lambda r: r["created_at"])
        top = 0
        for i, first in enumerate(group):
            inside = [r for r in group[i:] if r["created_at"] - first["created_at"] <= span]
            size = len({r[measure] for r in inside}) if measure else len(inside)
            top = max(top, size)
        best[value] = top
    return best


def takeover_users(rows: list[dict]) -> set[int]:
    """Users with >= 5 failures in the 30 minutes before a success from an IP new to them."""
    seen: dict[int, set[str]] = defaultdict(set)
    fails: dict[int, list[datetime]] = defaultdict(list)
    found = set()
    for r in rows:
        if r["action"] != "login" or r["user_id"] is None:
            continue
        uid, t = r["user_id"], r["created_at"]
        if r["success"] is False:
            fails[uid].append(t)
            continue
        if r["ip_address"] not in seen[uid]:
            recent = [f for f in fails[uid] if t - timedelta(minutes=30) <= f < t]
            if len(recent) >= 5:
                found.add(uid)
        seen[uid].add(r["ip_address"])
    return found


# -- generate ------------------------------------------------------------------------------


def test_generate_is_deterministic() -> None:
    users_a, rows_a = demo.generate(ROWS, 90, 3, END)
    users_b, rows_b = demo.generate(ROWS, 90, 3, END)
    assert users_a == users_b
    assert list(rows_a) == list(rows_b)
    assert rows_of(seed=4) != rows_of(seed=3)


@pytest.mark.parametrize(("rows", "days"), [(ROWS, 90), (1_234, 7), (10, 30), (0, 5)])
def test_generate_exact_rows_sorted_ids(rows: int, days: int) -> None:
    out = rows_of(rows, days=days)
    assert len(out) == rows
    assert [r["id"] for r in out] == list(range(1, rows + 1))
    times = [r["created_at"] for r in out]
    assert times == sorted(times)
    assert all(END - timedelta(days=days) <= t < END for t in times)
    assert all(set(r) == set(AUDIT_COLUMNS) for r in out)


def test_default_end_is_this_hour() -> None:
    end = resolve_end(None)
    assert end.tzinfo is None and end.minute == end.second == end.microsecond == 0


def test_every_action_and_vocabulary_present(sample: list[dict]) -> None:
    actions = {r["action"] for r in sample}
    assert actions >= MODEL_ACTIONS | EXTRA_ACTIONS
    assert {"list_models", "create_api_key"} <= actions
    severities = {r["severity"] for r in sample}
    assert {"info", "low", "medium", "high", "critical", "warning", "error", None} <= severities
    categories = {r["category"] for r in sample}
    assert {None, "security", "financial", "system", "data", "user_management"} <= categories
    types = {r["resource_type"] for r in sample}
    assert {"user", "api_key", "budget", "module", "permission", "security", "role"} <= types
    assert any(t.startswith("/api/v1/") for t in types)
    assert {r["success"] for r in sample} == {True, False, None}
    for col in ("ip_address", "user_agent", "session_id", "request_id", "details", "tags"):
        assert any(r[col] is None for r in sample), col


def test_users_and_deleted_users(sample: list[dict], facts: dict) -> None:
    user_rows, _ = demo.generate(ROWS, 90, 3, END)
    by_id = {u["id"]: u for u in user_rows}
    assert 35 <= len(user_rows) <= 45
    soft = by_id[facts["soft_deleted_user"]["user_id"]]
    assert soft["email"].startswith(f"deleted_{soft['id']}_") and soft["is_active"] is False
    hard = facts["hard_deleted_user"]["user_id"]
    assert hard not in by_id
    assert any(r["user_id"] == hard for r in sample)
    assert any(r["user_id"] is None for r in sample)
    assert sum(u["is_superuser"] for u in user_rows) >= 2
    assert {by_id[i]["username"] for i in facts["service_account_ids"]} == {"svc-ci", "svc-billing"}


def test_admin_changes_carry_nested_before_after(sample: list[dict]) -> None:
    changes = [r for r in sample if r["category"] == "user_management" and r["old_values"]]
    assert changes
    for r in changes:
        assert r["tags"] == ["user_management", r["action"]]
    role_changes = [r for r in changes if r["action"] == "role_change"]
    assert role_changes
    old, new = role_changes[0]["old_values"], role_changes[0]["new_values"]
    assert old["role_id"] != new["role_id"] and old["permissions"] != new["permissions"]
    assert isinstance(old["profile"], dict)


# -- stories -------------------------------------------------------------------------------


def test_brute_force_story(sample: list[dict], facts: dict) -> None:
    bf = facts["brute_force"]
    hits = [
        r
        for r in failed_logins(sample)
        if r["ip_address"] == bf["ip"] and bf["start"] <= r["created_at"] <= bf["end"]
    ]
    assert len(hits) == bf["failures"] == 40
    assert {r["user_id"] for r in hits} == {bf["user_id"]}
    assert bf["end"] - bf["start"] <= timedelta(minutes=10)
    assert END - bf["start"] <= timedelta(days=7)


def test_spraying_story(sample: list[dict], facts: dict) -> None:
    sp = facts["spraying"]
    hits = [r for r in failed_logins(sample) if r["ip_address"] == sp["ip"]]
    assert len({r["user_id"] for r in hits}) >= 12
    assert sorted({r["user_id"] for r in hits}) == sp["user_ids"]
    assert sp["end"] - sp["start"] <= timedelta(minutes=15)


def test_takeover_story(sample: list[dict], facts: dict) -> None:
    to = facts["takeover"]
    mine = [r for r in sample if r["user_id"] == to["user_id"]]
    before = [r for r in mine if r["created_at"] < to["failures_start"]]
    assert to["attacker_ip"] not in {r["ip_address"] for r in before}
    fails = [r for r in failed_logins(mine) if r["ip_address"] == to["attacker_ip"]]
    assert len(fails) == to["failure_count"] >= 5
    success = [r for r in mine if r["action"] == "login" and r["success"] is True]
    assert any(r["created_at"] == to["success_at"] for r in success)
    assert to["success_at"].hour in (2, 3)
    hour = [
        r
        for r in mine
        if to["success_at"] < r["created_at"] <= to["success_at"] + timedelta(hours=2)
    ]
    grant = [r for r in hour if r["action"] == "permission_grant"]
    assert grant and grant[0]["severity"] == "high" and grant[0]["category"] == "security"
    assert any(r["action"] in ("create_api_key", "api_key_create") for r in hour)


def test_budget_spike_and_modules(sample: list[dict], facts: dict) -> None:
    spike = facts["budget_spike"]
    hits = [
        r
        for r in sample
        if r["action"] == "budget_exceed" and spike["start"] <= r["created_at"] <= spike["end"]
    ]
    assert len(hits) >= spike["count"] >= 24
    assert spike["end"] - spike["start"] < timedelta(hours=1)
    assert all(r["category"] == "financial" for r in hits)
    toggles = [e["action"] for e in facts["modules"]["events"]]
    assert {"module_enable", "module_disable"} <= set(toggles)
    changed = [r for r in sample if r["old_values"] is not None and r["new_values"] is not None]
    assert len(changed) >= len(facts["data_changes"]["events"]) - 1


@pytest.mark.parametrize("seed", [1, 7, 42])
def test_detectors_find_only_planted_stories(seed: int) -> None:
    out = rows_of(seed=seed)
    found = demo.stories(90, seed, END, rows=ROWS)
    fails = failed_logins(out)
    burst = windows_over(fails, "ip_address", timedelta(minutes=10))
    assert {ip for ip, n in burst.items() if n >= 5} == {
        found["brute_force"]["ip"],
        found["spraying"]["ip"],  # a spray is also a burst of failures from one IP
    }
    spread = windows_over(fails, "ip_address", timedelta(minutes=15), measure="user_id")
    assert {ip for ip, n in spread.items() if n >= 5} == {found["spraying"]["ip"]}
    assert takeover_users(out) == {found["takeover"]["user_id"]}
    spike = found["budget_spike"]
    margin = timedelta(hours=1)
    calm = [
        {**r, "all": 0}
        for r in out
        if r["action"] == "budget_exceed"
        and not spike["start"] - margin <= r["created_at"] <= spike["end"] + margin
    ]
    assert max(windows_over(calm, "all", timedelta(hours=1)).values()) <= 3


def test_no_stories_when_too_small() -> None:
    assert demo.stories(90, 3, END, rows=100)["planted"] is False
    assert demo.stories(5, 3, END, rows=ROWS)["planted"] is False
    assert demo.stories(90, 3, END, rows=ROWS)["planted"] is True


# -- write_demo ----------------------------------------------------------------------------


def test_write_demo_writes_exact_rows(db_url: str) -> None:
    calls: list[tuple[int, int]] = []
    written = demo.write_demo(db_url, ROWS, 90, 3, END, progress=lambda d, t: calls.append((d, t)))
    assert written == ROWS
    assert calls and calls[-1] == (ROWS, ROWS)
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            assert conn.scalar(sa.select(sa.func.count()).select_from(audit_logs)) == ROWS
            assert conn.scalar(sa.select(sa.func.max(audit_logs.c.id))) == ROWS
            stored = conn.execute(sa.select(audit_logs).order_by(audit_logs.c.id)).mappings()
            expected = rows_of()
            assert [dict(r) for r in stored] == expected
            names = set(conn.scalars(sa.select(users.c.username)))
            assert "svc-ci" in names and any(n.startswith("deleted_") for n in names)
    finally:
        engine.dispose()


def test_write_demo_replaces_tables_and_sequences(db_url: str) -> None:
    demo.write_demo(db_url, 2_000, 30, 5, END)
    assert demo.write_demo(db_url, 1_500, 30, 6, END) == 1_500
    engine = sa.create_engine(db_url)
    try:
        with engine.begin() as conn:
            assert conn.scalar(sa.select(sa.func.count()).select_from(audit_logs)) == 1_500
            new_id = conn.execute(
                audit_logs.insert().returning(audit_logs.c.id),
                {"action": "read", "resource_type": "system", "description": "probe"},
            ).scalar()
            assert new_id == 1_501
    finally:
        engine.dispose()


def test_planted_stories_visible_in_sql(db_url: str) -> None:
    demo.write_demo(db_url, ROWS, 90, 3, END)
    bf = demo.stories(90, 3, END, rows=ROWS)["brute_force"]
    query = sa.text(
        "SELECT count(*) FROM audit_logs WHERE action = 'login' AND success = :f "
        "AND ip_address = :ip AND created_at BETWEEN :a AND :b"
    )
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            params = {"f": False, "ip": bf["ip"], "a": bf["start"], "b": bf["end"]}
            assert conn.scalar(query, params) >= 40
    finally:
        engine.dispose()


def test_cli_writes_sqlite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    assert main(["--url", url, "--rows", "1500", "--days", "14", "--end", END.isoformat()]) == 0
    out = capsys.readouterr()
    assert "1,500" in out.out and "100.0%" in out.err


def test_demo_file_is_created_atomically(tmp_path: Path) -> None:
    from audit.tools.demo import write_demo_file

    target = tmp_path / "sub" / "demo.sqlite3"
    calls: list[tuple[int, int]] = []
    written = write_demo_file(target, rows=2_000, progress=lambda d, t: calls.append((d, t)))
    assert written == 2_000 and calls and calls[-1][0] == 2_000
    assert sorted(p.name for p in target.parent.iterdir()) == ["demo.sqlite3"]
    engine = sa.create_engine(f"sqlite:///{target}")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM audit_logs")).scalar() == 2_000
    engine.dispose()
