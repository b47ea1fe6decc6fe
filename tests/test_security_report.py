"""The security page and the IP and user profiles in report mode (``report=1``: no controls,
static tables, every detection drawn) and for viewers (addresses and emails masked, no
profiles), over the demo database on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block, Dataframe, Node

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
from tests.support.apptest import APP, page_text
from tests.support.databases import DEMO_END, DemoDatabase
from tests.support.secrets import SECRETS, VIEWER
from tests.support.stories import STORY, WEEK

IPV4 = re.compile(r"\b\d+\.\d+\.\d+\.\d+\b")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.")
ROWS_SHOWN = re.compile(r"^[\d,]+ of [\d,]+ rows shown$")
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
def test_security_report_shows_every_incident(
    open_page, demo: DemoDatabase, params: dict[str, str]
) -> None:
    at = open_page("pages/security.py", report="1", **params)
    _assert_static(at)
    found = _expected_incidents(demo, **params)
    assert next(m.value for m in at.metric if m.label == "Incidents") == f"{len(found):,}"
    body = _html(at)
    assert all(html.escape(i.story) in body for i in found if i.risk != "low")
    assert all(html.escape(i.principal.label) in body for i in found if i.risk == "low")
    assert _leaks([body])  # analysts see addresses and emails (the scan finds them)


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
    assert truncated == (
        [f"50 of {events} rows shown"] if int(events.replace(",", "")) > 50 else []
    )


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
