"""Cached calls into the query layer, with the configured time-to-live. Which engine answers
a call is :mod:`audit.routing`'s decision; this module caches what the route names: the
result is keyed on the route's key (the source's URL, or the mirror's source and version,
so a sync shows new numbers at once), the call's function, filter and arguments, the
moment ranges end at, and the session's refresh (see :func:`refresh`)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from audit import plans, queries, security
from audit.access import Identities
from audit.config import ConfigError, Settings
from audit.db import Source
from audit.filters import AuditFilter
from audit.queries.users import known_identities
from audit.routing import Call, Router, freshness_text, function_name
from audit.security.incidents import find_incidents
from audit.ui.context import Configuration, configuration, load_configuration

log = logging.getLogger(__name__)

BUILD_STEP_EVERY = timedelta(seconds=0.5)


def _usable_settings(read: Callable[[], Configuration] = configuration) -> Settings:
    """The app's settings, or the defaults while they are invalid."""
    try:
        return read().settings
    except ConfigError:  # reported on the page by settings_or_stop()
        return Settings()


def _configured_ttl() -> int:
    # Read at import: uncached, so the cached settings are read when a page needs them.
    return _usable_settings(load_configuration).cache_ttl_seconds


CACHE_TTL_SECONDS = _configured_ttl()


def _computed(
    _target: Source,
    route_key: str,
    name: str,
    flt: AuditFilter,
    now: datetime,
    args: tuple,
    fresh_since: float | None,
    _call: Call,
    _kwargs: dict[str, Any],
) -> tuple[float, Any]:
    """The result, with the moment it was computed (for :func:`oldest_result`). The
    arguments without a leading underscore are the cache key."""
    return time.time(), _call.function(_target, flt, now, *args, **_kwargs)


_cached = st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=2000, show_spinner=False)(_computed)

# Incidents and detections are large (a busy week's pickle at 1M rows: 2.4 MB, a quarter
# of a second to unpickle) and deeply immutable (frozen dataclasses of tuples): the page
# reads the very object cached instead of a copy unpickled on every read, which took most
# of the security page's script time at scale. Anything mutable stays in ``_cached``.
SHARED_RESULTS = frozenset(function_name(f) for f in (find_incidents, security.detect))
_shared = st.cache_resource(ttl=CACHE_TTL_SECONDS, max_entries=100, show_spinner=False)(_computed)


# ---------------------------------------------------------------------------------------
# Refresh, per session. Clearing the cache would make every user's next page query the
# database again; instead the session that asks for fresh numbers keys its calls on the
# moment it asked ("fresh since"), so they miss what was cached before and are cached anew
# for it alone. Other sessions keep sharing their entries. Once a time-to-live has passed
# since the refresh, every shared entry was computed after it, and the session shares
# them again.

FRESH_SINCE_KEY = "data.fresh_since"


def fresh_since() -> float | None:
    """When this session asked for fresh results, while entries cached before that may
    still be served; ``None`` (share everyone's entries) otherwise or outside a session."""
    if get_script_run_ctx() is None:
        return None
    since = st.session_state.get(FRESH_SINCE_KEY)
    if since is None or time.time() - since >= CACHE_TTL_SECONDS:
        return None
    return since


# Sessions opening the same view at once would each run the same cold query (the cache
# fills only when one finishes). A lock per key stripe lets the first compute and the
# others wait for its cached result; 64 stripes keep unrelated queries apart.
_STRIPES = [threading.Lock() for _ in range(64)]


def fetch(call: Call, source: Source, now: datetime) -> Any:
    """A call's result, from the engine the router picks, cached."""
    route = router().route(call, source)
    since = fresh_since()
    key = (route.key, call.name, call.flt, now, call.args, since)
    cached = _shared if call.name in SHARED_RESULTS else _cached
    with _STRIPES[hash(key) % len(_STRIPES)]:
        computed_at, result = cached(
            route.target, route.key, call.name, call.flt, now, call.args, since, call, route.kwargs
        )
    _note_computed(computed_at)
    return call.derive(result) if call.derive else result


# How old the page's numbers are: the moment the oldest result it used was computed, kept
# per script run (reset by :func:`start_run`), so the page can say it.
OLDEST_KEY = "data.oldest_result"
_OLDEST_LOCK = threading.Lock()


def start_run() -> None:
    if get_script_run_ctx() is not None:
        st.session_state.pop(OLDEST_KEY, None)


def _note_computed(computed_at: float) -> None:
    if get_script_run_ctx() is None:
        return
    with _OLDEST_LOCK:
        oldest = st.session_state.get(OLDEST_KEY)
        if oldest is None or computed_at < oldest:
            st.session_state[OLDEST_KEY] = computed_at


def oldest_result() -> datetime | None:
    """When the oldest result drawn in this run so far was computed (``None``: none yet)."""
    oldest = st.session_state.get(OLDEST_KEY) if get_script_run_ctx() is not None else None
    return None if oldest is None else datetime.fromtimestamp(oldest, UTC)


