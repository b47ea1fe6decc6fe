"""The URL is the state: read the filter from the query string, write it back, and keep
widgets and URL in step in both directions."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlencode

import streamlit as st

from audit.filters import FILTER_PARAM_NAMES, AuditFilter
from audit.timerange import (
    NOW_PARAM,
    RELATIVE_STEP,
    anchored_now,
    ignored_now,
    is_valid_timezone,
    parse_now,
    utc_now,
)
from audit.ui.safe import md_escape

_MISSING = object()


def query_params_lists() -> dict[str, list[str]]:
    """Every query parameter with all its values (repeated keys kept)."""
    return {key: st.query_params.get_all(key) for key in st.query_params}


def browser_timezone(default: str) -> str:
    tz = st.context.timezone
    return tz if tz and is_valid_timezone(tz) else default


def read_filter(default_tz: str) -> tuple[AuditFilter, list[str]]:
    return AuditFilter.from_params(query_params_lists(), browser_timezone(default_tz))


# A page position, a selected row, the open incident and the principal chip belong to one
# result: a new filter drops them (the risk and rule chips hold in any range). Also
# dropped: the URL a drill-through started from. Streamlit rewrites the history entry of
# the page a drill leaves to the drill's URL, so Back lands there with the drilled filter;
# that page then finds this key and goes back to where it was.
DRILLED_FROM = "drilled_from"
RESULT_PARAMS = frozenset({"after", "before", "selected", "incident", "principal", DRILLED_FROM})


def write_filter(flt: AuditFilter, changed: bool = True) -> None:
    """Put the filter in the URL, keeping the page's own parameters; when the filter
    ``changed`` (not merely written out in full), the page position and selection go."""
    current = query_params_lists()
    dropped = FILTER_PARAM_NAMES | (RESULT_PARAMS if changed else frozenset())
    others = {k: v for k, v in current.items() if k not in dropped}
    wanted = others | flt.to_params()
    if wanted != current:
        st.query_params.from_dict(wanted)


def set_params(**values: str | None) -> None:
    """Set (or, with ``None``, remove) page parameters, leaving the rest of the URL."""
    for key, value in values.items():
        if value is None:
            st.query_params.pop(key, None)
        else:
            st.query_params[key] = value


def query_now() -> tuple[datetime, bool]:
    """The moment relative ranges end at, and whether the URL fixed it (``now=<ISO>``,
    for reports that must come out the same every time). Otherwise the end of the current
    step of :data:`RELATIVE_STEP` (see :func:`anchored_now`)."""
    text = st.query_params.get(NOW_PARAM)
    if text:
        moment = parse_now(text)
        if moment is not None:
            return moment, True
        st.warning(md_escape(ignored_now(text)))
    return anchored_now(utc_now(), RELATIVE_STEP), False


def is_report() -> bool:
    """``?report=1``: a static, print-friendly page for scheduled screenshots."""
    return st.query_params.get("report") == "1"


def sync_widget(key: str, url_value: Any) -> None:
    """Before drawing widget ``key``: make it show the URL's value when the URL changed
    (navigation, back button, a drill-through) or the widget has no state yet."""
    marker = f"{key}__from_url"
    if key not in st.session_state or st.session_state.get(marker, _MISSING) != url_value:
        st.session_state[key] = url_value
        st.session_state[marker] = url_value


def widget_changed(key: str, url_value: Any) -> bool:
    """After drawing widget ``key``: did the user change it away from the URL's value?"""
    changed = st.session_state.get(key) != url_value
    if changed:
        st.session_state[f"{key}__from_url"] = st.session_state.get(key)
    return changed


def drill_params(target: dict[str, list[str]]) -> dict[str, list[str]]:
    """A drill's URL: the target, and the view it leaves (for Back)."""
    here = {k: v for k, v in query_params_lists().items() if k != DRILLED_FROM}
    pinned = {NOW_PARAM: here[NOW_PARAM]} if NOW_PARAM in here else {}
    return target | pinned | {DRILLED_FROM: [urlencode(here, doseq=True)]}


def return_after_back() -> None:
    """On a page a drill left: Back brought the drill's URL here, so restore the view the
    drill started from (and draw it again)."""
    origin = st.query_params.get(DRILLED_FROM)
    if origin is None:
        return
    st.query_params.from_dict(parse_qs(origin, keep_blank_values=True))
    st.rerun()
