"""The Explorer's export: the whole filtered result, counted first, written in chunks
to a temporary file with a progress bar, refused (never cut) over the cap, and logged."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime

import streamlit as st

from audit.access import mask_row
from audit.export import FORMATS, ExportRefused, check_export, export_filename, write_export
from audit.export.log import log_export
from audit.ui import data
from audit.ui.safe import md_escape
from audit.ui.view import PageContext

KEY = "export."


def _who() -> str:
    try:
        user = st.user.to_dict()
    except Exception:
        user = {}
    return str(user.get("email") or "unauthenticated (no sign-in configured)")


def _prepare(ctx: PageContext, fmt: str, total: int) -> tuple[bytes, str, int]:
    exported_at = datetime.now(UTC)
    name = export_filename(ctx.filter, ctx.now, fmt, exported_at)
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
        )
        handle.seek(0)
        content = handle.read()
    bar.empty()
    log_export(_who(), ctx.filter, fmt, written, name)
    return content, name, written


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
        try:
            check_export(total, fmt, ctx.settings.export_row_cap)
        except ExportRefused as refused:
            st.error(md_escape(str(refused)), icon=":material/block:")
            return
        wanted = (fmt, tuple(sorted((k, tuple(v)) for k, v in ctx.view_params().items())))
        ready = st.session_state.get(KEY + "ready")
        if ready is None or ready[0] != wanted:
            if not st.button("Prepare file", icon=":material/construction:", type="primary"):
                return
            st.session_state.pop(KEY + "ready", None)  # one prepared file per session
            try:
                ready = (wanted, *_prepare(ctx, fmt, total))
            except ExportRefused as refused:
                st.error(md_escape(str(refused)), icon=":material/block:")
                return
            st.session_state[KEY + "ready"] = ready
        _, content, name, written = ready
        st.caption(f"{written:,} rows written to {md_escape(name)}.")
        st.download_button(
            f"Download {FORMATS[fmt].label}",
            data=content,
            file_name=name,
            mime=FORMATS[fmt].mime_type,
            icon=":material/download:",
            on_click="ignore",
        )
