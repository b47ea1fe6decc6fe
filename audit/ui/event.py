"""One event in full: outcome and error first, every field that has a value (none hidden
behind a scroll box), JSON that is not empty and the before/after table (its related
events are :mod:`audit.ui.related`). Text from the table is always shown as text, never
as markdown or HTML."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import streamlit as st

from audit import queries
from audit.diff import diff_values
from audit.ui.report import static_table
from audit.ui.safe import md_escape
from audit.ui.urlstate import set_params
from audit.ui.view import PageContext

# The fields in the order an analyst reads them: what happened to whom first.
FIELDS: tuple[tuple[str, str], ...] = (
    ("outcome", "Outcome"),
    ("error_message", "Error"),
    ("created_at", "Time"),
    ("user", "User"),
    ("action", "Action"),
    ("resource_type", "Resource type"),
    ("resource_id", "Resource id"),
    ("description", "Description"),
    ("severity", "Severity"),
    ("category", "Category"),
    ("ip_address", "IP address"),
    ("user_agent", "User agent"),
    ("session_id", "Session"),
    ("request_id", "Request"),
    ("tags", "Tags"),
    ("user_id", "User id"),
    ("id", "Event id"),
)
BADGE_COLORS = {"success": "green", "failure": "red", "unknown": "gray"}
BADGE_ICONS = {"success": "check_circle", "failure": "cancel", "unknown": "help"}


def is_empty(value: Any) -> bool:
    if isinstance(value, list | dict):
        return not value
    return value is None or pd.isna(value) or value == ""


def moment_text(moment: pd.Timestamp, tz: str) -> str:
    """A time as the table shows it, with its zone and offset:
    ``2026-11-29 16:59:39 Europe/Berlin (UTC+01:00)``."""
    if not 1 <= moment.year <= 9999:  # past 9999 in this zone: Python cannot write it, UTC can
        moment, tz = moment.tz_convert("UTC"), "UTC"
    offset = moment.strftime("%z")
    return f"{moment:%Y-%m-%d %H:%M:%S} {tz} (UTC{offset[:3]}:{offset[3:]})"


def _plain(value: Any) -> str:
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def _field_text(event: pd.Series, name: str, tz: str) -> str:
    value = event[name]
    if name == "created_at":
        return moment_text(value, tz)
    if name == "tags" and isinstance(value, list):
        return ", ".join(map(str, value))
    return _plain(value)


def _badges(event: pd.Series) -> None:
    outcome = str(event["outcome"])
    parts = [
        f":{BADGE_COLORS[outcome]}-badge[:material/{BADGE_ICONS[outcome]}: {outcome}]",
    ]
    if not is_empty(event["severity"]):
        parts.append(f":gray-badge[{md_escape(event['severity'])}]")
    st.markdown(" ".join(parts))


def _fields(event: pd.Series, tz: str) -> None:
    """Every field that has a value, as a plain table that is never cut; the empty ones
    named in one line."""
    shown = [
        (label, _field_text(event, name, tz)) for name, label in FIELDS if not is_empty(event[name])
    ]
    static_table(pd.DataFrame(shown, columns=["field", "value"]))
    empty = [label.lower() for name, label in FIELDS if is_empty(event[name])]
    if empty:
        st.caption("Not set: " + ", ".join(empty) + ".")


def _json_blocks(event: pd.Series) -> None:
    named = (("details", "Details"), ("metadata", "Metadata"))
    blocks = [(title, event[name]) for name, title in named if not is_empty(event[name])]
    for column, (title, value) in zip(st.columns(max(len(blocks), 1)), blocks, strict=False):
        with column:
            st.caption(title)
            if isinstance(value, dict | list):
                st.json(value, expanded=2)
            else:
                st.text(str(value))  # not valid JSON (possible on SQLite): shown as stored


def _changes(event: pd.Series) -> None:
    old, new = event["old_values"], event["new_values"]
    if is_empty(old) and is_empty(new):
        return
    st.markdown("**Before and after**")
    changes = diff_values(old, new)
    if not changes:
        st.caption("No field changed.")
        return
    static_table(
        pd.DataFrame(
            {
                "field": [c.path for c in changes],
                "change": [c.kind for c in changes],
                "before": [_plain(c.before) for c in changes],
                "after": [_plain(c.after) for c in changes],
            }
        )
    )


def _panel_actions(ctx: PageContext, event_id: int) -> None:
    """Beside the table: open the event on its own page, or close it."""
    own, close = st.columns(2)
    with own:
        st.page_link(
            "pages/event.py",
            label="Open on its own page",
            icon=":material/open_in_full:",
            query_params={"id": str(event_id)} | ctx.view_params(),
        )
    if close.button("Close", icon=":material/close:", key="event.close", width="stretch"):
        set_params(selected=None)
        st.rerun()


def event_panel(ctx: PageContext, event_id: int, beside_table: bool) -> pd.Series | None:
    """The event in full (not its related events); the event, or ``None`` if there is none."""
    event = queries.event_by_id(ctx.source, event_id, ctx.filter.tz)
    if event is None:
        st.warning(f"There is no event with id {event_id}.", icon=":material/search_off:")
        return None
    st.subheader(f"Event {event_id}")
    if beside_table and not ctx.report:
        _panel_actions(ctx, event_id)
    _badges(event)
    _fields(event, ctx.filter.tz)
    _json_blocks(event)
    _changes(event)
    return event
