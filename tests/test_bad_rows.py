"""One bad row must not break a page. A ``created_at`` in the year 9999 (both databases),
and on SQLite, which stores whatever it is given, a ``created_at`` stored as text that is
not SQLAlchemy's, as an integer or a real, and a ``user_id`` stored as text. Every page
renders, aggregates count every row, the explorer pages through every row once in either
direction, each event opens with its neighbours, and exports hold every row."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from audit import queries
from audit.db import check_database, create_readonly_engine
from audit.export.write import write_export
from audit.filters import AuditFilter
from audit.mirror import Mirror
from audit.schema import audit_logs, metadata, users
from tests.support.apptest import page_text, run_page
from tests.support.databases import DIALECTS, DemoDatabase, fresh_database

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
FAR_FUTURE = datetime(9999, 12, 31, 23, 59, 59, 999999)  # the largest time Python holds
USER_ID, IP, SESSION = 1, "192.0.2.1", "s-1"
# What SQLite holds in created_at when another program wrote it: SQL literals, by name.
SQLITE_ODD_TIMES = {
    "text": "'not a time'",
    "iso_text": "'2026-11-18T11:00:00Z'",
    "short_text": "'2026-11-18 12:00:00'",
    "integer": "1763460000",
    "real": "1763460000.5",
}
TIMEZONES = ("UTC", "Asia/Tokyo", "America/New_York")


def _ordinary_rows() -> list[dict]:
    rows = []
    for i in range(30):
        rows.append(
            {
                "action": "login" if i % 3 else "update",
                "resource_type": "user",
                "description": f"ordinary {i}",
                "user_id": USER_ID if i % 2 else 2,
                "ip_address": IP if i % 2 else "192.0.2.2",
                "session_id": SESSION,
                "success": bool(i % 5),
                "severity": ("low", "high", "critical")[i % 3],
                "category": "authentication",
                "created_at": datetime(2026, 11, 10 + i % 8, 8 + i % 10, i),
            }
        )
    return rows


# Each bad value is written into rows every detection rule reads: a failed login, a
# successful one and a role change, by user 1 from one IP in one session.
BAD_KINDS = (("login", False), ("login", True), ("role_change", True))
BAD = {
    "resource_type": "user",
    "user_id": USER_ID,
    "ip_address": IP,
    "session_id": SESSION,
    "severity": "high",
}


def write_bad_rows(url: str) -> dict[str, int]:
    """Ordinary events and the bad rows; by name, the id of each bad value's first row."""
    engine = sa.create_engine(url)
    metadata.create_all(engine)
    ids: dict[str, int] = {}
    with engine.begin() as conn:
        conn.execute(
            users.insert(),
            [{"id": i, "email": f"u{i}@example.com", "username": f"u{i}"} for i in (1, 2)],
        )
        conn.execute(audit_logs.insert(), _ordinary_rows())
        for action, success in reversed(BAD_KINDS):
            far = BAD | {"action": action, "success": success, "created_at": FAR_FUTURE}
            inserted = conn.execute(audit_logs.insert().values(far | {"description": "far future"}))
            ids["far_future"] = inserted.inserted_primary_key[0]
        if engine.dialect.name == "sqlite":
            ids |= _write_sqlite_odd_rows(conn)
    engine.dispose()
    return ids


def _write_sqlite_odd_rows(conn: sa.Connection) -> dict[str, int]:
    odd = [(name, "1", stored) for name, stored in SQLITE_ODD_TIMES.items()]
    odd.append(("text_user_id", "'abc'", "'2026-11-18 12:30:00.000000'"))
    columns = "action, success, description, user_id, created_at, resource_type, ip_address, session_id, severity"
    ids = {}
    for name, user_id, stored in odd:
        for action, success in reversed(BAD_KINDS):
            values = f"'{action}', {int(success)}, '{name}', {user_id}, {stored}, 'user', '{IP}', '{SESSION}', 'high'"
            ids[name] = conn.execute(
                sa.text(f"INSERT INTO audit_logs ({columns}) VALUES ({values})")
            ).lastrowid
    return ids


