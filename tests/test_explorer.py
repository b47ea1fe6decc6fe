"""The Explorer and the event detail: counts, paging, exclusions, selection, before/after,
related events; against SQL, on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import sqlalchemy as sa

from audit import queries
from audit.filters import AuditFilter
from audit.queries import Cursor, decode_cursor, encode_cursor
from tests.support.apptest import page_text, run_page
from tests.support.databases import DemoDatabase

WINDOW = {
    "range": "custom",
    "from": "2026-11-13T00:00:00+00:00",
    "to": "2026-11-20T00:00:00+00:00",
    "tz": "UTC",
}
WINDOW_SQL = "created_at >= '2026-11-13' AND created_at < '2026-11-20'"


def _captions(at) -> str:
    return " | ".join(c.value for c in at.caption)


def test_explorer_shows_exact_total_and_first_page(
    demo: DemoDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_page(
        "pages/explorer.py", {"AUDIT_DB_URL": demo.url}, monkeypatch, severity="low", **WINDOW
    )
    assert not at.exception
    total = demo.scalar(
        f"SELECT count(*) FROM audit_logs WHERE {WINDOW_SQL} AND severity IN ('low', 'info')"
    )
    assert f"Rows 1 to 50 of {total:,}" in _captions(at)
    table = at.dataframe[0].value
    newest = [
        r.id
        for r in demo.rows(
            f"SELECT id FROM audit_logs WHERE {WINDOW_SQL} AND severity IN ('low', 'info') ORDER BY created_at DESC, id DESC LIMIT 50"
        )
    ]
    assert list(table["id"]) == newest


def _cursor_of(demo: DemoDatabase, offset: int) -> str:
    row = demo.rows(
        f"SELECT id, created_at FROM audit_logs WHERE {WINDOW_SQL} "
        "ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET :o",
        o=offset,
    )[0]
    created = row.created_at
    created = created if isinstance(created, datetime) else datetime.fromisoformat(created)
    return encode_cursor(Cursor(created, row.id))


def _ids(demo: DemoDatabase, offset: int, limit: int) -> list[int]:
    sql = (
        f"SELECT id FROM audit_logs WHERE {WINDOW_SQL} "
        "ORDER BY created_at DESC, id DESC LIMIT :l OFFSET :o"
    )
    return [r.id for r in demo.rows(sql, l=limit, o=offset)]


def test_paging_by_cursor_in_the_url(demo: DemoDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    # Clicking Older/Newer writes these parameters (checked in the browser test).
    env = {"AUDIT_DB_URL": demo.url}
    total = demo.scalar(f"SELECT count(*) FROM audit_logs WHERE {WINDOW_SQL}")
    after = _cursor_of(demo, 24)
    at = run_page("pages/explorer.py", env, monkeypatch, size="25", after=after, **WINDOW)
    assert not at.exception
    assert f"Rows 26 to 50 of {total:,}" in _captions(at)
    assert list(at.dataframe[0].value["id"]) == _ids(demo, 25, 25)
    before = _cursor_of(demo, 50)
    at = run_page("pages/explorer.py", env, monkeypatch, size="25", before=before, **WINDOW)
    assert f"Rows 26 to 50 of {total:,}" in _captions(at)
    assert list(at.dataframe[0].value["id"]) == _ids(demo, 25, 25)


def test_bad_page_parameters_give_notices(
    demo: DemoDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_page(
        "pages/explorer.py",
        {"AUDIT_DB_URL": demo.url},
        monkeypatch,
        size="7",
        after="garbage",
        **WINDOW,
    )
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "Page size" in warnings and "page position" in warnings
    assert "Rows 1 to 50" in _captions(at)


def event_fields(at) -> dict[str, str]:
    """The selected event's fields, read from its plain table (field, value rows)."""
    for element in at.html:
        if "<th>field</th><th>value</th>" in element.value:
            cells = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td></tr>", element.value, re.S)
            return {html.unescape(k): html.unescape(v) for k, v in cells}
    raise AssertionError("no field table")


