"""Plotly figures from the query layer's DataFrames. Pure: no database, no Streamlit.
Every clickable mark carries its filter values in ``customdata`` for drill-through.

Charts read at a glance: the time axis spans the range asked for, a bar is as wide as its
bucket, partial buckets at either end are shaded, counts tick in whole numbers, legends sit
below the plot (the top values and "other"), and every value keeps its colour on every
page and under every filter."""

from __future__ import annotations

import hashlib
import html
import math
from datetime import datetime, timedelta

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from audit.dimensions import WEEKDAYS as WEEKDAY_KEYS  # the weekday filter's URL values
from audit.vocab import OUTCOME_COLORS, UNCATEGORIZED, level_label, order_severities, severity_color

BUCKET_TITLES = {"minute": "per minute", "hour": "per hour", "day": "per day", "week": "per week"}
BUCKET_STEPS = {
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
}
CHART_FONT = {"family": "Source Sans Pro, Arial, sans-serif", "size": 12}
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
HEAT_SCALE = "Blues"
MAX_SERIES = 7  # values drawn in a breakdown; the rest are summed as "other"
OTHER = "other"
MAX_LABEL = 42  # characters of a bar label; the whole label shows on hover
PARTIAL_FILL = "rgba(148, 163, 184, 0.18)"

# Fixed colours for the categories Enclava writes; any other value gets a colour of the
# palette chosen by a hash of its text, the same on every page and under every filter.
CATEGORY_COLORS: dict[str, str] = {
    "security": "#dc2626",
    "authentication": "#f97316",
    "user_management": "#8b5cf6",
    "financial": "#16a34a",
    "data": "#0ea5e9",
    "system": "#64748b",
    "configuration": "#a16207",
    "user_action": "#2563eb",
    "audit": "#0d9488",
    "general": "#94a3b8",
    UNCATEGORIZED: "#cbd5e1",
    OTHER: "#e2e8f0",
}
PALETTE = (
    "#2563eb", "#16a34a", "#f97316", "#8b5cf6", "#0ea5e9", "#db2777",
    "#a16207", "#0d9488", "#64748b", "#b91c1c", "#4f46e5", "#65a30d",
)  # fmt: skip


def plotly_text(value: object) -> str:
    """Data shown in a chart: plotly reads a subset of HTML (links, styles) in text, so
    markup characters are escaped and the text shows as itself."""
    return html.escape(str(value), quote=False)


def short_label(value: object) -> str:
    """At most :data:`MAX_LABEL` characters: the start and the end of a long text (a user
    agent's product is at its end), joined by an ellipsis."""
    text = str(value)
    if len(text) <= MAX_LABEL:
        return text
    head = (MAX_LABEL - 1) // 2
    return text[:head] + "…" + text[-(MAX_LABEL - 1 - head) :]


def short_labels(values: list[object]) -> list[str]:
    """Short labels that stay distinct (a category axis merges equal labels)."""
    labels, seen = [], set()
    for value in values:
        label = short_label(value)
        while label in seen:
            label += "\u200b"  # invisible, but another category
        seen.add(label)
        labels.append(label)
    return labels


# The template as every figure's default: plotly then reuses it, where naming it in each
# figure's layout deep-copies it again (about 10 ms a chart, a third of the overview's
# script time when its results are cached).
pio.templates.default = "plotly_white"


def _layout(figure: go.Figure, title: str, height: int = 360) -> go.Figure:
    figure.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"},
        font=CHART_FONT,
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        height=height,
        clickmode="event+select",
        dragmode=False,
    )
    return figure


def value_color(value: str, by: str) -> str:
    """The colour of a value of dimension ``by``: fixed, whatever else is shown."""
    if by == "severity":
        return severity_color(value)
    if by == "outcome":
        return OUTCOME_COLORS.get(value, PALETTE[-1])
    if value == OTHER or (by == "category" and value in CATEGORY_COLORS):
        return CATEGORY_COLORS[value]
    digest = hashlib.md5(value.encode(), usedforsecurity=False).digest()
    return PALETTE[digest[0] % len(PALETTE)]


def series_name(value: str, by: str) -> str:
    return plotly_text(level_label(value) if by == "severity" else short_label(value))


