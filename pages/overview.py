"""Overview for managers: how much happened, how bad it was and what changed."""

import streamlit as st

from audit import charts, drill
from audit.queries import BREAKDOWNS, DIMENSIONS
from audit.ui import data
from audit.ui.page import context
from audit.ui.widgets import drill_chart, kpi_row

ctx = context()
source, flt, now = ctx.source, ctx.filter, ctx.now

st.title("Overview")
st.caption(ctx.window_text)
kpis = data.kpis(source, flt, now)
kpi_row(kpis)

if not kpis.current["Events"]:
    st.info(
        "No events in this range. Widen the time range or clear filters.",
        icon=":material/event_busy:",
    )
    st.stop()

severity = data.volume(source, flt, now, "severity")
width = severity.attrs["width"]
drill_chart(
    charts.volume_chart(severity, "severity", flt.tz),
    "volume.severity",
    lambda p: drill.from_volume_point(flt, "severity", p, width, now),
)

breakdown = st.segmented_control(
    "Break down by",
    [b for b in BREAKDOWNS if b != "severity"],
    format_func=lambda b: DIMENSIONS[b].title,
    default="category",
    key="breakdown",
    bind="query-params",
    required=True,
)
frame = data.volume(source, flt, now, breakdown)
drill_chart(
    charts.volume_chart(frame, breakdown, flt.tz),
    f"volume.{breakdown}",
    lambda p: drill.from_volume_point(flt, breakdown, p, width, now),
)

for column, (by, title) in zip(
    st.columns(3),
    [("action", "Top actions"), ("resource_type", "Top resource types"), ("user", "Top users")],
    strict=True,
):
    with column:
        top = data.top_values(source, flt, now, by)
        drill_chart(
            charts.top_chart(top, title),
            f"top.{by}",
            lambda p, by=by: drill.from_top_point(flt, by, p),
        )

left, right = st.columns(2)
with left:
    drill_chart(
        charts.severity_category_heatmap(data.severity_by_category(source, flt, now)),
        "heatmap.severity_category",
        lambda p: drill.from_heatmap_point(flt, p),
    )
with right:
    st.plotly_chart(
        charts.rhythm_heatmap(data.activity_rhythm(source, flt, now), flt.tz),
        config={"displayModeBar": False},
        width="stretch",
    )