def test_selected_event_shows_every_field_and_before_after(
    demo: DemoDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = demo.rows(
        "SELECT id, action, description FROM audit_logs WHERE category = 'user_management' "
        "AND old_values IS NOT NULL AND new_values IS NOT NULL ORDER BY id LIMIT 1"
    )[0]
    at = run_page(
        "pages/explorer.py",
        {"AUDIT_DB_URL": demo.url},
        monkeypatch,
        selected=str(row.id),
        range="all",
    )
    assert not at.exception
    assert any(h.value == f"Event {row.id}" for h in at.subheader)
    values = event_fields(at)
    assert next(iter(values)) == "Outcome"  # outcome (and error) first
    assert values["Event id"] == str(row.id) and values["Action"] == row.action
    assert values["Description"] == row.description
    assert any("Before and after" in m.value for m in at.markdown)
    assert any(link.proto.label == "Open on its own page" for link in at.get("page_link"))


def test_event_page_by_url(demo: DemoDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    event_id = demo.scalar("SELECT max(id) FROM audit_logs WHERE session_id IS NOT NULL")
    at = run_page(
        "pages/event.py", {"AUDIT_DB_URL": demo.url}, monkeypatch, id=str(event_id), severity="low"
    )
    assert not at.exception
    assert any(h.value == f"Event {event_id}" for h in at.subheader)
    assert any(h.value == "Related events" for h in at.subheader)
    # Only what concerns the event: no filter bar, no link to the page it is on.
    assert not at.sidebar.multiselect and not at.sidebar.selectbox
    assert all(link.proto.label != "Open on its own page" for link in at.get("page_link"))
    for bad in ("999999999", "abc"):
        at = run_page("pages/event.py", {"AUDIT_DB_URL": demo.url}, monkeypatch, id=bad)
        assert not at.exception and at.warning


def _sql_ids(demo: DemoDatabase, where: str, order: str, **params: object) -> list[int]:
    sql = f"SELECT id FROM audit_logs WHERE ({where}) ORDER BY {order} LIMIT 10"
    return [r.id for r in demo.rows(sql, **params)]


def test_related_events_are_one_timeline_around_the_event(demo: DemoDatabase) -> None:
    event_id = demo.scalar(
        "SELECT max(id) FROM audit_logs WHERE ip_address IS NOT NULL AND user_id IS NOT NULL "
        "AND session_id IS NOT NULL"
    )
    event = queries.event_by_id(demo.source, int(event_id), "UTC")
    assert event is not None
    related = queries.related_timeline(demo.source, event, "UTC")
    row = demo.rows(
        "SELECT user_id, ip_address, session_id, created_at FROM audit_logs WHERE id = :i",
        i=event_id,
    )[0]
    created = row.created_at
    created = created if isinstance(created, datetime) else datetime.fromisoformat(created)
    window = {"lo": created - timedelta(minutes=30), "hi": created + timedelta(minutes=30)}
    near = "created_at >= :lo AND created_at <= :hi"
    reasons = {
        "same session": "session_id = :s",
        "same user": f"user_id = :u AND {near}",
        "same IP": f"ip_address = :ip AND {near}",
    }
    params = {"s": row.session_id, "u": row.user_id, "ip": row.ip_address, **window}
    union = " OR ".join(f"({c})" for c in reasons.values())
    before = _sql_ids(
        demo,
        f"({union}) AND (created_at < :t OR (created_at = :t AND id < :i))",
        "created_at DESC, id DESC",
        t=created,
        i=event_id,
        **params,
    )
    after = _sql_ids(
        demo,
        f"({union}) AND (created_at > :t OR (created_at = :t AND id > :i))",
        "created_at, id",
        t=created,
        i=event_id,
        **params,
    )
    timeline = related.timeline
    assert list(timeline["id"]) == [*before[::-1], event_id, *after]  # each once, in time order
    assert timeline.loc[timeline["id"] == event_id, "related"].item() == queries.SELF
    shown = set(timeline["id"]) - {event_id}
    for reason, condition in reasons.items():
        sql = f"SELECT id FROM audit_logs WHERE ({condition}) AND id != :i"
        expected = {r.id for r in demo.rows(sql, i=event_id, **params)}
        said = {
            int(i)
            for i, why in zip(timeline["id"], timeline["related"], strict=True)
            if reason in why
        }
        assert said == expected & shown, reason
    assert related.totals["session"] == demo.scalar(
        "SELECT count(*) FROM audit_logs WHERE session_id = :s AND id != :i",
        s=row.session_id,
        i=event_id,
    )


def test_search_and_the_ip_facet_share_the_wildcard_rule(demo: DemoDatabase) -> None:
    by_ip = queries.count_events(demo.source, AuditFilter(range="all", ip="192.0.2.*"), demo.now)
    in_sql = demo.scalar("SELECT count(*) FROM audit_logs WHERE ip_address LIKE '192.0.2.%'")
    assert by_ip == in_sql and by_ip > 0
    searched = AuditFilter(range="all", text="192.0.2.*")
    assert queries.count_events(demo.source, searched, demo.now) >= by_ip
    literal = AuditFilter(range="all", text="192.0.2.%")  # % is a character like any other
    assert queries.count_events(demo.source, literal, demo.now) == 0


def test_exclusions_match_sql(demo: DemoDatabase) -> None:
    flt = AuditFilter(
        range="all",
        excludes=("raw_severity:info", "severity:unset", "action:login", "outcome:failure"),
    )
    expected = demo.scalar(
        "SELECT count(*) FROM audit_logs WHERE severity IN "
        "('critical', 'high', 'error', 'medium', 'warning', 'low') "
        "AND action != 'login' AND (success IS NULL OR success = true)"
    )
    assert queries.count_events(demo.source, flt, demo.now) == expected
    user = demo.scalar("SELECT min(user_id) FROM audit_logs")
    flt = AuditFilter(range="all", excludes=(f"user:{user}",))
    expected = demo.scalar(
        "SELECT count(*) FROM audit_logs WHERE user_id IS NULL OR user_id != :u", u=user
    )
    assert queries.count_events(demo.source, flt, demo.now) == expected


def test_rows_before_counts_the_position(demo: DemoDatabase) -> None:
    flt = AuditFilter(range="7d")
    page = queries.page_rows(demo.source, flt, demo.now, size=25)
    second = queries.page_rows(demo.source, flt, demo.now, size=25, after=page.last)
    assert queries.rows_before(demo.source, flt, demo.now, second.first) == 25
    oldest = queries.page_rows(demo.source, flt, demo.now, size=10, newest_first=False)
    assert queries.rows_before(demo.source, flt, demo.now, oldest.first, newest_first=False) == 0


def test_cursor_round_trip() -> None:
    for cursor in (Cursor(datetime(2026, 11, 1, 12, 0, 0, 123456), 42), Cursor(None, 7)):
        assert decode_cursor(encode_cursor(cursor)) == cursor
    for bad in (
        "",
        "x",
        "2026-11-01_",
        "_5",
        "2026-13-01T00:00_5",
        "2026-11-01T00:00+01:00_5",
        "2026_-5",
    ):
        assert decode_cursor(bad) is None


def test_page_text_never_renders_table_text_as_markdown(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from audit.schema import audit_logs, metadata

    writer = sa.create_engine(db_url)
    metadata.create_all(writer)
    hostile = "**bold** [link](javascript:alert(1)) <img src=x onerror=alert(1)> :red[x]"
    with writer.begin() as conn:
        conn.execute(
            audit_logs.insert().values(
                action=hostile,
                resource_type="x",
                description=hostile,
                created_at=datetime(2026, 11, 1),
            )
        )
    writer.dispose()
    at = run_page(
        "pages/explorer.py", {"AUDIT_DB_URL": db_url}, monkeypatch, range="all", selected="1"
    )
    assert not at.exception
    assert hostile not in page_text(at)  # never passed to a markdown element unescaped
    # Facet options are plain text (a select never renders markdown), with their counts.
    options = [o for el in at.multiselect for o in el.options]
    assert any(o.startswith(hostile) for o in options)
    assert hostile in event_fields(at)["Action"]  # an escaped HTML cell, shown as text


def test_the_explorer_report_says_which_events_it_shows(
    demo: DemoDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_page(
        "pages/explorer.py", {"AUDIT_DB_URL": demo.url}, monkeypatch, report="1", **WINDOW
    )
    assert not at.exception
    total = demo.scalar(f"SELECT count(*) FROM audit_logs WHERE {WINDOW_SQL}")
    assert total > 50
    captions = [c.value for c in at.caption]
    assert f"The newest 50 of {total:,} events" in captions
    (more,) = [c for c in captions if c.startswith("… and")]
    match = re.fullmatch(
        r"… and ([\d,]+) more events: \[see them all in the Explorer\]\((.+)\)", more
    )
    assert match is not None and int(match[1].replace(",", "")) == total - 50
    url = urlparse(match[2])
    assert url.path == "explorer" and "report" not in parse_qs(url.query)
    shown, notices = AuditFilter.from_params(parse_qs(url.query))
    assert not notices and queries.count_events(demo.source, shown, demo.now) == total
