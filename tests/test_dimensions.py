"""The dimension registry is the one place a dimension is defined: every entry round-trips
URL -> filter -> URL, selects and excludes exactly the rows plain SQL finds, counts its
values as plain SQL does, on SQLite and PostgreSQL, and the mirror answers the same."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from audit import drill, queries
from audit.copies import MIRROR_COLUMNS
from audit.db import Source
from audit.dimensions import COUNTED, DIMENSIONS, INT32_MAX, REGISTRY, Dimension, parse_id
from audit.filters import AuditFilter, describe_filter
from audit.mirror import Mirror
from audit.routing import mirror_can_answer
from audit.vocab import is_security_event, severity_level
from tests.support.databases import DemoDatabase

ALL = AuditFilter(range="all")
ROWS_SQL = """
SELECT severity, category, action, resource_type, success, user_id, ip_address, user_agent,
       CAST(tags AS TEXT) AS tags, resource_id, session_id, request_id, created_at
FROM audit_logs
"""
Row = dict[str, Any]


def _tags(row: Row) -> list[str]:
    return json.loads(row["tags"]) if row["tags"] else []


def _utc(row: Row) -> datetime:
    """The row's time (UTC, the filters' default timezone), whichever way the driver gives it."""
    moment = row["created_at"]
    return moment if isinstance(moment, datetime) else datetime.fromisoformat(str(moment))


def _outcome(row: Row) -> str:
    success = row["success"]
    return "unknown" if success is None else ("success" if success else "failure")


# How each dimension reads a row, written here without the registry: the ground truth. A
# dimension added to the registry without an entry here fails the first test.
GROUND_TRUTH: dict[str, Callable[[Row], list[Any]]] = {
    "severity": lambda r: [severity_level(r["severity"])],
    "raw_severity": lambda r: [r["severity"]],
    "security": lambda r: ["yes" if is_security_event(r["action"], r["category"]) else "no"],
    "category": lambda r: [r["category"]],
    "action": lambda r: [r["action"]],
    "resource_type": lambda r: [r["resource_type"]],
    "outcome": lambda r: [_outcome(r)],
    "user": lambda r: [r["user_id"]],
    "ip": lambda r: [r["ip_address"]],
    "agent": lambda r: [r["user_agent"]],
    "tag": _tags,
    "weekday": lambda r: [("mon", "tue", "wed", "thu", "fri", "sat", "sun")[_utc(r).weekday()]],
    "hour": lambda r: [_utc(r).hour],
    "resource_id": lambda r: [r["resource_id"]],
    "session_id": lambda r: [r["session_id"]],
    "request_id": lambda r: [r["request_id"]],
}


@pytest.fixture(scope="module")
def table(demo: DemoDatabase) -> list[Row]:
    return [dict(row._mapping) for row in demo.rows(ROWS_SQL)]


@pytest.fixture(scope="module")
def mirrored(demo: DemoDatabase, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    mirror = Mirror(tmp_path_factory.mktemp("mirror") / "audit.duckdb")
    mirror.build(demo.source)
    yield mirror.source_for(demo.source)
    mirror.close()


def _common_value(table: list[Row], name: str) -> Any:
    """The dimension's most frequent non-NULL value in the demo data."""
    counts = Counter(v for row in table for v in GROUND_TRUTH[name](row) if v is not None)
    assert counts, f"the demo data has no {name}"
    return counts.most_common(1)[0][0]


def _matching(table: list[Row], name: str, value: Any) -> int:
    return sum(value in GROUND_TRUTH[name](row) for row in table)


def _null(table: list[Row], name: str) -> int:
    """Rows the dimension's null label stands for (NULL; for the severity level, also any
    value outside the vocabulary)."""
    label = DIMENSIONS[name].null_label
    return sum(bool({None, label} & set(GROUND_TRUTH[name](row))) for row in table)


def test_every_dimension_has_ground_truth_and_a_unique_url_parameter() -> None:
    assert set(DIMENSIONS) == set(GROUND_TRUTH)
    params = [d.param for d in REGISTRY]
    assert len(set(params)) == len(params)
    assert not {"range", "from", "to", "tz", "q", "exclude", "now"} & set(params)


