"""The Explorer's parts: search, facets, the paged table and the selected row."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from audit import queries
from audit.dimensions import (
    EXPLORER_FACETS,
    TYPED_FILTERS,
    Dimension,
    excluded_values,
    exclusion,
    split_exclusion,
)
from audit.filters import AuditFilter, parse_id
from audit.queries import PAGE_SIZES, Cursor, decode_cursor, encode_cursor
from audit.ui import data
from audit.ui.report import static_table
from audit.ui.safe import md_escape
from audit.ui.urlstate import set_params, sync_widget, widget_changed, write_filter
from audit.ui.view import PageContext

KEY = "explorer."
DEFAULT_PAGE_SIZE = 50
FACET_SIZE = 8
TABLE_COLUMNS = [
    "created_at",
    "outcome_ok",
    "severity",
    "user",
    "action",
    "resource",
    "ip_address",
    "description",
]
JSON_TABLE_COLUMNS = ["details", "metadata", "tags", "old_values", "new_values"]


def apply(flt: AuditFilter, current: AuditFilter) -> None:
    """A filter changed on this page: into the URL, and draw again so the sidebar agrees."""
    if flt != current:
        write_filter(flt)
        st.rerun()


def search_bar(ctx: PageContext) -> None:
    flt = ctx.filter
    key = KEY + "q"
    sync_widget(key, flt.text)
    st.text_input(
        "Search",
        key=key,
        placeholder="Description, error, resource id, IP, user agent, user, details, metadata",
        icon=":material/search:",
    )
    if widget_changed(key, flt.text):
        flt = flt.with_values(text=st.session_state[key].replace("\x00", ""))
    typed = [(d.field, f"{d.title} ({d.hint})" if d.hint else d.title) for d in TYPED_FILTERS]
    with st.expander(
        "More filters", expanded=any(getattr(flt, f) for f, _ in typed) or bool(flt.tags)
    ):
        columns = st.columns(len(typed) + 1)
        for column, (field, label) in zip(columns, typed, strict=False):
            key = KEY + field
            sync_widget(key, getattr(flt, field))
            column.text_input(label, key=key)
            if widget_changed(key, getattr(flt, field)):
                flt = flt.with_values(**{field: st.session_state[key].strip().replace("\x00", "")})
        key, tags = KEY + "tags", ", ".join(flt.tags)
        sync_widget(key, tags)
        columns[-1].text_input("Tags (all of, comma-separated)", key=key)
        if widget_changed(key, tags):
            chosen = tuple(
                dict.fromkeys(t.strip() for t in st.session_state[key].split(",") if t.strip())
            )
            flt = flt.with_values(tags=chosen)
    apply(flt, ctx.filter)


def _with_included(flt: AuditFilter, dimension: Dimension, chosen: list[str]) -> AuditFilter:
    if not dimension.multi:
        return flt.with_values(**{dimension.field: chosen[-1] if chosen else ""})
    typed = (dimension.typed(v) for v in chosen)
    return flt.with_values(**{dimension.field: tuple(v for v in typed if v is not None)})


def _facet(ctx: PageContext, flt: AuditFilter, dimension: Dimension) -> AuditFilter:
    name, title = dimension.name, dimension.title
    top = data.top_values(ctx.source, ctx.filter, ctx.now, name, FACET_SIZE)
    values = [dimension.null_label or "" if pd.isna(v) else str(v) for v in top["value"]]
    label_of = dict(zip(values, top["label"], strict=True))
    counts = dict(zip(values, top["count"], strict=True))
    options = [v for v in values if v]
    included = dimension.chosen(getattr(flt, dimension.field))
    excluded = excluded_values(flt.excludes, name)
    options += [v for v in included + excluded if v not in options]

    def label(value: str) -> str:
        text = md_escape(str(label_of.get(value, value)))  # pills render markdown
        return f"{text} · {counts[value]:,}" if value in counts else text

    key_in, key_out = f"{KEY}only.{name}", f"{KEY}not.{name}"
    sync_widget(key_in, included)
    sync_widget(key_out, excluded)
    state = f" · {len(included)} only" if included else ""
    state += f" · {len(excluded)} not" if excluded else ""
    with st.popover(f"{title}{state}", width="stretch"):
        for key, verb in ((key_in, "Only these"), (key_out, "Not these")):
            st.pills(
                f"{verb} ({title.lower()})",
                options,
                key=key,
                selection_mode="multi",
                format_func=label,
            )
    if widget_changed(key_in, included):
        flt = _with_included(flt, dimension, list(st.session_state[key_in] or []))
    if widget_changed(key_out, excluded):
        others = tuple(e for e in flt.excludes if split_exclusion(e)[0] != name)
        chosen = tuple(exclusion(name, v) for v in st.session_state[key_out] or [])
        flt = flt.with_values(excludes=others + chosen)
    return flt


def facet_panel(ctx: PageContext) -> None:
    """Top values of each dimension with counts, one popover each: the first pills keep
    only the chosen values, the second exclude them."""
    flt = ctx.filter
    columns = st.columns(len(EXPLORER_FACETS))
    for column, dimension in zip(columns, EXPLORER_FACETS, strict=True):
        with column:
            flt = _facet(ctx, flt, dimension)
    apply(flt, ctx.filter)


@dataclass(frozen=True)
class Paging:
    size: int
    newest_first: bool
    after: Cursor | None
    before: Cursor | None


def _param(name: str) -> str | None:
    return st.query_params.get(name)


def paging_from_url() -> Paging:
    size_text = _param("size") or str(DEFAULT_PAGE_SIZE)
    size = int(size_text) if size_text in {str(s) for s in PAGE_SIZES} else DEFAULT_PAGE_SIZE
    if size_text != str(size):
        sizes = ", ".join(map(str, PAGE_SIZES))
        st.warning(
            md_escape(f"Page size {size_text[:20]!r} is not one of {sizes}; showing {size}.")
        )
    cursors = {}
    for name in ("after", "before"):
        text = _param(name)
        cursors[name] = decode_cursor(text) if text else None
        if text and cursors[name] is None:
            notice = f"Ignored {name}={text[:40]!r}: not a page position; showing the first page."
            st.warning(md_escape(notice))
    return Paging(size, _param("order") != "oldest", cursors["after"], cursors["before"])


def _display_frame(rows: pd.DataFrame, show_json: bool) -> pd.DataFrame:
    shown = rows.assign(
        outcome_ok=rows["success"].astype("boolean"),
        resource=[
            t if pd.isna(i) else f"{t} {i}"
            for t, i in zip(rows["resource_type"], rows["resource_id"], strict=True)
        ],
        severity=rows["severity"].fillna("unset"),
    )
    columns = TABLE_COLUMNS + (JSON_TABLE_COLUMNS if show_json else [])
    return shown[["id", *columns]].set_index("id")


def _column_config(tz: str) -> dict:
    cc = st.column_config
    return {
        "created_at": cc.DatetimeColumn(f"Time ({tz})", format="YYYY-MM-DD HH:mm:ss", timezone=tz),
        "outcome_ok": cc.CheckboxColumn(
            "OK", help="Ticked: success; empty box: failure; blank: unknown", width="small"
        ),
        "severity": cc.TextColumn("Severity", width="small"),
        "user": cc.TextColumn("User"),
        "action": cc.TextColumn("Action"),
        "resource": cc.TextColumn("Resource"),
        "ip_address": cc.TextColumn("IP"),
        "description": cc.TextColumn("Description", width="large"),
        **{name: cc.JsonColumn(name.replace("_", " ").capitalize()) for name in JSON_TABLE_COLUMNS},
    }


def _position(ctx: PageContext, page: queries.Page, newest_first: bool) -> int:
    if page.first is None:
        return 0
    return data.rows_before(ctx.source, ctx.filter, ctx.now, page.first, newest_first) + 1


def _pager(first_row: int, shown: int, total: int, page: queries.Page, paging: Paging) -> None:
    newer, caption, older = st.columns([1, 3, 1], vertical_alignment="center")
    last_row = first_row + shown - 1 if shown else 0
    caption.caption(
        f"Rows {first_row:,} to {last_row:,} of {total:,}" if shown else f"No rows of {total:,}"
    )
    back, forward = ("Newer", "Older") if paging.newest_first else ("Earlier", "Later")
    if newer.button(back, icon=":material/chevron_left:", disabled=first_row <= 1, width="stretch"):
        set_params(before=encode_cursor(page.first), after=None, selected=None)  # type: ignore[arg-type]
        st.rerun()
    if older.button(
        forward,
        icon=":material/chevron_right:",
        icon_position="right",
        disabled=last_row >= total,
        width="stretch",
    ):
        set_params(after=encode_cursor(page.last), before=None, selected=None)  # type: ignore[arg-type]
        st.rerun()


def _table_options(paging: Paging) -> bool:
    size_col, order_col, json_col = st.columns(3, vertical_alignment="bottom")
    size = size_col.selectbox("Rows per page", PAGE_SIZES, index=PAGE_SIZES.index(paging.size))
    order = order_col.segmented_control(
        "Order",
        ["newest", "oldest"],
        default="newest" if paging.newest_first else "oldest",
        required=True,
    )
    if size != paging.size or (order == "newest") != paging.newest_first:
        set_params(
            size=None if size == DEFAULT_PAGE_SIZE else str(size),
            order=None if order == "newest" else "oldest",
            after=None,
            before=None,
        )
        st.rerun()
    return json_col.toggle("JSON columns", key=KEY + "json")


def results(ctx: PageContext) -> int | None:
    """The paged table; returns the id of the selected event (from the URL or a click)."""
    paging = paging_from_url()
    show_json = False if ctx.report else _table_options(paging)
    total = data.count_events(ctx.source, ctx.filter, ctx.now)
    page = data.page_rows(
        ctx.source,
        ctx.filter,
        ctx.now,
        paging.size,
        paging.after,
        paging.before,
        paging.newest_first,
    )
    first_row = _position(ctx, page, paging.newest_first)
    if ctx.report:
        _report_table(ctx, page.rows, first_row, total)
        return _selected_id(None, page.rows)
    _pager(first_row, len(page.rows), total, page, paging)
    if page.rows.empty:
        st.info("No events match these filters.", icon=":material/search_off:")
        return None
    table_key = f"{KEY}table.{encode_cursor(page.first)}.{paging.size}"  # type: ignore[arg-type]
    event = st.dataframe(
        _display_frame(page.rows, show_json),
        column_config=_column_config(ctx.filter.tz),
        on_select="rerun",
        selection_mode="single-row",
        key=table_key,
        width="stretch",
        height=min(38 + 35 * len(page.rows), 640),
    )
    return _selected_id(event, page.rows)


def _report_table(ctx: PageContext, rows: pd.DataFrame, first_row: int, total: int) -> None:
    if rows.empty:
        st.info("No events match these filters.", icon=":material/search_off:")
        return
    shown = _display_frame(rows, show_json=False).reset_index()
    shown["created_at"] = shown["created_at"].dt.strftime("%Y-%m-%d %H:%M:%S")
    shown["outcome_ok"] = rows["outcome"].to_numpy()
    shown = shown.rename(columns={"created_at": f"time ({ctx.filter.tz})", "outcome_ok": "outcome"})
    last_row = first_row + len(rows) - 1
    st.caption(f"Rows {first_row:,} to {last_row:,} of {total:,}")
    static_table(shown, total)


def _selected_id(event, rows: pd.DataFrame) -> int | None:
    picked = event.selection.rows if event is not None else []
    url_value = _param("selected")
    if picked:
        chosen = int(rows.iloc[picked[0]]["id"])
        if url_value != str(chosen):
            set_params(selected=str(chosen))
        return chosen
    return parse_id(url_value)
