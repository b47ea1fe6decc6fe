"""Cached calls into the query layer, with the configured time-to-live. The source is not
hashed (leading underscore); its URL is, with the filter and the moment ranges end at.

Overview aggregates go to the local DuckDB mirror (:mod:`audit.mirror`) when the
``aggregate_engine`` setting asks for it, the mirror has been built and holds every column
the filter reads; rows, counts behind the explorer's pages, event detail and exports always
come from the source database. A mirror result is cached under the mirror's version, so a
sync shows new numbers at once."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from audit import queries
from audit.config import ConfigError, Settings
from audit.db import Source
from audit.filters import AuditFilter
from audit.mirror import (
    Mirror,
    MirrorState,
    estimate_rows,
    mirror_can_answer,
    wants_mirror,
)
from audit.ui.context import Configuration, configuration, load_configuration

log = logging.getLogger(__name__)

# Aggregates the mirror answers (count_events stays on the source: the explorer shows it as
# the total of the rows it pages through, which come from the source).
MIRRORED_CALLS: frozenset[str] = frozenset(
    {"volume", "overview_counts", "top_values", "kpis", "activity_rhythm"}
)
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


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=2000, show_spinner=False)
def _cached(
    _source: Source, source_key: str, name: str, flt: AuditFilter, now: datetime, args: tuple
) -> Any:
    return getattr(queries, name)(_source, flt, now, *args)


# Sessions opening the same view at once would each run the same cold query (the cache
# fills only when one finishes). A lock per key stripe lets the first compute and the
# others wait for its cached result; 64 stripes keep unrelated queries apart.
_STRIPES = [threading.Lock() for _ in range(64)]


def _call(name: str, source: Source, flt: AuditFilter, now: datetime, *args: Any) -> Any:
    if name in MIRRORED_CALLS:
        target, key = _aggregate_target(source, flt)
    else:
        target, key = source, source.key
    with _STRIPES[hash((key, name, flt, now, args)) % len(_STRIPES)]:
        return _cached(target, key, name, flt, now, args)


Call = tuple[str, AuditFilter, tuple[Any, ...]]  # a query function's name, filter, arguments


def prefetch(source: Source, now: datetime, calls: Sequence[Call]) -> None:
    """Run a page's independent queries at once and wait for them all; the page then draws
    from the cache. The first error is raised, as the page's own call would raise it."""
    if len(calls) < 2:
        return
    script = get_script_run_ctx()

    def run(call: Call) -> None:
        if script is not None:  # cached calls look for the session's context
            add_script_run_ctx(threading.current_thread(), script)
        name, flt, args = call
        _call(name, source, flt, now, *args)

    workers = queries.CONCURRENT_QUERIES
    with ThreadPoolExecutor(workers, thread_name_prefix="audit-prefetch") as pool:
        for future in [pool.submit(run, call) for call in calls]:
            future.result()


# ---------------------------------------------------------------------------------------
# The mirror: which engine answers, keeping it current, saying how fresh it is


@st.cache_resource(show_spinner=False)
def _open_mirror(path: str) -> Mirror:
    return Mirror(Path(path))


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _estimated_rows(_source: Source, source_key_: str) -> int:
    return estimate_rows(_source)


def active_mirror(source: Source) -> Mirror | None:
    """The mirror when the settings want one for this source, else ``None``. A mirror that
    cannot be opened (say, another process holds the file) also gives ``None``."""
    settings = _usable_settings()
    if settings.aggregate_engine == "source":
        return None
    rows = _estimated_rows(source, source.key) if settings.aggregate_engine == "auto" else 0
    if not wants_mirror(settings.aggregate_engine, rows, settings.mirror_threshold_rows):
        return None
    try:
        return _open_mirror(str(settings.mirror_path))
    except (sa.exc.SQLAlchemyError, OSError) as exc:
        log.warning("The mirror at %s cannot be used: %s", settings.mirror_path, exc)
        return None


def _ready_state(mirror: Mirror | None, source: Source) -> MirrorState | None:
    state = mirror.state() if mirror else None
    if state is None or not state.built or state.source != source.key:
        return None
    return state


def _aggregate_target(source: Source, flt: AuditFilter) -> tuple[Source, str]:
    """The source an aggregate runs on, and the cache key naming it."""
    mirror = active_mirror(source)
    state = _ready_state(mirror, source)
    if mirror is None or state is None or not mirror_can_answer(flt):
        return source, source.key
    return mirror.source_for(source), f"mirror:{state.source}:{state.version}"