@pytest.fixture(scope="module", params=DIALECTS)
def bad(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[DemoDatabase, dict[str, int]]]:
    with fresh_database(request.param, tmp_path_factory.mktemp("bad")) as url:
        ids = write_bad_rows(url)
        writer = sa.create_engine(url)
        engine = create_readonly_engine(url)
        report = check_database(engine)
        assert report.ok and report.source is not None, report.message
        yield DemoDatabase(request.param, url, writer, report.source, NOW), ids
        engine.dispose()
        writer.dispose()


def _all_ids(db: DemoDatabase) -> list[int]:
    return [row[0] for row in db.rows("SELECT id FROM audit_logs ORDER BY id")]


def _filter(tz: str, **params: str) -> AuditFilter:
    flt, notices = AuditFilter.from_params(
        {"range": ["all"], "tz": [tz]} | {k: [v] for k, v in params.items()}
    )
    assert not notices
    return flt


# ---------------------------------------------------------------------------------------
# Pages


PAGE_PARAMS = {
    "pages/overview.py": {},
    "pages/explorer.py": {},
    "pages/security.py": {},
    "pages/ip.py": {"ip": IP},
    "pages/user.py": {"id": str(USER_ID)},
}
# Each timezone interactively, and a report (as snapshots draw it) east of Greenwich.
VIEWS = [{"tz": tz} for tz in TIMEZONES] + [{"tz": "Asia/Tokyo", "report": "1"}]


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: "-".join(v.values()))
@pytest.mark.parametrize("page", list(PAGE_PARAMS))
def test_every_page_renders_over_bad_rows(
    bad: tuple[DemoDatabase, dict[str, int]],
    page: str,
    view: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db, _ = bad
    params = {"range": "all"} | view | PAGE_PARAMS[page]
    at = run_page(page, {"AUDIT_DB_URL": db.url}, monkeypatch, **params)
    assert not at.exception, [e.value for e in at.exception]
    assert "Database unavailable" not in page_text(at) and "A query failed" not in page_text(at)
    assert at.title or at.subheader  # a report's one header is its subheader


def test_every_bad_event_opens_on_its_page(
    bad: tuple[DemoDatabase, dict[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, ids = bad
    for name, event_id in ids.items():
        for view in VIEWS[1:2] + VIEWS[-1:]:  # east of Greenwich, interactive and report
            params = {"range": "all", "id": str(event_id)} | view
            at = run_page("pages/event.py", {"AUDIT_DB_URL": db.url}, monkeypatch, **params)
            assert not at.exception, (name, view, [e.value for e in at.exception])
            assert f"Event {event_id}" in [s.value for s in at.subheader], name


# ---------------------------------------------------------------------------------------
# The query layer: aggregates, rows, events


@pytest.mark.parametrize("tz", TIMEZONES)
def test_aggregates_count_every_row(bad: tuple[DemoDatabase, dict[str, int]], tz: str) -> None:
    db, _ = bad
    flt = _filter(tz)
    total = len(_all_ids(db))
    assert queries.count_events(db.source, flt, NOW) == total
    assert queries.kpis(db.source, flt, NOW).current["Events"] == total
    counts = queries.overview_counts(db.source, flt, NOW)
    assert sum(row[-1] for row in counts.rows) == total
    assert counts.volume("severity")["count"].sum() <= total
    for by in ("severity", "user", "action", "ip"):
        assert queries.top_values(db.source, flt, NOW, by, limit=50)["count"].sum() == total
        assert queries.volume(db.source, flt, NOW, by)["count"].sum() <= total
    assert queries.activity_rhythm(db.source, flt, NOW)["count"].sum() <= total
    assert queries.severity_by_category(db.source, flt, NOW)["count"].sum() == total


def _same(ours: pd.DataFrame, theirs: pd.DataFrame) -> bool:
    """Equal rows, in whatever order rows of equal rank come."""

    def ordered(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.sort_values(list(frame.columns), ignore_index=True)

    return ordered(ours).equals(ordered(theirs))


def test_the_mirror_copies_and_counts_every_bad_row(
    bad: tuple[DemoDatabase, dict[str, int]], tmp_path: Path
) -> None:
    """The mirror copies every row, whatever SQLite holds: a value that is no time counts
    among the rows without a time (as on the source, which cannot bucket it either), a
    ``user_id`` that is not a number as no user; every other aggregate equals the source's."""
    db, _ = bad
    mirror = Mirror(tmp_path / "mirror" / "audit_logs.duckdb")
    report = mirror.build(db.source)
    assert report.caught_up and report.rows == len(_all_ids(db))
    assert mirror.sync_step(db.source, budget_seconds=1).resynced == []  # nothing to repair
    copy = mirror.source_for(db.source)
    numeric = "typeof(user_id) = 'integer'" if db.kind == "sqlite" else "true"
    users = db.rows(f"SELECT count(DISTINCT user_id) FROM audit_logs WHERE {numeric}")[0][0]
    for tz in TIMEZONES:
        flt = _filter(tz)
        ours, theirs = (
            queries.kpis(copy, flt, NOW).current,
            queries.kpis(db.source, flt, NOW).current,
        )
        assert ours.pop("Active users") == users
        theirs.pop("Active users")
        assert ours == theirs
        for by in ("severity", "action", "ip"):
            assert _same(
                queries.top_values(copy, flt, NOW, by, 50),
                queries.top_values(db.source, flt, NOW, by, 50),
            )
            # SQLite drops the rows of 9999-12-31 that are past 9999 in local time; the
            # mirror, as PostgreSQL, buckets them
            if db.kind != "sqlite" or tz == "UTC":
                assert _same(
                    queries.volume(copy, flt, NOW, by), queries.volume(db.source, flt, NOW, by)
                )
        ours, theirs = (
            queries.activity_rhythm(copy, flt, NOW),
            queries.activity_rhythm(db.source, flt, NOW),
        )
        if db.kind == "sqlite":  # the mirror places ISO text with a T or Z; SQLite does not
            assert 0 < theirs["count"].sum() <= ours["count"].sum()
        else:
            assert _same(ours, theirs)
    mirror.close()


def test_far_future_row_is_counted_in_its_bucket(bad: tuple[DemoDatabase, dict[str, int]]) -> None:
    db, _ = bad
    volume = queries.volume(db.source, _filter("UTC"), NOW, "severity")
    assert volume["bucket"].max().year == 9999


def _page_through(
    db: DemoDatabase, flt: AuditFilter, newest_first: bool, size: int = 4
) -> list[queries.Page]:
    """Every page forward, each cursor through its URL text as the explorer passes it."""
    pages = [queries.page_rows(db.source, flt, NOW, size, newest_first=newest_first)]
    while pages[-1].has_more:
        assert pages[-1].last is not None
        after = queries.decode_cursor(queries.encode_cursor(pages[-1].last))
        assert after == pages[-1].last
        pages.append(
            queries.page_rows(db.source, flt, NOW, size, after=after, newest_first=newest_first)
        )
        assert len(pages) < 200, "paging does not end"
    return pages


@pytest.mark.parametrize("newest_first", [True, False])
def test_the_explorer_pages_through_every_row_once_both_ways(
    bad: tuple[DemoDatabase, dict[str, int]], newest_first: bool
) -> None:
    db, _ = bad
    flt = _filter("Asia/Tokyo")
    pages = _page_through(db, flt, newest_first)
    seen = [int(i) for page in pages for i in page.rows["id"]]
    assert sorted(seen) == _all_ids(db)
    shown = 0
    for page in pages:  # the position ("rows X to Y") of each page
        assert page.first is not None
        assert queries.rows_before(db.source, flt, NOW, page.first, newest_first) == shown
        shown += len(page.rows)
    back = pages[-1]
    for page in reversed(pages[:-1]):  # and back again, page by page
        assert back.first is not None
        before = queries.decode_cursor(queries.encode_cursor(back.first))
        back = queries.page_rows(db.source, flt, NOW, 4, before=before, newest_first=newest_first)
        assert list(back.rows["id"]) == list(page.rows["id"])


def test_the_explorer_page_opens_at_each_bad_rows_cursor(
    bad: tuple[DemoDatabase, dict[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cursor at a bad row (the stored value itself on SQLite) in the explorer's URL,
    paging forward and back from it."""
    db, _ = bad
    cursors = {p.last.created_at: p.last for p in _page_through(db, _filter("UTC"), True, 1)}
    odd = [
        cursor
        for moment, cursor in cursors.items()
        if not isinstance(moment, datetime | None) or moment == FAR_FUTURE
    ]
    assert len(odd) == (1 + len(SQLITE_ODD_TIMES) if db.kind == "sqlite" else 1)
    for cursor in odd:
        for name in ("after", "before"):
            params = {"range": "all", name: queries.encode_cursor(cursor)}
            at = run_page("pages/explorer.py", {"AUDIT_DB_URL": db.url}, monkeypatch, **params)
            assert not at.exception, (name, cursor, [e.value for e in at.exception])
            assert not [w.value for w in at.warning if "Ignored" in w.value], (name, cursor)


def test_rows_show_what_can_be_read_as_a_time(bad: tuple[DemoDatabase, dict[str, int]]) -> None:
    db, ids = bad
    rows = pd.concat([p.rows for p in _page_through(db, _filter("UTC"), True)]).set_index("id")
    assert rows.loc[ids["far_future"], "created_at"] == pd.Timestamp(FAR_FUTURE, tz="UTC")
    if db.kind != "sqlite":
        return
    assert pd.isna(rows.loc[ids["text"], "created_at"])  # not a time: shown as none
    assert pd.isna(rows.loc[ids["integer"], "created_at"])  # seconds? days? not guessed
    assert rows.loc[ids["iso_text"], "created_at"] == pd.Timestamp("2026-11-18 11:00", tz="UTC")
    assert rows.loc[ids["short_text"], "created_at"] == pd.Timestamp("2026-11-18 12:00", tz="UTC")
    assert pd.isna(rows.loc[ids["text_user_id"], "user_id"])
    assert "abc" in rows.loc[ids["text_user_id"], "user"]


@pytest.mark.parametrize("tz", TIMEZONES)
def test_each_bad_event_and_its_neighbours(
    bad: tuple[DemoDatabase, dict[str, int]], tz: str
) -> None:
    db, ids = bad
    for name, event_id in ids.items():
        event = queries.event_by_id(db.source, event_id, tz)
        assert event is not None and int(event["id"]) == event_id, name
        related = queries.related_timeline(db.source, event, tz)
        assert related.totals.get("session", 0) > 0, name


# ---------------------------------------------------------------------------------------
# Exports


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet", "jsonl"])
@pytest.mark.parametrize("tz", TIMEZONES)
def test_exports_hold_every_row(
    bad: tuple[DemoDatabase, dict[str, int]], fmt: str, tz: str
) -> None:
    db, _ = bad
    out = io.BytesIO()
    written = write_export(db.source, _filter(tz), NOW, fmt, out, cap=10_000, chunk_size=7)
    assert written == len(_all_ids(db))
    if fmt == "parquet":
        frame = pd.read_parquet(io.BytesIO(out.getvalue()))
        assert sorted(frame["id"]) == _all_ids(db)


def test_export_with_a_transform_holds_every_row(bad: tuple[DemoDatabase, dict[str, int]]) -> None:
    db, _ = bad
    out = io.BytesIO()
    written = write_export(
        db.source, _filter("Asia/Tokyo"), NOW, "csv", out, cap=10_000, transform=lambda row: row
    )
    assert written == len(_all_ids(db))


def test_fixture_wrote_what_it_says(tmp_path: Path) -> None:
    """The SQLite rows really are stored as the types they are named after."""
    with fresh_database("sqlite", tmp_path) as url:
        ids = write_bad_rows(url)
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            stored = dict(
                conn.execute(sa.text("SELECT id, typeof(created_at) FROM audit_logs")).all()
            )
            user_type = conn.execute(
                sa.text("SELECT typeof(user_id) FROM audit_logs WHERE id = :i"),
                {"i": ids["text_user_id"]},
            ).scalar()
        engine.dispose()
    assert stored[ids["integer"]] == "integer" and stored[ids["real"]] == "real"
    assert stored[ids["text"]] == "text" and user_type == "text"
