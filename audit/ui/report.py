"""Report mode (``?report=1``): a header that says what the page shows, a fixed width, and
no controls, for scheduled screenshots."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from audit.access import mask_filter
from audit.filters import describe_filter
from audit.timerange import utc_now
from audit.ui import data
from audit.ui.safe import md_escape

if TYPE_CHECKING:
    from streamlit.delta_generator import DeltaGenerator

    from audit.ui.view import PageContext

APP_TITLE = "Audit log analytics"
REPORT_WIDTH_PX = 1200
# Our own constant CSS (no data in it): fixed width, no app header or toolbar.
REPORT_CSS = f"""<style>
[data-testid="stMainBlockContainer"] {{ max-width: {REPORT_WIDTH_PX}px; padding-top: 1.5rem;
  padding-bottom: 1.5rem; }}
[data-testid="stHeader"], [data-testid="stToolbar"] {{ display: none; }}
</style>"""


def _filters_in_words(ctx: PageContext) -> str:
    # A viewer's report names no address and no person.
    return describe_filter(mask_filter(ctx.filter) if ctx.role.masked else ctx.filter)


def report_header(ctx: PageContext, page_title: str, box: DeltaGenerator) -> None:
    zone = ZoneInfo(ctx.filter.tz)
    # An unpinned range ends a few minutes ahead (see timerange.anchored_now): the numbers
    # are as of the moment the oldest of them was computed.
    moment = ctx.now if ctx.now_pinned else (data.oldest_result() or utc_now())
    generated = moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
    with box:
        st.html(REPORT_CSS)
        st.subheader(f"{APP_TITLE} · {page_title}")
        facts = {
            "Range": ctx.window_text,
            "Filters": _filters_in_words(ctx),
            "As of" if ctx.now_pinned else "Numbers as of": generated,
        }
        # One line: a report is read at a glance, its facts need no rows of their own.
        st.caption(" · ".join(f"**{label}:** {md_escape(value)}" for label, value in facts.items()))
        st.divider()


_TABLE_CSS = (
    "<style>.audit-static{border-collapse:collapse;width:100%;font-size:0.85rem}"
    ".audit-static th,.audit-static td{border:1px solid #e2e8f0;padding:4px 8px;"
    "text-align:left;vertical-align:top;white-space:pre-wrap;word-break:normal;overflow-wrap:break-word}"
    ".audit-static th{background:#f1f5f9;font-weight:600}</style>"
)


def _cell(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[arg-type]
        return ""
    return html.escape(str(value))


@dataclass(frozen=True)
class MoreLink:
    """Where the rest of a capped report list is: our own words and a relative URL built
    with ``urlencode`` (no data reaches the link's markdown unescaped)."""

    text: str
    url: str


def more_caption(shown: int, total: int | None, noun: str, link: MoreLink | None = None) -> None:
    """Under a capped report list: how many more there are, and where to see them all."""
    if total is None or total <= shown:
        return
    text = f"… and {total - shown:,} more {md_escape(noun)}"
    if link is not None:
        text += f": [{md_escape(link.text)}]({link.url})"
    st.caption(text)


def static_table(
    frame: pd.DataFrame,
    total: int | None = None,
    noun: str = "rows",
    link: MoreLink | None = None,
) -> None:
    """A table drawn as plain HTML, not the scrolling canvas, so a screenshot shows every
    row, then how many of ``total`` are left out. Every cell is HTML-escaped: table text
    is shown as text, never as markup."""
    head = "".join(f"<th>{_cell(c)}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False, name=None)
    )
    table = f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody>"
    st.html(f'{_TABLE_CSS}<table class="audit-static">{table}</table>')
    more_caption(len(frame), total, noun, link)