def aggregate_target(source: Source, flt: AuditFilter) -> tuple[Source, str]:
    """Where an aggregate over ``flt`` should run (the mirror when it can answer, else the
    source) and the cache key naming it, for pages that cache their own calls."""
    return _aggregate_target(source, flt)


def freshness_text(as_of: datetime, now: datetime) -> str:
    """The freshness line, e.g. "data as of 12:03:55 UTC" (the date too when not today)."""
    moment = as_of.replace(tzinfo=UTC)
    shown = "%H:%M:%S" if moment.date() == now.astimezone(UTC).date() else "%Y-%m-%d %H:%M:%S"
    return f"data as of {moment.strftime(shown)} UTC"


def _sync_if_stale(mirror: Mirror, source: Source, state: MirrorState) -> MirrorState:
    """One bounded step once the mirror is older than the cache's time-to-live."""
    age = datetime.now(UTC).replace(tzinfo=None) - (state.as_of or datetime.min)
    if age < timedelta(seconds=CACHE_TTL_SECONDS):
        return state
    mirror.sync_step(source)
    return _ready_state(mirror, source) or state


@st.fragment(run_every=BUILD_STEP_EVERY)
def _build_progress(source: Source) -> None:
    """The first build, one bounded step per run, with a progress bar; the page reruns
    (then reading the mirror) once it is complete."""
    mirror = active_mirror(source)
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


def show_mirror_status(source: Source, report: bool) -> None:
    """When the mirror is in use: keep it current and state how fresh its numbers are; while
    it is first built, show its progress (not in reports, which wait for nothing)."""
    mirror = active_mirror(source)
    if mirror is None:
        return
    state = _ready_state(mirror, source)
    if state is None:
        if not report:
            with st.sidebar:
                _build_progress(source)
        return
    state = _sync_if_stale(mirror, source, state)
    assert state.as_of is not None
    box = st.container() if report else st.sidebar
    box.caption(
        f"Charts and counts from the local mirror, "
        f"{freshness_text(state.as_of, datetime.now(UTC))}.",
        help="Refresh brings the mirror up to date. Rows, event details and exports always "
        "come from the database.",
    )


def refresh(source: Source) -> None:
    """The refresh control: one bounded mirror step first, then fresh query results."""
    mirror = active_mirror(source)
    if mirror is not None:
        mirror.sync_step(source, wait=True)
    clear()


def count_events(source: Source, flt: AuditFilter, now: datetime) -> int:
    return _call("count_events", source, flt, now)


def volume(source: Source, flt: AuditFilter, now: datetime, by: str) -> pd.DataFrame:
    if by in queries.COUNTED_TOGETHER:
        return _call("overview_counts", source, flt, now).volume(by)
    return _call("volume", source, flt, now, by)


def top_values_call(flt: AuditFilter, by: str, limit: int, shared: bool = True) -> Call:
    """The query behind a top list: of severity, category and outcome, the overview's one
    grouped scan (``shared``: worth it when the page reads it anyway, under the same
    filter), else a grouped query of its own."""
    if shared and by in queries.COUNTED_TOGETHER:
        return "overview_counts", flt, ()
    return "top_values", flt, (by, limit)


def top_values(
    source: Source, flt: AuditFilter, now: datetime, by: str, limit: int = 10, shared: bool = True
) -> pd.DataFrame:
    name, flt, args = top_values_call(flt, by, limit, shared)
    result = _call(name, source, flt, now, *args)
    return result.top(by, limit) if name == "overview_counts" else result


def kpis(source: Source, flt: AuditFilter, now: datetime) -> queries.Kpis:
    return _call("kpis", source, flt, now)


def severity_by_category(source: Source, flt: AuditFilter, now: datetime) -> pd.DataFrame:
    return _call("overview_counts", source, flt, now).severity_by_category()


def activity_rhythm(source: Source, flt: AuditFilter, now: datetime) -> pd.DataFrame:
    return _call("activity_rhythm", source, flt, now)


def page_rows(
    source: Source,
    flt: AuditFilter,
    now: datetime,
    size: int,
    after: queries.Cursor | None,
    before: queries.Cursor | None,
    newest_first: bool,
) -> queries.Page:
    return _call("page_rows", source, flt, now, size, after, before, newest_first)


def rows_before(
    source: Source, flt: AuditFilter, now: datetime, cursor: queries.Cursor, newest_first: bool
) -> int:
    return _call("rows_before", source, flt, now, cursor, newest_first)


def clear() -> None:
    st.cache_data.clear()
