"""Tables of rows and top lists, with links to event details, profiles and the Explorer;
static in a report, masked and unlinked for viewers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from audit import drill, security
from audit.access import mask_label
from audit.filters import AuditFilter
from audit.ui.report import MoreLink, static_table
from audit.ui.view import PageContext

TIME_FORMAT = "YYYY-MM-DD HH:mm:ss"
TIME_TEXT = "%Y-%m-%d %H:%M:%S"
TOP_LIMIT = 10
REPORT_EVENTS = 50  # rows of an events table in a report
REPORT_TOP = 5  # rows of a top list in a report


def link_column(label: str, text: str | None = None, **kwargs: Any) -> Any:
    return st.column_config.LinkColumn(label, display_text=text, **kwargs)


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
    "event": link_column("Detail", "Open", help="The event's detail page"),
}


def time_texts(times: pd.Series) -> list[str]:
    """A column of times as text. Formatted as a column: its strftime reaches past the
    year 9999 (a local time in 10000), a single Timestamp's does not."""
    if not pd.api.types.is_datetime64_any_dtype(times):
        times = pd.to_datetime(times)
    return ["" if pd.isna(text) else text for text in times.dt.strftime(TIME_TEXT)]


def report_table(
    frame: pd.DataFrame,
    titles: Mapping[str, str],
    limit: int,
    total: int | None = None,
    noun: str = "rows",
    link: MoreLink | None = None,
) -> None:
    """A report's table: at most ``limit`` rows, then how many more and where they are."""
    if frame.empty:
        st.caption("None in this range.")
        return
    total = len(frame) if total is None else total
    shown = frame.head(limit).rename(columns=dict(titles))
    static_table(shown, total, noun, link)


def report_titles(config: Mapping[str, Any], columns: Sequence[str], tz: str) -> dict[str, str]:
    """Column headings of a static table: the interactive table's labels, times with zone."""
    titles = {name: str(config[name]["label"]) for name in columns}
    for name in ("created_at", "first_seen", "last_seen"):
        if name in titles:
            titles[name] += f" ({tz})"
    return titles


@dataclass(frozen=True)
class ReportCap:
    """How many rows of an events table a report draws, and where the rest are."""

    limit: int = REPORT_EVENTS
    link: MoreLink | None = None
    noun: str = "events"


def _report_events(
    frame: pd.DataFrame, columns: Sequence[str], tz: str, total: int | None, cap: ReportCap
) -> None:
    shown = frame[list(columns)].copy()
    shown["created_at"] = time_texts(shown["created_at"])
    if "off_hours" in shown.columns:
        shown["off_hours"] = ["yes" if flag else "" for flag in shown["off_hours"]]
    titles = report_titles(EVENT_CONFIG, columns, tz)
    report_table(shown, titles, cap.limit, total, cap.noun, cap.link)


def events_table(
    ctx: PageContext,
    frame: pd.DataFrame,
    flt: AuditFilter,
    columns: Sequence[str],
    total: int | None = None,
    cap: ReportCap = ReportCap(),
) -> None:
    """Rows with a link to each event's detail page; a static table (at most ``cap.limit``
    rows of ``total``, then where the rest are) in a report. Viewers get the count only:
    rows are for analysts."""
    if ctx.role.masked:
        shown = total if total is not None else len(frame)
        st.caption(f"{shown:,} events. Rows are for analysts; your role (viewer) shows totals.")
        return
    if ctx.report:
        _report_events(frame, columns, flt.tz, total, cap)
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
        else mask_label(by, str(value) if by == "ip" else str(label))
        for value, label in zip(frame["value"], frame["label"], strict=True)
    ]
    return frame.assign(label=labels)


def _plain_top(
    ctx: PageContext, frame: pd.DataFrame, by: str, total: int | None, cap: ReportCap
) -> None:
    """A top list without links: static in a report (``cap.limit`` rows, then how many of
    ``total`` are left and where), masked for viewers."""
    if ctx.role.masked:
        frame = _masked_top(frame, by)
    shown = frame[["label", "count"]]
    title = "IP" if by == "ip" else "User"
    if ctx.report:
        titles = {"label": title, "count": "Events"}
        report_table(shown, titles, cap.limit, total, cap.noun, cap.link)
        return
    config = {
        "label": st.column_config.TextColumn(title),
        "count": st.column_config.NumberColumn("Events", format="%d"),
    }
    st.dataframe(shown, column_config=config, hide_index=True, width="stretch")


def top_table(
    ctx: PageContext,
    frame: pd.DataFrame,
    by: str,
    flt: AuditFilter,
    base: AuditFilter,
    extra: Mapping[str, list[str]],
    total: int | None = None,
    cap: ReportCap = ReportCap(TOP_LIMIT, noun="rows"),
) -> None:
    """A top list (value, label, count) of ``flt``'s events, with links to the Explorer
    (``flt`` narrowed to the value) and to profiles (within ``base``, the page's filter);
    in a report, ``cap`` says how many of the list's ``total`` values it draws."""
    if ctx.report or ctx.role.masked:
        _plain_top(ctx, frame, by, total, cap)
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
        "profile": link_column("Profile", "Profile"),
        "count": st.column_config.NumberColumn("Events", format="%d"),
        "explorer": link_column("Explorer", "Open events"),
    }
    st.dataframe(shown, column_config=config, hide_index=True, width="stretch")
