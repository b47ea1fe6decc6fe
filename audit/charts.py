"""Plotly figures from the query layer's DataFrames. Pure: no database, no Streamlit."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from audit.vocab import OUTCOME_COLORS, order_severities, severity_color

BUCKET_TITLES = {"minute": "per minute", "hour": "per hour", "day": "per day", "week": "per week"}
CHART_FONT = {"family": "Inter, Arial, sans-serif", "size": 12}


def series_color(value: str, by: str) -> str | None:
    if by == "severity":
        return severity_color(value)
    if by == "outcome":
        return OUTCOME_COLORS.get(value)
    return None


def _layout(figure: go.Figure, title: str, x_title: str, y_title: str) -> go.Figure:
    figure.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"},
        barmode="stack",
        font=CHART_FONT,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0},
        margin={"l": 10, "r": 10, "t": 70, "b": 10},
        height=360,
        xaxis_title=x_title,
        yaxis_title=y_title,
        template="plotly_white",
    )
    return figure


def volume_chart(frame: pd.DataFrame, by: str, tz: str, title: str | None = None) -> go.Figure:
    """Stacked bars of events per bucket; the time axis names the timezone."""
    width = frame.attrs.get("width", "")
    figure = go.Figure()
    pivot = frame.pivot_table(
        index="bucket", columns="value", values="count", aggfunc="sum", fill_value=0
    )
    for value in series_order(frame, by):
        figure.add_bar(
            x=pivot.index,
            y=pivot[value],
            name=value,
            marker_color=series_color(value, by),
            customdata=[[value]] * len(pivot.index),
            hovertemplate=f"%{{x}}<br>{value}: %{{y}}<extra></extra>",
        )
    heading = title or f"Events {BUCKET_TITLES.get(width, '')} by {by.replace('_', ' ')}"
    return _layout(figure, heading, f"Time ({tz})", "Events")


def series_order(frame: pd.DataFrame, by: str) -> list[str]:
    """Stack order: severities by rank, otherwise largest total first."""
    if by == "severity":
        return order_severities(frame["value"].dropna().unique())
    totals = frame.groupby("value")["count"].sum().sort_values(ascending=False)
    return [str(v) for v in totals.index]
