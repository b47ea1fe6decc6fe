"""Small display components shared by pages: KPI metrics and charts that drill through."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from audit import kpis as kpi
from audit.filters import AuditFilter
from audit.queries import Kpis
from audit.timerange import TimeWindow, describe_window
from audit.ui.urlstate import NOW_PARAM, drill_params
from audit.ui.view import PageContext

EXPLORER_PAGE = "pages/explorer.py"
CHART_CONFIG = {"displayModeBar": False, "responsive": True}
NONCE_KEY = "drill_nonce"
# Seven labels fit their tiles at 1280 px: a slightly smaller label font, never wrapped.
KPI_CSS = """<style>
[data-testid="stMetricLabel"] p { font-size: 0.82rem; white-space: nowrap; }
</style>"""


def kpi_row(kpis: Kpis, ctx: PageContext) -> None:
    """The key figures, each with its definition and its change against the previous
    period; under each, a link to exactly the events it counts (not in reports, and not
    for viewers, who see no rows)."""
    previous_window = ctx.filter.window(ctx.now).previous()
    compared = kpis.comparable
    st.html(KPI_CSS)
    columns = st.columns(len(kpis.current), gap="small")
    for column, (label, value) in zip(columns, kpis.current.items(), strict=True):
        previous = kpis.previous.get(label) if kpis.previous else None
        shift = kpi.change(label, value, previous, compared)
        column.metric(
            label,
            kpi.format_kpi(label, value),
            # said once under the row: in a tile it is cut to "no earlier events t…"
            delta=None if not compared else shift.text,
            delta_color=shift.color,
            delta_arrow=shift.arrow,
            help=None if ctx.report else kpi.help_text(label, previous_window, ctx.filter.tz),
        )
        target = kpi.events_filter(label, ctx.filter)
        if not ctx.report and not ctx.role.masked and target is not None:
            column.page_link(
                EXPLORER_PAGE,
                label="See events",
                icon=":material/table_rows:",
                query_params=target.to_params() | _pinned_now(ctx),
            )
    if not compared:
        st.caption(_nothing_to_compare(previous_window, ctx.filter.tz))


def _nothing_to_compare(previous: TimeWindow | None, tz: str) -> str:
    if previous is None:
        return "No changes shown: this range has no previous period of the same length."
    return (
        f"No changes shown: {kpi.NOTHING_TO_COMPARE} in the previous period "
        f"({describe_window(previous, tz)}), before the data begins."
    )


def _pinned_now(ctx: PageContext) -> dict[str, list[str]]:
    return {NOW_PARAM: [ctx.now.isoformat()]} if ctx.now_pinned else {}


STATIC_CHART_CONFIG = {"displayModeBar": False, "staticPlot": True}


def drill_chart(
    figure: go.Figure,
    key: str,
    to_filter: Callable[[Mapping[str, Any]], AuditFilter | None],
    static: bool = False,
) -> None:
    """A chart whose clicked mark opens the Explorer with the filter it stands for;
    ``static`` (report mode) draws it without any interaction."""
    if static:
        st.plotly_chart(figure, config=STATIC_CHART_CONFIG, width="stretch")
        return
    nonce = st.session_state.setdefault(NONCE_KEY, 0)
    event = st.plotly_chart(
        figure,
        key=f"{key}.{nonce}",  # a new key after each drill: no stale selection on return
        on_select="rerun",
        selection_mode="points",
        config=CHART_CONFIG,
        width="stretch",
    )
    points = event.selection.points if event is not None else []
    if not points:
        return
    target = to_filter(points[0])
    if target is None:
        st.toast("That value cannot be filtered on.", icon=":material/info:")
        return
    st.session_state[NONCE_KEY] = nonce + 1
    st.switch_page(EXPLORER_PAGE, query_params=drill_params(target.to_params()))
