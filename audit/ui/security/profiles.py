"""The IP and user profiles: when the address or user was seen, what it did in the range,
the findings involving it and its latest events. Analysts only (the pages check)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import streamlit as st

from audit import anomalies, charts, drill, plans, security
from audit.access import mask_column
from audit.filters import AuditFilter
from audit.security import EntitySummary, Finding, Thresholds
from audit.timerange import local_moment
from audit.ui import data
from audit.ui.safe import md_escape
from audit.ui.security import KEY, calls
from audit.ui.security.findings_table import findings_table
from audit.ui.security.tables import TOP_LIMIT, events_table, report_table, top_table
from audit.ui.security.thresholds import extra_params
from audit.ui.unusual import unusual_list
from audit.ui.view import PageContext
from audit.ui.widgets import EXPLORER_PAGE, drill_chart

LATEST_EVENTS = 50
UNUSUAL_SHOWN = 5


def _when(moment: datetime | None, tz: str) -> str:
    if moment is None:
        return "–"
    return local_moment(moment, ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def _metrics(values: Mapping[str, str]) -> None:
    for column, (label, value) in zip(st.columns(len(values)), values.items(), strict=True):
        column.metric(label, value)


def _summary_metrics(
    ctx: PageContext, flt: AuditFilter, summary: EntitySummary, other: str
) -> None:
    ever = calls.fetch(ctx, security.ever_seen, flt)
    ratio = summary.failure_ratio
    distinct = summary.users if other == "Distinct users" else summary.ips
    _metrics(
        {
            "First seen (ever)": _when(ever.start, flt.tz),
            "Last seen (ever)": _when(ever.end, flt.tz),
            "Events in range": f"{summary.events:,}",
        }
    )
    _metrics(
        {
            "Failure rate": "–" if ratio is None else f"{ratio:.1%}",
            "Succeeded": f"{summary.successes:,}",
            "Failed": f"{summary.failures:,}",
            "Outcome unknown": f"{summary.unknown:,}",
            other: f"{distinct:,}",
            "User agents": f"{summary.user_agents:,}",
        }
    )
    st.caption(f"First and last seen over all time, in {flt.tz}; the rest over {ctx.window_text}.")


def _timeline(ctx: PageContext, flt: AuditFilter, key: str) -> None:
    frame = data.volume(ctx.source, flt, ctx.now, "outcome")
    width = frame.attrs["width"]
    figure = charts.volume_chart(frame, "outcome", flt.tz)
    drill_chart(
        figure,
        key,
        lambda p: drill.from_volume_point(flt, "outcome", p, width, ctx.now),
        static=ctx.report or ctx.role.masked,
    )


def _unusual(ctx: PageContext, flt: AuditFilter, principal: str) -> None:
    """The principal's own anomalies: its volume, actions and outcomes against its own
    four-week baseline."""
    st.subheader("Unusual activity")
    rules = anomalies.Rules(ctx.settings.anomaly_threshold, ctx.settings.anomaly_min_count)
    findings = data.fetch(plans.anomalies_call(flt, rules), ctx.source, ctx.now)
    empty = f"Nothing unusual for this {principal} in this range, against its own history."
    unusual_list(ctx, findings, flt, UNUSUAL_SHOWN, empty)


def _user_agents(ctx: PageContext, flt: AuditFilter) -> None:
    st.markdown("**User agents**")
    frame = calls.fetch(ctx, security.top_user_agents, flt, TOP_LIMIT)
    if ctx.role.masked:
        frame = frame.assign(user_agent=mask_column("user_agent", frame["user_agent"]))
    if ctx.report:
        report_table(frame, {"user_agent": "User agent", "count": "Events"}, TOP_LIMIT)
        return
    config = {
        "user_agent": st.column_config.TextColumn("User agent", width="large"),
        "count": st.column_config.NumberColumn("Events", format="%d"),
    }
    st.dataframe(frame, column_config=config, hide_index=True, width="stretch")


def _involved_findings(
    ctx: PageContext,
    base: AuditFilter,
    found: list[Finding],
    labels: Mapping[int, str],
    extra: Mapping[str, list[str]],
) -> None:
    st.subheader("Findings involving it")
    if found:
        findings_table(ctx, found, base, labels, extra, KEY + "profile.findings", True)
    else:
        st.caption("No detection fired for it in this range.")


def _latest(ctx: PageContext, flt: AuditFilter, summary: EntitySummary) -> None:
    st.subheader("Latest events")
    frame = calls.fetch(ctx, security.latest_events, flt, LATEST_EVENTS)
    if not (ctx.report or ctx.role.masked):
        st.page_link(
            EXPLORER_PAGE,
            label=f"Open all {summary.events:,} events in the Explorer",
            icon=":material/table_rows:",
            query_params=flt.to_params(),
        )
    columns = ("created_at", "user", "action", "resource_type", "outcome", "ip_address",
               "description")  # fmt: skip
    events_table(ctx, frame, flt, columns, summary.events)


def _profile(ctx: PageContext, flt: AuditFilter, th: Thresholds, focus: dict[str, Any]) -> None:
    """What both profiles show; ``focus`` is ``{"ip": ...}`` or ``{"user_id": ...}``."""
    extra = extra_params(ctx.settings, th)
    summary: EntitySummary = calls.fetch(ctx, security.entity_summary, flt)
    by_ip = "ip" in focus
    _summary_metrics(ctx, flt, summary, "Distinct users" if by_ip else "Distinct IPs")
    if summary.events == 0:
        st.info("No events in this range. Widen the time range or clear filters.")
        return
    _timeline(ctx, flt, KEY + "profile.timeline")
    _unusual(ctx, flt, "address" if by_ip else "user")
    # The page's filter without the entity: detections run over it (a takeover may span
    # IPs) and links to other profiles keep it.
    base = ctx.filter.with_values(ip=()) if by_ip else ctx.filter.with_values(users=())
    left, right = st.columns(2)
    with left:
        st.markdown("**Users**" if by_ip else "**IPs**")
        by = "user" if by_ip else "ip"
        top = data.top_values(ctx.source, flt, ctx.now, by, TOP_LIMIT)
        top_table(ctx, top, by, flt, base, extra)
    with right:
        _user_agents(ctx, flt)
    found = calls.detections(ctx, base, th)
    _involved_findings(ctx, base, found.involving(**focus), found.label_map(), extra)
    _latest(ctx, flt, summary)


def ip_profile(ctx: PageContext, th: Thresholds) -> None:
    ips = ctx.filter.ip
    _profile(ctx, ctx.filter, th, {"ip": ips[0] if len(ips) == 1 else None})


def user_account(ctx: PageContext, user_id: int) -> str:
    """The user's label, with the account's details shown under it when there is a row."""
    row = calls.account(ctx.source, user_id)
    if row is None:
        st.caption(f"No users row for id {user_id} (a deleted user, or the table is missing).")
        return f"user #{user_id}"
    details = [
        f"{name.replace('_', ' ')}: {value}" for name, value in row.values if name != "email"
    ]
    st.caption(md_escape(" · ".join(details)))  # full names and emails are the data's text
    return str(row.get("email") or row.get("username") or f"user #{user_id}")


def user_profile(ctx: PageContext, th: Thresholds, user_id: int) -> None:
    _profile(ctx, security.user_profile_filter(ctx.filter, user_id), th, {"user_id": user_id})
