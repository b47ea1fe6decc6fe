"""The Explorer's export: the whole filtered result, counted first, written in chunks
to a temporary file with a progress bar, refused (never cut) over the caps, and logged.

A prepared file is held whole in the server's memory (a download button holds its bytes),
so the browser has a row cap of its own (``browser_export_row_cap``; larger exports are
refused with the command line to run instead), and the file is kept nowhere but in the
download button of the run that prepared it: not in session state. Downloading reruns the
page without the button, and Streamlit then releases the bytes; so does any other rerun.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from audit.access import mask_row
from audit.export import (
    FORMATS,
    ExportRefused,
    TooLargeForBrowser,
    check_browser_export,
    check_export,
    command_line_export,
    export_filename,
    write_export,
)
from audit.export.log import log_export
from audit.ui import data
from audit.ui.safe import md_escape
from audit.ui.view import PageContext

KEY = "export."
DOWNLOADED = KEY + "downloaded"  # the name of the file just downloaded, for one message

CheckTotal = Callable[[int], None]


@dataclass(frozen=True)
class PreparedExport:
    content: bytes
    name: str
    rows: int


def _who() -> str:
    try:
        user = st.user.to_dict()
    except Exception:
        user = {}
    return str(user.get("email") or "unauthenticated (no sign-in configured)")


def _browser_limits(ctx: PageContext, fmt: str) -> CheckTotal:
    """What refuses a row count in the browser: the export cap, Excel's sheet and the
    browser's own cap, which points to the command line."""
    command = command_line_export(ctx.filter, ctx.now, fmt)

    def check(total: int) -> None:
        check_export(total, fmt, ctx.settings.export_row_cap)
        check_browser_export(total, ctx.settings.browser_export_row_cap, command)

    return check


def _show_refusal(refused: ExportRefused) -> None:
    if isinstance(refused, TooLargeForBrowser):
        st.error(md_escape(refused.reason), icon=":material/block:")
        st.code(refused.command, language="bash", wrap_lines=True)
    else:
        st.error(md_escape(str(refused)), icon=":material/block:")


def _prepare(ctx: PageContext, fmt: str, total: int, check: CheckTotal) -> PreparedExport:
    name = export_filename(ctx.filter, ctx.now, fmt, masked=ctx.role.masked)
    bar = st.progress(0.0, text=f"Writing {total:,} rows…")

    def progress(done: int, count: int) -> None:
        bar.progress(
            min(done / count, 1.0) if count else 1.0, text=f"Writing rows: {done:,} of {count:,}"
        )

    # An anonymous file (unlinked from the start): no copy of the rows is left on disk, even
    # when the session ends or the process dies.
    with tempfile.TemporaryFile(prefix="audit-export-") as handle:
        written = write_export(
            ctx.source,
            ctx.filter,
            ctx.now,
            fmt,
            handle,
            cap=ctx.settings.export_row_cap,
            progress=progress,
            transform=mask_row if ctx.role.masked else None,
            check_total=check,
        )
        handle.seek(0)
        content = handle.read()
    bar.empty()
    log_export(_who(), ctx.filter, fmt, written, name)
    return PreparedExport(content, name, written)


def _note_download(name: str) -> None:
    st.session_state[DOWNLOADED] = name


def _offer(prepared: PreparedExport, fmt: str) -> None:
    """The download button, drawn in this run only: the next run (the one a download
    starts) draws none, and Streamlit then releases the file's bytes."""
    st.caption(
        f"{prepared.rows:,} rows written to {md_escape(prepared.name)}. The server holds the "
        "file until you download it or do anything else on the page."
    )
    st.download_button(
        f"Download {FORMATS[fmt].label}",
        data=prepared.content,
        file_name=prepared.name,
        mime=FORMATS[fmt].mime_type,
        icon=":material/download:",
        on_click=_note_download,
        args=(prepared.name,),
    )


def _show_last_download() -> None:
    name = st.session_state.pop(DOWNLOADED, None)
    if name:
        st.caption(f"Downloaded {md_escape(name)}; the server releases its copy.")


def export_panel(ctx: PageContext) -> None:
    """Choose a format, see the row count, prepare the file, download it."""
    with st.popover("Export", icon=":material/download:"):
        fmt = st.radio(
            "Format",
            list(FORMATS),
            format_func=lambda f: FORMATS[f].label,
            horizontal=True,
            key=KEY + "fmt",
        )
        total = data.count_events(ctx.source, ctx.filter, ctx.now)
        st.caption(
            f"All {total:,} matching rows, not only this page; times in {md_escape(ctx.filter.tz)}."
        )
        check = _browser_limits(ctx, fmt)
        try:
            check(total)
        except ExportRefused as refused:
            _show_refusal(refused)
            return
        _show_last_download()
        if not st.button("Prepare file", icon=":material/construction:", type="primary"):
            return
        try:
            prepared = _prepare(ctx, fmt, total, check)
        except ExportRefused as refused:
            _show_refusal(refused)
            return
        _offer(prepared, fmt)