def series_order(frame: pd.DataFrame, by: str) -> list[str]:
    """Stack order, bottom first: severities most severe first (so high and critical sit
    on the axis, visible however few), otherwise the largest total first, "other" last."""
    if by == "severity":
        return order_severities(frame["value"].dropna().unique())
    totals = frame.groupby("value")["count"].sum().sort_values(ascending=False, kind="stable")
    order = [str(v) for v in totals.index if v != OTHER]
    return [*order, OTHER] if OTHER in set(totals.index) else order


def with_other(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """The :data:`MAX_SERIES` largest values; the rest summed per bucket as "other"."""
    if by in ("severity", "outcome") or frame["value"].nunique() <= MAX_SERIES:
        return frame
    totals = frame.groupby("value")["count"].sum().sort_values(ascending=False, kind="stable")
    kept = set(totals.index[: MAX_SERIES - 1])
    merged = frame.assign(value=frame["value"].where(frame["value"].isin(kept), OTHER))
    return merged.groupby(["bucket", "value"], as_index=False, sort=False)["count"].sum()


def _whole_buckets(
    start: datetime | None, end: datetime | None, step: timedelta
) -> tuple[datetime | None, datetime | None]:
    """The range widened to whole buckets (days start at midnight, weeks on Monday)."""

    def floor(moment: datetime) -> datetime:
        if step >= timedelta(days=1):
            day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
            return day - timedelta(days=day.weekday()) if step == timedelta(weeks=1) else day
        unit = int(step.total_seconds())
        seconds = moment.hour * 3600 + moment.minute * 60 + moment.second
        base = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        return base + timedelta(seconds=seconds - seconds % unit)

    first = floor(start) if start else None
    last = None
    if end:
        last = floor(end)
        last = last if last == end else last + step
    return first, last


def _integer_axis(highest: float) -> dict:
    """Ticks at whole numbers: a 1-2-5 step that gives about five ticks."""
    rough = max(highest / 5, 1) if math.isfinite(highest) else 1
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    return {"dtick": step, "tick0": 0, "tickformat": ",d", "rangemode": "tozero"}


def _shade_partial(figure: go.Figure, frame: pd.DataFrame, step: timedelta) -> None:
    start, end = frame.attrs.get("span", (None, None))
    try:
        first, last = _whole_buckets(start, end, step)
    except OverflowError:  # a range at datetime's limits: the axis follows the data
        return
    pieces = [(first, start, "left"), (end, last, "right")]
    for low, high, side in pieces:
        if low is None or high is None or low >= high:
            continue
        figure.add_vrect(x0=low, x1=high, fillcolor=PARTIAL_FILL, line_width=0, layer="below")
        figure.add_annotation(
            x=low if side == "left" else high,
            xanchor=side,
            y=1,
            yref="paper",
            yanchor="bottom",
            text="partial bucket",
            showarrow=False,
            font={"size": 10, "color": "#64748b"},
        )
    if first is not None and last is not None:
        figure.update_xaxes(range=[first, last])


def volume_chart(frame: pd.DataFrame, by: str, tz: str) -> go.Figure:
    """Stacked bars of events per bucket over the whole range asked for; the time axis
    names the timezone; hover gives the segment and the bucket's total."""
    width = frame.attrs.get("width", "hour")
    step = BUCKET_STEPS.get(width, timedelta(hours=1))
    shown = with_other(frame, by)
    pivot = shown.pivot_table(
        index="bucket", columns="value", values="count", aggfunc="sum", fill_value=0
    )
    totals = pivot.sum(axis=1) if len(pivot.columns) else pd.Series(dtype="int64")
    bar_ms = step.total_seconds() * 1000
    figure = go.Figure()
    for value in series_order(shown, by):
        figure.add_bar(
            x=pivot.index,
            y=pivot[value],
            width=bar_ms * 0.9,
            offset=bar_ms * 0.05,  # the bar covers its bucket, from its start
            name=series_name(value, by),
            marker_color=value_color(value, by),
            marker_line_width=0,
            customdata=[
                [None if value == OTHER else value, bucket.isoformat(), int(total)]
                for bucket, total in zip(pivot.index, totals, strict=True)
            ],
            hovertemplate="%{x|%a %d %b %H:%M}<br>%{fullData.name}: %{y:,}"
            " of %{customdata[2]:,}<extra></extra>",
        )
    title = f"Events {BUCKET_TITLES.get(width, '')} by {by.replace('_', ' ')} · time in {tz}"
    _layout(figure, title, height=380)
    figure.update_layout(
        barmode="stack",
        bargap=0,
        showlegend=True,
        legend={"orientation": "h", "yanchor": "top", "y": -0.1, "x": 0, "traceorder": "normal"},
        yaxis={"title": {"text": "Events"}, **_integer_axis(float(totals.max() or 1))},
    )
    _shade_partial(figure, frame, step)
    return figure


def top_chart(frame: pd.DataFrame, title: str) -> go.Figure:
    """Horizontal bars, largest on top. ``frame``: value, label, count. Long labels are
    shortened; the whole label shows on hover."""
    shown = frame.iloc[::-1]
    labels = [str(label) for label in shown["label"]]
    figure = go.Figure(
        go.Bar(
            x=shown["count"],
            y=[plotly_text(label) for label in short_labels(labels)],
            orientation="h",
            marker_color="#2563eb",
            customdata=[
                [None if pd.isna(v) else str(v), plotly_text(label)]
                for v, label in zip(shown["value"], labels, strict=True)
            ],
            hovertemplate="%{customdata[1]}: %{x:,}<extra></extra>",
            text=[f"{n:,}" for n in shown["count"]],
            textposition="auto",
            cliponaxis=False,
        )
    )
    _layout(figure, title, height=max(220, 60 + 28 * len(shown)))
    figure.update_layout(
        yaxis={"automargin": True, "type": "category"},
        xaxis={"title": {"text": "Events"}, "nticks": 4, "tickformat": "~s"},
    )
    return figure


def compact_count(count: int) -> str:
    """A count in at most four characters: 7, 512, 6.2k, 12k, 1.3M."""
    if count < 1000:
        return str(count)
    for size, unit in ((1_000_000, "M"), (1000, "k")):
        if count >= size:
            value = count / size
            return f"{value:.1f}{unit}" if value < 10 else f"{value:.0f}{unit}"
    return str(count)


def _log_scale(values: list[int]) -> tuple[list[float], dict]:
    """Colours on a log scale (one cell of thousands would wash out the rest on a linear
    one), with a colour bar labelled in real counts."""
    logs = [math.log10(v + 1) for v in values]
    top = max([*logs, 1.0])
    steps = (0, 1, 10, 100, 1000, 10_000, 100_000, 1_000_000)
    ticks = [t for t in steps if math.log10(t + 1) <= top]
    colorbar = {
        "title": {"text": "Events (log scale)", "side": "right"},
        "tickvals": [math.log10(t + 1) for t in ticks],
        "ticktext": [compact_count(t) for t in ticks],
        "thickness": 12,
    }
    return logs, colorbar


def severity_category_heatmap(frame: pd.DataFrame) -> go.Figure:
    """Category rows (the largest on top) by severity columns (most severe first), as
    square markers (so a click on a cell drills like a bar), coloured on a log scale, the
    count written in each cell."""
    levels = order_severities(frame["severity"].unique())
    totals = frame.groupby("category")["count"].sum().sort_values(ascending=False, kind="stable")
    categories = [str(v) for v in totals.index]
    grid = frame.pivot_table(
        index="category", columns="severity", values="count", aggfunc="sum", fill_value=0
    ).reindex(index=categories[::-1], columns=levels, fill_value=0)
    cells = [(s, k, int(grid.at[k, s])) for k in grid.index for s in levels]
    logs, colorbar = _log_scale([n for _, _, n in cells])
    top = max([*logs, 1.0])
    figure = go.Figure(
        go.Scatter(
            x=[plotly_text(s) for s, _, _ in cells],
            y=[plotly_text(k) for _, k, _ in cells],
            mode="markers+text",
            marker={
                "symbol": "square",
                "size": 32,
                "color": logs,
                "colorscale": HEAT_SCALE,
                "cmin": 0,
                "cmax": top,
                "colorbar": colorbar,
                "line": {"width": 0},
            },
            text=[compact_count(n) if n else "" for _, _, n in cells],
            textfont={
                "size": 11,
                "color": ["white" if v > top * 0.6 else "#0f172a" for v in logs],
            },
            customdata=[[s, k, n] for s, k, n in cells],
            hovertemplate="%{y} / %{x}: %{customdata[2]:,}<extra></extra>",
        )
    )
    _layout(figure, "Category by severity", height=max(300, 120 + 36 * len(categories)))
    figure.update_layout(
        xaxis={"title": {"text": ""}, "type": "category", "side": "top", "tickangle": 0},
        yaxis={"type": "category", "automargin": True},
        showlegend=False,
        margin={"l": 10, "r": 10, "t": 90, "b": 10},
    )
    return figure


def rhythm_heatmap(frame: pd.DataFrame, tz: str) -> go.Figure:
    """Weekday rows by hour-of-day columns in the display timezone (every cell drawn),
    coloured on a log scale. A heatmap emits no selection in Streamlit, so an invisible
    square marker over each cell carries its weekday (``mon``), hour and count: a click
    on a cell drills like a bar, and its hover says what the cell counts."""
    grid = frame.pivot_table(
        index="weekday", columns="hour", values="count", aggfunc="sum", fill_value=0
    ).reindex(index=range(1, 8), columns=range(24), fill_value=0)
    days = list(range(7, 0, -1))  # Monday on top
    hours = [f"{hour:02d}" for hour in range(24)]
    counts = [[int(grid.at[day, hour]) for hour in range(24)] for day in days]
    logs, colorbar = _log_scale([n for row in counts for n in row])
    figure = go.Figure(
        go.Heatmap(
            z=[[math.log10(n + 1) for n in row] for row in counts],
            x=hours,
            y=[WEEKDAYS[day - 1] for day in days],
            colorscale=HEAT_SCALE,
            zmin=0,
            zmax=max([*logs, 1.0]),
            colorbar=colorbar,
            hoverinfo="skip",
            xgap=1,
            ygap=1,
        )
    )
    cells = [(day, hour, counts[row][hour]) for row, day in enumerate(days) for hour in range(24)]
    figure.add_scatter(
        x=[hours[hour] for _, hour, _ in cells],
        y=[WEEKDAYS[day - 1] for day, _, _ in cells],
        mode="markers",
        marker={"symbol": "square", "size": 14, "opacity": 0},
        customdata=[[WEEKDAY_KEYS[day - 1], hour, n] for day, hour, n in cells],
        hovertemplate="%{y} %{x}:00–%{x}:59: %{customdata[2]:,} events<extra></extra>",
        showlegend=False,
    )
    _layout(figure, "Activity rhythm: weekday by hour of day", height=320)
    figure.update_layout(
        xaxis={"title": {"text": f"Hour of day ({tz})"}, "type": "category"},
        yaxis={"title": {"text": "Weekday"}, "type": "category"},
    )
    return figure


BAND_FILL = "rgba(100, 116, 139, 0.16)"
BAND_LINE = "#475569"


def add_expected_band(figure: go.Figure, band: pd.DataFrame, width: str) -> go.Figure:
    """Over a volume chart of the same bucket width: the expected count (a dashed step at
    each bar's middle) and the normal range around it, a grey band; a bar reaching out of
    the band is unusual. ``band``: bucket, expected, low, high. Added traces carry no
    ``customdata``, so they never drill."""
    if band.empty:
        return figure
    step = BUCKET_STEPS.get(width, timedelta(hours=1))
    middles = [bucket + step / 2 for bucket in band["bucket"]]
    common = {"x": middles, "mode": "lines", "line_shape": "hvh", "hoverinfo": "skip"}
    figure.add_scatter(y=band["low"], line={"width": 0}, showlegend=False, **common)
    figure.add_scatter(
        y=band["high"], line={"width": 0}, fill="tonexty", fillcolor=BAND_FILL,
        name="normal range", **common,
    )  # fmt: skip
    figure.add_scatter(
        y=band["expected"],
        line={"width": 1.5, "dash": "dash", "color": BAND_LINE},
        name="expected (4-week median)",
        **{**common, "hoverinfo": "x+y", "hovertemplate": "expected %{y:,.1f}<extra></extra>"},
    )
    return figure
