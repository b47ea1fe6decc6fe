"""Small display components shared by pages: KPI metrics and charts that drill through."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from audit.filters import AuditFilter
from audit.queries import Kpis

EXPLORER_PAGE = "pages/explorer.py"
CHART_CONFIG = {"displayModeBar": False, "responsive": True}
# Up is bad for these; for the rest, a change is neither good nor bad.
BAD_WHEN_UP = frozenset({"Failed", "Failure rate", "Security events", "High & critical"})
NONCE_KEY = "drill_nonce"
MAX_SHOWN_RATIO = 10  # past +1000 %, a percentage says nothing: show the count alone


def format_kpi(label: str, value: float | None) -> str:
    if value is None:
        return "–"
    if label == "Failure rate":
        return f"{value:.1%}"
    return f"{int(value):,}"


def format_delta(label: str, value: float | None, previous: float | None) -> str | None:
    """Change against the previous period: absolute and relative; rates in points."""
    if value is None or previous is None:
        return None
    if label == "Failure rate":
        return f"{(value - previous) * 100:+.1f} pp"
    change = value - previous
    if previous == 0 or abs(change / previous) >= MAX_SHOWN_RATIO:
        return f"{int(change):+,}"
    return f"{int(change):+,} ({change / previous:+.0%})"


def kpi_row(kpis: Kpis) -> None:
    columns = st.columns(len(kpis.current))
    for column, (label, value) in zip(columns, kpis.current.items(), strict=True):
        previous = kpis.previous.get(label) if kpis.previous else None
        column.metric(
            label,
            format_kpi(label, value),
            delta=format_delta(label, value, previous),
            delta_color="inverse" if label in BAD_WHEN_UP else "off",
            help="Change against the previous period of equal length" if kpis.previous else None,
        )


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
    st.switch_page(EXPLORER_PAGE, query_params=target.to_params())
