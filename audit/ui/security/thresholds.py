"""The detection thresholds on the page: number inputs whose values live in the URL
(``bf_n``, ``bf_w``, ...) next to the shared filter."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from audit import plans, security
from audit.config import Settings
from audit.filters import AuditFilter
from audit.routing import Call
from audit.security import Thresholds
from audit.ui.safe import md_escape
from audit.ui.security import KEY
from audit.ui.urlstate import query_params_lists, sync_widget, widget_changed

THRESHOLD_COLUMNS = 5


def _defaults(settings: Settings) -> Thresholds:
    return Thresholds.from_settings(settings)


def url_thresholds(settings: Settings) -> Thresholds:
    """The thresholds in the URL (profiles read them; the security page edits them)."""
    chosen, _ = security.thresholds_from_params(query_params_lists(), _defaults(settings))
    return chosen


def extra_params(settings: Settings, th: Thresholds) -> dict[str, list[str]]:
    """Threshold parameters that links to profiles carry, so they find the same things."""
    return security.thresholds_to_params(th, _defaults(settings))


def _threshold_input(param: str, spec: security.ThresholdParam, url_value: int) -> int:
    key = KEY + "threshold." + param
    sync_widget(key, url_value)
    st.number_input(spec.label, min_value=spec.low, max_value=spec.high, step=1, key=key)
    widget_changed(key, url_value)
    return int(st.session_state[key])


def _write_thresholds(th: Thresholds, defaults: Thresholds) -> None:
    wanted = security.thresholds_to_params(th, defaults)
    for param in security.THRESHOLD_PARAMS:
        if param in wanted and st.query_params.get_all(param) != wanted[param]:
            st.query_params[param] = wanted[param]
        elif param not in wanted and param in st.query_params:
            del st.query_params[param]


def threshold_inputs(settings: Settings, report: bool = False) -> Thresholds:
    """Number inputs for every threshold; their values are kept in the URL. A report
    draws no inputs: the URL's thresholds apply."""
    defaults = _defaults(settings)
    current, notices = security.thresholds_from_params(query_params_lists(), defaults)
    for notice in notices:
        st.warning(md_escape(notice), icon=":material/link_off:")
    if report:
        return current
    values: dict[str, int] = {}
    with st.expander("Detection thresholds", icon=":material/tune:"):
        columns = st.columns(THRESHOLD_COLUMNS)
        for index, (param, spec) in enumerate(security.THRESHOLD_PARAMS.items()):
            with columns[index % THRESHOLD_COLUMNS]:
                values[spec.field] = _threshold_input(param, spec, getattr(current, spec.field))
        chosen, hours_ok = security.with_valid_hours(replace(defaults, **values), defaults)
        if not hours_ok:
            st.warning("Business hours must start before they end; using the defaults.")
    _write_thresholds(chosen, defaults)
    return chosen


def planned_calls(flt: AuditFilter, settings: Settings) -> list[Call]:
    """Every query of the security page under the URL's thresholds, for the prefetch."""
    return plans.security_plan(flt, url_thresholds(settings)).calls()
