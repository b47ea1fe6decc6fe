"""The explorer's facets: one pop-up per dimension of the registry's ``EXPLORER_FACETS``,
each with its values counted as if its own filter were not set (so every value stays on
offer, with its count), several values to keep and several to leave out. They set the same
URL parameters as the sidebar's facets on the other pages: one filter model."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from audit import plans
from audit.dimensions import (
    EXPLORER_FACETS,
    WILDCARD_RULE,
    Dimension,
    Match,
    excluded_values,
    exclusion,
    split_exclusion,
)
from audit.filters import AuditFilter
from audit.ui import data
from audit.ui.safe import md_escape
from audit.ui.urlstate import sync_widget, widget_changed
from audit.ui.view import PageContext
from audit.vocab import order_severities

KEY = "explorer.facet."


@dataclass(frozen=True)
class Options:
    """A facet's values (URL texts), in the order offered, with labels and counts."""

    values: list[str]
    labels: dict[str, str]
    counts: dict[str, int]

    def text(self, value: str) -> str:
        """An option as a select shows it (plain text, never markdown)."""
        label = self.labels.get(value, value)
        count = self.counts.get(value)
        return f"{label} · {count:,}" if count is not None else label


def _options(frame: pd.DataFrame, dimension: Dimension, chosen: list[str]) -> Options:
    values, labels, counts = [], {}, {}
    for value, label, count in zip(frame["value"], frame["label"], frame["count"], strict=True):
        if pd.isna(value) and dimension.null_label is None:
            continue  # NULL cannot be chosen here: not offered
        text = dimension.label(None) if pd.isna(value) else str(value)
        values.append(text)
        labels[text], counts[text] = str(label), int(count)
    offered = values + [v for v in chosen if v not in counts]
    if dimension.name == "severity":
        offered = order_severities(offered)
    return Options(offered, labels, counts)


def _button(
    dimension: Dimension, kept: list[str], left_out: list[str], opts: Options
) -> dict[str, str | None]:
    """The facet's button: its title with how many values it keeps (=) and leaves out
    (≠), highlighted when set; the values themselves in its tooltip."""

    def named(values: list[str]) -> str:
        return ", ".join(opts.labels.get(v, v) for v in values)

    label, tip = dimension.title, []
    if kept:
        label += f" = {len(kept)}"
        tip.append(f"Keeps only {named(kept)}")
    if left_out:
        label += f" ≠ {len(left_out)}"
        tip.append(f"Leaves out {named(left_out)}")
    return {
        "label": md_escape(label),  # a button label renders markdown
        "help": md_escape("; ".join(tip)) if tip else None,
        "type": "primary" if tip else "secondary",
    }


def _choice(key: str, label: str, opts: Options, chosen: list[str], typed: bool) -> list[str]:
    sync_widget(key, chosen)
    st.multiselect(
        label,
        opts.values,
        key=key,
        format_func=opts.text,
        placeholder="Type an address or a pattern" if typed else "Choose values",
        accept_new_options=typed,
    )
    return list(st.session_state[key] or [])


def _with_kept(flt: AuditFilter, dimension: Dimension, values: list[str]) -> AuditFilter:
    typed = (dimension.typed(v.strip()) for v in values)
    return flt.with_values(**{dimension.field: tuple(v for v in typed if v not in (None, ""))})


def _with_left_out(flt: AuditFilter, dimension: Dimension, values: list[str]) -> AuditFilter:
    others = tuple(e for e in flt.excludes if split_exclusion(e)[0] != dimension.name)
    chosen = tuple(exclusion(dimension.name, v.strip()) for v in values if v.strip())
    return flt.with_values(excludes=others + chosen)


def _facet(flt: AuditFilter, dimension: Dimension, frame: pd.DataFrame) -> AuditFilter:
    kept = dimension.chosen(getattr(flt, dimension.field))
    left_out = excluded_values(flt.excludes, dimension.name)
    opts = _options(frame, dimension, kept + left_out)
    typed = dimension.match is Match.PATTERN
    with st.popover(**_button(dimension, kept, left_out, opts), width="stretch"):
        st.caption(
            "Counted as if this facet were not set, so every value stays on offer. "
            "Events must have one of the values kept and none of those left out."
            + (f" Type an address or a pattern: {md_escape(WILDCARD_RULE)}." if typed else "")
        )
        key = f"{KEY}{dimension.name}"
        keep = _choice(key + ".keep", "Keep only", opts, kept, typed)
        leave = _choice(key + ".leave", "Leave out", opts, left_out, typed)
    if widget_changed(key + ".keep", kept):
        flt = _with_kept(flt, dimension, keep)
    if widget_changed(key + ".leave", left_out):
        flt = _with_left_out(flt, dimension, leave)
    return flt


def facet_row(ctx: PageContext, flt: AuditFilter) -> AuditFilter:
    """One pop-up per facet, side by side, counted under the page's filter; ``flt`` after
    the user's changes."""
    calls = plans.explorer_facet_calls(ctx.filter)
    columns = st.columns(len(EXPLORER_FACETS), gap="small")
    for column, dimension in zip(columns, EXPLORER_FACETS, strict=True):
        frame = data.fetch(calls[dimension.name], ctx.source, ctx.now)
        with column:
            flt = _facet(flt, dimension, frame)
    return flt
