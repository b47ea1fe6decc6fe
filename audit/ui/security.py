"""Sections of the security page and of the IP and user profiles. Detection thresholds
live in the URL (``bf_n``, ``bf_w``, ...) next to the shared filter.

Report mode (``ctx.report``) draws no controls, links or selections: tables are static and
charts do not drill. Viewers (``ctx.role.masked``) see IP addresses and emails masked and
get no links to rows (the Explorer, event details, profiles)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from audit import charts, drill, security
from audit.access import mask_email, mask_ip, mask_text
from audit.config import Settings
from audit.db import Source
from audit.filters import AuditFilter
from audit.security import Detections, Finding, Thresholds
from audit.ui import data
from audit.ui.page import PageContext
from audit.ui.report import static_table
from audit.ui.urlstate import query_params_lists, sync_widget, widget_changed
from audit.ui.widgets import EXPLORER_PAGE, drill_chart

IP_PAGE = "pages/ip.py"
USER_PAGE = "pages/user.py"

KEY = "security."
TIME_FORMAT = "YYYY-MM-DD HH:mm:ss"
THRESHOLD_COLUMNS = 5
LATEST_EVENTS = 50
TOP_LIMIT = 10
REPORT_FINDINGS = 100  # rows of a findings table in a report
REPORT_EVENTS = 50  # rows of an events table in a report
TIME_TEXT = "%Y-%m-%d %H:%M:%S"


@st.cache_data(ttl=data.CACHE_TTL_SECONDS, max_entries=500, show_spinner=False)
def _cached(
    _source: Source, source_key: str, name: str, flt: AuditFilter, now: datetime, args: tuple
) -> Any:
    return getattr(security, name)(_source, flt, now, *args)


def _call(name: str, source: Source, flt: AuditFilter, now: datetime, *args: Any) -> Any:
    """An aggregate (every detection is one): from the mirror when it can answer."""
    target, key = data.aggregate_target(source, flt)
    return _cached(target, key, name, flt, now, args)


def _rows(name: str, source: Source, flt: AuditFilter, now: datetime, *args: Any) -> Any:
    """Rows, always read from the source; with the mirror in use it finds their ids."""
    target, key = data.aggregate_target(source, flt)
    ids_from = None if target is source else target
    return _cached_rows(source, key, ids_from, name, flt, now, args)


@st.cache_data(ttl=data.CACHE_TTL_SECONDS, max_entries=200, show_spinner=False)
def _cached_rows(
    _source: Source,
    index_key: str,
    _ids_from: Source | None,
    name: str,
    flt: AuditFilter,
    now: datetime,
    args: tuple,
) -> Any:
    return getattr(security, name)(_source, flt, now, *args, ids_from=_ids_from)


@st.cache_data(ttl=data.CACHE_TTL_SECONDS, max_entries=200, show_spinner=False)
def _account(_source: Source, source_key: str, user_id: int) -> security.Account | None:
    return security.account(_source, user_id)


def detections(ctx: PageContext, flt: AuditFilter, th: Thresholds) -> Detections:
    return _call("detect", ctx.source, flt, ctx.now, th)


# ---------------------------------------------------------------------------------------
# Thresholds


def _defaults(settings: Settings) -> Thresholds:
    return Thresholds.from_settings(settings)


def url_thresholds(settings: Settings) -> Thresholds:
    """The thresholds in the URL (profiles read them; the security page edits them)."""
    chosen, _ = security.thresholds_from_params(query_params_lists(), _defaults(settings))
    return chosen


def extra_params(settings: Settings, th: Thresholds) -> dict[str, list[str]]:
    """Threshold parameters that links to profiles carry, so they find the same things."""
    return security.thresholds_to_params(th, _defaults(settings))


def _threshold_input(param: str, spec: security.ThresholdParam, url_value: int) -> int:
    key = KEY + "threshold." + param
    sync_widget(key, url_value)
    st.number_input(spec.label, min_value=spec.low, max_value=spec.high, step=1, key=key)
    widget_changed(key, url_value)
    return int(st.session_state[key])


def _write_thresholds(th: Thresholds, defaults: Thresholds) -> None:
    wanted = security.thresholds_to_params(th, defaults)
    for param in security.THRESHOLD_PARAMS:
        if param in wanted and st.query_params.get_all(param) != wanted[param]:
            st.query_params[param] = wanted[param]
        elif param not in wanted and param in st.query_params:
            del st.query_params[param]


def threshold_inputs(settings: Settings, report: bool = False) -> Thresholds:
    """Number inputs for every threshold; their values are kept in the URL. A report
    draws no inputs: the URL's thresholds apply."""
    defaults = _defaults(settings)
    current, notices = security.thresholds_from_params(query_params_lists(), defaults)
    for notice in notices:
        st.warning(notice, icon=":material/link_off:")
    if report:
        return current
    values: dict[str, int] = {}
    with st.expander("Detection thresholds", icon=":material/tune:"):
        columns = st.columns(THRESHOLD_COLUMNS)
        for index, (param, spec) in enumerate(security.THRESHOLD_PARAMS.items()):
            with columns[index % THRESHOLD_COLUMNS]:
                values[spec.field] = _threshold_input(param, spec, getattr(current, spec.field))
        chosen, hours_ok = security.with_valid_hours(replace(defaults, **values), defaults)
        if not hours_ok:
            st.warning("Business hours must start before they end; using the defaults.")
    _write_thresholds(chosen, defaults)
    return chosen


