"""*Refresh* gives the session that presses it fresh numbers and leaves every other
session's cached results alone (it used to clear the whole process's cache)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from audit.timerange import RELATIVE_STEP, anchored_now
from audit.tools.demo import write_demo
from audit.ui import urlstate
from tests.support.apptest import page_text
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


def _add_events(url: str) -> None:
    """ADDED more events, as the audited application would write them."""
    writer = sa.create_engine(url)
    with writer.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO audit_logs (action, resource_type, description, created_at) "
                f"SELECT action, resource_type, description, created_at FROM audit_logs LIMIT {ADDED}"
            )
        )
    writer.dispose()


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

    _add_events(url)
    assert _events(mine.run()) == _events(theirs.run()) == f"{ROWS:,}"  # both cached

    assert _events(_refresh(mine)) == f"{ROWS + ADDED:,}"
    assert _events(mine.run()) == f"{ROWS + ADDED:,}"  # and stays fresh
    assert _events(theirs.run()) == f"{ROWS:,}"  # their cached results were kept
    assert _events(_session()) == f"{ROWS:,}"  # a new session shares them too


def _clock(monkeypatch: pytest.MonkeyPatch, hh_mm: str) -> None:
    moment = datetime.fromisoformat(f"2026-11-21T{hh_mm}:30+00:00")
    monkeypatch.setattr(urlstate, "utc_now", lambda: moment)


def test_the_next_minute_reuses_results_until_the_step_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A range that moves with the clock ("all time", up to now) is not recomputed every
    minute: within the step its numbers are reused (and say how old they are); the next
    step brings the new events."""
    url = f"sqlite:///{tmp_path}/audit.sqlite3"
    write_demo(url, rows=ROWS, days=10, seed=5, end=DEMO_END)
    monkeypatch.setenv("AUDIT_DB_URL", url)
    monkeypatch.setenv("AUDIT_AGGREGATE_ENGINE", "source")
    _clock(monkeypatch, "10:01")
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["range"] = "all"
    assert _events(at.run()) == f"{ROWS:,}"
    assert "numbers as of" in page_text(at)

    _add_events(url)
    _clock(monkeypatch, "10:03")
    assert _events(at.run()) == f"{ROWS:,}"  # the same step: reused
    _clock(monkeypatch, "10:06")
    assert _events(at.run()) == f"{ROWS + ADDED:,}"  # the next step: recomputed


def test_a_relative_range_ends_after_now_at_the_end_of_its_step() -> None:
    step = RELATIVE_STEP
    start = datetime(2026, 11, 21, 23, 55, tzinfo=UTC)
    for seconds in range(0, 600, 7):
        moment = start + timedelta(seconds=seconds)
        end = anchored_now(moment, step)
        assert moment < end <= moment + step
        assert anchored_now(end - timedelta(microseconds=1), step) == end
