"""The security page and the IP and user profiles in report mode (``report=1``: no controls,
static tables, every detection drawn) and for viewers (addresses and emails masked, no
profiles), over the demo database on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
import tomllib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block, Dataframe, Node

from audit import queries, security
from audit.access import NO_IDENTITIES
from audit.config import load_settings
from audit.filters import AuditFilter
from audit.markers import COMPLETE_MARKER_ID
from audit.security import (
    Detections,
    Finding,
    Thresholds,
    detect,
    thresholds_from_params,
)
from audit.security.incidents import Incident, find_incidents
from audit.ui.security.masking import masked_summary
from audit.ui.security.sections import REPORT_LIST
from audit.ui.security.tables import REPORT_TOP
from audit.ui.security.triage import REPORT_INCIDENTS
from audit.vocab import is_security_event
from tests.support.apptest import APP, page_text
from tests.support.databases import DEMO_END, DemoDatabase
from tests.support.secrets import SECRETS, VIEWER
from tests.support.stories import STORY, WEEK

IPV4 = re.compile(r"\b\d+\.\d+\.\d+\.\d+\b")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.")
ROWS_SHOWN = re.compile(r"^… and [\d,]+ more events")
MORE = re.compile(r"^… and ([\d,]+) more (.+?): \[[^\]]+\]\(([^)]+)\)$")
WHOLE_DEMO = {"range": "custom", "from": "2026-08-01T00:00:00+00:00", "to": WEEK["to"]}
PROFILES = {
    "pages/ip.py": {"ip": STORY["brute_force"]["ip"]},
    "pages/user.py": {"id": str(STORY["takeover"]["user_id"])},
}


@pytest.fixture
def open_page(demo: DemoDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Runs a page over the demo's week; ``user`` signs in (sign-in configured) when given."""
    monkeypatch.setenv("AUDIT_DB_URL", demo.url)

    def run(page: str, user: dict | None = None, **params: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60)
        if user is not None:
            at.user = user
            at.secrets = tomllib.loads(SECRETS)  # sign-in configured, as st.secrets gives it
        for key, value in (WEEK | params).items():
            at.query_params[key] = value
        at.run()
        at.switch_page(page).run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return run


def _nodes(node: Node) -> Iterator[Node]:
    yield node
    if isinstance(node, Block):
        for child in node.children.values():
            yield from _nodes(child)


def _main_texts(at: AppTest) -> list[str]:
    """Everything the page's main area holds: each element's whole message (text, labels,
    HTML bodies, chart specs), and the cells of any interactive table, hidden columns too."""
    texts = []
    for node in _nodes(at.main):
        if isinstance(node, Dataframe):
            frame = node.value
            texts += [str(c) for c in frame.columns] + [str(v) for v in frame.to_numpy().ravel()]
        elif node.proto is not None:
            texts.append(str(node.proto))
    return texts


def _leaks(texts: list[str]) -> list[str]:
    return [m for t in texts for m in IPV4.findall(t) + EMAIL.findall(t)]


def _html(at: AppTest) -> str:
    return "\n".join(element.proto.body for element in at.get("html"))


def _expected(demo: DemoDatabase, **params: str) -> Detections:
    """What :func:`detect` finds for the page's filter and the URL's thresholds."""
    lists = {key: [value] for key, value in (WEEK | params).items()}
    flt, notices = AuditFilter.from_params(lists)
    defaults = Thresholds.from_settings(load_settings())
    thresholds, _ = thresholds_from_params(lists, defaults)
    assert not notices
    return detect(demo.source, flt, demo.now, thresholds)


def _expected_incidents(demo: DemoDatabase, **params: str) -> list[Incident]:
    lists = {key: [value] for key, value in (WEEK | params).items()}
    flt, _ = AuditFilter.from_params(lists)
    thresholds, _ = thresholds_from_params(lists, Thresholds.from_settings(load_settings()))
    return list(find_incidents(demo.source, flt, demo.now, thresholds).incidents)


def _row_links(at: AppTest) -> list[str]:
    """Links to the Explorer's rows, event details or profiles (the sidebar's are pages)."""
    words = ("in the Explorer", "profile", "Open")
    return [link.label for link in at.get("page_link") if any(w in link.label for w in words)]


def _assert_static(at: AppTest) -> None:
    """A report: no controls, links, tabs, expanders or interactive tables; complete."""
    assert not at.number_input and not at.tabs and not at.expander and not at.button
    assert not at.dataframe and not at.get("page_link")
    assert all(not chart.proto.selection_mode for chart in at.get("plotly_chart"))
    assert 'class="audit-static"' in _html(at) and COMPLETE_MARKER_ID in _html(at)


