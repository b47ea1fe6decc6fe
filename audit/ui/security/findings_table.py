"""The findings table: one finding per row, the selected one shown in full with links to
its events and the profiles involved."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import streamlit as st

from audit import security
from audit.access import Identities, mask_labels
from audit.filters import AuditFilter
from audit.security import Finding
from audit.ui import data
from audit.ui.security.masking import masked_summary
from audit.ui.security.tables import (
    TIME_FORMAT,
    link_column,
    report_table,
    report_titles,
    time_texts,
)
from audit.ui.view import PageContext
from audit.ui.widgets import EXPLORER_PAGE

IP_PAGE = "pages/ip.py"
USER_PAGE = "pages/user.py"
REPORT_FINDINGS = 100  # rows of a findings table in a report

FINDING_CONFIG = {
    "rule": st.column_config.TextColumn("Rule"),
    "risk": st.column_config.TextColumn("Risk", width="small"),
    "summary": st.column_config.TextColumn("What fired and why", width="large"),
    "first_seen": st.column_config.DatetimeColumn("First seen", format=TIME_FORMAT),
    "last_seen": st.column_config.DatetimeColumn("Last seen", format=TIME_FORMAT),
    "ip": st.column_config.TextColumn("IP"),
    "ip_profile": link_column("IP", security.IP_LINK_TEXT, help="Open the IP's profile"),
    "user": st.column_config.TextColumn("User"),
    "user_profile": link_column("User profile", "Profile"),
    "events": st.column_config.NumberColumn("Events", format="%d"),
    "explorer": link_column("Explorer", "Open events", help="The events behind the finding"),
}
FINDING_ORDER = ("risk", "summary", "first_seen", "last_seen", "ip_profile", "user",
                 "user_profile", "events", "explorer")  # fmt: skip
# Without links (reports, viewers): the address as text.
PLAIN_FINDING_ORDER = ("risk", "summary", "first_seen", "last_seen", "ip", "user", "events")
FINDING_LINKS = ("explorer", "ip_profile", "user_profile")


def _plain_findings(
    frame: pd.DataFrame,
    findings: Sequence[Finding],
    labels: Mapping[int, str],
    identities: Identities | None,
) -> pd.DataFrame:
    """The findings frame without its links (which name IPs and users); masked for viewers
    (``identities`` given)."""
    plain = frame.drop(columns=list(FINDING_LINKS))
    if identities is not None:
        plain["summary"] = [masked_summary(f, labels, identities) for f in findings]
        plain["ip"] = mask_labels("ip", plain["ip"])
        plain["user"] = mask_labels("user", plain["user"])
    return plain


def _report_findings(frame: pd.DataFrame, order: Sequence[str], tz: str) -> None:
    """Static findings; an IP or user column that is empty throughout is left out."""
    empty = [name for name in ("ip", "user") if frame[name].isna().all()]
    order = [name for name in order if name not in empty]
    shown = frame[order].copy()
    for name in ("first_seen", "last_seen"):
        shown[name] = time_texts(shown[name])
    report_table(shown, report_titles(FINDING_CONFIG, order, tz), REPORT_FINDINGS)


def findings_table(
    ctx: PageContext,
    findings: Sequence[Finding],
    flt: AuditFilter,
    labels: Mapping[int, str],
    extra: Mapping[str, list[str]],
    key: str,
    with_rule: bool = False,
) -> None:
    """The findings, one per row; the selected one is shown in full with its links. In a
    report, a static table; for viewers, masked and without links."""
    frame = security.findings_frame(findings, flt, labels, extra)
    order = FINDING_ORDER
    identities = data.identities(ctx.source) if ctx.role.masked else None
    if ctx.report or identities is not None:
        frame, order = _plain_findings(frame, findings, labels, identities), PLAIN_FINDING_ORDER
    order = ("rule", *order) if with_rule else order
    if ctx.report:
        _report_findings(frame, order, flt.tz)
        return
    event = st.dataframe(
        frame,
        column_config=FINDING_CONFIG,
        column_order=order,
        hide_index=True,
        width="stretch",
        key=key,
        on_select="rerun",
        selection_mode="single-row",
    )
    chosen = [i for i in event.selection.rows if i < len(findings)]
    if chosen and identities is not None:
        st.text(masked_summary(findings[chosen[0]], labels, identities))
    elif chosen:
        _finding_detail(findings[chosen[0]], flt, labels, extra)
    elif ctx.role.masked:
        st.caption("Select a row to read the whole finding.")
    else:
        st.caption("Select a row to read the whole finding and open its events.")


def _finding_detail(
    finding: Finding, flt: AuditFilter, labels: Mapping[int, str], extra: Mapping[str, list[str]]
) -> None:
    with st.container(border=True):
        st.text(finding.summary)  # holds addresses and names from the table: plain text
        links = st.columns(3)
        links[0].page_link(
            EXPLORER_PAGE,
            label=f"Open its {finding.events:,} events in the Explorer",
            icon=":material/table_rows:",
            query_params=finding.evidence.to_params(),
        )
        if finding.ip:
            links[1].page_link(
                IP_PAGE,
                label="IP profile",
                icon=":material/lan:",
                query_params=security.ip_params(finding.ip, flt, extra),
            )
        if finding.user_id is not None:
            links[2].page_link(
                USER_PAGE,
                label="User profile",
                icon=":material/person:",
                query_params=security.user_params(finding.user_id, flt, extra),
            )
