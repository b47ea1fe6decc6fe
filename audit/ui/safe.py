"""Untrusted text (from the audit table or the URL) in places Streamlit renders as markdown."""

from __future__ import annotations

import re
import string

_PUNCTUATION = frozenset(string.punctuation)
_NO_BREAK = "\u200b"  # zero-width space: invisible, and no autolink runs across it
# What markdown turns into a link on its own (GFM autolink literals): a scheme, "www.",
# an email's "@".
_AUTOLINK_STARTS = re.compile(r"(?i)(://|www\.|@)")


def md_escape(text: str) -> str:
    """Text that markdown shows literally: every ASCII punctuation mark backslash-escaped
    (links, emphasis, HTML, ``:emoji:`` and ``:color[...]`` directives, LaTeX), line breaks
    flattened, and bare URLs, ``www.`` names and emails kept from being autolinked."""
    flat = " ".join(str(text).split())
    unlinked = _AUTOLINK_STARTS.sub(lambda m: m.group(1) + _NO_BREAK, flat)
    return "".join("\\" + ch if ch in _PUNCTUATION else ch for ch in unlinked)


def markdown_code(text: str) -> str:
    """Text for a markdown element (a title) as an inline code span, which markdown shows
    verbatim: no link, emphasis or HTML can come out of it, and no line break either."""
    flat = " ".join(str(text).split())
    fence = "`" * (max((len(run) for run in re.findall("`+", flat)), default=0) + 1)
    return f"{fence} {flat} {fence}"
