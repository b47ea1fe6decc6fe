"""The URL is the state: the current filter comes from the query string."""

from __future__ import annotations

from datetime import datetime, timedelta

import streamlit as st

from audit.filters import AuditFilter
from audit.timerange import is_valid_timezone, utc_now


def query_params_lists() -> dict[str, list[str]]:
    """Every query parameter with all its values (repeated keys kept)."""
    return {key: st.query_params.get_all(key) for key in st.query_params}


def browser_timezone(default: str) -> str:
    tz = st.context.timezone
    return tz if tz and is_valid_timezone(tz) else default


def current_filter(default_tz: str) -> AuditFilter:
    """The filter in the URL; invalid parameters are shown as notices, never raised."""
    flt, notices = AuditFilter.from_params(query_params_lists(), browser_timezone(default_tz))
    for notice in notices:
        st.warning(notice, icon=":material/link_off:")
    return flt


def query_now() -> datetime:
    """The moment relative ranges end at: the next whole minute, so cached results are
    reused within a minute and the newest events are still included."""
    now = utc_now()
    return now.replace(second=0, microsecond=0) + timedelta(minutes=1)
