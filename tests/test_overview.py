"""Overview numbers (KPIs, charts) against ground truth computed independently from the
rows, on SQLite and PostgreSQL, including an empty range and a DST change."""

from __future__ import annotations

import json
import re
import tomllib
from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from audit import charts, drill, queries, summary
from audit.dimensions import WEEKDAYS
from audit.filters import AuditFilter
from audit.vocab import (
    HIGH_SEVERITIES,
    category_label,
    is_security_event,
    level_label,
    severity_level,
)
from tests.support.apptest import APP, run_page
from tests.support.databases import DemoDatabase
from tests.support.groundtruth import expected_rows, labels
from tests.support.secrets import SECRETS, VIEWER

BERLIN = ZoneInfo("Europe/Berlin")
OVERVIEW_FILTERS = {
    "DST change in Berlin, low and info": AuditFilter(
        range="custom",
        tz="Europe/Berlin",
        start=datetime(2026, 10, 20, tzinfo=BERLIN),
        end=datetime(2026, 10, 30, tzinfo=BERLIN),
        severities=("low",),
    ),
    "30 days in Kolkata": AuditFilter(range="30d", tz="Asia/Kolkata"),
    "failed security events, 90 days": AuditFilter(
        range="90d", outcomes=("failure",), categories=("security",)
    ),
    "empty range": AuditFilter(
        range="custom", start=datetime(2001, 1, 1, tzinfo=UTC), end=datetime(2001, 1, 8, tzinfo=UTC)
    ),
}


def truth_kpis(rows: pd.DataFrame) -> dict[str, float | None]:
    events = len(rows)
    failed = int((rows["success"] == False).sum())  # noqa: E712
    security = sum(
        is_security_event(a, None if pd.isna(k) else k)
        for a, k in zip(rows["action"], rows["category"], strict=True)
    )
    return {
        "Events": events,
        "Failed": failed,
        "Failure rate": failed / events if events else None,
        "Security events": security,
        "High & critical": int(rows["severity"].isin(HIGH_SEVERITIES).sum()),
        "Active users": rows["user_id"].dropna().nunique(),
        "Distinct IPs": rows["ip_address"].dropna().nunique(),
    }


@pytest.mark.parametrize("name", OVERVIEW_FILTERS)
def test_kpis_and_previous_period_equal_ground_truth(
    demo: DemoDatabase, truth: pd.DataFrame, name: str
) -> None:
    flt = OVERVIEW_FILTERS[name]
    got = queries.kpis(demo.source, flt, demo.now)
    assert list(got.current) == list(queries.KPI_LABELS)
    assert got.current == pytest.approx(truth_kpis(expected_rows(truth, flt, demo.now)))
    previous = flt.window(demo.now).previous()
    assert previous is not None and got.previous is not None
    before = flt.with_values(
        range="custom",
        start=previous.start.replace(tzinfo=UTC),
        end=previous.end.replace(tzinfo=UTC),
    )
    assert got.previous == pytest.approx(truth_kpis(expected_rows(truth, before, demo.now)))
    if name != "empty range":
        assert got.current["Events"] > 0


def test_all_time_has_no_previous_period(demo: DemoDatabase) -> None:
    assert queries.kpis(demo.source, AuditFilter(range="all"), demo.now).previous is None


@pytest.mark.parametrize("name", OVERVIEW_FILTERS)
def test_severity_by_category_equals_ground_truth(
    demo: DemoDatabase, truth: pd.DataFrame, name: str
) -> None:
    flt = OVERVIEW_FILTERS[name]
    rows = expected_rows(truth, flt, demo.now)
    expected = Counter(
        zip(
            labels(rows["severity"], severity_level),
            labels(rows["category"], category_label),
            strict=True,
        )
    )
    got = queries.severity_by_category(demo.source, flt, demo.now)
    assert dict(
        zip(zip(got["severity"], got["category"], strict=True), got["count"], strict=True)
    ) == dict(expected)


@pytest.mark.parametrize("name", OVERVIEW_FILTERS)
def test_activity_rhythm_is_in_the_display_timezone(
    demo: DemoDatabase, truth: pd.DataFrame, name: str
) -> None:
    flt = OVERVIEW_FILTERS[name]
    rows = expected_rows(truth, flt, demo.now)
    zone = ZoneInfo(flt.tz)
    local = [
        m.to_pydatetime().replace(tzinfo=UTC).astimezone(zone) for m in rows["created_at"].dropna()
    ]
    expected = Counter((m.isoweekday(), m.hour) for m in local)
    got = queries.activity_rhythm(demo.source, flt, demo.now)
    assert dict(
        zip(zip(got["weekday"], got["hour"], strict=True), got["count"], strict=True)
    ) == dict(expected)


