"""The security page and the IP and user profiles in AppTest, over the demo database on
SQLite and PostgreSQL: they render, their numbers equal SQL, thresholds live in the URL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from streamlit.testing.v1 import AppTest

from audit.config import load_settings
from audit.filters import AuditFilter
from audit.security import Thresholds
from audit.security.incidents import Incident, find_incidents
from audit.ui.safe import markdown_code
from audit.ui.security import KEY
from audit.ui.security.triage import LIST_STEP, SHOWN_PARAM
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


def test_security_page_triages_incidents(
    demo: DemoDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _open("pages/security.py", demo, monkeypatch)
    failed = _week_count(demo, "action = 'login' AND success = :f", f=False)
    assert _metric(at, "Failed logins") == f"{failed:,}"
    assert not at.tabs
    take, brute, spray = STORY["takeover"], STORY["brute_force"], STORY["spraying"]
    stories = [m.value.replace("\\", "") for m in at.markdown]
    first = next(s for s in stories if "failed logins on" in s)
    assert first.startswith(f"{take['failure_count']} failed logins on ")
    assert "then a success from that IP, then a permission grant 11 min later" in first
    assert any(s.startswith("40 failed logins on ") and brute["ip"] in s for s in stories)
    assert any(
        s.startswith(f"{spray['attempts']} failed logins on 14 users from {spray['ip']}")
        for s in stories
    )
    assert [e.label for e in at.expander if e.label.startswith("Low risk: ")]
    counts = next(c.value for c in at.caption if c.value.endswith("low."))
    assert counts.startswith(_metric(at, "Incidents") + " incidents: 1 critical")
    headers = [h.value for h in at.header]
    assert headers == [
        "Incidents",
        "Failed logins",
        "High and critical security events",
        "Privilege changes and API-key lifecycle",
    ]


def test_chips_in_the_url_filter_the_list(
    demo: DemoDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _open("pages/security.py", demo, monkeypatch, risk="critical")
    counts = next(c.value for c in at.caption if " incidents" in c.value)
    assert counts.startswith("1 incidents (of ") and "critical" in counts
    assert not [e for e in at.expander if e.label.startswith("Low risk")]
    at = _open("pages/security.py", demo, monkeypatch, rule="spraying")
    assert next(c.value for c in at.caption if " incidents" in c.value).startswith("1 incidents")
    principal = f"user:{STORY['takeover']['user_id']}"
    at = _open("pages/security.py", demo, monkeypatch, principal=principal)
    assert at.selectbox(key=KEY + "triage.principal").value == principal
    at.pills(key=KEY + "triage.risk").set_value(["low"]).run()
    assert at.query_params["risk"] in ("low", ["low"])
    assert at.query_params["principal"] in (principal, [principal])


def test_an_incident_opens_from_its_url_with_its_events_and_profiles(
    demo: DemoDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _open("pages/security.py", demo, monkeypatch, risk="critical")
    opened = [b for b in at.button if b.label == "Investigate"]
    opened[0].click().run()
    incident = at.query_params["incident"]
    assert incident and at.query_params["risk"] in ("critical", ["critical"])
    links = {link.label: link for link in at.get("page_link")}
    take = STORY["takeover"]
    assert links["Open its 15 events in the Explorer"]
    assert f"IP {take['attacker_ip']}" in links and any(k.startswith("User ") for k in links)
    assert [t.value for t in at.text if take["attacker_ip"] in t.value]
    assert _metric(at, "Events") == "15"
    at.button(key=KEY + "triage.back").click().run()
    assert "incident" not in at.query_params
    assert at.query_params["risk"] in ("critical", ["critical"])
    again = _open("pages/security.py", demo, monkeypatch, incident=str(incident))
    assert _metric(again, "Events") == "15"  # reproducible from its URL
    at = _open("pages/security.py", demo, monkeypatch, incident="inc-000000000000")
    assert "No incident inc-000000000000" in " ".join(w.value for w in at.warning).replace("\\", "")


def test_thresholds_come_from_the_url_and_go_back_to_it(
    demo: DemoDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _open("pages/security.py", demo, monkeypatch, bf_n="41", sp_w="zero")
    rules = KEY + "triage.rule"
    assert "Brute force" not in at.pills(key=rules).options
    assert any("sp_w" in w.value.replace("\\", "") for w in at.warning)
    at.number_input(key=KEY + "threshold.bf_n").set_value(15).run()
    assert "Brute force" in at.pills(key=rules).options
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


WHOLE_DEMO = {"range": "custom", "from": "2026-08-01T00:00:00+00:00", "to": WEEK["to"]}


def _urgent_drawn(at: AppTest, urgent: list[Incident]) -> list[str]:
    """The incidents above low risk that have an Investigate button, in the page's order."""
    keys = {b.key for b in at.button}
    return [i.id for i in urgent if f"{KEY}triage.open.{i.id}" in keys]


def test_the_list_draws_twenty_and_more_on_request_from_the_url(
    demo: DemoDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hundred bordered rows took the browser longer than the rest of the page: the list
    draws LIST_STEP, and "Show more" adds as many, kept in the URL (``shown``)."""
    flt, _ = AuditFilter.from_params({k: [v] for k, v in (WEEK | WHOLE_DEMO).items()})
    found = find_incidents(demo.source, flt, demo.now, Thresholds.from_settings(load_settings()))
    urgent = [i for i in found.incidents if i.risk != "low"]
    assert len({i.id for i in urgent}) > 2 * LIST_STEP
    at = _open("pages/security.py", demo, monkeypatch, **WHOLE_DEMO)
    assert _urgent_drawn(at, urgent) == [i.id for i in urgent[:LIST_STEP]]
    shown = f"The first {LIST_STEP} of {len(urgent)} incidents are shown"
    assert any(c.value.startswith(shown) for c in at.caption)
    at.button(key=KEY + "triage.more.urgent").click().run()
    assert at.query_params[SHOWN_PARAM] in (str(2 * LIST_STEP), [str(2 * LIST_STEP)])
    assert _urgent_drawn(at, urgent) == [i.id for i in urgent[: 2 * LIST_STEP]]
    at = _open("pages/security.py", demo, monkeypatch, **WHOLE_DEMO, shown="lots")
    assert "shown='lots' is not a number" in " ".join(w.value for w in at.warning).replace("\\", "")
    assert _urgent_drawn(at, urgent) == [i.id for i in urgent[:LIST_STEP]]
