"""Every page and the event detail on hostile data: no exception, nothing rendered as markup."""

from __future__ import annotations

import io

import pytest

from audit import queries
from audit.export import write_export
from audit.filters import AuditFilter
from tests.support.apptest import PAGES, page_text, run_page
from tests.support.databases import DemoDatabase
from tests.support.hostile import IMG, MD_LINK, SCRIPT

QUERIES = [
    {"range": "all"},
    {"range": "all", "tz": "Asia/Kolkata", "q": "<script>"},
]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("params", QUERIES, ids=["all", "search"])
def test_pages_render_hostile_data(
    hostile: DemoDatabase, page: str, params: dict, monkeypatch
) -> None:
    extra = {"id": "1", "ip": "203.0.113.66"} if page in ("pages/event.py", "pages/ip.py") else {}
    at = run_page(page, {"AUDIT_DB_URL": hostile.url}, monkeypatch, **params, **extra)
    assert not at.exception, [e.value for e in at.exception]
    text = page_text(at)
    for payload in (SCRIPT, IMG, MD_LINK):
        assert payload not in text


def test_every_hostile_event_detail_renders(hostile: DemoDatabase, monkeypatch) -> None:
    ids = [
        r.id
        for r in hostile.rows("SELECT id FROM audit_logs WHERE action != 'same-time' ORDER BY id")
    ]
    for event_id in ids:
        at = run_page(
            "pages/event.py",
            {"AUDIT_DB_URL": hostile.url},
            monkeypatch,
            id=str(event_id),
            range="all",
        )
        assert not at.exception, (event_id, [e.value for e in at.exception])
        assert any(h.value == f"Event {event_id}" for h in at.subheader)


def test_aggregates_over_hostile_data_equal_sql(hostile: DemoDatabase) -> None:
    flt = AuditFilter(range="all", tz="Europe/Berlin")
    total = hostile.scalar("SELECT count(*) FROM audit_logs")
    assert queries.count_events(hostile.source, flt, hostile.now) == total
    frame = queries.volume(hostile.source, flt, hostile.now, "severity")
    dated = hostile.scalar("SELECT count(*) FROM audit_logs WHERE created_at IS NOT NULL")
    assert int(frame["count"].sum()) == dated
    kpis = queries.kpis(hostile.source, flt, hostile.now)
    assert kpis.current["Events"] == total
    rhythm = queries.activity_rhythm(hostile.source, flt, hostile.now)
    assert int(rhythm["count"].sum()) == dated


def test_search_finds_the_payload_as_text(hostile: DemoDatabase) -> None:
    flt = AuditFilter(range="all", text="<script>window")
    page = queries.page_rows(hostile.source, flt, hostile.now, size=50)
    assert set(page.rows["action"]) == {SCRIPT, "login"}  # in the action's description / error


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet", "jsonl"])
def test_every_export_format_over_hostile_data(hostile: DemoDatabase, fmt: str) -> None:
    import io

    from audit.export import write_export

    out = io.BytesIO()
    flt = AuditFilter(range="all")
    written = write_export(hostile.source, flt, hostile.now, fmt, out, cap=1_000_000)
    assert written == hostile.scalar(
        "SELECT count(*) FROM audit_logs WHERE created_at IS NOT NULL OR created_at IS NULL"
    )
    if fmt in ("csv", "jsonl"):  # the 1 MB description is in it, whole (Excel caps cells)
        assert out.getbuffer().nbytes > 1_000_000


def _same_csv_both_ways(db: DemoDatabase, flt: AuditFilter) -> None:
    fast, slow = io.BytesIO(), io.BytesIO()
    rows = write_export(db.source, flt, db.now, "csv", fast, cap=10**6, chunk_size=700)
    write_export(db.source, flt, db.now, "csv", slow, cap=10**6, transform=lambda row: row)
    assert rows > 20 and fast.getvalue() == slow.getvalue()


@pytest.mark.parametrize("tz", ["UTC", "Europe/Berlin", "Asia/Kolkata"])
def test_csv_fast_path_writes_the_same_bytes_as_the_row_by_row_path(
    hostile: DemoDatabase, tz: str
) -> None:
    """Without a transform, CSV cells are made straight from database rows; with one, from
    export rows. An identity transform must change nothing."""
    _same_csv_both_ways(hostile, AuditFilter(range="all", tz=tz))


def test_csv_fast_path_on_demo_data(demo: DemoDatabase) -> None:
    _same_csv_both_ways(demo, AuditFilter(range="7d", tz="America/New_York"))