def test_mirrored_dimensions_are_the_ones_whose_column_the_mirror_holds() -> None:
    for dimension in REGISTRY:
        assert dimension.mirrored == (dimension.column in MIRROR_COLUMNS), dimension.name


@pytest.mark.parametrize("dimension", REGISTRY, ids=lambda d: d.name)
def test_url_filter_sql_round_trip(
    demo: DemoDatabase, table: list[Row], dimension: Dimension
) -> None:
    value = _common_value(table, dimension.name)
    params = {"range": "all", dimension.param: str(value)}
    flt, notices = AuditFilter.from_params(params)
    assert notices == []
    chosen = getattr(flt, dimension.field)
    assert chosen == ((value,) if dimension.multi else str(value))
    assert AuditFilter.from_params(flt.to_params())[0] == flt
    assert dimension.title in describe_filter(flt)
    expected = _matching(table, dimension.name, value)
    assert expected > 0
    assert queries.count_events(demo.source, flt, demo.now) == expected


@pytest.mark.parametrize("dimension", [d for d in REGISTRY if d.excludable], ids=lambda d: d.name)
def test_an_exclusion_keeps_every_other_row_and_null(
    demo: DemoDatabase, table: list[Row], dimension: Dimension
) -> None:
    value = _common_value(table, dimension.name)
    flt, notices = AuditFilter.from_params({"range": "all", "exclude": f"{dimension.name}:{value}"})
    assert notices == [] and flt.excludes == (f"{dimension.name}:{value}",)
    expected = len(table) - _matching(table, dimension.name, value)
    assert queries.count_events(demo.source, flt, demo.now) == expected


@pytest.mark.parametrize(
    "dimension", [d for d in REGISTRY if d.null_label is not None], ids=lambda d: d.name
)
def test_the_null_label_selects_and_excludes_null(
    demo: DemoDatabase, table: list[Row], dimension: Dimension
) -> None:
    label = dimension.null_label
    nulls = _null(table, dimension.name)
    assert nulls > 0, f"the demo data has no rows without a {dimension.name}"
    selected = AuditFilter.from_params({"range": "all", dimension.param: label})[0]
    assert queries.count_events(demo.source, selected, demo.now) == nulls
    excluded = AuditFilter.from_params({"range": "all", "exclude": f"{dimension.name}:{label}"})[0]
    assert queries.count_events(demo.source, excluded, demo.now) == len(table) - nulls


@pytest.mark.parametrize("name", COUNTED)
def test_counted_values_equal_sql_and_the_mirror(
    demo: DemoDatabase, table: list[Row], mirrored: Source, name: str
) -> None:
    dimension = DIMENSIONS[name]
    top = queries.top_values(demo.source, ALL, demo.now, name, 5)
    counts = Counter(v for row in table for v in GROUND_TRUTH[name](row))
    assert [int(n) for n in top["count"]] == sorted(counts.values(), reverse=True)[:5]
    for value, label, count in zip(top["value"], top["label"], top["count"], strict=True):
        key = None if pd.isna(value) else value  # NULL arrives as NA
        assert counts[key] == count
        assert label == dimension.label(key) or name == "user"  # users are labelled by email
    if dimension.mirrored:
        from_mirror = queries.top_values(mirrored, ALL, demo.now, name, 5)
        assert from_mirror["count"].tolist() == top["count"].tolist()
        assert from_mirror["label"].tolist() == top["label"].tolist()


@pytest.mark.parametrize("dimension", [d for d in REGISTRY if d.mirrored], ids=lambda d: d.name)
def test_the_mirror_answers_every_mirrored_dimension_alike(
    demo: DemoDatabase, table: list[Row], mirrored: Source, dimension: Dimension
) -> None:
    value = _common_value(table, dimension.name)
    flt = AuditFilter.from_params({"range": "all", dimension.param: str(value)})[0]
    assert mirror_can_answer(flt)
    assert queries.kpis(mirrored, flt, demo.now) == queries.kpis(demo.source, flt, demo.now)


def test_filters_on_columns_the_mirror_lacks_stay_on_the_source() -> None:
    for dimension in REGISTRY:
        value = "1" if dimension.integer else "x"
        flt = AuditFilter.from_params({dimension.param: value})[0]
        assert mirror_can_answer(flt) == dimension.mirrored, dimension.name
    assert not mirror_can_answer(AuditFilter(text="login"))