def prefetch(source: Source, now: datetime, calls: Sequence[Call]) -> None:
    """Run a page's independent queries at once and wait for them all; the page then draws
    from the cache. The first error is raised, as the page's own call would raise it."""
    calls = plans.distinct_calls(list(calls))
    if len(calls) < 2:
        return
    script = get_script_run_ctx()

    def run(call: Call) -> None:
        if script is not None:  # cached calls look for the session's context
            add_script_run_ctx(threading.current_thread(), script)
        fetch(call, source, now)

    workers = queries.CONCURRENT_QUERIES
    with ThreadPoolExecutor(workers, thread_name_prefix="audit-prefetch") as pool:
        for future in [pool.submit(run, call) for call in calls]:
            future.result()


# ---------------------------------------------------------------------------------------
# The mirror: which engine answers, keeping it current, saying how fresh it is


@st.cache_resource(show_spinner=False)
def router() -> Router:
    """The process's one router (it holds the opened mirror)."""
    return Router(_usable_settings())


@st.fragment(run_every=BUILD_STEP_EVERY)
def _build_progress(source: Source) -> None:
    """The first build, one bounded step per run, with a progress bar; the page reruns
    (then reading the mirror) once it is complete."""
    mirror = router().mirror(source)
    if mirror is None:
        return
    mirror.sync_step(source)
    if mirror.ready_for(source):
        st.rerun(scope="app")
    done, total = mirror.build_progress(source)
    st.progress(
        done / total if total else 0.0,
        text=f"Building the analytics mirror: {done:,} of about {total:,} events. "
        "Until it is ready the numbers come from the database.",
    )


def _show_clickhouse_status(source: Source, report: bool) -> None:
    """ClickHouse is kept current by its own sync command: say how fresh it is, or why the
    numbers come from the database instead."""
    state = router().clickhouse_state(source)
    box = st.container() if report else st.sidebar
    if state is None or state.as_of is None:
        box.caption(
            "ClickHouse holds no copy of this database yet (run `python -m audit.clickhouse "
            "sync`): charts and counts come from the database."
        )
        return
    if state.unheld:
        box.caption(
            f"ClickHouse cannot hold the times of {state.unheld:,} events (before 1900 or "
            "after 2299): charts and counts come from the database."
        )
        return
    box.caption(
        f"Charts and counts from ClickHouse, {freshness_text(state.as_of, datetime.now(UTC))}.",
        help=None
        if report
        else "ClickHouse is brought up to date by its sync command, not by this page. Rows, "
        "event details and exports always come from the database.",
    )


def show_mirror_status(source: Source, report: bool) -> None:
    """When the mirror is in use: keep it current and state how fresh its numbers are; while
    it is first built, show its progress (not in reports, which wait for nothing). The same
    freshness for ClickHouse, which the dashboard only reads."""
    if router().clickhouse() is not None:
        _show_clickhouse_status(source, report)
        return
    if router().mirror(source) is None:
        return
    state = router().sync_if_stale(source, timedelta(seconds=CACHE_TTL_SECONDS))
    if state is None:
        if not report:
            with st.sidebar:
                _build_progress(source)
        return
    assert state.as_of is not None
    box = st.container() if report else st.sidebar
    box.caption(
        f"Charts and counts from the local mirror, "
        f"{freshness_text(state.as_of, datetime.now(UTC))}.",
        help=None
        if report  # a static image has no "?" to hover
        else "Refresh brings the mirror up to date. Rows, event details and exports always "
        "come from the database.",
    )


def refresh(source: Source) -> None:
    """The refresh control: one bounded mirror step first, then fresh query results for
    this session, leaving every other session's cached results be."""
    router().refresh(source)
    if get_script_run_ctx() is not None:
        st.session_state[FRESH_SINCE_KEY] = time.time()


def count_events(source: Source, flt: AuditFilter, now: datetime) -> int:
    return fetch(Call(queries.count_events, flt), source, now)


def volume(source: Source, flt: AuditFilter, now: datetime, by: str) -> pd.DataFrame:
    return fetch(plans.volume_call(flt, by), source, now)


def top_values(
    source: Source, flt: AuditFilter, now: datetime, by: str, limit: int = 10, shared: bool = True
) -> pd.DataFrame:
    return fetch(plans.top_values_call(flt, by, limit, shared), source, now)


def kpis(source: Source, flt: AuditFilter, now: datetime) -> queries.Kpis:
    return fetch(Call(queries.kpis, flt), source, now)


def page_rows(
    source: Source,
    flt: AuditFilter,
    now: datetime,
    size: int,
    after: queries.Cursor | None,
    before: queries.Cursor | None,
    newest_first: bool,
) -> queries.Page:
    call = Call(queries.page_rows, flt, (size, after, before, newest_first))
    return fetch(call, source, now)


def rows_before(
    source: Source, flt: AuditFilter, now: datetime, cursor: queries.Cursor, newest_first: bool
) -> int:
    return fetch(Call(queries.rows_before, flt, (cursor, newest_first)), source, now)


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=20, show_spinner=False)
def _known_identities(_source: Source, source_key: str) -> frozenset[str]:
    return known_identities(_source)


def identities(source: Source) -> Identities:
    """The people the data names, for masking text that viewers read."""
    return Identities(_known_identities(source, source.key))
