"""Hardening (issue 13, items 1, 2, 5 and 6): a failing query is shown once, viewers see
no rows and no identity, cannot filter on what is masked, and text from the URL or the data
never renders as markdown."""

from __future__ import annotations

import tomllib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from audit import queries
from audit.access import Identities, mask_text, viewer_filter
from audit.filters import AuditFilter
from audit.ui.safe import markdown_code, md_escape
from tests.support.apptest import APP, page_text, run_page
from tests.support.databases import DEMO_END, DemoDatabase, fresh_database, pg_server_url
from tests.support.secrets import SECRETS, VIEWER

WEEK = {
    "range": "custom",
    "from": "2026-11-13T00:00:00+00:00",
    "to": "2026-11-20T00:00:00+00:00",
    "tz": "UTC",
}


@pytest.fixture
def open_page(demo: DemoDatabase, monkeypatch: pytest.MonkeyPatch):
    """Runs a page over the demo's last week; ``user`` signs in (sign-in configured)."""
    monkeypatch.setenv("AUDIT_DB_URL", demo.url)
    return _open


def _open(page: str, user: dict | None = None, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if user is not None:
        at.user = user
        at.secrets = tomllib.loads(SECRETS)
    for key, value in (WEEK | params).items():
        at.query_params[key] = value
    at.run()
    if page != "pages/overview.py":
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


# -- 1. a query the database refuses is shown once; only a lost database is waited for


@pytest.fixture
def reader_without_users(tmp_path: Path) -> Iterator[str]:
    """A PostgreSQL database with demo data, read by a role that may read audit_logs but
    not users (a common least-privilege mistake)."""
    from audit.tools.demo import write_demo

    role = f"reader_{uuid.uuid4().hex[:8]}"
    with fresh_database("postgresql", tmp_path) as url:
        write_demo(url, rows=2_000, days=7, seed=3, end=DEMO_END)
        writer = sa.create_engine(url)
        with writer.begin() as conn:
            conn.execute(sa.text(f'CREATE ROLE "{role}" LOGIN'))
            conn.execute(sa.text(f'GRANT SELECT ON audit_logs TO "{role}"'))
        yield sa.make_url(url).set(username=role).render_as_string(hide_password=False)
        with writer.begin() as conn:
            conn.execute(sa.text(f'REVOKE ALL ON audit_logs FROM "{role}"'))
        writer.dispose()
    with sa.create_engine(pg_server_url(), isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(sa.text(f'DROP ROLE IF EXISTS "{role}"'))


def test_a_refused_query_is_shown_once_without_waiting_for_the_database(
    reader_without_users: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_page("pages/overview.py", {"AUDIT_DB_URL": reader_without_users}, monkeypatch, **WEEK)
    text = page_text(at)
    assert "A query failed" in text and "permission denied" in text
    assert "Database unavailable" not in text
    assert "checking again" not in text.lower()  # no polling: it would fail the same way


def test_a_user_id_beyond_32_bits_is_a_notice_not_a_query(
    demo: DemoDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = WEEK | {"user": "3000000000"}
    at = run_page("pages/overview.py", {"AUDIT_DB_URL": demo.url}, monkeypatch, **params)
    assert not at.exception
    assert any("3000000000" in w.value for w in at.warning)
    assert "A query failed" not in page_text(at) and "unavailable" not in page_text(at)
    events = next(m for m in at.metric if m.label == "Events")
    expected = queries.count_events(demo.source, AuditFilter.from_params(WEEK)[0], demo.now)
    assert events.value == f"{expected:,}"


@pytest.mark.parametrize(
    "params",
    [{"exclude": "user:3000000000"}, {"selected": "99999999999999999999"}, {"selected": "²"}],
)
def test_explorer_ids_out_of_range_give_no_error(
    demo: DemoDatabase, monkeypatch: pytest.MonkeyPatch, params: dict[str, str]
) -> None:
    at = run_page("pages/explorer.py", {"AUDIT_DB_URL": demo.url}, monkeypatch, **WEEK, **params)
    assert not at.exception and "A query failed" not in page_text(at)
    assert at.dataframe


@pytest.mark.parametrize("event_id", ["99999999999999999999", "2147483648", "9" * 5000])
def test_event_ids_out_of_range_ask_for_an_id(
    demo: DemoDatabase, monkeypatch: pytest.MonkeyPatch, event_id: str
) -> None:
    at = run_page("pages/event.py", {"AUDIT_DB_URL": demo.url}, monkeypatch, id=event_id)
    assert not at.exception and "A query failed" not in page_text(at)
    assert any("event?id=123" in w.value for w in at.warning)


# -- 2. viewers: no row tables, no identity in text


def test_viewers_get_counts_instead_of_row_tables(open_page) -> None:
    at = open_page("pages/security.py", VIEWER)
    notes = [c.value for c in at.caption if "Rows are for analysts" in c.value]
    assert len(notes) == 2  # high and critical events; privilege and API-key lifecycle
    at = open_page("pages/security.py", VIEWER, report="1")
    assert len([c for c in at.caption if "Rows are for analysts" in c.value]) == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("login from 2001:db8:1:2::9 failed", "login from 2001:0db8:0001:x failed"),
        ("seen at fe80::1 and ::ffff:192.0.2.7.", "seen at fe80:0000:0000:x and 0000:0000:0000:x."),
        ("bob@localhost: off-hours grant", "@localhost: off-hours grant"),
        ("mail ann.lee+x@mail.corp.example now", "mail @mail.corp.example now"),
        ("at 10:30:00 on 2026-11-20", "at 10:30:00 on 2026-11-20"),
        ("Role of lukas.hoffmann changed", "Role of (hidden) changed"),
        ("Account Sofia Marquez locked", "Account (hidden) locked"),
        ("granted users:admin", "granted users:admin"),
    ],
)
def test_free_text_masks_every_identity(text: str, expected: str) -> None:
    people = Identities(frozenset({"lukas.hoffmann", "sofia marquez", "sofia.m@corp.example"}))
    assert mask_text(text, people) == expected


def test_known_identities_come_from_the_users_table(demo: DemoDatabase) -> None:
    from audit.queries.users import known_identities

    found = known_identities(demo.source)
    usernames = {row[0] for row in demo.rows("SELECT username FROM users")}
    assert usernames <= found and len(found) > len(usernames)


# -- 5. viewers cannot filter on what they cannot see


def test_viewer_filters_drop_masked_dimensions_and_search() -> None:
    flt = AuditFilter(
        range="7d",
        ip="203.0.113.9",
        users=(5,),
        text="sofia",
        actions=("login",),
        excludes=("ip:192.0.2.1", "action:logout"),
    )
    kept, notices = viewer_filter(flt)
    assert kept == AuditFilter(range="7d", actions=("login",), excludes=("action:logout",))
    assert len(notices) == 1 and "IP address" in notices[0] and "Search" in notices[0]
    assert viewer_filter(kept) == (kept, [])


def test_a_viewer_cannot_count_by_a_masked_value(open_page, demo: DemoDatabase) -> None:
    at = open_page("pages/overview.py", VIEWER, ip="203.0.113.9", q="sofia")
    assert any("cannot filter by" in w.value for w in at.warning)
    assert "203.0.113.9" not in page_text(at)
    assert not [b for b in at.button if "203.0.113.9" in b.label]
    events = next(m for m in at.metric if m.label == "Events")
    expected = queries.count_events(demo.source, AuditFilter.from_params(WEEK)[0], demo.now)
    assert events.value == f"{expected:,}"


# -- 6. text from the URL or the data never renders as markdown


@pytest.mark.parametrize(
    "text", ["see https://evil.example/x", "www.evil.example", "write to eve@evil.example"]
)
def test_escaped_text_is_not_autolinked(text: str) -> None:
    escaped = md_escape(text)
    assert "https\\:\\/\\/e" not in escaped and "www\\.e" not in escaped
    assert "\\@e" not in escaped


def test_inline_code_cannot_be_broken_by_a_blank_line() -> None:
    code = markdown_code("203.0.113.9\n\n[Sign in](https://evil.example)")
    assert "\n" not in code and code.startswith("` ") and code.endswith(" `")


def test_threshold_notices_from_the_url_are_text(open_page) -> None:
    at = open_page("pages/security.py", bf_n="[Sign in again](https://evil.example)")
    bodies = [w.value for w in at.warning if "Sign in again" in w.value]
    assert bodies and all("\\[Sign in again\\]" in body for body in bodies)


# -- 7. the timezone walk costs the same for a week and for millennia


def test_the_offset_walk_is_bounded_whatever_the_range(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import datetime

    from audit import timerange

    probes = []
    original = timerange._offset_seconds
    monkeypatch.setattr(
        timerange,
        "_offset_seconds",
        lambda zone, moment: probes.append(1) or original(zone, moment),
    )
    timerange._walk_offsets.cache_clear()
    segments = timerange.offset_segments("Europe/Berlin", datetime(1, 1, 2), datetime(9999, 12, 30))
    assert len(probes) < 40_000  # a probe a day from 1970 to ten years ahead, not 3.6 million
    assert segments[0][1] == 3600  # CET before the first transition walked
    summer = [offset for moment, offset in segments if moment.year == 2026]
    assert summer == [7200, 3600]  # the 2026 changes are exact


# -- 8. URL values that used to raise give a notice


HOSTILE_URLS = [
    ("pages/overview.py", {"now": "0001-01-01T00:00+14:00"}),
    ("pages/overview.py", {"now": "0001-01-02T00:00", "range": "7d"}),
    ("pages/overview.py", {"now": "9999-12-31T23:59", "range": "7d"}),
    (
        "pages/overview.py",
        {"range": "custom", "from": "0001-01-02T00:00", "to": "0001-01-05T00:00"},
    ),
    (
        "pages/overview.py",
        {"range": "custom", "from": "0001-01-01T00:00", "to": "9999-12-31T00:00"},
    ),
    ("pages/explorer.py", {"size": "²"}),
    ("pages/explorer.py", {"size": "9" * 5000}),
    ("pages/explorer.py", {"after": "2026-01-01T00:00:00_99999999999999999999"}),
    ("pages/explorer.py", {"before": "9999-12-31T23:59:59.999999_1"}),
    ("pages/user.py", {"id": "9" * 5000}),
    ("pages/security.py", {"bf_n": "9" * 5000}),
    ("pages/security.py", {"bh_start": "²"}),
]


@pytest.mark.parametrize(("page", "params"), HOSTILE_URLS)
def test_hostile_url_values_give_notices(
    demo: DemoDatabase, monkeypatch: pytest.MonkeyPatch, page: str, params: dict[str, str]
) -> None:
    at = run_page(page, {"AUDIT_DB_URL": demo.url}, monkeypatch, **params)
    assert not at.exception, [e.value for e in at.exception]
    assert "A query failed" not in page_text(at)


# -- issue 15, item 15: a page of one thing needs its key; --all writes what the query names


def test_snapshot_pages_follow_the_query() -> None:
    from argparse import Namespace

    from audit.snapshot import SnapshotError, pages_to_capture

    everything = Namespace(all=True, page=None)
    assert list(pages_to_capture(everything, "range=7d")) == ["overview", "explorer", "security"]
    pages = pages_to_capture(everything, "range=7d&ip=192.0.2.203&selected=5")
    assert list(pages) == ["overview", "explorer", "security", "event", "ip"]
    assert "id=5" in pages["event"] and "ip=192.0.2.203" in pages["ip"]
    user = pages_to_capture(Namespace(all=False, page=["user"]), "user=17&range=7d")
    assert "id=17" in user["user"]
    with pytest.raises(SnapshotError, match="needs id= or user="):
        pages_to_capture(Namespace(all=False, page=["user"]), "range=7d")
    with pytest.raises(SnapshotError, match="needs ip="):
        pages_to_capture(Namespace(all=False, page=["ip"]), "range=7d")
