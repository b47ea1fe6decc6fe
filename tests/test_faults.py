"""Faults while a page is drawn: a statement timeout gives a message and a usable page.
(PostgreSQL's own statement timeout is proven with pg_sleep in test_db.py.)"""

from __future__ import annotations

from pathlib import Path

from audit.tools.demo import write_demo
from tests.support.apptest import page_text, run_page
from tests.support.databases import DEMO_END


def test_a_timed_out_query_says_so(tmp_path: Path, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path}/slow.sqlite3"
    write_demo(url, rows=20_000, days=30, seed=3, end=DEMO_END)
    # A 1 ms deadline passes the start-up check's tiny queries but not a GROUP BY.
    env = {"AUDIT_DB_URL": url, "AUDIT_STATEMENT_TIMEOUT_SECONDS": "0.001"}
    at = run_page("pages/overview.py", env, monkeypatch, range="all")
    assert not at.exception
    assert "statement timeout" in page_text(at)
    assert any(b.label == "Try again" for b in at.button)
    monkeypatch.setenv("AUDIT_STATEMENT_TIMEOUT_SECONDS", "30")
    import streamlit as st

    st.cache_resource.clear()
    at = run_page(
        "pages/overview.py",
        env | {"AUDIT_STATEMENT_TIMEOUT_SECONDS": "30"},
        monkeypatch,
        range="all",
    )
    assert not at.exception and "statement timeout" not in page_text(at)
    assert any(m.label == "Events" for m in at.metric)
