"""The Explorer's rows: a page at a time by keyset, the columns the analyst chose, the exact
position, and the selected event beside the table. Every choice lives in the URL."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import streamlit as st

from audit import queries
from audit.filters import parse_id
from audit.queries import PAGE_SIZES, Cursor, decode_cursor, encode_cursor
from audit.security.links import page_url
from audit.ui import data
from audit.ui.columns import (
    BY_NAME,
    COLUMNS,
    COLUMNS_PARAM,
    column_config,
    columns_param,
    parse_columns,
    table_frame,
)
from audit.ui.event import event_panel
from audit.ui.exporting import export_panel
from audit.ui.related import related_section
from audit.ui.report import MoreLink, static_table
from audit.ui.safe import md_escape
from audit.ui.urlstate import set_params, sync_widget, widget_changed
from audit.ui.view import PageContext

KEY = "explorer."
DEFAULT_PAGE_SIZE = 50
ROW_HEIGHT = 35
WRAPPED_ROW_HEIGHT = 68  # over 64 px the table wraps long text (three lines)
HEADER_HEIGHT = 38
MAX_TABLE_HEIGHT = 640
TABLE_SHARE = (3, 2)  # table and selected event, side by side
# Our own constant CSS (no data in it): this page is a wide table, so it takes the side
# margins of Streamlit's wide layout (5rem each) for its columns.
ROOMY_CSS = (
    '<style>[data-testid="stMainBlockContainer"]{padding-left:2rem;padding-right:2rem}</style>'
)


@dataclass(frozen=True)
class View:
    """The table's own state, from the URL."""

    size: int
    newest_first: bool
    after: Cursor | None
    before: Cursor | None
    columns: tuple[str, ...]
    wrap: bool


def _param(name: str) -> str | None:
    return st.query_params.get(name)


def _size() -> int:
    text = _param("size") or str(DEFAULT_PAGE_SIZE)
    if text in {str(s) for s in PAGE_SIZES}:
        return int(text)
    sizes = ", ".join(map(str, PAGE_SIZES))
    notice = f"Page size {text[:20]!r} is not one of {sizes}; showing {DEFAULT_PAGE_SIZE}."
    st.warning(md_escape(notice))
    return DEFAULT_PAGE_SIZE


def _cursor(name: str) -> Cursor | None:
    text = _param(name)
    cursor = decode_cursor(text) if text else None
    if text and cursor is None:
        notice = f"Ignored {name}={text[:40]!r}: not a page position; showing the first page."
        st.warning(md_escape(notice))
    return cursor


def view_from_url() -> View:
    chosen, unknown = parse_columns(_param(COLUMNS_PARAM))
    if unknown:
        names = ", ".join(repr(n[:30]) for n in unknown[:5])
        st.warning(md_escape(f"Ignored unknown columns {names} in the URL."))
    return View(
        size=_size(),
        newest_first=_param("order") != "oldest",
        after=_cursor("after"),
        before=_cursor("before"),
        columns=chosen,
        wrap=_param("wrap") == "1",
    )


# ---------------------------------------------------------------------------------------
# The toolbar above the table: page size, order, columns, wrapping, export


def _restart(**changes: str | None) -> None:
    """A new page size or order: back to the first page."""
    set_params(**changes, after=None, before=None)
    st.rerun()


def _column_chooser(view: View) -> None:
    key = KEY + "columns"
    sync_widget(key, list(view.columns))
    shown = f"Columns · {len(view.columns)} of {len(COLUMNS)}"
    with st.popover(shown, icon=":material/view_column:", width="stretch"):
        st.caption("The id is always shown. The choice is kept in the link.")
        st.pills(
            "Columns",
            [c.name for c in COLUMNS],
            selection_mode="multi",
            format_func=lambda name: BY_NAME[name].title,
            key=key,
            label_visibility="collapsed",
        )
    picked = st.session_state[key] or []
    chosen = tuple(c.name for c in COLUMNS if c.name in picked)
    if chosen and widget_changed(key, list(view.columns)):
        set_params(**{COLUMNS_PARAM: columns_param(chosen)})
        st.rerun()


def toolbar(ctx: PageContext, view: View) -> None:
    size, order, columns, wrap, export = st.columns(
        [1.1, 1.5, 1.3, 1, 1], vertical_alignment="bottom"
    )
    chosen_size = size.selectbox("Rows per page", PAGE_SIZES, index=PAGE_SIZES.index(view.size))
    if chosen_size != view.size:
        _restart(size=None if chosen_size == DEFAULT_PAGE_SIZE else str(chosen_size))
    labels = {"newest": "Newest first", "oldest": "Oldest first"}
    chosen_order = order.segmented_control(
        "Order",
        list(labels),
        format_func=labels.__getitem__,
        default="newest" if view.newest_first else "oldest",
        required=True,
    )
    if (chosen_order == "newest") != view.newest_first:
        _restart(order=None if chosen_order == "newest" else "oldest")
    with columns:
        _column_chooser(view)
    wrapped = wrap.toggle("Wrap text", value=view.wrap, help="Show long text on three lines")
    if wrapped != view.wrap:
        set_params(wrap="1" if wrapped else None)
        st.rerun()
    with export:
        export_panel(ctx)


# ---------------------------------------------------------------------------------------
# The table, its position and the pager


