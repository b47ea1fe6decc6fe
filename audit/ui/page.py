"""Set-up shared by every page, run once per script run by app.py: settings, database,
the filter from the URL, the filter bar, navigation that keeps the filter, and actions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import streamlit as st

from audit import plans
from audit.access import Role, viewer_filter
from audit.config import Settings
from audit.filters import AuditFilter
from audit.markers import COMPLETE_MARKER_ID, ROLE_ATTRIBUTE
from audit.routing import Call
from audit.timerange import RELATIVE_STEP
from audit.ui import data
from audit.ui.context import database_recovered, role_or_stop, settings_or_stop, source_or_stop
from audit.ui.filterbar import BarMode, filter_bar
from audit.ui.report import report_header
from audit.ui.safe import md_escape
from audit.ui.urlstate import (
    is_report,
    query_now,
    read_filter,
    return_after_back,
    write_filter,
)
from audit.ui.view import PageContext

CONTEXT_KEY = "page_context"
DRILL_TARGET = "explorer"  # the page every drill-through opens


def _leave_pages_directory_mode() -> None:
    """Streamlit decides per process, before any script runs, that an app with a ``pages/``
    folder is a pre-``st.navigation`` app, and runs a requested page such as /explorer
    directly, without app.py, until st.navigation is first called. Clearing the flag here
    (imported by every page) lets the rerun in :func:`context` go through app.py."""
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False


def _navigation(
    box: st.delta_generator.DeltaGenerator, pages: list[st.Page], ctx: PageContext
) -> None:
    """Links that carry the filter (Streamlit's own navigation would drop it)."""
    params = ctx.view_params()
    with box:
        for page in pages:
            st.page_link(page, query_params=params)


def _actions(flt: AuditFilter, now: datetime) -> AuditFilter:
    with st.sidebar:
        st.divider()
        pin, refresh = st.columns(2)
        if pin.button(
            "Permalink",
            icon=":material/link:",
            help="Fix the range's start and end: the link shows the same events tomorrow",
        ):
            flt = flt.pinned(now)
            st.session_state["permalink_made"] = True
        if refresh.button(
            "Refresh",
            icon=":material/refresh:",
            help="Bring the local mirror up to date (when in use) and query again for fresh "
            "numbers (for you: other users' cached results stay)",
        ):
            data.refresh(source_or_stop())
            st.rerun()
    return flt


def _show_permalink(flt: AuditFilter) -> None:
    if not st.session_state.pop("permalink_made", False):
        return
    base = st.context.url or ""
    with st.sidebar:
        st.caption("Permalink (fixed range):")
        st.code(f"{base}?{urlencode(flt.to_params(), doseq=True)}", language=None, wrap_lines=True)


Plan = Callable[[AuditFilter, Settings], list[Call]]


def setup(
    nav_pages: list[st.Page],
    current: st.Page,
    plan: Plan | None = None,
    bar: BarMode = BarMode.FULL,
) -> PageContext:
    """Everything before a page draws; stops with a clear message on any problem. ``plan``
    names the page's queries, run at once with the filter bar's before anything draws;
    ``bar`` says what the sidebar filters on this page."""
    if current.url_path != DRILL_TARGET:
        return_after_back()
    data.start_run()
    report = is_report()
    nav_box = st.container() if report else st.sidebar.container()
    role = role_or_stop()
    settings = settings_or_stop()
    source = source_or_stop()
    data.show_mirror_status(source, report)
    from_url, notices = read_filter(settings.default_timezone)
    if role.masked:
        from_url, withheld = viewer_filter(from_url)
        notices += withheld
    for notice in notices:
        st.warning(md_escape(notice), icon=":material/link_off:")
    now, now_pinned = query_now()
    bar = BarMode.NONE if report else bar
    planned = list(plans.facet_calls(from_url).values()) if bar is BarMode.FULL else []
    data.prefetch(source, now, planned + (plan(from_url, settings) if plan else []))
    flt = from_url
    if bar is not BarMode.NONE:
        flt = _actions(filter_bar(source, from_url, now, bar), now)
    write_filter(flt, changed=flt != from_url)
    ctx = PageContext(settings, source, flt, now, now_pinned, report, role)
    if report:
        report_header(ctx, current.title, nav_box)
    else:
        _show_permalink(flt)
        _navigation(nav_box, nav_pages, ctx)
    st.session_state[CONTEXT_KEY] = ctx
    return ctx


def mark_complete(role: Role) -> None:
    """The element drawn last, naming the role the page was drawn for: screenshot jobs and
    browser tests wait for it. A page that stopped early (an error, a database problem)
    never draws it."""
    database_recovered()
    st.html(f'<span id="{COMPLETE_MARKER_ID}" {ROLE_ATTRIBUTE}="{role.value}"></span>')


def context() -> PageContext:
    """The context app.py prepared for this run. Taken, not read, so a stale one is never
    used: on a fresh server's first run Streamlit may run a page of ``pages/`` directly
    (its pre-``st.navigation`` mode); a rerun then goes through app.py."""
    ctx = st.session_state.pop(CONTEXT_KEY, None)
    if ctx is None:
        _leave_pages_directory_mode()
        st.rerun()
    return ctx


def heading(ctx: PageContext, title: str, with_range: bool = True) -> None:
    """The page's title and its range. A report's header already names both, once."""
    if ctx.report:
        return
    st.title(title)
    if with_range:
        st.caption(" · ".join(filter(None, [ctx.window_text, as_of_text(ctx)])))


def section(ctx: PageContext, title: str) -> None:
    """A section's heading: smaller in a report, which is read on one or two screens."""
    (st.subheader if ctx.report else st.header)(title)


def as_of_text(ctx: PageContext) -> str | None:
    """How old the numbers are, for a range that moves with the clock (a pinned ``now``
    shows the same numbers at any time, so it needs none)."""
    oldest = data.oldest_result()
    if ctx.now_pinned or oldest is None:
        return None
    minutes = int(RELATIVE_STEP.total_seconds() // 60)
    local = oldest.astimezone(ZoneInfo(ctx.filter.tz))
    return (
        f"numbers as of {local:%H:%M:%S}, reused for up to {minutes} minutes "
        "(Refresh brings the newest)"
    )