# ---------------------------------------------------------------------------------------
# Tables with links


def _link(label: str, text: str | None = None, **kwargs: Any) -> Any:
    return st.column_config.LinkColumn(label, display_text=text, **kwargs)


FINDING_CONFIG = {
    "rule": st.column_config.TextColumn("Rule"),
    "risk": st.column_config.TextColumn("Risk", width="small"),
    "summary": st.column_config.TextColumn("What fired and why", width="large"),
    "first_seen": st.column_config.DatetimeColumn("First seen", format=TIME_FORMAT),
    "last_seen": st.column_config.DatetimeColumn("Last seen", format=TIME_FORMAT),
    "ip": st.column_config.TextColumn("IP"),
    "ip_profile": _link("IP", security.IP_LINK_TEXT, help="Open the IP's profile"),
    "user": st.column_config.TextColumn("User"),
    "user_profile": _link("User profile", "Profile"),
    "events": st.column_config.NumberColumn("Events", format="%d"),
    "explorer": _link("Explorer", "Open events", help="The events behind the finding"),
}
FINDING_ORDER = ("risk", "summary", "first_seen", "last_seen", "ip_profile", "user",
                 "user_profile", "events", "explorer")  # fmt: skip
# Without links (reports, viewers): the address as text.
PLAIN_FINDING_ORDER = ("risk", "summary", "first_seen", "last_seen", "ip", "user", "events")
FINDING_LINKS = ("explorer", "ip_profile", "user_profile")
EVENT_CONFIG = {
    "created_at": st.column_config.DatetimeColumn("Time", format=TIME_FORMAT),
    "user": st.column_config.TextColumn("User"),
    "action": st.column_config.TextColumn("Action"),
    "kind": st.column_config.TextColumn("Kind"),
    "resource_type": st.column_config.TextColumn("Resource type"),
    "resource_id": st.column_config.TextColumn("Resource id"),
    "severity": st.column_config.TextColumn("Severity"),
    "outcome": st.column_config.TextColumn("Outcome"),
    "ip_address": st.column_config.TextColumn("IP"),
    "off_hours": st.column_config.CheckboxColumn("Off hours"),
    "description": st.column_config.TextColumn("Description", width="large"),
    "event": _link("Detail", "Open", help="The event's detail page"),
}
# What a viewer sees of a rows frame's columns: access.mask_row's fields and resource ids.
ROW_MASKS: dict[str, Callable[[str], str | None]] = {
    "user": mask_email,
    "email": mask_email,
    "username": mask_email,
    "ip_address": mask_ip,
    "description": mask_text,
    "error_message": mask_text,
    "user_agent": mask_text,
    "resource_id": mask_text,
}


