"""The security page and the IP and user profiles in AppTest, over the demo database on
SQLite and PostgreSQL: they render, their numbers equal SQL, thresholds live in the URL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from streamlit.testing.v1 import AppTest

from audit.ui.safe import markdown_code
from audit.ui.security import KEY
from tests.support.apptest import run_page
from tests.support.databases import DEMO_END, DemoDatabase
from tests.support.stories import STORY, WEEK


def _open(page: str, demo: DemoDatabase, monkeypatch: pytest.MonkeyPatch, **params: str) -> AppTest:
    at = run_page(page, {"AUDIT_DB_URL": demo.url}, monkeypatch, **(WEEK | params))
    assert not at.exception, [e.value for e in at.exception]
    return at


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _week_count(demo: DemoDatabase, condition: str, **params: object) -> int:
    return int(
        demo.scalar(
            f"SELECT count(*) FROM audit_logs WHERE created_at >= :s AND created_at < :e AND {condition}",
            s=DEMO_END - timedelta(days=7),
            e=DEMO_END,
            **params,
        )
    )


def test_security_page_shows_every_detection(
    demo: DemoDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _open("pages/security.py", demo, monkeypatch)
    failed = _week_count(demo, "action = 'login' AND success = :f", f=False)
    assert _metric(at, "Failed logins") == f"{failed:,}"
    tabs = [tab.label for tab in at.tabs]
    assert tabs[:3] == [
        "Brute force (2)",
        "Password spraying (1)",
        "Success after failures (possible takeover) (1)",
    ]
    headers = [h.value for h in at.header]
    assert "High and critical security events" in headers
    assert "Privilege changes and API-key lifecycle" in headers


def test_selecting_a_finding_offers_its_events_and_profiles(
    demo: DemoDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _open("pages/security.py", demo, monkeypatch)
    at.session_state[KEY + "findings.takeover"] = {
        "selection": {"rows": [0], "columns": [], "cells": []}
    }
    at.run()
    assert not at.exception
    links = {link.label: link for link in at.get("page_link")}
    explorer = next(link for label, link in links.items() if "in the Explorer" in label)
    take = STORY["takeover"]
    assert f"Open its {take['failure_count'] + 1} events" in explorer.label
    assert "IP profile" in links and "User profile" in links
    assert take["attacker_ip"] in at.text[0].value


def test_thresholds_come_from_the_url_and_go_back_to_it(
    demo: DemoDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _open("pages/security.py", demo, monkeypatch, bf_n="41", sp_w="zero")
    assert at.tabs[0].label == "Brute force (0)"
    assert any("sp_w" in w.value.replace("\\", "") for w in at.warning)
    at.number_input(key=KEY + "threshold.bf_n").set_value(15).run()
    assert at.tabs[0].label == "Brute force (2)"
    assert at.query_params["bf_n"] in ("15", ["15"])
    at.number_input(key=KEY + "threshold.bf_n").set_value(5).run()
    assert "bf_n" not in at.query_params  # the default is not written


def test_ip_profile(demo: DemoDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    ip = STORY["brute_force"]["ip"]
    at = _open("pages/ip.py", demo, monkeypatch, ip=ip)
    assert at.title[0].value == f"IP profile: {markdown_code(ip)}"
    events = _week_count(demo, "ip_address = :ip", ip=ip)
    assert _metric(at, "Events in range") == f"{events:,}"
    assert _metric(at, "Distinct users") == "1"
    findings = at.dataframe[2].value
    assert "Brute force" in set(findings["rule"])
    # Links to other profiles keep the page's filter but not the IP being profiled.
    assert not any(f"ip={ip}" in link for link in findings["user_profile"].dropna())
    assert len(at.dataframe[3].value) == events  # fewer than a page of latest events


def test_user_profile(demo: DemoDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    take = STORY["takeover"]
    at = _open("pages/user.py", demo, monkeypatch, id=str(take["user_id"]))
    assert at.title[0].value.startswith("User profile: `")
    events = _week_count(demo, "user_id = :u", u=take["user_id"])
    assert _metric(at, "Events in range") == f"{events:,}"
    rules = set(at.dataframe[2].value["rule"])
    assert "Success after failures (possible takeover)" in rules
    assert "First-seen IP for a user" in rules
    last = demo.scalar(
        "SELECT max(created_at) FROM audit_logs WHERE user_id = :u", u=take["user_id"]
    )
    shown = str(last)[:16]  # SQLite returns the stored text, PostgreSQL a datetime
    assert _metric(at, "Last seen (ever)") == shown


@pytest.mark.parametrize(("page", "params"), [("pages/user.py", {"id": "x"}), ("pages/ip.py", {})])
def test_profiles_without_an_entity_explain_how_to_open_one(
    demo: DemoDatabase, monkeypatch: pytest.MonkeyPatch, page: str, params: dict[str, str]
) -> None:
    at = _open(page, demo, monkeypatch, **params)
    assert "Security page" in at.info[0].value


@pytest.mark.parametrize(
    ("text", "expected"),
    [("a@b.example", "` a@b.example `"), ("x`y``z", "``` x`y``z ```"), ("[a](b)", "` [a](b) `")],
)
def test_entity_names_in_titles_are_code_spans(text: str, expected: str) -> None:
    assert markdown_code(text) == expected