@pytest.mark.parametrize("name", OVERVIEW_FILTERS)
def test_a_rhythm_cell_drills_to_exactly_its_events(demo: DemoDatabase, name: str) -> None:
    """Every weekday row, every hour column and the busiest and quietest cells of the chart
    open a filter that counts what the cell shows (local time, across a DST change)."""
    flt = OVERVIEW_FILTERS[name]
    rhythm = queries.activity_rhythm(demo.source, flt, demo.now)
    figure = charts.rhythm_heatmap(rhythm, flt.tz)
    cells = sorted(map(tuple, figure.data[1].customdata), key=lambda cell: cell[2])
    assert len(cells) == 7 * 24 and sum(n for *_, n in cells) == rhythm["count"].sum()
    for day, hour, count in [*cells[:2], *[c for c in cells if c[2]][:2], *cells[-2:]]:
        target = drill.from_rhythm_point(flt, {"customdata": [day, hour, count]})
        assert target is not None
        assert queries.count_events(demo.source, target, demo.now) == count, (day, hour)
    for day, number in zip(WEEKDAYS, range(1, 8), strict=True):
        row = int(rhythm.loc[rhythm["weekday"] == number, "count"].sum())
        assert queries.count_events(demo.source, flt.with_values(weekdays=(day,)), demo.now) == row
    for hour in range(24):
        column = int(rhythm.loc[rhythm["hour"] == hour, "count"].sum())
        assert queries.count_events(demo.source, flt.with_values(hours=(hour,)), demo.now) == column


# --- The page itself, through AppTest ------------------------------------------------

WINDOW = {"range": "custom", "from": "2026-10-20T00:00:00+02:00", "to": "2026-10-30T00:00:00+01:00"}


