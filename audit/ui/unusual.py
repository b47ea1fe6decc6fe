"""Anomalies on a page: each group of views of the same events as one card, the most
specific first, each sentence a link to exactly its events (analysts, outside reports).
Viewers read masked series and get no links."""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from audit import anomalies
from audit.anomalies import Anomaly, Findings, Group
from audit.filters import AuditFilter
from audit.ui.safe import md_escape
from audit.ui.urlstate import NOW_PARAM
from audit.ui.view import PageContext

KIND_ICONS = {
    anomalies.Kind.SPIKE: ":material/trending_up:",
    anomalies.Kind.DROP: ":material/trending_down:",
    anomalies.Kind.FIRST_SEEN: ":material/fiber_new:",
    anomalies.Kind.RETURNING: ":material/history:",
}
MORE_LIMIT = 25  # groups listed beyond the first few


def _links_allowed(ctx: PageContext) -> bool:
    return not ctx.report and ctx.role.sees_rows


def _url(ctx: PageContext, item: Anomaly, flt: AuditFilter, tz: str) -> str:
    """A relative link to the Explorer (works under any base path); the query is encoded,
    so the data's text cannot break out of the markdown link."""
    params = anomalies.events_filter(item, flt, tz).to_params()
    if ctx.now_pinned:
        params[NOW_PARAM] = [ctx.now.isoformat()]
    return "explorer?" + urlencode(params, doseq=True)


def _sentence(ctx: PageContext, item: Anomaly, findings: Findings, flt: AuditFilter) -> str:
    text = md_escape(anomalies.explain(item, findings.width, ctx.role.masked))
    if not _links_allowed(ctx):
        return text
    return f"{text} · [events]({_url(ctx, item, flt, findings.tz)})"


def group_card(ctx: PageContext, findings: Findings, group: Group, flt: AuditFilter) -> None:
    lead = group.lead
    with st.container(border=True):
        title = anomalies.KIND_TITLES[lead.kind]
        icon = KIND_ICONS[lead.kind]
        st.markdown(f"{icon} **{title}** · {_sentence(ctx, lead, findings, flt)}")
        for member in group.members[1:]:
            st.caption("Same hour, seen as: " + _sentence(ctx, member, findings, flt))


def unusual_list(
    ctx: PageContext, findings: Findings, flt: AuditFilter, shown: int, empty: str
) -> None:
    """The notes on what the baseline lacks, then the ``shown`` most unusual groups; the
    rest behind an expander (in reports, listed too)."""
    st.caption(md_escape(anomalies.rules_note(findings)))
    note = anomalies.history_note(findings)
    if note:
        st.info(md_escape(note), icon=":material/hourglass_empty:")
    groups = findings.groups()
    if not groups:
        st.caption(empty)
        return
    for group in groups[:shown]:
        group_card(ctx, findings, group, flt)
    rest = groups[shown:]
    if not rest:
        return
    box = st.container() if ctx.report else st.expander(f"{len(rest)} more")
    with box:
        for group in rest[:MORE_LIMIT]:
            group_card(ctx, findings, group, flt)
        if len(rest) > MORE_LIMIT:
            st.caption(f"{len(rest) - MORE_LIMIT} more, less unusual, not listed.")
