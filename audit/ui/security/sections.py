"""Sections of the security page: key figures, failed logins, high-severity
security events and the privilege and API-key lifecycle."""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from audit import charts, drill, security
from audit import kpis as kpi
from audit.filters import AuditFilter
from audit.plans import SecurityPlan
from audit.security import Thresholds, page_url
from audit.security.incidents import CRITICAL, Incidents
from audit.ui import data
from audit.ui.report import MoreLink
from audit.ui.security.tables import REPORT_TOP, ReportCap, events_table, top_table
from audit.ui.urlstate import NOW_PARAM
from audit.ui.view import PageContext
from audit.ui.widgets import drill_chart


def _failure_summary(ctx: PageContext, plan: SecurityPlan) -> security.FailureSummary:
    if plan.failure_summary is None:
        return security.FailureSummary(0, 0, 0)
    return data.fetch(plan.failure_summary, ctx.source, ctx.now)


def kpi_section(ctx: PageContext, plan: SecurityPlan, found: Incidents) -> None:
    summary = _failure_summary(ctx, plan)
    high = data.fetch(plan.high_count, ctx.source, ctx.now)
    urgent = (CRITICAL, security.HIGH)
    values = {
        "Failed logins": summary.failures,
        "Failing IPs": summary.ips,
        "Users with failures": summary.users,
        "High & critical security": high,
        "Incidents": len(found.incidents),
        "Critical & high incidents": sum(i.risk in urgent for i in found.incidents),
    }
    for column, (label, value) in zip(st.columns(len(values)), values.items(), strict=True):
        column.metric(label, f"{value:,}")


REPORT_CHART_HEIGHT = 250  # beside the two top lists, in a report read on one or two screens


def failed_logins_section(
    ctx: PageContext, plan: SecurityPlan, extra: Mapping[str, list[str]]
) -> None:
    failures = security.login_failures_filter(ctx.filter)
    if failures is None or plan.failed_volume is None:
        st.info("The filters exclude failed logins.", icon=":material/filter_alt_off:")
        return
    frame = data.fetch(plan.failed_volume, ctx.source, ctx.now)
    width = frame.attrs["width"]
    figure = charts.volume_chart(frame, "outcome", failures.tz)
    figure.update_layout(
        title_text=f"Failed logins {charts.BUCKET_TITLES.get(width, '')}", showlegend=False
    )
    if ctx.report:
        figure.update_layout(height=REPORT_CHART_HEIGHT)
    # A report puts the top lists beside the chart; the page, under it.
    boxes = st.columns([3, 2, 2]) if ctx.report else [st.container(), *st.columns(2)]
    chart_box, *top_boxes = boxes
    with chart_box:
        drill_chart(
            figure,
            "security.failed_logins",
            lambda p: drill.from_volume_point(failures, "outcome", p, width, ctx.now),
            static=ctx.report or ctx.role.masked,  # the Explorer shows rows: analysts only
        )
    _top_failing(ctx, plan, failures, extra, top_boxes)


def _top_failing(
    ctx: PageContext,
    plan: SecurityPlan,
    failures: AuditFilter,
    extra: Mapping[str, list[str]],
    boxes: list[DeltaGenerator],
) -> None:
    summary = _failure_summary(ctx, plan)
    totals = {"ip": (summary.ips, "IPs"), "user": (summary.users, "users")}
    explorer = security.explorer_url(failures)  # its facets count every value
    titles = {"ip": "**Top failing IPs**", "user": "**Top failing users**"}
    for box, (by, call) in zip(boxes, plan.top_failing, strict=True):
        with box:
            st.markdown(titles[by])
            top = data.fetch(call, ctx.source, ctx.now)
            total, noun = totals[by]
            facet = "IP" if by == "ip" else "user"
            link = MoreLink(f"see them all in the Explorer's {facet} facet", explorer)
            cap = ReportCap(REPORT_TOP, link, noun)
            top_table(ctx, top, by, failures, ctx.filter, extra, total, cap)


REPORT_LIST = 5  # rows of each list of events in a report: the rest behind a link


def page_link(ctx: PageContext, extra: Mapping[str, list[str]]) -> MoreLink:
    """The security page itself, interactive, with the report's filter and thresholds."""
    return MoreLink("see them all on the Security page", page_url("security", _params(ctx, extra)))


def _params(ctx: PageContext, extra: Mapping[str, list[str]]) -> dict[str, list[str]]:
    return ctx.view_params() | dict(extra)


def _high_events_link(ctx: PageContext) -> MoreLink | None:
    """The explorer on exactly the high and critical security events of the filter."""
    high = kpi.events_filter("High & critical", ctx.filter)
    target = kpi.events_filter("Security events", high) if high is not None else None
    if target is None:
        return None
    params = target.to_params() | {k: v for k, v in ctx.view_params().items() if k == NOW_PARAM}
    return MoreLink("see them all in the Explorer", page_url("explorer", params))


def high_events_section(ctx: PageContext, plan: SecurityPlan) -> None:
    frame = data.fetch(plan.high_events, ctx.source, ctx.now)
    if frame.empty:
        st.caption("No high or critical security events in this range.")
        return
    columns = ("created_at", "severity", "user", "action", "ip_address", "description")
    total = data.fetch(plan.high_count, ctx.source, ctx.now)
    cap = ReportCap(REPORT_LIST, _high_events_link(ctx), "high and critical security events")
    # The count may come from a mirror a few minutes behind the rows.
    events_table(ctx, frame, ctx.filter, columns, max(total, len(frame)), cap)


def lifecycle_section(
    ctx: PageContext, plan: SecurityPlan, th: Thresholds, extra: Mapping[str, list[str]]
) -> None:
    frame = data.fetch(plan.lifecycle, ctx.source, ctx.now)
    st.caption(
        "Permission grants and revokes, role changes, and API keys created, changed and "
        f"deleted, newest first (at most {security.LIST_LIMIT:,}). Off hours: outside "
        f"{security.business_hours_text(th)} in {ctx.filter.tz}."
    )
    if frame.empty:
        st.caption("None in this range.")
        return
    columns = ("created_at", "kind", "user", "action", "resource_type", "resource_id",
               "off_hours", "description")  # fmt: skip
    if ctx.report:  # one line a row: the description names the resource
        columns = tuple(c for c in columns if c not in ("resource_type", "resource_id"))
    # The list itself stops at the newest LIST_LIMIT: say so rather than count past it.
    full = len(frame) >= security.LIST_LIMIT
    noun = f"of the newest {security.LIST_LIMIT:,} changes" if full else "changes"
    cap = ReportCap(REPORT_LIST, page_link(ctx, extra), noun)
    events_table(ctx, frame, ctx.filter, columns, cap=cap)