def _masked(values: Iterable[Any], mask: Callable[[str], str | None]) -> list[Any]:
    return [mask(v) if isinstance(v, str) else v for v in values]


def masked_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """A rows frame as a viewer may see it: users, IP addresses and free text masked."""
    shown = frame.copy()
    for name, mask in ROW_MASKS.items():
        if name in shown.columns:
            shown[name] = pd.Series(_masked(shown[name], mask), index=shown.index, dtype=object)
    return shown


def _replace_word(text: str, old: str, new: str) -> str:
    """``old`` replaced where it stands alone (not inside a longer address, name or word)."""
    return re.sub(rf"(?<![\w.:@-]){re.escape(old)}(?![\w:@-]|\.\w)", new, text)


def masked_summary(finding: Finding, labels: Mapping[int, str]) -> str:
    """A finding's sentence for a viewer: the addresses and users it names masked (IPv6
    and usernames too, which :func:`mask_text` alone would miss)."""
    text = finding.summary
    ips = {*finding.ips, finding.ip} - {None}
    for ip in sorted(ips, key=len, reverse=True):  # type: ignore[arg-type]
        text = _replace_word(text, ip, mask_ip(ip) or "")
    user_ids = {*finding.user_ids, finding.user_id} - {None}
    names = {labels[u] for u in user_ids if labels.get(u)}  # type: ignore[index]
    for name in sorted(names, key=len, reverse=True):
        text = _replace_word(text, name, mask_email(name) or "")
    return mask_text(text) or ""


def _time_text(values: Iterable[Any]) -> list[str]:
    return ["" if v is None or pd.isna(v) else pd.Timestamp(v).strftime(TIME_TEXT) for v in values]


def _static(
    frame: pd.DataFrame, titles: Mapping[str, str], limit: int, total: int | None = None
) -> None:
    """A report's table: at most ``limit`` rows, saying so when there are more."""
    if frame.empty:
        st.caption("None in this range.")
        return
    total = len(frame) if total is None else total
    shown = frame.head(limit).rename(columns=dict(titles))
    static_table(shown, total if total > len(shown) else None)


def _titles(config: Mapping[str, Any], columns: Sequence[str], tz: str) -> dict[str, str]:
    """Column headings of a static table: the interactive table's labels, times with zone."""
    titles = {name: str(config[name]["label"]) for name in columns}
    for name in ("created_at", "first_seen", "last_seen"):
        if name in titles:
            titles[name] += f" ({tz})"
    return titles


def _plain_findings(
    frame: pd.DataFrame, findings: Sequence[Finding], labels: Mapping[int, str], masked: bool
) -> pd.DataFrame:
    """The findings frame without its links (which name IPs and users); masked for viewers."""
    plain = frame.drop(columns=list(FINDING_LINKS))
    if masked:
        plain["summary"] = [masked_summary(f, labels) for f in findings]
        plain["ip"] = _masked(plain["ip"], mask_ip)
        plain["user"] = _masked(plain["user"], mask_email)
    return plain


def _report_findings(frame: pd.DataFrame, order: Sequence[str], tz: str) -> None:
    """Static findings; an IP or user column that is empty throughout is left out."""
    empty = [name for name in ("ip", "user") if frame[name].isna().all()]
    order = [name for name in order if name not in empty]
    shown = frame[order].copy()
    for name in ("first_seen", "last_seen"):
        shown[name] = _time_text(shown[name])
    _static(shown, _titles(FINDING_CONFIG, order, tz), REPORT_FINDINGS)


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
    if ctx.report or ctx.role.masked:
        frame, order = (
            _plain_findings(frame, findings, labels, ctx.role.masked),
            PLAIN_FINDING_ORDER,
        )
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
    if chosen and ctx.role.masked:
        st.text(masked_summary(findings[chosen[0]], labels))
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