@pytest.mark.parametrize("params", [{}, {"bf_n": "15", "sp_n": "3", "ip_n": "4"}])
def test_security_report_shows_the_first_incidents_and_counts_the_rest(
    open_page, demo: DemoDatabase, params: dict[str, str]
) -> None:
    at = open_page("pages/security.py", report="1", **params)
    _assert_static(at)
    found = _expected_incidents(demo, **params)
    assert next(m.value for m in at.metric if m.label == "Incidents") == f"{len(found):,}"
    body = _html(at)
    urgent = [i for i in found if i.risk != "low"]
    assert all(html.escape(i.story) in body for i in urgent[:REPORT_INCIDENTS])
    assert not any(html.escape(i.story) in body for i in urgent[REPORT_INCIDENTS:])
    more = _more_lines(at)
    assert more.get("incidents", (0, ""))[0] == max(len(urgent) - REPORT_INCIDENTS, 0)
    _assert_low_risk_sentence(at, [i for i in found if i.risk == "low"])
    assert _leaks([body])  # analysts see addresses and emails (the scan finds them)


def _assert_low_risk_sentence(at: AppTest, low: list[Incident]) -> None:
    """Low-risk incidents are one sentence: how many, over how many principals, by rule."""
    captions = [c.value.replace("\\", "") for c in at.caption]  # markdown escapes dropped
    lines = [c for c in captions if c.startswith("**Low risk:")]
    if not low:
        assert not lines
        return
    principals = len({i.principal.key for i in low})
    assert len(lines) == 1 and f"{len(low):,} incidents over {principals:,} principals" in lines[0]
    by_rule = Counter(security.RULE_TITLES[r] for i in low for r in i.rules)
    assert all(f"{title} ({n:,})" in lines[0] for title, n in by_rule.items())
    assert "](security" in lines[0]


def test_an_incident_report_is_static_and_complete(open_page, demo: DemoDatabase) -> None:
    top = _expected_incidents(demo)[0]
    at = open_page("pages/security.py", report="1", incident=top.id)
    _assert_static(at)
    body = _html(at)
    assert "When (UTC)" in body
    assert top.story in [m.value.replace("\\", "").replace("\u200b", "") for m in at.markdown]
    assert all(html.escape(f.summary) in "\n".join(t.value for t in at.text) for f in top.findings)


@pytest.mark.parametrize("page", PROFILES)
def test_profile_reports_are_static_and_complete(open_page, page: str) -> None:
    at = open_page(page, report="1", **PROFILES[page])
    _assert_static(at)
    assert any(m.label == "Events in range" for m in at.metric)
    assert "Findings involving it" in [s.value for s in at.subheader]
    body = _html(at)
    assert "What fired and why" in body and "User agent" in body
    events = next(m.value for m in at.metric if m.label == "Events in range")
    truncated = [c.value for c in at.caption if ROWS_SHOWN.match(c.value)]
    hidden = int(events.replace(",", "")) - 50
    assert truncated == ([f"… and {hidden:,} more events"] if hidden > 0 else [])


@pytest.mark.parametrize("report", ["0", "1"])
def test_viewers_see_the_security_page_masked(open_page, report: str) -> None:
    at = open_page("pages/security.py", VIEWER, report=report)
    assert any(m.label == "Incidents" for m in at.metric)
    assert not _leaks(_main_texts(at)), _leaks(_main_texts(at))[:5]
    assert not _row_links(at)
    assert "@corp.example.com" in "\n".join(_main_texts(at))  # masked, not left out
    assert not any(s.label == "Principal" for s in at.selectbox)  # no chip on masked values


@pytest.mark.parametrize("report", ["0", "1"])
def test_viewers_see_an_incident_masked(open_page, demo: DemoDatabase, report: str) -> None:
    top = _expected_incidents(demo)[0]
    at = open_page("pages/security.py", VIEWER, report=report, incident=top.id)
    texts = "\n".join(_main_texts(at))
    assert "failed logins on @corp.example.com from 192.0.2.x" in texts
    assert not _leaks(_main_texts(at)), _leaks(_main_texts(at))[:5]
    assert not _row_links(at)


@pytest.mark.parametrize("page", PROFILES)
@pytest.mark.parametrize("report", ["0", "1"])
def test_viewers_get_no_profiles(open_page, page: str, report: str) -> None:
    at = open_page(page, VIEWER, report=report, **PROFILES[page])
    assert "viewer" in page_text(at)
    assert not at.dataframe and not at.metric and not at.get("plotly_chart")
    assert 'class="audit-static"' not in _html(at)
    assert not _leaks(_main_texts(at))  # the report header masks the IP filter too


