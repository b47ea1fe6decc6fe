"""The query layer against ground truth computed independently, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
import sqlalchemy as sa

from audit import queries
from audit.db import check_database, create_readonly_engine
from audit.filters import AuditFilter
from audit.schema import audit_logs, metadata
from audit.vocab import category_label, outcome_label, severity_level
from tests.support.databases import DemoDatabase
from tests.support.groundtruth import expected_rows, in_window, labels, local_bucket

FILTERS = {
    "last 7 days": AuditFilter(range="7d"),
    "high or unset severity, failures, 30 days": AuditFilter(
        range="30d", severities=("high", "unset"), outcomes=("failure",)
    ),
    "all time, uncategorized logins": AuditFilter(
        range="all", categories=("uncategorized",), actions=("login",)
    ),
    "empty range": AuditFilter(
        range="custom",
        start=datetime(2001, 1, 1, tzinfo=UTC),
        end=datetime(2001, 1, 2, tzinfo=UTC),
    ),
}


@pytest.mark.parametrize("name", FILTERS)
def test_count_equals_sql(demo: DemoDatabase, truth: pd.DataFrame, name: str) -> None:
    flt = FILTERS[name]
    expected = len(expected_rows(truth, flt, demo.now))
    assert queries.count_events(demo.source, flt, demo.now) == expected
    if name != "empty range":
        assert expected > 0


def test_count_matches_a_plain_sql_count(demo: DemoDatabase) -> None:
    start = datetime(2026, 11, 13, 12, 0)
    sql_count = demo.scalar(
        "SELECT count(*) FROM audit_logs WHERE created_at >= :s AND created_at < :e",
        s=start,
        e=datetime(2026, 11, 20, 12, 0),
    )
    assert queries.count_events(demo.source, AuditFilter(range="7d"), demo.now) == sql_count


def test_the_demo_has_dimensions_worth_filtering(truth: pd.DataFrame) -> None:
    assert truth["severity"].isna().any() and truth["category"].isna().any()
    assert (truth["success"] == False).any()  # noqa: E712


@pytest.mark.parametrize("by", ["severity", "category", "action", "resource_type", "outcome", "ip"])
def test_top_values_equal_sql(demo: DemoDatabase, truth: pd.DataFrame, by: str) -> None:
    flt = AuditFilter(range="30d")
    column = {"ip": "ip_address"}.get(by, by)
    rows = in_window(truth, flt, demo.now)
    if by == "outcome":
        values = rows["success"].map(lambda v: outcome_label(None if pd.isna(v) else bool(v)))
    elif by == "severity":
        values = labels(rows["severity"], severity_level)
    else:
        values = rows[column].astype(object).where(rows[column].notna(), None)
    expected = Counter(values.tolist()).most_common()
    got = queries.top_values(demo.source, flt, demo.now, by, limit=5)
    assert list(got["count"]) == [n for _, n in expected[:5]]
    got_all = queries.top_values(demo.source, flt, demo.now, by, limit=1000)
    assert {
        (None if pd.isna(v) else v): n
        for v, n in zip(got_all["value"], got_all["count"], strict=True)
    } == dict(expected)


def test_top_users_are_labelled_by_email(demo: DemoDatabase, truth: pd.DataFrame) -> None:
    flt = AuditFilter(range="90d")
    got = queries.top_values(demo.source, flt, demo.now, "user", limit=50)
    rows = in_window(truth, flt, demo.now)
    counts = Counter(None if pd.isna(u) else int(u) for u in rows["user_id"])
    assert dict(
        zip([None if pd.isna(v) else int(v) for v in got["value"]], got["count"], strict=True)
    ) == {k: v for k, v in counts.most_common(50)}
    emails = dict(zip(rows["user_id"], rows["email"], strict=False))
    for value, label in zip(got["value"], got["label"], strict=True):
        if pd.isna(value):
            assert label == "system (no user)"
        elif isinstance(emails.get(value), str):
            assert label == emails[value]
        else:
            assert label.startswith(f"user #{int(value)}")


VOLUME_CASES = [
    # A range over the end of summer time in Berlin (2026-10-25), in days and hours.
    (
        AuditFilter(
            range="custom",
            tz="Europe/Berlin",
            start=datetime(2026, 10, 20, tzinfo=ZoneInfo("Europe/Berlin")),
            end=datetime(2026, 10, 30, tzinfo=ZoneInfo("Europe/Berlin")),
        ),
        "severity",
        "day",
    ),
    (
        AuditFilter(
            range="custom",
            tz="Europe/Berlin",
            start=datetime(2026, 10, 24, 12, tzinfo=ZoneInfo("Europe/Berlin")),
            end=datetime(2026, 10, 26, 12, tzinfo=ZoneInfo("Europe/Berlin")),
        ),
        "category",
        "hour",
    ),
    (AuditFilter(range="7d", tz="Asia/Kolkata"), "outcome", "hour"),
    (AuditFilter(range="30d", tz="Asia/Kolkata"), "action", "day"),
    (AuditFilter(range="90d", tz="America/New_York"), "resource_type", "week"),
    (AuditFilter(range="1h", tz="UTC"), "severity", "minute"),
    (AuditFilter(range="all", tz="Europe/Berlin"), "severity", None),
]


@pytest.mark.parametrize(("flt", "by", "width"), VOLUME_CASES)
def test_volume_buckets_equal_python_ground_truth(
    demo: DemoDatabase, truth: pd.DataFrame, flt: AuditFilter, by: str, width: str | None
) -> None:
    got = queries.volume(demo.source, flt, demo.now, by=by, width=width)
    width = got.attrs["width"]
    rows = in_window(truth, flt, demo.now)
    rows = rows[rows["created_at"].notna()]
    values = {
        "severity": labels(rows["severity"], severity_level),
        "category": labels(rows["category"], category_label),
        "outcome": rows["success"].map(lambda v: outcome_label(None if pd.isna(v) else bool(v))),
    }.get(by, rows.get(by))
    buckets = [local_bucket(m.to_pydatetime(), flt.tz, width) for m in rows["created_at"]]
    expected = Counter(zip(buckets, values, strict=True))
    observed = {
        (b.to_pydatetime(), v): n
        for b, v, n in zip(got["bucket"], got["value"], got["count"], strict=True)
    }
    assert observed == dict(expected)
    assert sum(observed.values()) == len(rows)


def test_volume_of_an_empty_range_is_empty(demo: DemoDatabase) -> None:
    got = queries.volume(demo.source, FILTERS["empty range"], demo.now)
    assert got.empty and list(got.columns) == ["bucket", "value", "count"]


def walk(demo_source, flt, now, size, newest_first):
    ids, after = [], None
    while True:
        page = queries.page_rows(
            demo_source, flt, now, size=size, after=after, newest_first=newest_first
        )
        ids += list(page.rows["id"])
        if not page.has_more:
            return ids
        after = page.last


@pytest.mark.parametrize("newest_first", [True, False])
def test_paging_walks_every_row_once_in_order(demo: DemoDatabase, newest_first: bool) -> None:
    flt = AuditFilter(range="24h")
    order = "DESC" if newest_first else "ASC"
    expected = [
        r.id
        for r in demo.rows(
            f"SELECT id FROM audit_logs WHERE created_at >= :s AND created_at < :e "
            f"ORDER BY created_at {order}, id {order}",
            s=datetime(2026, 11, 19, 12),
            e=datetime(2026, 11, 20, 12),
        )
    ]
    assert len(expected) > 100
    assert walk(demo.source, flt, demo.now, 37, newest_first) == expected


def test_previous_page_returns_the_page_before(demo: DemoDatabase) -> None:
    flt = AuditFilter(range="7d")
    first = queries.page_rows(demo.source, flt, demo.now, size=25)
    second = queries.page_rows(demo.source, flt, demo.now, size=25, after=first.last)
    back = queries.page_rows(demo.source, flt, demo.now, size=25, before=second.first)
    assert list(back.rows["id"]) == list(first.rows["id"])
    assert set(first.rows["id"]).isdisjoint(second.rows["id"])


def test_page_rows_carry_user_labels_and_parsed_json(
    demo: DemoDatabase, truth: pd.DataFrame
) -> None:
    page = queries.page_rows(demo.source, AuditFilter(range="90d"), demo.now, size=500)
    by_id = truth.set_index("id")
    for row in page.rows.itertuples():
        source_row = by_id.loc[row.id]
        assert row.created_at.tz is not None
        assert (
            row.created_at.tz_convert(None).to_pydatetime()
            == source_row["created_at"].to_pydatetime()
        )
        if isinstance(source_row["email"], str):
            assert row.user == source_row["email"]
        if isinstance(source_row["details"], str):
            assert row.details == json.loads(source_row["details"])


# --- Small hand-made tables for edge cases -------------------------------------------


def _source(url: str, rows: list[dict]):
    writer = sa.create_engine(url)
    metadata.create_all(writer)
    with writer.begin() as conn:
        for row in rows:  # one by one: each row sets only its own columns, the rest stay NULL
            conn.execute(audit_logs.insert().values(**row))
    writer.dispose()
    report = check_database(create_readonly_engine(url))
    assert report.source is not None
    return report.source


def _row(i: int, **values) -> dict:
    base = {
        "action": "read",
        "resource_type": "doc",
        "description": f"row {i}",
        "created_at": datetime(2026, 11, 1, 12, 0),
    }
    return base | values


NOW = datetime(2026, 11, 2, tzinfo=UTC)


def test_many_rows_with_one_timestamp_page_exactly_once(db_url: str) -> None:
    source = _source(db_url, [_row(i) for i in range(1, 121)] + [_row(121, created_at=None)])
    for newest_first in (True, False):
        ids = walk(source, AuditFilter(range="all"), NOW, 25, newest_first)
        assert sorted(ids) == list(range(1, 122))
        assert len(ids) == 121
        assert ids[-1] == 121  # the row without a time comes last in both orders
    source.engine.dispose()


def test_pages_back_and_forth_across_rows_without_a_time(db_url: str) -> None:
    """Rows with a time come first (in time order, ties by id), then rows without one (by
    id); paging back from the last page gives the same pages in reverse, in both orders."""
    base = datetime(2026, 11, 1, 12, 0)
    timed = [_row(i, id=i, created_at=base + timedelta(minutes=i // 3)) for i in range(1, 41)]
    untimed = [_row(i, id=i, created_at=None) for i in (41, 44, 42, 50, 43, 47, 45)]
    source = _source(db_url, timed + untimed)
    flt = AuditFilter(range="all")
    for newest_first in (True, False):
        forward, after = [], None
        while True:
            page = queries.page_rows(source, flt, NOW, 6, after=after, newest_first=newest_first)
            forward.append(list(page.rows["id"]))
            if not page.has_more:
                break
            after = page.last
        times = sorted(range(1, 41), key=lambda i: (i // 3, i), reverse=newest_first)
        walked = [i for page_ids in forward for i in page_ids]
        assert walked == times + sorted((41, 42, 43, 44, 45, 47, 50), reverse=newest_first)
        backward, before = [forward[-1]], page.first
        while len(backward) < len(forward):
            page = queries.page_rows(source, flt, NOW, 6, before=before, newest_first=newest_first)
            backward.append(list(page.rows["id"]))
            before = page.first
        assert backward[::-1] == forward
    source.engine.dispose()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("%", {1}),
        ("_", {3}),
        ("100%", {1}),
        ("a_b", {3}),
        ("\\", {5}),
        ("DONE", {1, 2}),
        ("o'brien", {6}),
        ("100*done", {1, 2}),  # * matches any characters
        ("1*%", {1}),  # and % is still literal next to it
        ("a*b", {3, 4, 6}),  # 6: "name" ... "Brien" in its details
    ],
)
def test_free_text_star_is_the_only_wildcard(db_url: str, text: str, expected: set[int]) -> None:
    source = _source(
        db_url,
        [
            _row(1, description="100% done"),
            _row(2, description="1000 done"),
            _row(3, description="a_b"),
            _row(4, description="axb"),
            _row(5, description="back\\slash"),
            _row(6, description="x", details={"name": "O'Brien"}),
        ],
    )
    page = queries.page_rows(source, AuditFilter(range="all", text=text), NOW, size=50)
    assert {int(i) for i in page.rows["id"]} == expected
    source.engine.dispose()


def test_tags_ip_patterns_and_exact_fields(db_url: str) -> None:
    source = _source(
        db_url,
        [
            _row(1, tags=["login", "authentication"], ip_address="203.0.113.9", session_id="s1"),
            _row(2, tags=["logout"], ip_address="203.0.113.10", request_id="r2"),
            _row(3, tags="login", ip_address="198.51.100.7"),
            _row(4, tags={"login": True}, ip_address="2031.0.0.1"),
            _row(5, tags=None, ip_address=None),
            _row(6, ip_address="2001:db8::5"),
        ],
    )

    def ids(**values) -> set[int]:
        page = queries.page_rows(source, AuditFilter(range="all", **values), NOW, size=50)
        return {int(i) for i in page.rows["id"]}

    assert ids(tags=("login",)) == {1}
    assert ids(tags=("login", "authentication")) == {1}
    assert ids(ip="203.0.113.*") == {1, 2}
    assert ids(ip="203.0.113.") == set()  # no wildcard: the whole address, literally
    assert ids(ip="203.0.113.9") == {1}
    assert ids(ip=("203.0.113.9", "198.51.100.*")) == {1, 3}  # several: any of them
    assert ids(ip="*.0.*.1") == {4}
    assert ids(ip="203.0.113.9", excludes=("ip:203.0.113.*",)) == set()
    # 2031.… is not 203.…; no address stays
    assert ids(excludes=("ip:203.*",)) == {3, 4, 5, 6}
    assert ids(ip="2001:DB8:*") == {6}  # letters in any case, on every engine
    assert ids(excludes=("ip:2001:DB8:*",)) == {1, 2, 3, 4, 5}
    assert ids(session_id="s1") == {1}
    assert ids(request_id="r2") == {2}
    assert ids(severities=("unset",)) == {1, 2, 3, 4, 5, 6}
    source.engine.dispose()


ONE_SCAN_FILTERS = {
    **FILTERS,
    "DST change in Berlin": AuditFilter(
        range="custom",
        tz="Europe/Berlin",
        start=datetime(2026, 10, 22, tzinfo=ZoneInfo("Europe/Berlin")),
        end=datetime(2026, 10, 30, tzinfo=ZoneInfo("Europe/Berlin")),
    ),
    "30 days in Kolkata, excluding logins": AuditFilter(
        range="30d", tz="Asia/Kolkata", excludes=("action:login",)
    ),
}


def _by(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    return frame.sort_values(list(columns), kind="stable", ignore_index=True)


@pytest.mark.parametrize("name", ONE_SCAN_FILTERS)
def test_one_scan_gives_the_same_volume_charts_and_heatmap(demo: DemoDatabase, name: str) -> None:
    flt, now = ONE_SCAN_FILTERS[name], demo.now
    counts = queries.overview_counts(demo.source, flt, now)
    for by in queries.COUNTED_TOGETHER:
        direct = queries.volume(demo.source, flt, now, by)
        pd.testing.assert_frame_equal(counts.volume(by), _by(direct, "bucket", "value"), obj=by)
        assert counts.volume(by).attrs == direct.attrs
        for limit in (2, 200):
            pd.testing.assert_frame_equal(
                counts.top(by, limit), queries.top_values(demo.source, flt, now, by, limit)
            )
    heatmap = queries.severity_by_category(demo.source, flt, now)
    pd.testing.assert_frame_equal(
        _by(counts.severity_by_category(), "severity", "category"),
        _by(heatmap, "severity", "category"),
    )
    if name != "empty range":
        assert counts.rows and int(heatmap["count"].sum()) == queries.count_events(
            demo.source, flt, now
        )
