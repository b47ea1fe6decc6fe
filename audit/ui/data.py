"""Cached calls into the query layer, with the configured time-to-live. The source is not
hashed (leading underscore); its URL is, with the filter and the moment ranges end at."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
import streamlit as st

from audit import queries
from audit.config import ConfigError, Settings, load_settings
from audit.db import Source
from audit.filters import AuditFilter


def _configured_ttl() -> int:
    try:
        return load_settings().cache_ttl_seconds
    except ConfigError:  # reported on the page by settings_or_stop()
        return Settings().cache_ttl_seconds


CACHE_TTL_SECONDS = _configured_ttl()


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=2000, show_spinner=False)
def _cached(
    _source: Source, source_key: str, name: str, flt: AuditFilter, now: datetime, args: tuple
) -> Any:
    return getattr(queries, name)(_source, flt, now, *args)


def _call(name: str, source: Source, flt: AuditFilter, now: datetime, *args: Any) -> Any:
    key = source.engine.url.render_as_string(hide_password=True)
    return _cached(source, key, name, flt, now, args)


def count_events(source: Source, flt: AuditFilter, now: datetime) -> int:
    return _call("count_events", source, flt, now)


def volume(source: Source, flt: AuditFilter, now: datetime, by: str) -> pd.DataFrame:
    return _call("volume", source, flt, now, by)


def top_values(
    source: Source, flt: AuditFilter, now: datetime, by: str, limit: int = 10
) -> pd.DataFrame:
    return _call("top_values", source, flt, now, by, limit)


def kpis(source: Source, flt: AuditFilter, now: datetime) -> queries.Kpis:
    return _call("kpis", source, flt, now)


def severity_by_category(source: Source, flt: AuditFilter, now: datetime) -> pd.DataFrame:
    return _call("severity_by_category", source, flt, now)


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
