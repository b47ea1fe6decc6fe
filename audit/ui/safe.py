"""Untrusted text (from the audit table or the URL) in places Streamlit renders as markdown."""

from __future__ import annotations

import string

_PUNCTUATION = frozenset(string.punctuation)


def md_escape(text: str) -> str:
    """Text that markdown shows literally: every ASCII punctuation mark backslash-escaped
    (links, emphasis, HTML, ``:emoji:`` and ``:color[...]`` directives, LaTeX), and line
    breaks flattened."""
    flat = " ".join(str(text).split())
    return "".join("\\" + ch if ch in _PUNCTUATION else ch for ch in flat)
