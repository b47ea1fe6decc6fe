"""Overview for managers: how much happened, how bad it was and what changed."""

import streamlit as st

from audit.ui import data
from audit.ui.overview import heatmap_section, top_section, volume_section
from audit.ui.page import context
from audit.ui.widgets import kpi_row

ctx = context()

st.title("Overview")
st.caption(ctx.window_text)
kpis = data.kpis(ctx.source, ctx.filter, ctx.now)
kpi_row(kpis)

if kpis.current["Events"]:
    volume_section(ctx)
    top_section(ctx)
    heatmap_section(ctx)
else:
    st.info(
        "No events in this range. Widen the time range or clear filters.",
        icon=":material/event_busy:",
    )
