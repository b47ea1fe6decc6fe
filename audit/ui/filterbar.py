"""The shared filter bar in the sidebar: time range, timezone and the facet multi-selects,
with options (and counts) from the data. Every value lives in the URL."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

import pandas as pd
import streamlit as st

from audit.db import Source
from audit.filters import AuditFilter, split_exclusion
from audit.timerange import CUSTOM, PRESET_LABELS, PRESETS
from audit.ui import data
from audit.ui.safe import md_escape
from audit.ui.urlstate import sync_widget, widget_changed
from audit.vocab import order_severities

RANGE_OPTIONS: tuple[str, ...] = (*PRESETS, CUSTOM)
RANGE_LABELS: dict[str, str] = PRESET_LABELS | {CUSTOM: "Custom range"}
FACETS: tuple[tuple[str, str, str], ...] = (
    # (dimension, AuditFilter field, label)
    ("severity", "severities", "Severity"),
    ("category", "categories", "Category"),
    ("action", "actions", "Action"),
    ("resource_type", "resource_types", "Resource type"),
    ("outcome", "outcomes", "Outcome"),
)
FACET_OPTION_LIMIT = 200
KEY = "filterbar."


@st.cache_data(show_spinner=False)
def _timezones() -> list[str]:
    return sorted(z for z in available_timezones() if "/" in z or z == "UTC")


def _time_range(flt: AuditFilter, now: datetime) -> AuditFilter:
    key = KEY + "range"
    sync_widget(key, flt.range)
    st.selectbox("Time range", RANGE_OPTIONS, format_func=RANGE_LABELS.__getitem__, key=key)
    if widget_changed(key, flt.range):
        chosen = st.session_state[key]
        flt = (
            flt.pinned(now)
            if chosen == CUSTOM
            else flt.with_values(range=chosen, start=None, end=None)
        )
    if flt.range == CUSTOM:
        flt = _custom_dates(flt, now)
    return flt


def _local_date(moment: datetime | None, tz: str, fallback: date) -> date:
    return moment.astimezone(ZoneInfo(tz)).date() if moment else fallback


def _custom_dates(flt: AuditFilter, now: datetime) -> AuditFilter:
    """Whole days in the display timezone; the URL may hold finer times (kept until edited)."""
    key = KEY + "dates"
    today = now.astimezone(ZoneInfo(flt.tz)).date()
    start = _local_date(flt.start, flt.tz, today - timedelta(days=7))
    end_moment = flt.end - timedelta(microseconds=1) if flt.end else None
    end = _local_date(end_moment, flt.tz, today)
    url_value = (start, end)
    sync_widget(key, url_value)
    st.date_input("Dates", key=key, format="YYYY-MM-DD")
    chosen = st.session_state.get(key)
    if isinstance(chosen, tuple) and len(chosen) == 2 and widget_changed(key, url_value):
        zone = ZoneInfo(flt.tz)
        first = datetime.combine(chosen[0], time(0), zone)
        after_last = datetime.combine(chosen[1] + timedelta(days=1), time(0), zone)
        flt = flt.with_values(start=first, end=after_last)
    return flt


def _timezone(flt: AuditFilter) -> AuditFilter:
    key = KEY + "tz"
    options = _timezones()
    if flt.tz not in options:
        options = [flt.tz, *options]
    sync_widget(key, flt.tz)
    st.selectbox("Timezone", options, key=key)
    if widget_changed(key, flt.tz):
        flt = flt.with_values(tz=st.session_state[key])
    return flt


def _facet_options(
    frame: pd.DataFrame, dimension: str, selected: list[str]
) -> tuple[list[str], dict[str, int]]:
    counts = {str(label): int(n) for label, n in zip(frame["label"], frame["count"], strict=True)}
    options = list(counts) + [s for s in selected if s not in counts]
    if dimension == "severity":
        options = order_severities(options)
    return options, counts


def _facet_query(flt: AuditFilter, field: str) -> tuple[AuditFilter, bool]:
    """The filter a facet counts under (as if the facet were not set) and whether its
    counts may come from the page's shared scan (only under the page's own filter)."""
    return flt.with_values(**{field: ()}), not getattr(flt, field)


def facet_calls(flt: AuditFilter) -> list[data.Call]:
    """The queries behind the bar's option counts (for :func:`audit.ui.data.prefetch`)."""
    calls = []
    for dimension, field, _ in FACETS:
        others, shared = _facet_query(flt, field)
        calls.append(data.top_values_call(others, dimension, FACET_OPTION_LIMIT, shared))
    return calls


def _facet(
    source: Source, flt: AuditFilter, now: datetime, dimension: str, field: str, label: str
) -> AuditFilter:
    key = KEY + dimension
    selected = list(getattr(flt, field))
    others, shared = _facet_query(flt, field)
    frame = data.top_values(source, others, now, dimension, FACET_OPTION_LIMIT, shared)
    options, counts = _facet_options(frame, dimension, selected)
    sync_widget(key, selected)
    st.multiselect(
        label,
        options,
        key=key,
        format_func=lambda v: f"{v} ({counts.get(v, 0):,})",
        placeholder="All",
    )
    if widget_changed(key, selected):
        flt = flt.with_values(**{field: tuple(st.session_state[key])})
    return flt


def _other_filters(flt: AuditFilter) -> AuditFilter:
    """Filters set elsewhere (explorer, drill-through) are listed, each removable."""
    shown = {
        "users": "User id",
        "ip": "IP",
        "resource_id": "Resource id",
        "session_id": "Session",
        "request_id": "Request",
        "tags": "Tag",
        "text": "Search",
    }
    for field, label in shown.items():
        value = getattr(flt, field)
        if not value:
            continue
        shown = ", ".join(str(v) for v in value) if isinstance(value, tuple) else value
        text = md_escape(shown[:40])
        if st.button(
            f"{label}: {text}",
            key=KEY + "clear." + field,
            icon=":material/close:",
            help="Remove this filter",
        ):
            flt = flt.with_values(**{field: () if isinstance(value, tuple) else ""})
    for item in flt.excludes:
        dimension, value = split_exclusion(item)
        label = f"Not {dimension.replace('_', ' ')}: {md_escape(value[:40])}"
        if st.button(
            label,
            key=KEY + "clear.exclude." + item,
            icon=":material/close:",
            help="Remove this filter",
        ):
            flt = flt.with_values(excludes=tuple(e for e in flt.excludes if e != item))
    return flt


def filter_bar(source: Source, flt: AuditFilter, now: datetime) -> AuditFilter:
    """Draw the bar in the sidebar; return the filter after the user's changes."""
    with st.sidebar:
        st.subheader("Filters")
        flt = _time_range(flt, now)
        flt = _timezone(flt)
        for dimension, field, label in FACETS:
            flt = _facet(source, flt, now, dimension, field, label)
        flt = _other_filters(flt)
    return flt
