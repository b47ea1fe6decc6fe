"""Drill-through filters and KPI formatting: pure functions."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from audit import drill
from audit.filters import AuditFilter
from audit.kpis import change, format_delta, format_kpi
from audit.timerange import TimeWindow

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def test_volume_point_narrows_to_value_and_bucket() -> None:
    flt = AuditFilter(range="90d", tz="Europe/Berlin", actions=("login",))
    point = {"customdata": ["high", "2026-10-25T00:00:00"]}
    target = drill.from_volume_point(flt, "severity", point, "day", NOW)
    assert target is not None
    assert target.severities == ("high",) and target.actions == ("login",)
    # The day summer time ends in Berlin has 25 hours.
    assert target.window(NOW) == TimeWindow(datetime(2026, 10, 24, 22), datetime(2026, 10, 25, 23))


def test_bucket_never_widens_the_range() -> None:
    flt = AuditFilter(range="24h", tz="UTC")
    target = drill.bucket_range(flt, datetime(2026, 11, 23), "week", NOW)
    assert target.window(NOW) == flt.window(NOW)


def test_top_and_heatmap_points() -> None:
    flt = AuditFilter(range="7d")
    assert drill.from_top_point(flt, "action", {"customdata": ["login"]}).actions == ("login",)
    assert drill.from_top_point(flt, "user", {"customdata": ["17"]}).users == (17,)
    system = drill.from_top_point(flt, "user", {"customdata": [None]})
    assert system is not None and system.users == ("system",)  # events without a user
    cell = drill.from_heatmap_point(flt, {"customdata": ["unset", "uncategorized"]})
    assert (cell.severities, cell.categories) == (("unset",), ("uncategorized",))
    assert drill.from_top_point(flt, "action", {}) is None


def test_drill_target_round_trips_through_the_url() -> None:
    flt = AuditFilter(range="7d", tz="Asia/Kolkata")
    target = drill.from_volume_point(
        flt, "outcome", {"customdata": ["failure", "2026-11-26T13:00:00"]}, "hour", NOW
    )
    assert target is not None
    parsed, notices = AuditFilter.from_params(target.to_params())
    assert parsed == target and not notices
    assert target.start == datetime(2026, 11, 26, 13, tzinfo=ZoneInfo("Asia/Kolkata"))


def test_kpi_formatting() -> None:
    assert format_kpi("Events", 12345) == "12,345"
    assert format_kpi("Failure rate", 0.0312) == "3.1%"
    assert format_kpi("Failure rate", None) == "–"
    assert format_delta("Events", 110, 100) == "+10 (+10%)"
    assert format_delta("Events", 5, 0) == "+5"
    assert format_delta("Failure rate", 0.05, 0.03) == "+2.0 pp"
    assert change("Events", 5, None, compared=True).text is None


def test_no_comparison_against_nothing_and_no_change_is_neutral() -> None:
    nothing = change("Events", 49_930, 0, compared=False)
    assert nothing.text == "no earlier events to compare" and nothing.arrow == "off"
    assert change("Failure rate", 0.04, 0.08, compared=False).color == "off"
    same = change("Failed", 12, 12, compared=True)
    assert same == type(same)("±0", "off", "off")
    rise = change("Failed", 13, 12, compared=True)
    assert rise.color == "inverse" and rise.arrow == "auto"
    assert change("Security events", 20, 10, compared=True).color == "off"


def test_huge_relative_changes_show_the_count_alone() -> None:
    assert format_delta("Events", 50_000, 6) == "+49,994"
    assert format_delta("Events", 60, 10) == "+50 (+500%)"
