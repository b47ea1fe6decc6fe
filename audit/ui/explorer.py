"""The Explorer's filters: the search, the typed fields, the facets and what is set, in
words, with a way to clear it. The rows and the selected event are in
:mod:`audit.ui.results`."""

from __future__ import annotations

import streamlit as st

from audit import plans
from audit.config import Settings
from audit.dimensions import TYPED_FILTERS, WILDCARD_RULE
from audit.filters import AuditFilter, describe_filter
from audit.filters.sql import SEARCH_SCOPE
from audit.routing import Call
from audit.ui.facets import facet_row
from audit.ui.safe import md_escape
from audit.ui.urlstate import sync_widget, widget_changed, write_filter
from audit.ui.view import PageContext

KEY = "explorer."
SEARCH_HELP = (
    f"Finds events whose {SEARCH_SCOPE} contain the text, ignoring case. {WILDCARD_RULE}: "
    "`192.0.2.*` finds addresses of that network, `50%` finds the text 50%."
)


def planned_calls(flt: AuditFilter, _settings: Settings) -> list[Call]:
    """The page's counting queries, for :func:`audit.ui.data.prefetch`: the facets."""
    return list(plans.explorer_facet_calls(flt).values())


def apply(flt: AuditFilter, current: AuditFilter) -> None:
    """A filter changed on this page: into the URL, and draw again."""
    if flt != current:
        write_filter(flt)
        st.rerun()


def _search(flt: AuditFilter) -> AuditFilter:
    key = KEY + "q"
    sync_widget(key, flt.text)
    st.text_input(
        "Search",
        key=key,
        placeholder="Text in the description, error, IP, user agent, user, details… "
        "(* matches any characters)",
        icon=":material/search:",
        help=SEARCH_HELP,
    )
    if widget_changed(key, flt.text):
        flt = flt.with_values(text=st.session_state[key].replace("\x00", ""))
    return flt


def _typed_field(flt: AuditFilter, field: str, label: str) -> AuditFilter:
    key = KEY + field
    sync_widget(key, getattr(flt, field))
    st.text_input(label, key=key, help="The whole value, exactly as stored")
    if widget_changed(key, getattr(flt, field)):
        flt = flt.with_values(**{field: st.session_state[key].strip().replace("\x00", "")})
    return flt


def _tags(flt: AuditFilter) -> AuditFilter:
    key, tags = KEY + "tags", ", ".join(flt.tags)
    sync_widget(key, tags)
    st.text_input("Tags (all of, comma-separated)", key=key)
    if widget_changed(key, tags):
        chosen = (t.strip() for t in st.session_state[key].split(","))
        flt = flt.with_values(tags=tuple(dict.fromkeys(t for t in chosen if t)))
    return flt


def _more_filters(flt: AuditFilter) -> AuditFilter:
    typed_set = any(getattr(flt, d.field) for d in TYPED_FILTERS) or bool(flt.tags)
    with st.expander("More filters: resource id, session, request, tags", expanded=typed_set):
        columns = st.columns(len(TYPED_FILTERS) + 1)
        for column, dimension in zip(columns, TYPED_FILTERS, strict=False):
            with column:
                flt = _typed_field(flt, dimension.field, dimension.title)
        with columns[-1]:
            flt = _tags(flt)
    return flt


def _summary(flt: AuditFilter) -> AuditFilter:
    """The filter in words, and a button that clears every filter but the time range."""
    cleared = AuditFilter(range=flt.range, start=flt.start, end=flt.end, tz=flt.tz)
    words, clear = st.columns([6, 1], vertical_alignment="center")
    words.caption(f"Showing {md_escape(describe_filter(flt))}.")
    if flt != cleared and clear.button("Clear filters", icon=":material/filter_alt_off:"):
        return cleared
    return flt


def filters(ctx: PageContext) -> None:
    """Search, typed fields, facets and the filter in words; any change goes to the URL."""
    flt = _search(ctx.filter)
    flt = _more_filters(flt)
    flt = facet_row(ctx, flt)
    flt = _summary(flt)
    apply(flt, ctx.filter)