def _chart_specs(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def test_overview_page_shows_ground_truth(
    demo: DemoDatabase, truth: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_page(
        "pages/overview.py", {"AUDIT_DB_URL": demo.url}, monkeypatch, tz="Europe/Berlin", **WINDOW
    )
    assert not at.exception
    flt, _ = AuditFilter.from_params(WINDOW | {"tz": "Europe/Berlin"})
    rows = expected_rows(truth, flt, demo.now)
    expected = truth_kpis(rows)
    shown = {m.label: m.value for m in at.metric}
    assert list(shown) == list(queries.KPI_LABELS)
    assert shown["Events"] == f"{expected['Events']:,}"
    assert shown["Failed"] == f"{expected['Failed']:,}"
    assert shown["Failure rate"] == f"{expected['Failure rate']:.1%}"
    assert shown["Active users"] == f"{expected['Active users']:,}"
    assert shown["Distinct IPs"] == f"{expected['Distinct IPs']:,}"

    specs = _chart_specs(at)
    severity_chart = specs[0]
    bars = [trace for trace in severity_chart["data"] if trace["type"] == "bar"]  # not the band
    per_severity = {trace["name"]: _total(trace["y"]) for trace in bars}
    expected = Counter(labels(rows["severity"], severity_level))
    assert per_severity == {level_label(level): n for level, n in expected.items()}
    assert "Europe/Berlin" in severity_chart["layout"]["title"]["text"]
    top_actions = next(s for s in specs if s["layout"]["title"]["text"] == "Top actions")
    expected_top = Counter(rows["action"]).most_common(10)
    assert _total(top_actions["data"][0]["x"]) == sum(n for _, n in expected_top)


def _summary_lines(at) -> list[str]:
    """The bullets under "What stands out", as a reader sees them (markdown unescaped)."""
    (block,) = [m.value for m in at.markdown if m.value.startswith("- ")]
    return [line[2:].replace("\\", "").replace("\u200b", "") for line in block.split("\n")]


@pytest.mark.parametrize("role", ["analyst", "viewer"])
def test_the_report_opens_with_what_stands_out_in_numbers_from_sql(
    demo: DemoDatabase, truth: pd.DataFrame, monkeypatch: pytest.MonkeyPatch, role: str
) -> None:
    params = WINDOW | {"tz": "Europe/Berlin"}
    monkeypatch.setenv("AUDIT_DB_URL", demo.url)
    at = AppTest.from_file(APP, default_timeout=60)
    if role == "viewer":  # signed in, sign-in configured, as st.secrets gives it
        at.user, at.secrets = VIEWER, tomllib.loads(SECRETS)
    for key, value in (params | {"report": "1"}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    headings = [s.value for s in at.subheader]
    assert "What stands out" in headings
    flt, _ = AuditFilter.from_params(params)
    previous = flt.window(demo.now).previous()
    before = flt.with_values(
        range="custom",
        start=previous.start.replace(tzinfo=UTC),
        end=previous.end.replace(tzinfo=UTC),
    )
    now_rows, then_rows = (
        expected_rows(truth, flt, demo.now),
        expected_rows(truth, before, demo.now),
    )
    truth_figures = queries.Kpis(truth_kpis(now_rows), truth_kpis(then_rows), comparable=True)
    expected = summary.stands_out(truth_figures, None, masked=False)
    lines = _summary_lines(at)
    assert lines[: len(expected)] == expected
    high = int(now_rows["severity"].isin(HIGH_SEVERITIES).sum())
    assert lines[0].startswith(f"{high:,} high or critical events")
    anomaly_lines = lines[len(expected) :]
    assert 1 <= len(anomaly_lines) <= summary.ANOMALIES_SHOWN + 1
    leaks = [m for line in lines for m in re.findall(r"\d+\.\d+\.\d+\.\d+|[\w.+-]+@[\w-]+\.", line)]
    if role == "viewer":
        assert not leaks


def test_what_stands_out_picks_the_largest_notable_changes() -> None:
    current = dict.fromkeys(queries.KPI_LABELS, 100) | {"Failure rate": 0.05, "Failed": 300}
    previous = dict.fromkeys(queries.KPI_LABELS, 100) | {"Failure rate": 0.02, "Failed": 150}
    figures = queries.Kpis(current | {"Events": 105}, previous, comparable=True)
    assert summary.largest_changes(figures) == [
        ("Failed", 300, 150),
        ("Failure rate", 0.05, 0.02),  # 3 points rank as 30 %; events (+5 %) are not notable
    ]
    lines = summary.stands_out(figures, None, masked=False)
    assert lines[1] == "Failed events rose by 100%: 300, against 150 in the previous period."
    assert lines[2] == (
        "The failure rate rose by 3.0 percentage points: 5.0%, against 2.0% in the previous period."
    )
    calm = queries.Kpis(previous, previous, comparable=True)
    assert summary.stands_out(calm, None, False)[1].startswith("No key figure moved")
    fresh = queries.Kpis(current, previous, comparable=False)
    assert "no earlier events to compare" in summary.stands_out(fresh, None, False)[1]
    none_high = queries.Kpis(current | {"High & critical": 0}, None)
    assert summary.stands_out(none_high, None, False) == ["No high or critical events."]


def _total(values) -> int:
    if isinstance(values, dict):  # plotly's typed-array encoding
        import base64

        import numpy as np

        return int(np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).sum())
    return int(sum(values))


def test_empty_range_shows_a_clear_state(
    demo: DemoDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_page(
        "pages/overview.py",
        {"AUDIT_DB_URL": demo.url},
        monkeypatch,
        **{
            "range": "custom",
            "from": "2001-01-01T00:00:00+00:00",
            "to": "2001-01-02T00:00:00+00:00",
        },
    )
    assert not at.exception
    assert any("No events in this range" in i.value for i in at.info)
    assert not at.get("plotly_chart")


def _record_queries(monkeypatch: pytest.MonkeyPatch, *names: str) -> list[tuple[str, str]]:
    """Record each call of these query functions: (name, thread name)."""
    import functools
    import threading

    ran: list[tuple[str, str]] = []
    for name in names:
        original = getattr(queries, name)

        @functools.wraps(original)  # the cache keys calls by the function's name
        def recording(*args, _name=name, _original=original, **kwargs):
            ran.append((_name, threading.current_thread().name))
            return _original(*args, **kwargs)

        monkeypatch.setattr(queries, name, recording)
    return ran


@pytest.mark.parametrize("breakdown", ["category", "action"])
def test_every_query_of_the_overview_runs_at_once_before_it_draws(
    demo: DemoDatabase, monkeypatch: pytest.MonkeyPatch, breakdown: str
) -> None:
    names = ("kpis", "overview_counts", "volume", "activity_rhythm", "top_values")
    ran = _record_queries(monkeypatch, *names)
    at = run_page(
        "pages/overview.py", {"AUDIT_DB_URL": demo.url}, monkeypatch, breakdown=breakdown, **WINDOW
    )
    assert not at.exception and len(at.metric) == len(queries.KPI_LABELS)
    # Facet counts (three of them from the one scan for three charts), KPIs, the scan,
    # rhythm, four top lists (two of them the facets' own), the action breakdown's volume.
    assert len(ran) == 7 + (breakdown == "action"), ran
    assert all(thread.startswith("audit-prefetch") for _, thread in ran), ran


def test_a_set_facet_counts_with_a_query_of_its_own(
    demo: DemoDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With severity set, its options are counted without it: a plain grouped query, not
    a second scan for charts (the page's own scan runs under the whole filter)."""
    recorded = _record_queries(monkeypatch, "overview_counts", "top_values")
    at = run_page(
        "pages/overview.py", {"AUDIT_DB_URL": demo.url}, monkeypatch, severity="high", **WINDOW
    )
    assert not at.exception
    ran = [name for name, _ in recorded]
    assert ran.count("overview_counts") == 1
    assert ran.count("top_values") == 5  # severity, action, resource type, user, agent
    options = next(m for m in at.multiselect if m.label == "Severity").options
    assert len(options) > 3  # every severity is offered, not only the chosen one
