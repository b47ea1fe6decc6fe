"""The shared filter bar in the sidebar: time range, timezone and the facet multi-selects,
with options (and counts) from the data. Every value lives in the URL."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum
from zoneinfo import ZoneInfo, available_timezones

import pandas as pd
import streamlit as st

from audit import plans
from audit.db import Source
from audit.dimensions import BAR_FACETS, BY_FIELD, REGISTRY, Dimension, split_exclusion
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
        flt = _custom_range(flt, now)
    return flt


class BarMode(Enum):
    """What a page's sidebar filters."""

    FULL = "full"  # time range, timezone, the facets and the filters set elsewhere
    TIME = "time"  # time range and timezone: the page draws the facets itself
    NONE = "none"  # nothing: the page is about one event, whatever the filter


def _local(moment: datetime | None, tz: str, fallback: datetime) -> datetime:
    """A bound as wall time in the display timezone, to the minute (what the inputs show)."""
    local = moment.astimezone(ZoneInfo(tz)) if moment else fallback
    return local.replace(second=0, microsecond=0, tzinfo=None)


def _moment_inputs(label: str, key: str, shown: datetime) -> datetime:
    """A date and a time of day side by side; the wall time they show."""
    day, clock = st.columns([3, 2], gap="small", vertical_alignment="bottom")
    sync_widget(key + ".date", shown.date())
    sync_widget(key + ".time", shown.time())
    day.date_input(label, key=key + ".date", format="YYYY-MM-DD")
    clock.time_input("Time", key=key + ".time", step=timedelta(minutes=1))
    chosen_day = st.session_state[key + ".date"] or shown.date()
    chosen_time = st.session_state[key + ".time"] or shown.time()
    return datetime.combine(chosen_day, chosen_time)


def _custom_range(flt: AuditFilter, now: datetime) -> AuditFilter:
    """From and to, each a date and a time of day in the display timezone; the end is not
    included. A bound the user leaves alone keeps its exact value (seconds included)."""
    zone = ZoneInfo(flt.tz)
    today = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    shown_start = _local(flt.start, flt.tz, today - timedelta(days=7))
    shown_end = _local(flt.end, flt.tz, today + timedelta(days=1))
    start = _moment_inputs("From", KEY + "from", shown_start)
    end = _moment_inputs("To (not included)", KEY + "to", shown_end)
    if (start, end) == (shown_start, shown_end):
        return flt
    if start >= end:
        st.warning("The range must start before it ends.", icon=":material/event_busy:")
        return flt
    return flt.with_values(
        start=start.replace(tzinfo=zone) if start != shown_start else flt.start,
        end=end.replace(tzinfo=zone) if end != shown_end else flt.end,
    )


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
        words = BY_FIELD[field].label if field in BY_FIELD else str
        text = ", ".join(map(words, value)) if isinstance(value, tuple) else value
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


def filter_bar(
    source: Source, flt: AuditFilter, now: datetime, mode: BarMode = BarMode.FULL
) -> AuditFilter:
    """Draw the bar in the sidebar; return the filter after the user's changes."""
    if mode is BarMode.NONE:
        return flt
    with st.sidebar:
        st.subheader("Filters")
        flt = _time_range(flt, now)
        flt = _timezone(flt)
        if mode is BarMode.TIME:
            st.caption(
                "Narrow the events with the search and the facets above the table: they set "
                "the same filters as this sidebar does on the other pages."
            )
            return flt
        for dimension in BAR_FACETS:
            flt = _facet(source, flt, now, dimension)
        flt = _other_filters(flt)
    return flt
