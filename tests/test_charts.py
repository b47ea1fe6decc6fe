"""Charts read at a glance (pure: figures from frames): the time axis spans the range asked
for, bars are as wide as their bucket, partial buckets are shaded, counts tick in whole
numbers, hover gives the bucket's total, and a value keeps its colour whatever else shows."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from audit import charts


def _frame(rows: list[tuple[datetime, str, int]], width: str, span: tuple) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["bucket", "value", "count"])
    frame["bucket"] = pd.to_datetime(frame["bucket"])
    frame.attrs.update(width=width, span=span)
    return frame


def test_one_hourly_bar_is_an_hour_wide_over_the_whole_range() -> None:
    span = (datetime(2026, 11, 20, 9, 30), datetime(2026, 11, 21, 9, 30))
    frame = _frame([(datetime(2026, 11, 20, 12), "low", 3)], "hour", span)
    figure = charts.volume_chart(frame, "severity", "UTC")
    bar = figure.data[0]
    hour_ms = 3_600_000
    assert bar.width * 0.9 <= hour_ms and bar.width >= 0.85 * hour_ms  # a bucket wide, not 12 h
    assert tuple(figure.layout.xaxis.range) == (
        datetime(2026, 11, 20, 9),
        datetime(2026, 11, 21, 10),
    )
    shaded = [s for s in figure.layout.shapes if s.type == "rect"]
    assert len(shaded) == 2  # 09:00-09:30 and 09:30-10:00 lie outside the range
    assert figure.layout.yaxis.dtick == 1 and figure.layout.yaxis.tickformat == ",d"
    assert "of %{customdata[2]:,}" in bar.hovertemplate and bar.customdata[0][2] == 3


def test_a_range_on_bucket_edges_has_no_partial_bucket() -> None:
    span = (datetime(2026, 11, 20), datetime(2026, 11, 22))
    frame = _frame(
        [(datetime(2026, 11, 20), "x", 5), (datetime(2026, 11, 21), "x", 9)], "day", span
    )
    figure = charts.volume_chart(frame, "action", "UTC")
    assert not [s for s in figure.layout.shapes if s.type == "rect"]


def test_breakdowns_show_the_top_values_and_other_with_the_legend_below() -> None:
    day = datetime(2026, 11, 20)
    rows = [(day, f"action_{i}", 100 - i) for i in range(12)]
    figure = charts.volume_chart(
        _frame(rows, "day", (day, datetime(2026, 11, 21))), "action", "UTC"
    )
    names = [trace.name for trace in figure.data]
    assert len(names) == charts.MAX_SERIES and names[-1] == "other"
    assert sum(sum(trace.y) for trace in figure.data) == sum(n for *_, n in rows)
    assert figure.layout.legend.orientation == "h" and figure.layout.legend.y < 0


def test_a_value_keeps_its_colour_whatever_else_is_shown() -> None:
    day, span = datetime(2026, 11, 20), (datetime(2026, 11, 20), datetime(2026, 11, 21))
    both = charts.volume_chart(
        _frame([(day, "security", 3), (day, "data", 9)], "day", span), "category", "UTC"
    )
    one = charts.volume_chart(_frame([(day, "security", 3)], "day", span), "category", "UTC")
    colour = {t.name: t.marker.color for t in both.data}
    assert colour["security"] == one.data[0].marker.color
    assert charts.value_color("checkout", "action") == charts.value_color("checkout", "action")


def test_severity_legends_say_what_each_level_includes() -> None:
    day, span = datetime(2026, 11, 20), (datetime(2026, 11, 20), datetime(2026, 11, 21))
    frame = _frame([(day, "high", 2), (day, "low", 50), (day, "critical", 1)], "day", span)
    names = [t.name for t in charts.volume_chart(frame, "severity", "UTC").data]
    assert names == [
        "critical",
        "high (incl. error)",
        "low (incl. info)",
    ]  # most severe at the base


def test_heatmap_cells_are_markers_that_carry_their_filter_and_count() -> None:
    frame = pd.DataFrame(
        [("high", "security", 6230), ("low", "uncategorized", 2850), ("low", "data", 1)],
        columns=["severity", "category", "count"],
    )
    figure = charts.severity_category_heatmap(frame)
    cells = figure.data[0]
    assert (
        cells.type == "scatter" and cells.marker.symbol == "square"
    )  # clickable, unlike a heatmap
    assert ["high", "security", 6230] in [list(c) for c in cells.customdata]
    assert "6.2k" in cells.text and "2.9k" in cells.text  # short enough to fit a cell
    assert "log scale" in figure.data[0].marker.colorbar.title.text


def test_long_labels_are_shortened_but_stay_distinct() -> None:
    agents = [
        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/128.0",
    ]
    labels = charts.short_labels(agents)
    assert all(len(label) <= charts.MAX_LABEL + 1 for label in labels)
    assert len(set(labels)) == 2 and labels[0].endswith("Firefox/128.0")
