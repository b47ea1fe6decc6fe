"""Cached wrappers around the query layer. The source is not hashed (leading underscore);
its URL is, together with the filter and the moment relative ranges end at."""

from __future__ import annotations

from datetime import datetime

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


def _key(source: Source) -> str:
    return source.engine.url.render_as_string(hide_password=True)


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=500, show_spinner=False)
def _count(_source: Source, key: str, flt: AuditFilter, now: datetime) -> int:
    return queries.count_events(_source, flt, now)


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=500, show_spinner=False)
def _volume(_source: Source, key: str, flt: AuditFilter, now: datetime, by: str) -> pd.DataFrame:
    return queries.volume(_source, flt, now, by)


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=500, show_spinner=False)
def _top(
    _source: Source, key: str, flt: AuditFilter, now: datetime, by: str, limit: int
) -> pd.DataFrame:
    return queries.top_values(_source, flt, now, by, limit)


def count_events(source: Source, flt: AuditFilter, now: datetime) -> int:
    return _count(source, _key(source), flt, now)


def volume(source: Source, flt: AuditFilter, now: datetime, by: str) -> pd.DataFrame:
    return _volume(source, _key(source), flt, now, by)


def top_values(
    source: Source, flt: AuditFilter, now: datetime, by: str, limit: int = 10
) -> pd.DataFrame:
    return _top(source, _key(source), flt, now, by, limit)


def clear() -> None:
    st.cache_data.clear()
