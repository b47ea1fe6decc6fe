"""Overview for managers: how much happened, how bad it was and what changed."""

import streamlit as st

from audit import plans
from audit.ui import data
from audit.ui.overview import heatmap_section, top_section, url_breakdown, volume_section
from audit.ui.page import context
from audit.ui.widgets import kpi_row

ctx = context()

st.title("Overview")
st.caption(ctx.window_text)
plan = plans.overview_plan(ctx.filter, url_breakdown())
kpis = data.fetch(plan.kpis, ctx.source, ctx.now)
kpi_row(kpis, ctx)

if kpis.current["Events"]:
    volume_section(ctx, plan)
    top_section(ctx, plan)
    heatmap_section(ctx, plan)
else:
    st.info(
        "No events in this range. Widen the time range or clear filters.",
        icon=":material/event_busy:",
    )