def test_masked_summaries_hide_ipv6_addresses_and_usernames() -> None:
    finding = Finding(
        rule="new_ip",
        risk="low",
        summary="api used 2001:db8:1:2::9 and 203.0.113.9 for api_key_create; ann@x.example.",
        first_seen=DEMO_END,
        last_seen=DEMO_END,
        events=1,
        evidence=AuditFilter(),
        ip="2001:db8:1:2::9",
        user_id=7,
        ips=("2001:db8:1:2::9", "203.0.113.9"),
        user_ids=(7,),
    )
    assert masked_summary(finding, {7: "api"}, NO_IDENTITIES) == (
        "(hidden) used 2001:0db8:0001:x and 203.0.113.x for api_key_create; @x.example."
    )


def _more_lines(at: AppTest) -> dict[str, tuple[int, str]]:
    """The report's "… and N more <noun>: [see them all …](url)" lines, by noun."""
    found = [MORE.match(c.value) for c in at.caption]
    return {m[2]: (int(m[1].replace(",", "")), m[3]) for m in found if m}


def _high_security_truth(demo: DemoDatabase) -> int:
    """High and critical security events in the whole demo, counted in plain SQL and Python."""
    rows = demo.rows(
        "SELECT action, category FROM audit_logs WHERE created_at >= '2026-08-01' "
        "AND created_at < :end AND severity IN ('critical', 'high', 'error')",
        end=DEMO_END,
    )
    return sum(is_security_event(r.action, r.category) for r in rows)


def test_the_security_report_caps_its_lists_and_links_to_the_rest(
    open_page, demo: DemoDatabase
) -> None:
    """Every list of the report is short; each cut one says how many more, and its link
    opens exactly them (the explorer) or the page that lists them all (the security page)."""
    at = open_page("pages/security.py", report="1", **WHOLE_DEMO)
    _assert_static(at)
    tables = re.findall(r"<tbody>(.*?)</tbody>", _html(at), flags=re.S)
    assert tables and all(t.count("<tr>") <= REPORT_LIST for t in tables)
    more = _more_lines(at)
    high = _high_security_truth(demo)
    assert high > REPORT_LIST
    hidden, url = more.get("high and critical security events", (0, ""))
    assert (hidden, url.split("?")[0]) == (high - REPORT_LIST, "explorer")
    flt, notices = AuditFilter.from_params(parse_qs(url.split("?", 1)[1]))
    assert not notices and queries.count_events(demo.source, flt, demo.now) == high
    incidents = _expected_incidents(demo, **WHOLE_DEMO)
    urgent = sum(i.risk != "low" for i in incidents)
    if urgent > REPORT_INCIDENTS:
        assert more["incidents"][0] == urgent - REPORT_INCIDENTS
        assert more["incidents"][1].startswith("security?")
    page_filter = AuditFilter.from_params({k: [v] for k, v in (WEEK | WHOLE_DEMO).items()})[0]
    _assert_top_failing_capped(at, demo, more, page_filter)
    thresholds = Thresholds.from_settings(load_settings())
    changes = security.lifecycle(demo.source, page_filter, demo.now, thresholds)
    noun = "of the newest 500 changes" if len(changes) == 500 else "changes"
    assert more[noun][0] == len(changes) - REPORT_LIST
    assert more[noun][1].startswith("security?") and "report" not in more[noun][1]


def _assert_top_failing_capped(
    at: AppTest, demo: DemoDatabase, more: dict[str, tuple[int, str]], page_filter: AuditFilter
) -> None:
    """The top failing IPs and users: the first few, how many more (failing IPs and users
    counted in plain SQL), and the Explorer on exactly the failed logins, whose facets
    list them all."""
    failures = security.login_failures_filter(page_filter)
    assert failures is not None
    truth = demo.rows(
        "SELECT count(DISTINCT ip_address), count(DISTINCT user_id) FROM audit_logs "
        "WHERE created_at >= '2026-08-01' AND created_at < :end AND action = 'login' "
        "AND success = :failed",
        end=DEMO_END,
        failed=False,
    )[0]
    for noun, total in (("IPs", truth[0]), ("users", truth[1])):
        assert total > REPORT_TOP
        hidden, url = more[noun]
        assert hidden == total - REPORT_TOP and url.startswith("explorer?")
        assert AuditFilter.from_params(parse_qs(url.split("?", 1)[1]))[0] == failures
