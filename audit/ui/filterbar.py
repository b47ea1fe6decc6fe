"""The shared filter bar in the sidebar: time range, timezone and the facet multi-selects,
with options (and counts) from the data. Every value lives in the URL."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

import pandas as pd
import streamlit as st

from audit import plans
from audit.db import Source
from audit.dimensions import BAR_FACETS, REGISTRY, Dimension, split_exclusion
from audit.filters import AuditFilter
from audit.timerange import CUSTOM, PRESET_LABELS, PRESETS
from audit.ui import data
from audit.ui.safe import md_escape
from audit.ui.urlstate import sync_widget, widget_changed
from audit.vocab import order_severities

RANGE_OPTIONS: tuple[str, ...] = (*PRESETS, CUSTOM)
RANGE_LABELS: dict[str, str] = PRESET_LABELS | {CUSTOM: "Custom range"}
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


def _facet(source: Source, flt: AuditFilter, now: datetime, dimension: Dimension) -> AuditFilter:
    key, field = KEY + dimension.name, dimension.field
    selected = list(getattr(flt, field))
    frame = data.fetch(plans.facet_calls(flt)[dimension.name], source, now)
    options, counts = _facet_options(frame, dimension.name, selected)
    sync_widget(key, selected)
    st.multiselect(
        dimension.title,
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
    shown = {d.field: d.title for d in REGISTRY if not d.bar_facet} | {"text": "Search"}
    for field, label in shown.items():
        value = getattr(flt, field)
        if not value:
            continue
        text = ", ".join(str(v) for v in value) if isinstance(value, tuple) else value
        if st.button(
            f"{label}: {md_escape(text[:40])}",
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
        for dimension in BAR_FACETS:
            flt = _facet(source, flt, now, dimension)
        flt = _other_filters(flt)
    return flt