def _report_events(frame: pd.DataFrame, columns: Sequence[str], tz: str, total: int | None) -> None:
    shown = frame[list(columns)].copy()
    shown["created_at"] = _time_text(shown["created_at"])
    if "off_hours" in shown.columns:
        shown["off_hours"] = ["yes" if flag else "" for flag in shown["off_hours"]]
    _static(shown, _titles(EVENT_CONFIG, columns, tz), REPORT_EVENTS, total)


def events_table(
    ctx: PageContext,
    frame: pd.DataFrame,
    flt: AuditFilter,
    columns: Sequence[str],
    total: int | None = None,
) -> None:
    """Rows with a link to each event's detail page; masked and unlinked for viewers, a
    static table (at most :data:`REPORT_EVENTS` rows of ``total``) in a report."""
    if ctx.role.masked:
        frame = masked_rows(frame)
    if ctx.report:
        _report_events(frame, columns, flt.tz, total)
        return
    if ctx.role.masked:  # only the shown columns: a hidden one still reaches the browser
        st.dataframe(
            frame[list(columns)], column_config=EVENT_CONFIG, hide_index=True, width="stretch"
        )
        return
    linked = security.with_event_links(frame, flt)
    st.dataframe(
        linked,
        column_config=EVENT_CONFIG,
        column_order=(*columns, "event"),
        hide_index=True,
        width="stretch",
    )


