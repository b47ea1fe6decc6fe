"""Running the app's pages in Streamlit's AppTest, and reading what they drew."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGES = [
    "pages/overview.py",
    "pages/explorer.py",
    "pages/security.py",
    "pages/event.py",
    "pages/ip.py",
    "pages/user.py",
]


def run_page(
    page: str,
    env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    *,
    timeout: float = 60,
    **params: str | list[str],
) -> AppTest:
    """Runs ``page`` (one of :data:`PAGES`) with ``env`` set and ``params`` in the URL (a
    list: the key repeated), waiting up to ``timeout`` seconds for each run."""
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    at = AppTest.from_file(APP, default_timeout=timeout)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page != PAGES[0]:
        at.switch_page(page).run()
    return at


def page_text(at: AppTest) -> str:
    """Every text element the page drew, one per line."""
    parts = (
        [e.value for e in at.markdown] + [e.value for e in at.title] + [e.value for e in at.header]
    )
    parts += (
        [e.value for e in at.caption] + [e.value for e in at.error] + [e.value for e in at.info]
    )
    parts += [e.value for e in at.warning] + [e.value for e in at.text]
    return "\n".join(str(p) for p in parts)