@dataclass(frozen=True)
class Rows:
    """A page of matching rows and where it stands among them."""

    page: queries.Page
    first: int  # the position of its first row (from 1), 0 when it has none
    total: int

    @property
    def shown(self) -> int:
        return len(self.page.rows)

    @property
    def text(self) -> str:
        if not self.shown:
            return f"No rows of {self.total:,}"
        return f"Rows {self.first:,} to {self.first + self.shown - 1:,} of {self.total:,}"

    def report_text(self, newest_first: bool) -> str:
        """Which events a report shows: "The newest 50 of 4,029 events"."""
        order = "newest" if newest_first else "earliest"
        if not self.shown:
            return f"No events of {self.total:,}"
        if self.first == 1:
            return f"The {order} {self.shown:,} of {self.total:,} events"
        last = self.first + self.shown - 1
        return f"Events {self.first:,} to {last:,} of {self.total:,}, {order} first"


def _rows(ctx: PageContext, view: View) -> Rows:
    flt, now = ctx.filter, ctx.now
    total = data.count_events(ctx.source, flt, now)
    page = data.page_rows(
        ctx.source, flt, now, view.size, view.after, view.before, view.newest_first
    )
    if page.first is None:
        return Rows(page, 0, total)
    before = data.rows_before(ctx.source, flt, now, page.first, view.newest_first)
    return Rows(page, before + 1, total)


def _pager(rows: Rows, view: View) -> None:
    newer, _, older = st.columns([1, 2, 1], vertical_alignment="center")
    last_row = rows.first + rows.shown - 1 if rows.shown else 0
    back, forward = ("Newer", "Older") if view.newest_first else ("Earlier", "Later")
    first_page = rows.first <= 1
    if newer.button(back, icon=":material/chevron_left:", disabled=first_page, width="stretch"):
        set_params(before=encode_cursor(rows.page.first), after=None, selected=None)  # type: ignore[arg-type]
        st.rerun()
    if older.button(
        forward,
        icon=":material/chevron_right:",
        icon_position="right",
        disabled=last_row >= rows.total,
        width="stretch",
    ):
        set_params(after=encode_cursor(rows.page.last), before=None, selected=None)  # type: ignore[arg-type]
        st.rerun()


def _picked(key: str, ids: list[int]) -> None:
    """A click in the table's selection column: the event it selects goes to the URL (or
    leaves it, when the row is unticked)."""
    picked = st.session_state[key]["selection"]["rows"]
    set_params(selected=str(ids[picked[0]]) if picked else None)


def _tick(key: str, rows: list[int]) -> None:
    """The table's ticked row follows the URL (a link, Close, the back button)."""
    state = st.session_state.get(key)
    if state is None or list(state["selection"]["rows"]) != rows:
        st.session_state[key] = {"selection": {"rows": rows, "columns": [], "cells": []}}


def _table(ctx: PageContext, page: queries.Page, view: View, selected: int | None) -> None:
    ids = [int(i) for i in page.rows["id"]]
    key = f"{KEY}table.{encode_cursor(page.first)}.{view.size}"  # type: ignore[arg-type]
    row_height = WRAPPED_ROW_HEIGHT if view.wrap else ROW_HEIGHT
    _tick(key, [ids.index(selected)] if selected in ids else [])
    st.dataframe(
        table_frame(page.rows, view.columns),
        column_config=column_config(view.columns, ctx.filter.tz),
        hide_index=True,
        on_select=partial(_picked, key, ids),
        selection_mode="single-row",
        key=key,
        width="stretch",
        row_height=row_height,
        height=min(HEADER_HEIGHT + row_height * len(ids), MAX_TABLE_HEIGHT),
    )


def _table_block(ctx: PageContext, rows: Rows, view: View, selected: int | None) -> None:
    st.caption(rows.text)
    if rows.shown:
        _table(ctx, rows.page, view, selected)
    else:
        st.info("No events match these filters.", icon=":material/search_off:")
    _pager(rows, view)


# ---------------------------------------------------------------------------------------
# The whole section


def _report(ctx: PageContext, rows: Rows, view: View) -> None:
    """A static table (a screenshot shows every row), the default columns, saying which
    events it shows and, under it, how many more and where."""
    if not rows.shown:
        st.info("No events match these filters.", icon=":material/search_off:")
        return
    page = rows.page.rows
    shown = table_frame(page, parse_columns(None)[0])
    shown["time"] = page["created_at"].dt.strftime("%Y-%m-%d %H:%M:%S")
    shown["outcome"] = page["outcome"].to_numpy()
    shown["severity"] = [v[0] for v in shown["severity"]]
    shown = shown.rename(columns={"time": f"time ({ctx.filter.tz})"})
    st.caption(rows.report_text(view.newest_first))
    link = MoreLink("see them all in the Explorer", page_url("explorer", ctx.view_params()))
    static_table(shown, rows.total if rows.first == 1 else None, "events", link)


def results(ctx: PageContext) -> None:
    """The toolbar, the page of rows and, when one is selected, the event beside them with
    its related events under both. Beside, not under the table: the table stays where it
    is, so the next row is where it was, and the event is level with the row clicked."""
    view = view_from_url()
    if not ctx.report:
        st.html(ROOMY_CSS)
        toolbar(ctx, view)
    rows = _rows(ctx, view)
    selected = parse_id(_param("selected"))
    if ctx.report:
        _report(ctx, rows, view)
        if selected is not None:
            st.divider()
            event = event_panel(ctx, selected, beside_table=False)
            if event is not None:
                related_section(ctx, event)
        return
    if selected is None:
        _table_block(ctx, rows, view, None)
        return
    table_side, event_side = st.columns(TABLE_SHARE, gap="medium")
    with table_side:
        _table_block(ctx, rows, view, selected)
    with event_side:
        event = event_panel(ctx, selected, beside_table=True)
    if event is not None:
        related_section(ctx, event)
