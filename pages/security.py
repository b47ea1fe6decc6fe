"""Security: failed logins, detections that explain themselves, high-severity events and
the privilege and API-key lifecycle, within the current filters and range."""

import streamlit as st

from audit import plans
from audit.ui import data
from audit.ui.page import context
from audit.ui.security import sections
from audit.ui.security.thresholds import extra_params, threshold_inputs

ctx = context()

st.title("Security")
st.caption(ctx.window_text)
thresholds = threshold_inputs(ctx.settings, report=ctx.report)
extra = extra_params(ctx.settings, thresholds)
plan = plans.security_plan(ctx.filter, thresholds)
found = data.fetch(plan.detections, ctx.source, ctx.now)
sections.kpi_section(ctx, plan, found)

st.header("Failed logins")
sections.failed_logins_section(ctx, plan, extra)

st.header("Detections")
sections.detections_section(ctx, found, thresholds, extra)

st.header("High and critical security events")
sections.high_events_section(ctx, plan)

st.header("Privilege changes and API-key lifecycle")
sections.lifecycle_section(ctx, plan, thresholds)
