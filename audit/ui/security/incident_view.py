"""One incident (``security?incident=ID``): its story, its timeline, its findings with their
explanations, and links to exactly its events and to the profiles involved. Reproducible
from its URL and in a report; for viewers masked and without links."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import streamlit as st

from audit import security
from audit.access import Identities
from audit.filters import AuditFilter
from audit.security import Thresholds
from audit.security.findings import evidence_filter, plural
from audit.security.incidents import Incident, Incidents, mask_incident_text
from audit.security.labels import labeller
from audit.security.timeline import Step, span_text
from audit.ui import data
from audit.ui.safe import markdown_code, md_escape
from audit.ui.security.findings_table import IP_PAGE, USER_PAGE
from audit.ui.security.masking import masked_summary
from audit.ui.security.tables import report_table
from audit.ui.security.triage import (
    RISK_COLORS,
    back_button,
    local,
    principal_text,
    story_text,
)
from audit.ui.view import PageContext
from audit.ui.widgets import EXPLORER_PAGE

PROFILE_LINKS = 6  # IP and user profiles linked, at most


def _when(step: Step, tz: str) -> str:
    first, last = local(step.first, tz), local(step.last, tz)
    return first if first == last else f"{first} – {last[-5:] if first[:10] == last[:10] else last}"


def _timeline(
    ctx: PageContext, incident: Incident, labels: Mapping[int, str], identities: Identities | None
) -> None:
    label = labeller(labels)
    rows = []
    for step in incident.timeline:
        text = step.phrase(label)
        if identities is not None:
            text = mask_incident_text(text, incident, labels, identities)
        rows.append({"when": _when(step, ctx.filter.tz), "what": text})
    frame = pd.DataFrame(rows, columns=["when", "what"])
    titles = {"when": f"When ({ctx.filter.tz})", "what": "What"}
    if ctx.report:
        report_table(frame, titles, 200)
        return
    config = {
        "when": st.column_config.TextColumn(titles["when"]),
        "what": st.column_config.TextColumn("What", width="large"),
    }
    st.dataframe(frame, column_config=config, hide_index=True, width="stretch")


def _findings(
    ctx: PageContext,
    incident: Incident,
    th: Thresholds,
    labels: Mapping[int, str],
    identities: Identities | None,
) -> None:
    for finding in incident.findings:
        with st.container(border=True):
            title = f"{security.RULE_TITLES[finding.rule]} · {finding.risk} risk"
            st.markdown(f"**{md_escape(title)}**")
            summary = finding.summary
            if identities is not None:
                summary = masked_summary(finding, labels, identities)
            st.text(summary)
            st.caption(md_escape(security.rule_description(finding.rule, th)))
            if not (ctx.report or identities is not None):
                st.page_link(
                    EXPLORER_PAGE,
                    label=f"Open its {plural(finding.events, 'event')} in the Explorer",
                    icon=":material/table_rows:",
                    query_params=finding.evidence.to_params(),
                )


def incident_filter(ctx: PageContext, incident: Incident) -> AuditFilter:
    """The page's filter narrowed to the incident's span and principal."""
    narrow: dict[str, object] = {}
    if incident.principal.user_id is not None:
        narrow["users"] = (incident.principal.user_id,)
    elif incident.principal.ip:
        narrow["ip"] = incident.principal.ip
    return evidence_filter(ctx.filter, incident.first_seen, incident.last_seen, **narrow)


def _event_links(ctx: PageContext, incident: Incident) -> None:
    """The Explorer over exactly the incident's events, when one filter selects them all
    (its span and principal); otherwise each finding's link selects its own."""
    flt = incident_filter(ctx, incident)
    if data.count_events(ctx.source, flt, ctx.now) == incident.events:
        st.page_link(
            EXPLORER_PAGE,
            label=f"Open its {incident.events:,} events in the Explorer",
            icon=":material/table_rows:",
            query_params=flt.to_params(),
        )
    else:
        st.caption(
            f"Its {incident.events:,} events are those of its findings below (and of the "
            "chain that ties them): each finding opens exactly its own in the Explorer."
        )


def _profile_links(
    ctx: PageContext,
    incident: Incident,
    labels: Mapping[int, str],
    extra: Mapping[str, list[str]],
) -> None:
    links = [
        (IP_PAGE, f"IP {ip}", security.ip_params(ip, ctx.filter, extra)) for ip in incident.ips
    ]
    links += [
        (USER_PAGE, f"User {labels.get(u, u)}", security.user_params(u, ctx.filter, extra))
        for u in incident.user_ids
    ]
    shown = links[:PROFILE_LINKS]
    for column, (page, label, params) in zip(st.columns(max(len(shown), 1)), shown, strict=False):
        column.page_link(page, label=label, icon=":material/person_search:", query_params=params)
    if len(links) > len(shown):
        st.caption(f"{len(links) - len(shown):,} more addresses and users: see the findings.")


def _metrics(ctx: PageContext, incident: Incident) -> None:
    values = {
        "Duration": span_text(incident.last_seen - incident.first_seen),
        "Events": f"{incident.events:,}",
        "Findings": f"{len(incident.findings):,}",
    }
    for column, (name, value) in zip(st.columns(len(values)), values.items(), strict=True):
        column.metric(name, value)


def incident_view(
    ctx: PageContext,
    found: Incidents,
    incident_id: str,
    th: Thresholds,
    extra: Mapping[str, list[str]],
) -> None:
    if not ctx.report:
        back_button()
    incident = found.get(incident_id)
    if incident is None:
        st.warning(
            md_escape(
                f"No incident {incident_id[:40]} in {ctx.window_text} under these "
                "thresholds. Widen the range, or go back to all incidents."
            )
        )
        return
    identities = data.identities(ctx.source) if ctx.role.masked else None
    labels = found.label_map()
    st.badge(incident.risk.capitalize() + " risk", color=RISK_COLORS[incident.risk])
    st.subheader(markdown_code(principal_text(incident, identities)))
    st.markdown(md_escape(story_text(incident, labels, identities)))
    seen = (
        f"{local(incident.first_seen, ctx.filter.tz)} – {local(incident.last_seen, ctx.filter.tz)}"
    )
    st.caption(f"Incident {incident.id}: first and last seen {seen} ({ctx.filter.tz}).")
    _metrics(ctx, incident)
    if not (ctx.report or identities is not None):
        _event_links(ctx, incident)
        _profile_links(ctx, incident, labels, extra)
    st.markdown("**Timeline**")
    _timeline(ctx, incident, labels, identities)
    st.markdown("**Findings**")
    _findings(ctx, incident, th, labels, identities)
