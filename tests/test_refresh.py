"""*Refresh* gives the session that presses it fresh numbers and leaves every other
session's cached results alone (it used to clear the whole process's cache)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from audit.tools.demo import write_demo
from tests.support.databases import DEMO_END

APP = str(Path(__file__).resolve().parent.parent / "app.py")
ROWS, ADDED = 400, 7
# A fixed moment, so every run of both sessions uses the same cache keys.
PARAMS = {"range": "all", "now": "2026-11-20T12:00:00+00:00"}


def _session() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in PARAMS.items():
        at.query_params[key] = value
    return at.run()


def _events(at: AppTest) -> str:
    assert not at.exception, [e.value for e in at.exception]
    return next(m for m in at.metric if m.label == "Events").value


def _refresh(at: AppTest) -> AppTest:
    return next(b for b in at.sidebar.button if b.label == "Refresh").click().run()


def test_refresh_is_fresh_for_this_session_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path}/audit.sqlite3"
    write_demo(url, rows=ROWS, days=10, seed=5, end=DEMO_END)
    monkeypatch.setenv("AUDIT_DB_URL", url)
    monkeypatch.setenv("AUDIT_AGGREGATE_ENGINE", "source")
    mine, theirs = _session(), _session()
    assert _events(mine) == _events(theirs) == f"{ROWS:,}"

    writer = sa.create_engine(url)
    with writer.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO audit_logs (action, resource_type, description, created_at) "
                f"SELECT action, resource_type, description, created_at FROM audit_logs LIMIT {ADDED}"
            )
        )
    writer.dispose()
    assert _events(mine.run()) == _events(theirs.run()) == f"{ROWS:,}"  # both cached

    assert _events(_refresh(mine)) == f"{ROWS + ADDED:,}"
    assert _events(mine.run()) == f"{ROWS + ADDED:,}"  # and stays fresh
    assert _events(theirs.run()) == f"{ROWS:,}"  # their cached results were kept
    assert _events(_session()) == f"{ROWS:,}"  # a new session shares them too
