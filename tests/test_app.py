"""AppTest smoke tests: every page renders over real databases, and every database problem
gives a clear page instead of a traceback."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
import streamlit as st

from audit.schema import metadata
from tests.support.apptest import PAGES, page_text, run_page
from tests.support.databases import DemoDatabase

# A fixed window inside the demo data, so numbers do not depend on today's date.
WINDOW = {"from": "2026-11-10T00:00:00+00:00", "to": "2026-11-17T00:00:00+00:00", "tz": "UTC"}


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_exception(
    demo: DemoDatabase, page: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_page(page, {"AUDIT_DB_URL": demo.url}, monkeypatch, **WINDOW)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title, "the page drew no title"


def test_overview_events_metric_equals_sql(
    demo: DemoDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_page(PAGES[0], {"AUDIT_DB_URL": demo.url}, monkeypatch, **WINDOW)
    expected = demo.scalar(
        "SELECT count(*) FROM audit_logs WHERE created_at >= :s AND created_at < :e",
        s=datetime(2026, 11, 10),
        e=datetime(2026, 11, 17),
    )
    events = next(m for m in at.metric if m.label == "Events")
    assert events.value == f"{expected:,}"
    assert expected > 0


def test_bad_url_parameters_give_notices_not_errors(
    demo: DemoDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_page(
        PAGES[0], {"AUDIT_DB_URL": demo.url}, monkeypatch, range="forever", tz="Nowhere/City"
    )
    assert not at.exception
    notices = " ".join(w.value for w in at.warning).replace("\\", "")  # markdown-escaped
    assert "forever" in notices and "Nowhere/City" in notices


def test_unreachable_database_page(monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page(
        PAGES[0], {"AUDIT_DB_URL": "postgresql+psycopg://x@127.0.0.1:1/none"}, monkeypatch
    )
    assert not at.exception
    assert "Database unavailable" in page_text(at)
    assert "cannot be reached" in page_text(at)


def test_missing_table_and_empty_table_pages(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    writer = sa.create_engine(db_url)
    with writer.begin() as conn:
        conn.execute(sa.text("CREATE TABLE unrelated (id INTEGER)"))
    at = run_page(PAGES[0], {"AUDIT_DB_URL": db_url}, monkeypatch)
    assert not at.exception and "No audit_logs table" in page_text(at)
    metadata.create_all(writer)
    writer.dispose()
    st.cache_resource.clear()
    at = run_page(PAGES[1], {"AUDIT_DB_URL": db_url}, monkeypatch)
    assert not at.exception and "No audit events yet" in page_text(at)


def test_invalid_setting_is_named_on_the_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_page(
        PAGES[0],
        {"AUDIT_DB_URL": f"sqlite:///{tmp_path}/x.sqlite3", "AUDIT_CACHE_TTL_SECONDS": "never"},
        monkeypatch,
    )
    assert not at.exception
    assert "cache_ttl_seconds" in page_text(at)