def _masked_top(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """A top list's labels as a viewer may see them; unknown values keep their label."""
    labels = [
        label
        if value is None or pd.isna(value)
        else (mask_ip(str(value)) if by == "ip" else mask_email(str(label)))
        for value, label in zip(frame["value"], frame["label"], strict=True)
    ]
    return frame.assign(label=labels)


def _plain_top(ctx: PageContext, frame: pd.DataFrame, by: str) -> None:
    """A top list without links: static in a report, masked for viewers."""
    if ctx.role.masked:
        frame = _masked_top(frame, by)
    shown = frame[["label", "count"]]
    title = "IP" if by == "ip" else "User"
    if ctx.report:
        _static(shown, {"label": title, "count": "Events"}, TOP_LIMIT)
        return
    config = {
        "label": st.column_config.TextColumn(title),
        "count": st.column_config.NumberColumn("Events", format="%d"),
    }
    st.dataframe(shown, column_config=config, hide_index=True, width="stretch")


def _top_table(
    ctx: PageContext,
    frame: pd.DataFrame,
    by: str,
    flt: AuditFilter,
    base: AuditFilter,
    extra: Mapping[str, list[str]],
) -> None:
    """A top list (value, label, count) of ``flt``'s events, with links to the Explorer
    (``flt`` narrowed to the value) and to profiles (within ``base``, the page's filter)."""
    if ctx.report or ctx.role.masked:
        _plain_top(ctx, frame, by)
        return
    rows = []
    for value, label, count in zip(frame["value"], frame["label"], frame["count"], strict=True):
        known = value is not None and not pd.isna(value)
        narrowed = drill.narrow(flt, by, value) if known else None
        if by == "ip":
            profile = security.ip_url(str(value), base, extra) if known else None
        else:
            profile = security.user_url(int(value), base, extra) if known else None
        explorer = security.explorer_url(narrowed) if narrowed else None
        rows.append((label, profile, int(count), explorer))
    shown = pd.DataFrame(rows, columns=["label", "profile", "count", "explorer"])
    config = {
        "label": st.column_config.TextColumn("IP" if by == "ip" else "User"),
        "profile": _link("Profile", "Profile"),
        "count": st.column_config.NumberColumn("Events", format="%d"),
        "explorer": _link("Explorer", "Open events"),
    }
    st.dataframe(shown, column_config=config, hide_index=True, width="stretch")


# ---------------------------------------------------------------------------------------
# Security page


def kpi_section(ctx: PageContext, found: Detections) -> None:
    failures = security.login_failures_filter(ctx.filter)
    summary = (
        _call("failure_summary", ctx.source, failures, ctx.now)
        if failures
        else security.FailureSummary(0, 0, 0)
    )
    high = _call("count_high_security_events", ctx.source, ctx.filter, ctx.now)
    every = found.all()
    values = {
        "Failed logins": summary.failures,
        "Failing IPs": summary.ips,
        "Users with failures": summary.users,
        "High & critical security": high,
        "Findings": len(every),
        "High-risk findings": sum(f.risk == security.HIGH for f in every),
    }
    for column, (label, value) in zip(st.columns(len(values)), values.items(), strict=True):
        column.metric(label, f"{value:,}")


def failed_logins_section(ctx: PageContext, extra: Mapping[str, list[str]]) -> None:
    failures = security.login_failures_filter(ctx.filter)
    if failures is None:
        st.info("The filters exclude failed logins.", icon=":material/filter_alt_off:")
        return
    frame = data.volume(ctx.source, failures, ctx.now, "outcome")
    width = frame.attrs["width"]
    figure = charts.volume_chart(frame, "outcome", failures.tz)
    figure.update_layout(
        title_text=f"Failed logins {charts.BUCKET_TITLES.get(width, '')}", showlegend=False
    )
    drill_chart(
        figure,
        "security.failed_logins",
        lambda p: drill.from_volume_point(failures, "outcome", p, width, ctx.now),
        static=ctx.report or ctx.role.masked,  # the Explorer shows rows: analysts only
    )
    left, right = st.columns(2)
    with left:
        st.markdown("**Top failing IPs**")
        top = data.top_values(ctx.source, failures, ctx.now, "ip", TOP_LIMIT)
        _top_table(ctx, top, "ip", failures, ctx.filter, extra)
    with right:
        st.markdown("**Top failing users**")
        top = data.top_values(ctx.source, failures, ctx.now, "user", TOP_LIMIT)
        _top_table(ctx, top, "user", failures, ctx.filter, extra)


def detections_section(
    ctx: PageContext, found: Detections, th: Thresholds, extra: Mapping[str, list[str]]
) -> None:
    for note in found.notes:
        st.warning(note, icon=":material/warning:")
    by_rule = found.by_rule()
    titles = [f"{security.RULE_TITLES[rule]} ({len(by_rule[rule])})" for rule in by_rule]
    if ctx.report:  # no tabs: every detection on the page, one after the other
        for title, rule in zip(titles, by_rule, strict=True):
            st.subheader(title)
            _rule_findings(ctx, rule, found, th, extra)
        return
    for tab, rule in zip(st.tabs(titles), by_rule, strict=True):
        with tab:
            _rule_findings(ctx, rule, found, th, extra)


def _rule_findings(
    ctx: PageContext, rule: str, found: Detections, th: Thresholds, extra: Mapping[str, list[str]]
) -> None:
    st.caption(security.rule_description(rule, th))
    findings = found.by_rule()[rule]
    if findings:
        key = KEY + "findings." + rule
        findings_table(ctx, findings, ctx.filter, found.label_map(), extra, key)
    else:
        st.caption("No findings in this range.")


def high_events_section(ctx: PageContext) -> None:
    frame = _rows("high_security_events", ctx.source, ctx.filter, ctx.now)
    if frame.empty:
        st.caption("No high or critical security events in this range.")
        return
    columns = ("created_at", "severity", "user", "action", "ip_address", "description")
    total = _call("count_high_security_events", ctx.source, ctx.filter, ctx.now)
    # The count may come from a mirror a few minutes behind the rows.
    events_table(ctx, frame, ctx.filter, columns, max(total, len(frame)))


def lifecycle_section(ctx: PageContext, th: Thresholds) -> None:
    frame = _rows("lifecycle", ctx.source, ctx.filter, ctx.now, th)
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
    events_table(ctx, frame, ctx.filter, columns)


# ---------------------------------------------------------------------------------------
# Profiles


def markdown_code(text: str) -> str:
    """Text for a markdown element (a title) as an inline code span, which markdown shows
    verbatim: no link, emphasis or HTML can come out of it."""
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    return f"{fence} {text} {fence}"


def _when(moment: datetime | None, tz: str) -> str:
    if moment is None:
        return "–"
    return (
        moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")
    )


def _metrics(values: Mapping[str, str]) -> None:
    for column, (label, value) in zip(st.columns(len(values)), values.items(), strict=True):
        column.metric(label, value)


def _summary_metrics(
    ctx: PageContext, flt: AuditFilter, summary: security.EntitySummary, other: str
) -> None:
    ever = _call("ever_seen", ctx.source, flt, ctx.now)
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


def _user_agents(ctx: PageContext, flt: AuditFilter) -> None:
    st.markdown("**User agents**")
    frame = _call("top_user_agents", ctx.source, flt, ctx.now, TOP_LIMIT)
    if ctx.role.masked:
        frame = frame.assign(user_agent=_masked(frame["user_agent"], mask_text))
    if ctx.report:
        _static(frame, {"user_agent": "User agent", "count": "Events"}, TOP_LIMIT)
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


def _latest(ctx: PageContext, flt: AuditFilter, summary: security.EntitySummary) -> None:
    st.subheader("Latest events")
    frame = _rows("latest_events", ctx.source, flt, ctx.now, LATEST_EVENTS)
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
    summary: security.EntitySummary = _call("entity_summary", ctx.source, flt, ctx.now)
    by_ip = "ip" in focus
    _summary_metrics(ctx, flt, summary, "Distinct users" if by_ip else "Distinct IPs")
    if summary.events == 0:
        st.info("No events in this range. Widen the time range or clear filters.")
        return
    _timeline(ctx, flt, KEY + "profile.timeline")
    # The page's filter without the entity: detections run over it (a takeover may span
    # IPs) and links to other profiles keep it.
    base = ctx.filter.with_values(ip="") if by_ip else ctx.filter.with_values(users=())
    left, right = st.columns(2)
    with left:
        st.markdown("**Users**" if by_ip else "**IPs**")
        by = "user" if by_ip else "ip"
        top = data.top_values(ctx.source, flt, ctx.now, by, TOP_LIMIT)
        _top_table(ctx, top, by, flt, base, extra)
    with right:
        _user_agents(ctx, flt)
    found = detections(ctx, base, th)
    _involved_findings(ctx, base, found.involving(**focus), found.label_map(), extra)
    _latest(ctx, flt, summary)


def ip_profile(ctx: PageContext, th: Thresholds) -> None:
    _profile(ctx, ctx.filter, th, {"ip": ctx.filter.ip})


def user_account(ctx: PageContext, user_id: int) -> str:
    """The user's label, with the account's details shown under it when there is a row."""
    key = ctx.source.key
    row = _account(ctx.source, key, user_id)
    if row is None:
        st.caption(f"No users row for id {user_id} (a deleted user, or the table is missing).")
        return f"user #{user_id}"
    details = [
        f"{name.replace('_', ' ')}: {value}" for name, value in row.values if name != "email"
    ]
    st.caption(" · ".join(details))
    return str(row.get("email") or row.get("username") or f"user #{user_id}")


def user_profile(ctx: PageContext, th: Thresholds, user_id: int) -> None:
    _profile(ctx, security.user_profile_filter(ctx.filter, user_id), th, {"user_id": user_id})
