"""Overview for managers: how much happened, how bad it was and what changed."""

import streamlit as st

from audit.ui import data
from audit.ui.overview import (
    heatmap_section,
    overview_plan,
    stands_out_section,
    top_section,
    unusual_section,
    volume_section,
)
from audit.ui.page import context, heading
from audit.ui.widgets import kpi_row

ctx = context()

heading(ctx, "Overview")
plan = overview_plan(ctx.filter, ctx.settings)
kpis = data.fetch(plan.kpis, ctx.source, ctx.now)
kpi_row(kpis, ctx)

if kpis.current["Events"]:
    stands_out_section(ctx, plan, kpis)
    findings = unusual_section(ctx, plan)
    volume_section(ctx, plan, findings)
    top_section(ctx, plan)
    heatmap_section(ctx, plan)
else:
    st.info(
        "No events in this range. Widen the time range or clear filters.",
        icon=":material/event_busy:",
    )
