"""Security: key figures, incidents triaged in one list (or the incident the URL names),
failed logins, high-severity events and the privilege and API-key lifecycle, within the
current filters and range."""

import streamlit as st

from audit import plans
from audit.ui import data
from audit.ui.page import context, heading, section
from audit.ui.security import sections
from audit.ui.security.incident_view import incident_view
from audit.ui.security.thresholds import extra_params, threshold_inputs
from audit.ui.security.triage import INCIDENT_PARAM, chip_inputs, triage_list

ctx = context()

heading(ctx, "Security")
thresholds = threshold_inputs(ctx.settings, report=ctx.report)
extra = extra_params(ctx.settings, thresholds)
plan = plans.security_plan(ctx.filter, thresholds)
found = data.fetch(plan.incidents, ctx.source, ctx.now)
chosen = st.query_params.get(INCIDENT_PARAM)

if chosen:
    section(ctx, "Incident")
    incident_view(ctx, found, chosen, thresholds, extra)
else:
    sections.kpi_section(ctx, plan, found)

    section(ctx, "Incidents")
    triage_list(ctx, found, chip_inputs(ctx, found), sections.page_link(ctx, extra))

    section(ctx, "Failed logins")
    sections.failed_logins_section(ctx, plan, extra)

    section(ctx, "High and critical security events")
    sections.high_events_section(ctx, plan)

    section(ctx, "Privilege changes and API-key lifecycle")
    sections.lifecycle_section(ctx, plan, thresholds, extra)
