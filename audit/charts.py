"""Plotly figures from the query layer's DataFrames. Pure: no database, no Streamlit.
Every clickable mark carries its filter values in ``customdata`` for drill-through."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

from audit.vocab import OUTCOME_COLORS, order_severities, severity_color

BUCKET_TITLES = {"minute": "per minute", "hour": "per hour", "day": "per day", "week": "per week"}
CHART_FONT = {"family": "Source Sans Pro, Arial, sans-serif", "size": 12}
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
HEAT_SCALE = "Blues"


def plotly_text(value: object) -> str:
    """Data shown in a chart: plotly reads a subset of HTML (links, styles) in text, so
    markup characters are escaped and the text shows as itself."""
    return html.escape(str(value), quote=False)


def _layout(figure: go.Figure, title: str, height: int = 360) -> go.Figure:
    figure.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"},
        font=CHART_FONT,
        margin={"l": 10, "r": 10, "t": 80, "b": 10},
        height=height,
        template="plotly_white",
        clickmode="event+select",
        dragmode=False,
    )
    return figure


def series_order(frame: pd.DataFrame, by: str) -> list[str]:
    """Stack order: severities by rank, otherwise largest total first."""
    if by == "severity":
        return order_severities(frame["value"].dropna().unique())
    totals = frame.groupby("value")["count"].sum().sort_values(ascending=False, kind="stable")
    return [str(v) for v in totals.index]


def series_color(value: str, by: str) -> str | None:
    if by == "severity":
        return severity_color(value)
    if by == "outcome":
        return OUTCOME_COLORS.get(value)
    return None


def volume_chart(frame: pd.DataFrame, by: str, tz: str) -> go.Figure:
    """Stacked bars of events per bucket; the time axis names the timezone."""
    width = frame.attrs.get("width", "")
    pivot = frame.pivot_table(
        index="bucket", columns="value", values="count", aggfunc="sum", fill_value=0
    )
    figure = go.Figure()
    for value in series_order(frame, by):
        figure.add_bar(
            x=pivot.index,
            y=pivot[value],
            name=plotly_text(value),
            marker_color=series_color(value, by),
            customdata=[[value, bucket.isoformat()] for bucket in pivot.index],
            hovertemplate="%{x}<br>%{fullData.name}: %{y:,}<extra></extra>",
        )
    title = f"Events {BUCKET_TITLES.get(width, '')} by {by.replace('_', ' ')}"
    _layout(figure, title)
    figure.update_layout(
        barmode="stack",
        legend={
            "orientation": "v",
            "x": 1.01,
            "y": 1,
            "traceorder": "normal",
            "title": {"text": by.replace("_", " ")},
        },
        xaxis_title=f"Time ({tz})",
        yaxis_title="Events",
    )
    return figure


def top_chart(frame: pd.DataFrame, title: str) -> go.Figure:
    """Horizontal bars, largest on top. ``frame``: value, label, count."""
    shown = frame.iloc[::-1]
    figure = go.Figure(
        go.Bar(
            x=shown["count"],
            y=[plotly_text(label) for label in shown["label"]],
            orientation="h",
            marker_color="#2563eb",
            customdata=[[None if pd.isna(v) else str(v)] for v in shown["value"]],
            hovertemplate="%{y}: %{x:,}<extra></extra>",
            text=[f"{n:,}" for n in shown["count"]],
            textposition="auto",
        )
    )
    _layout(figure, title, height=max(220, 60 + 28 * len(shown)))
    figure.update_layout(
        yaxis={"automargin": True, "type": "category"},
        xaxis={"title": {"text": "Events"}, "nticks": 4, "tickformat": "~s"},
    )
    return figure


def severity_category_heatmap(frame: pd.DataFrame) -> go.Figure:
    """Severity rows (most severe on top) by category columns."""
    severities = order_severities(frame["severity"].unique())
    totals = frame.groupby("category")["count"].sum().sort_values(ascending=False, kind="stable")
    categories = [str(v) for v in totals.index]
    grid = frame.pivot_table(
        index="severity", columns="category", values="count", aggfunc="sum", fill_value=0
    ).reindex(index=severities[::-1], columns=categories, fill_value=0)
    figure = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(),
            x=[plotly_text(k) for k in categories],
            y=[plotly_text(s) for s in grid.index],
            colorscale=HEAT_SCALE,
            customdata=[[[s, k] for k in categories] for s in grid.index],
            hovertemplate="%{y} / %{x}: %{z:,}<extra></extra>",
            texttemplate="%{z:.3~s}",
            textfont={"size": 11},
            xgap=2,
            ygap=2,
        )
    )
    _layout(figure, "Severity by category", height=max(320, 140 + 34 * len(severities)))
    figure.update_layout(xaxis_title="Category", yaxis_title="Severity")
    return figure


def rhythm_heatmap(frame: pd.DataFrame, tz: str) -> go.Figure:
    """Weekday rows by hour-of-day columns in the display timezone (every cell drawn)."""
    grid = frame.pivot_table(
        index="weekday", columns="hour", values="count", aggfunc="sum", fill_value=0
    ).reindex(index=range(1, 8), columns=range(24), fill_value=0)
    figure = go.Figure(
        go.Heatmap(
            z=grid.to_numpy()[::-1],
            x=[f"{h:02d}" for h in range(24)],
            y=list(WEEKDAYS[::-1]),
            colorscale=HEAT_SCALE,
            hovertemplate="%{y} %{x}:00: %{z:,}<extra></extra>",
            xgap=1,
            ygap=1,
        )
    )
    _layout(figure, "Activity rhythm: weekday by hour of day", height=320)
    figure.update_layout(xaxis_title=f"Hour of day ({tz})", yaxis_title="Weekday")
    return figure
