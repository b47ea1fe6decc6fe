"""Cached calls into :mod:`audit.security`, by function name: aggregates from the mirror
when it can answer, rows always from the source (the mirror, when in use, finding their
ids)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import streamlit as st

from audit import security
from audit.db import Source
from audit.filters import AuditFilter
from audit.security import Detections, Thresholds
from audit.ui import data
from audit.ui.page import PageContext


@st.cache_data(ttl=data.CACHE_TTL_SECONDS, max_entries=500, show_spinner=False)
def _cached(
    _source: Source, source_key: str, name: str, flt: AuditFilter, now: datetime, args: tuple
) -> Any:
    return getattr(security, name)(_source, flt, now, *args)


def call(name: str, source: Source, flt: AuditFilter, now: datetime, *args: Any) -> Any:
    """An aggregate (every detection is one): from the mirror when it can answer."""
    target, key = data.aggregate_target(source, flt)
    return _cached(target, key, name, flt, now, args)


def rows(name: str, source: Source, flt: AuditFilter, now: datetime, *args: Any) -> Any:
    """Rows, always read from the source; with the mirror in use it finds their ids."""
    target, key = data.aggregate_target(source, flt)
    ids_from = None if target is source else target
    return _cached_rows(source, key, ids_from, name, flt, now, args)


@st.cache_data(ttl=data.CACHE_TTL_SECONDS, max_entries=200, show_spinner=False)
def _cached_rows(
    _source: Source,
    index_key: str,
    _ids_from: Source | None,
    name: str,
    flt: AuditFilter,
    now: datetime,
    args: tuple,
) -> Any:
    return getattr(security, name)(_source, flt, now, *args, ids_from=_ids_from)


@st.cache_data(ttl=data.CACHE_TTL_SECONDS, max_entries=200, show_spinner=False)
def account(_source: Source, source_key: str, user_id: int) -> security.Account | None:
    return security.account(_source, user_id)


def detections(ctx: PageContext, flt: AuditFilter, th: Thresholds) -> Detections:
    return call("detect", ctx.source, flt, ctx.now, th)
