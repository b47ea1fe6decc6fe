"""Related events as one timeline around an event: each related event once, nearest in
time on both sides, with the reasons it is related (same session or request, same user
or IP within 30 minutes), the event itself highlighted in its place, and links that open
every event of one reason in the Explorer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pandas as pd
import streamlit as st

from audit import queries
from audit.filters import AuditFilter
from audit.queries import REASON_HELP, SELF
from audit.security import event_url
from audit.timerange import CUSTOM, shifted
from audit.ui.report import static_table
from audit.ui.view import PageContext
from audit.vocab import OUTCOME_COLORS, OUTCOMES

RELATED_ROW_HEIGHT = 35
HEADER_HEIGHT = 38
SELF_STYLE = "background-color: #fef3c7; font-weight: 600"


def _explorer_filter(reason: str, event: pd.Series, flt: AuditFilter) -> AuditFilter:
    """The Explorer filter showing every event related for one reason."""
    base = AuditFilter(tz=flt.tz, range="all")
    if reason == "session":
        return base.with_values(session_id=str(event["session_id"]))
    if reason == "request":
        return base.with_values(request_id=str(event["request_id"]))
    moment = event["created_at"].tz_convert("UTC").to_pydatetime()  # local may pass 9999
    around = {
        "range": CUSTOM,
        "start": shifted(moment, -timedelta(minutes=30)),
        "end": shifted(moment, timedelta(minutes=30, microseconds=1)),
    }
    if reason == "user":
        return base.with_values(users=(int(event["user_id"]),), **around)
    return base.with_values(ip=str(event["ip_address"]), **around)


def _group_links(ctx: PageContext, event: pd.Series, totals: dict[str, int]) -> None:
    columns = st.columns(len(totals))
    for column, (reason, count) in zip(columns, totals.items(), strict=True):
        label = f"{REASON_HELP[reason]}: {count:,}"
        if ctx.report or count == 0:
            column.caption(label)
            continue
        with column:
            st.page_link(
                "pages/explorer.py",
                label=label,
                icon=":material/open_in_new:",
                help="Open them all in the Explorer",
                query_params=_explorer_filter(reason, event, ctx.filter).to_params(),
            )


def _timeline_frame(ctx: PageContext, rows: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "event": [event_url(int(i), ctx.filter) for i in rows["id"]],
            "time": [_time_text(m) for m in rows["created_at"]],
            "related": ["▶ " + SELF if r == SELF else r for r in rows["related"]],
            "outcome": [[o] for o in rows["outcome"]],
            "action": rows["action"],
            "description": rows["description"],
            "user": rows["user"],
            "ip": rows["ip_address"],
        }
    )


def _time_text(moment: Any) -> str:
    """A time as text in the display zone (in UTC where it passes the year 9999)."""
    if moment is None or pd.isna(moment):
        return ""
    if not 1 <= moment.year <= 9999:
        return f"{moment.tz_convert('UTC'):%Y-%m-%d %H:%M:%S} UTC"
    return f"{moment:%Y-%m-%d %H:%M:%S}"


def _highlight_self(row: pd.Series) -> list[str]:
    mine = str(row["related"]).endswith(SELF)
    return [SELF_STYLE if mine else ""] * len(row)


def _timeline(ctx: PageContext, rows: pd.DataFrame) -> None:
    frame = _timeline_frame(ctx, rows)
    if ctx.report:
        shown = frame.drop(columns="event").assign(
            id=rows["id"].to_numpy(),
            time=frame["time"].to_numpy(),
            outcome=rows["outcome"].to_numpy(),
        )
        static_table(shown[["id", *frame.columns.drop("event")]])
        return
    cc, tz = st.column_config, ctx.filter.tz
    st.dataframe(
        frame.style.apply(_highlight_self, axis=1),
        hide_index=True,
        width="stretch",
        height=HEADER_HEIGHT + RELATED_ROW_HEIGHT * len(frame),
        column_config={
            "event": cc.LinkColumn("Event", display_text=r"event\?id=(\d+)", width=70),
            "time": cc.TextColumn(f"Time ({tz})", width=150),
            "related": cc.TextColumn("Why related", width=230),
            "outcome": cc.MultiselectColumn(
                "Outcome",
                options=list(OUTCOMES),
                color=[OUTCOME_COLORS[o] for o in OUTCOMES],
                width=92,
            ),
            "action": cc.TextColumn("Action", width=124),
            "description": cc.TextColumn("Description", width=320),
            "user": cc.TextColumn("User", width=160),
            "ip": cc.TextColumn("IP", width=120),
        },
    )


def related_section(ctx: PageContext, event: pd.Series) -> None:
    """Events of the same session or request, and of the same user or IP within 30
    minutes: each once, nearest in time, saying why; the event itself in its place."""
    st.subheader("Related events")
    related = queries.related_timeline(ctx.source, event, ctx.filter.tz)
    if not related.totals:
        st.caption("This event has no session, request, user or IP to relate it by.")
        return
    _group_links(ctx, event, related.totals)
    if len(related.timeline) <= 1:
        st.caption("No other event shares its session, request, user or IP.")
        return
    shown = len(related.timeline) - 1
    st.caption(
        f"The {shown} related events nearest in time, up to {queries.RELATED_SIDE} on each "
        "side, each saying why it is related; the event itself is highlighted in its place."
    )
    _timeline(ctx, related.timeline)
