"""The overview page's sections, each drawing charts that drill through to the Explorer."""

from __future__ import annotations

import streamlit as st

from audit import charts, drill
from audit.access import mask_email
from audit.filters import AuditFilter
from audit.queries import BREAKDOWNS, COUNTED_TOGETHER, DIMENSIONS
from audit.ui import data
from audit.ui.filterbar import FACET_OPTION_LIMIT, FACETS
from audit.ui.page import PageContext
from audit.ui.urlstate import set_params, sync_widget, widget_changed
from audit.ui.widgets import CHART_CONFIG, STATIC_CHART_CONFIG, drill_chart

TOP_LISTS = (
    ("action", "Top actions"),
    ("resource_type", "Top resource types"),
    ("user", "Top users"),
)


TOP_SIZE = 10
# Top lists of a facet's dimension take the head of the facet's (longer) list: the same
# query when the facet is not set, one query fewer.
FACET_DIMENSIONS = frozenset(dimension for dimension, _, _ in FACETS)


def _top_limit(by: str) -> int:
    return FACET_OPTION_LIMIT if by in FACET_DIMENSIONS else TOP_SIZE


def planned_calls(flt: AuditFilter) -> list[data.Call]:
    """Every query of the page, for :func:`audit.ui.data.prefetch`."""
    calls: list[data.Call] = [("kpis", flt, ()), ("overview_counts", flt, ())]
    breakdown = _url_breakdown()
    if breakdown not in COUNTED_TOGETHER:
        calls.append(("volume", flt, (breakdown,)))
    calls.append(("activity_rhythm", flt, ()))
    return calls + [data.top_values_call(flt, by, _top_limit(by)) for by, _ in TOP_LISTS]


def volume_section(ctx: PageContext) -> None:
    """Volume by severity, then by a breakdown the user picks (kept in the URL)."""
    source, flt, now = ctx.source, ctx.filter, ctx.now
    severity = data.volume(source, flt, now, "severity")
    width = severity.attrs["width"]
    drill_chart(
        charts.volume_chart(severity, "severity", flt.tz),
        "volume.severity",
        lambda p: drill.from_volume_point(flt, "severity", p, width, now),
        static=ctx.report or ctx.role.masked,
    )
    breakdown = _breakdown(ctx.report)
    frame = data.volume(source, flt, now, breakdown)
    drill_chart(
        charts.volume_chart(frame, breakdown, flt.tz),
        f"volume.{breakdown}",
        lambda p: drill.from_volume_point(flt, breakdown, p, width, now),
        static=ctx.report or ctx.role.masked,
    )


def _url_breakdown() -> str:
    chosen = st.query_params.get("breakdown", "category")
    return chosen if chosen in BREAKDOWNS and chosen != "severity" else "category"


def _breakdown(report: bool) -> str:
    """The second volume chart's breakdown, kept in the URL (``breakdown=action``)."""
    choices = [b for b in BREAKDOWNS if b != "severity"]
    chosen = _url_breakdown()
    if report:  # no controls in a report: the URL's choice, or the default
        return chosen
    key = "overview.breakdown"
    sync_widget(key, chosen)
    st.segmented_control(
        "Break down by",
        choices,
        format_func=lambda b: DIMENSIONS[b].title,
        key=key,
        required=True,
    )
    if widget_changed(key, chosen):
        chosen = st.session_state[key]
        set_params(breakdown=None if chosen == "category" else chosen)
    return chosen


def top_section(ctx: PageContext) -> None:
    for column, (by, title) in zip(st.columns(len(TOP_LISTS)), TOP_LISTS, strict=True):
        with column:
            top = data.top_values(ctx.source, ctx.filter, ctx.now, by, _top_limit(by))
            top = top.head(TOP_SIZE)
            if by == "user" and ctx.role.masked:
                top = top.assign(label=top["label"].map(mask_email))
            drill_chart(
                charts.top_chart(top, title),
                f"top.{by}",
                lambda p, by=by: drill.from_top_point(ctx.filter, by, p),
                static=ctx.report or ctx.role.masked,
            )


def heatmap_section(ctx: PageContext) -> None:
    left, right = st.columns(2)
    with left:
        drill_chart(
            charts.severity_category_heatmap(
                data.severity_by_category(ctx.source, ctx.filter, ctx.now)
            ),
            "heatmap.severity_category",
            lambda p: drill.from_heatmap_point(ctx.filter, p),
            static=ctx.report or ctx.role.masked,
        )
    with right:
        rhythm = data.activity_rhythm(ctx.source, ctx.filter, ctx.now)
        config = STATIC_CHART_CONFIG if ctx.report else CHART_CONFIG
        st.plotly_chart(
            charts.rhythm_heatmap(rhythm, ctx.filter.tz), config=config, width="stretch"
        )
