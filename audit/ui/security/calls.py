"""The security pages' queries, through the dashboard's cache: typed calls that
:mod:`audit.routing` routes (detections and counts from the mirror when it can answer,
rows always from the source, found through the mirror when it is in use)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from audit import plans, security
from audit.db import Source
from audit.filters import AuditFilter
from audit.routing import Call
from audit.security import Detections, Thresholds
from audit.ui import data
from audit.ui.view import PageContext


def fetch(ctx: PageContext, function: Any, flt: AuditFilter, *args: Any) -> Any:
    """``function(source, flt, now, *args)`` of :mod:`audit.security`, routed and cached."""
    return data.fetch(Call(function, flt, args), ctx.source, ctx.now)


def detections(ctx: PageContext, flt: AuditFilter, th: Thresholds) -> Detections:
    return data.fetch(plans.security_plan(flt, th).detections, ctx.source, ctx.now)


@st.cache_data(ttl=data.CACHE_TTL_SECONDS, max_entries=200, show_spinner=False)
def _account(
    _source: Source, source_key: str, user_id: int, fresh_since: float | None
) -> security.Account | None:
    return security.account(_source, user_id)


def account(source: Source, user_id: int) -> security.Account | None:
    """The user's row of ``users``, cached like every call (see :func:`data.fresh_since`)."""
    return _account(source, source.key, user_id, data.fresh_since())
