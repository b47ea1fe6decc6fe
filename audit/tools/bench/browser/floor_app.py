"""The floor page: the least a Streamlit + plotly page of the overview's shape costs.

Seven metrics with deltas and seven plotly charts of the overview's shapes (two stacked
hourly volume charts over seven days, by 8 severities and by 11 categories; three top-10
lists; a severity-by-category and a weekday-by-hour heatmap), clickable like the
overview's (all but the rhythm), from numbers made up in memory: no database, no cache,
no filter bar but one severity multiselect (for the floor's own filter-change figure).
It draws the same completion marker as the dashboard, so the same readiness rule times it.

Started as its own server by the browser benchmark (``streamlit run`` of this file); it
imports nothing of the dashboard but the marker's id, and builds its figures itself so
that it stays the same while the dashboard's charts change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st

from audit.markers import COMPLETE_MARKER_ID

HOURS = 7 * 24
SEVERITIES = ("critical", "high", "error", "medium", "warning", "low", "info", "unset")
CATEGORIES = (
    "uncategorized", "security", "system", "data", "financial", "user_action",
    "general", "audit", "authentication", "user_management", "configuration",
)  # fmt: skip
METRICS = (
    "Events", "Failed", "Failure rate", "Security events", "High & critical",
    "Active users", "Distinct IPs",
)  # fmt: skip
TOP_LISTS = ("Top actions", "Top resource types", "Top users")
WEEKDAYS = ("Sun", "Sat", "Fri", "Thu", "Wed", "Tue", "Mon")
CONFIG = {"displayModeBar": False, "responsive": True}
END = datetime(2026, 11, 20, 12, tzinfo=UTC)


# The template as every figure's default: plotly then reuses it, where naming it in each
# figure's layout deep-copies it again (about 10 ms a chart, a third of the overview's
# script time when its results are cached).
pio.templates.default = "plotly_white"


def _layout(figure: go.Figure, title: str, height: int = 360) -> go.Figure:
    figure.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"},
        margin={"l": 10, "r": 10, "t": 80, "b": 10},
        height=height,
        clickmode="event+select",
        dragmode=False,
    )
    return figure


def volume(rng: np.random.Generator, series: tuple[str, ...], by: str) -> go.Figure:
    hours = [END - timedelta(hours=HOURS - i) for i in range(HOURS)]
    figure = go.Figure()
    for name in series:
        figure.add_bar(
            x=hours,
            y=rng.poisson(20, HOURS),
            name=name,
            customdata=[[name, h.isoformat()] for h in hours],
            hovertemplate="%{x}<br>%{fullData.name}: %{y:,}<extra></extra>",
        )
    _layout(figure, f"Events per hour by {by}")
    figure.update_layout(barmode="stack", xaxis_title="Time (UTC)", yaxis_title="Events")
    return figure


def top_list(rng: np.random.Generator, title: str) -> go.Figure:
    counts = np.sort(rng.integers(10, 5_000, 10))
    labels = [f"{title.split()[-1][:-1]} {i}" for i in range(10, 0, -1)]
    figure = go.Figure(
        go.Bar(
            x=counts,
            y=labels,
            orientation="h",
            customdata=[[label] for label in labels],
            text=[f"{n:,}" for n in counts],
            textposition="auto",
            hovertemplate="%{y}: %{x:,}<extra></extra>",
        )
    )
    _layout(figure, title, height=340)
    figure.update_layout(yaxis={"type": "category"}, xaxis={"nticks": 4, "tickformat": "~s"})
    return figure


def heatmap(z: np.ndarray, x: list[str], y: list[str], title: str, text: bool) -> go.Figure:
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=x,
            y=y,
            colorscale="Blues",
            texttemplate="%{z:.3~s}" if text else None,
            hovertemplate="%{y} / %{x}: %{z:,}<extra></extra>",
            xgap=2,
            ygap=2,
        )
    )
    return _layout(figure, title, height=412 if text else 320)


def chart(figure: go.Figure, key: str) -> None:
    st.plotly_chart(
        figure,
        key=key,
        on_select="rerun",
        selection_mode="points",
        config=CONFIG,
        width="stretch",
    )


def metrics(rng: np.random.Generator) -> None:
    for column, label in zip(st.columns(len(METRICS)), METRICS, strict=True):
        value, previous = rng.integers(100, 50_000, 2)
        column.metric(
            label,
            f"{value:,}",
            delta=f"{value - previous:+,} ({(value - previous) / previous:+.0%})",
            help="Change against the previous period of equal length",
        )


def page() -> None:
    st.set_page_config(page_title="Floor", layout="wide")
    with st.sidebar:
        chosen = st.multiselect("Severity", SEVERITIES, key="severity", placeholder="All")
    severities = tuple(chosen) or SEVERITIES
    rng = np.random.default_rng(len(severities))
    st.title("Floor")
    st.caption("Seven metrics and seven charts of the overview's shapes, no database.")
    metrics(rng)
    chart(volume(rng, severities, "severity"), "volume.severity")
    chart(volume(rng, CATEGORIES, "category"), "volume.category")
    columns = st.columns(2)
    for index, title in enumerate(TOP_LISTS):
        with columns[index % 2]:
            chart(top_list(rng, title), f"top.{index}")
    left, right = st.columns(2)
    with left:
        grid = rng.integers(0, 3_000, (len(severities), len(CATEGORIES)))
        chart(heatmap(grid, list(CATEGORIES), list(severities), "Severity by category", True), "hm")
    with right:
        rhythm = rng.integers(0, 400, (7, 24))
        hours = [f"{h:02d}" for h in range(24)]
        figure = heatmap(rhythm, hours, list(WEEKDAYS), "Activity rhythm", False)
        st.plotly_chart(figure, config=CONFIG, width="stretch")  # not clickable, as there
    st.html(f'<span id="{COMPLETE_MARKER_ID}"></span>')


if __name__ == "__main__":  # as Streamlit runs it; importing it draws nothing
    page()
