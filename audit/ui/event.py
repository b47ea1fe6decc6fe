"""One event in full: every field, JSON as JSON, tags, the before/after table and related
events. Table text is always shown as text, never as markdown or HTML."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from audit import queries
from audit.diff import diff_values
from audit.filters import AuditFilter
from audit.timerange import CUSTOM, shifted
from audit.ui.report import static_table
from audit.ui.view import PageContext

FIELDS = (
    "id", "created_at", "user", "user_id", "action", "resource_type", "resource_id", "description",
    "severity", "category", "outcome", "error_message", "ip_address", "user_agent", "session_id",
    "request_id",
)  # fmt: skip


def _text(value: Any) -> str:
    if value is None or (not isinstance(value, list | dict) and pd.isna(value)):
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, pd.Timestamp):
        return _iso_seconds(value)
    return str(value)


def _iso_seconds(moment: pd.Timestamp) -> str:
    """ISO 8601 to the second; in UTC when the local time lies past the year 9999, which
    Python cannot format (an event in the last hours of 9999 east of Greenwich)."""
    if not 1 <= moment.year <= 9999:
        moment = moment.tz_convert("UTC")
    return moment.isoformat(timespec="seconds")


def event_url(event_id: int, flt: AuditFilter) -> str:
    """Relative URL of an event's own page, keeping the filter for the way back."""
    return "event?" + urlencode({"id": event_id} | flt.to_params(), doseq=True)


def _table(frame: pd.DataFrame, report: bool, **options: object) -> None:
    if report:
        static_table(frame)
    else:
        st.dataframe(frame, hide_index=True, width="stretch", **options)


def _fields_table(event: pd.Series, tz: str, report: bool) -> None:
    values = [_text(event[name]) for name in FIELDS]
    labels = [f"time ({tz})" if name == "created_at" else name.replace("_", " ") for name in FIELDS]
    _table(pd.DataFrame({"field": labels, "value": values}), report)


def _json_block(title: str, value: Any) -> None:
    st.caption(title)
    if isinstance(value, dict | list):
        st.json(value, expanded=2)
    elif value is None or (isinstance(value, float) and pd.isna(value)):
        st.text("(empty)")
    else:
        st.text(_text(value))  # not valid JSON (possible on SQLite): shown as stored


def _changes(event: pd.Series, report: bool) -> None:
    old, new = event["old_values"], event["new_values"]
    if old is None and new is None:
        return
    st.subheader("Before and after")
    changes = diff_values(old, new)
    if not changes:
        st.caption("No field changed.")
        return
    table = pd.DataFrame(
        {
            "field": [c.path for c in changes],
            "change": [c.kind for c in changes],
            "before": [_text(c.before) for c in changes],
            "after": [_text(c.after) for c in changes],
        }
    )
    _table(table, report)


def _explorer_filter(kind: str, event: pd.Series, flt: AuditFilter) -> AuditFilter:
    """The Explorer filter showing every event of a related group."""
    base = AuditFilter(tz=flt.tz, range="all")
    if kind == "session":
        return base.with_values(session_id=str(event["session_id"]))
    if kind == "request":
        return base.with_values(request_id=str(event["request_id"]))
    moment = event["created_at"].tz_convert("UTC").to_pydatetime()  # local may be year 10000
    around = {
        "range": CUSTOM,
        "start": shifted(moment, -timedelta(minutes=30)),
        "end": shifted(moment, timedelta(minutes=30, microseconds=1)),
    }
    if kind == "user":
        return base.with_values(users=(int(event["user_id"]),), **around)
    return base.with_values(ip=str(event["ip_address"]), **around)


def _related_table(ctx: PageContext, rows: pd.DataFrame) -> None:
    if ctx.report:
        shown = rows[["id", "created_at", "user", "action", "outcome", "description"]].copy()
        shown["created_at"] = shown["created_at"].dt.strftime("%Y-%m-%d %H:%M:%S")
        static_table(shown)
        return
    table = pd.DataFrame(
        {
            "event": [event_url(int(i), ctx.filter) for i in rows["id"]],
            "time": rows["created_at"],
            "user": rows["user"],
            "action": rows["action"],
            "outcome": rows["outcome"],
            "description": rows["description"],
        }
    )
    tz = ctx.filter.tz
    config = st.column_config
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "event": config.LinkColumn("Event", display_text=r"event\?id=(\d+)"),
            "time": config.DatetimeColumn(
                f"Time ({tz})", format="YYYY-MM-DD HH:mm:ss", timezone=tz
            ),
        },
    )


def _related(ctx: PageContext, event: pd.Series) -> None:
    st.subheader("Related events")
    groups = queries.related_events(ctx.source, event, ctx.filter.tz)
    if not groups:
        st.caption("This event has no session, request, user or IP to relate it by.")
    for kind, rows in groups.items():
        more = "+" if len(rows) >= queries.RELATED_LIMIT else ""
        title = f"{queries.RELATED_KINDS[kind]}: {len(rows)}{more}"
        if ctx.report:
            st.caption(title)
        else:
            st.page_link(
                "pages/explorer.py",
                label=f"{title} — open in Explorer",
                icon=":material/open_in_new:",
                query_params=_explorer_filter(kind, event, ctx.filter).to_params(),
            )
        if not rows.empty:
            _related_table(ctx, rows)


def event_detail(ctx: PageContext, event_id: int) -> None:
    event = queries.event_by_id(ctx.source, event_id, ctx.filter.tz)
    if event is None:
        st.warning(f"There is no event with id {event_id}.", icon=":material/search_off:")
        return
    st.subheader(f"Event {event_id}")
    if not ctx.report:
        st.page_link(
            "pages/event.py",
            label="Open as its own page",
            icon=":material/open_in_full:",
            query_params={"id": str(event_id)} | ctx.view_params(),
        )
    _fields_table(event, ctx.filter.tz, ctx.report)
    tags = event["tags"]
    st.caption("Tags")
    st.text(", ".join(map(str, tags)) if isinstance(tags, list) else _text(tags) or "(none)")
    left, right = st.columns(2)
    with left:
        _json_block("Details", event["details"])
    with right:
        _json_block("Metadata", event["metadata"])
    _changes(event, ctx.report)
    _related(ctx, event)