@pytest.mark.parametrize("dimension", [d for d in REGISTRY if d.drillable], ids=lambda d: d.name)
def test_a_drill_narrows_to_the_clicked_value(dimension: Dimension) -> None:
    examples = {"outcome": "failure", "user": 17, "security": "yes", "severity": "high"}
    value = (examples | {"weekday": "tue", "hour": 14}).get(dimension.name, "abc")
    narrowed = drill.from_top_point(ALL, dimension.name, {"customdata": [value]})
    assert narrowed is not None
    assert getattr(narrowed, dimension.field) == ((value,) if dimension.multi else value)


def test_the_user_agent_is_a_dimension_of_its_own(demo: DemoDatabase, table: list[Row]) -> None:
    """The proof the registry is the one place: the agent, added as one entry, filters,
    excludes, facets, drills, has words and routes to the mirror."""
    agent = DIMENSIONS["agent"]
    assert agent.explorer_facet and agent.drillable and agent.excludable and agent.mirrored
    flt = AuditFilter.from_params({"range": "all", "agent": ["curl/8.5.0", "x"]})[0]
    assert flt.agents == ("curl/8.5.0", "x")
    assert "User agent: curl/8.5.0, x" in describe_filter(flt)
    assert flt.to_params()["agent"] == ["curl/8.5.0", "x"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("17", 17),
        (" 4 ", 4),
        ("0", 0),
        (str(INT32_MAX), INT32_MAX),
        (str(INT32_MAX + 1), None),
        ("3000000000", None),
        ("9" * 5000, None),
        ("x", None),
        ("", None),
        (None, None),
        ("-1", None),
        ("²", None),
        ("１７", None),  # full-width digits
        ("1e3", None),
    ],
)
def test_the_one_id_parser(raw: str | None, expected: int | None) -> None:
    assert parse_id(raw) == expected


def test_an_id_out_of_range_in_the_url_is_a_notice_not_a_filter() -> None:
    flt, notices = AuditFilter.from_params({"user": ["3000000000", "12"]})
    assert flt.users == (12,)
    assert len(notices) == 1 and "3000000000" in notices[0]
    flt, notices = AuditFilter.from_params({"exclude": "user:3000000000"})
    assert flt.excludes == () and notices


def test_an_unknown_dimension_is_refused_by_the_model() -> None:
    with pytest.raises(TypeError):
        AuditFilter(colours=("red",))


@pytest.mark.parametrize("tz", ["Europe/Berlin", "Asia/Kolkata"])
def test_weekday_and_hour_are_the_local_time_on_every_engine(
    demo: DemoDatabase, table: list[Row], mirrored: Source, tz: str
) -> None:
    """An open range (the offsets of every year) across the end of summer time: the same
    rows plain Python places on Sunday 02:00-04:00 in ``tz``, on the source and the mirror."""
    zone = ZoneInfo(tz)
    local = [_utc(row).replace(tzinfo=UTC).astimezone(zone) for row in table]
    expected = sum(m.isoweekday() == 7 and m.hour in (2, 3) for m in local)
    flt, notices = AuditFilter.from_params(
        {"range": "all", "tz": tz, "weekday": "sun", "hour": ["2", "3"]}
    )
    assert notices == [] and (flt.weekdays, flt.hours) == (("sun",), (2, 3))
    assert expected > 0
    assert queries.count_events(demo.source, flt, demo.now) == expected
    assert queries.count_events(mirrored, flt, demo.now) == expected
    assert f"Weekday: Sunday ({tz})" in describe_filter(flt)
    assert f"Hour of day: 02:00–03:00, 03:00–04:00 ({tz})" in describe_filter(flt)


@pytest.mark.parametrize(
    ("weekday", "hour"), [("7", "24"), ("monday", "-1"), ("Mon", "1.5"), ("x", "２"), ("", "")]
)
def test_a_bad_weekday_or_hour_is_a_notice(weekday: str, hour: str) -> None:
    flt, notices = AuditFilter.from_params({"weekday": weekday, "hour": hour})
    assert (flt.weekdays, flt.hours) == ((), ())
    assert len(notices) == (2 if weekday else 0)
