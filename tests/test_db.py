"""The dashboard's engine cannot write, times out slow queries, and the start-up check
names what is wrong with a database."""

from __future__ import annotations

import os
import time
import uuid
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from audit.db import (
    Health,
    check_database,
    create_readonly_engine,
    hide_secrets,
    is_timeout_error,
)
from audit.schema import audit_logs, metadata
from tests.support.databases import fresh_database

ROW = {
    "action": "login",
    "resource_type": "user",
    "description": "User login successful",
    "created_at": datetime(2026, 11, 1, 9, 0),
}


def _make_tables(url: str, with_row: bool = True) -> None:
    writer = sa.create_engine(url)
    metadata.create_all(writer)
    if with_row:
        with writer.begin() as conn:
            conn.execute(audit_logs.insert(), ROW)
    writer.dispose()


WRITES = [
    "INSERT INTO audit_logs (action, resource_type, description) VALUES ('x', 'y', 'z')",
    "UPDATE audit_logs SET action = 'tampered'",
    "DELETE FROM audit_logs",
]


@pytest.mark.parametrize("statement", WRITES)
def test_writes_through_the_dashboard_engine_fail(db_url: str, statement: str) -> None:
    _make_tables(db_url)
    engine = create_readonly_engine(db_url)
    with pytest.raises(sa.exc.DBAPIError) as caught, engine.begin() as conn:
        conn.execute(sa.text(statement))
    assert "read-only" in str(caught.value).lower() or "readonly" in str(caught.value).lower()
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*), min(action) FROM audit_logs")).one() == (
            1,
            "login",
        )
    engine.dispose()


def test_a_session_cannot_switch_itself_back_to_read_write(db_url: str) -> None:
    _make_tables(db_url)
    engine = create_readonly_engine(db_url)
    escape = (
        "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE"
        if engine.dialect.name == "postgresql"
        else "PRAGMA query_only = 0"
    )
    with engine.begin() as conn:
        conn.execute(sa.text(escape))
    with pytest.raises(sa.exc.DBAPIError), engine.begin() as conn:
        conn.execute(sa.text(WRITES[2]))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM audit_logs")).scalar() == 1
    engine.dispose()


def test_health_check_reports_each_problem(db_url: str) -> None:
    engine = create_readonly_engine(db_url) if db_url.startswith("postgresql") else None
    if engine is not None:
        assert check_database(engine).status is Health.NO_TABLE
        engine.dispose()
    writer = sa.create_engine(db_url)
    with writer.begin() as conn:
        conn.execute(sa.text("CREATE TABLE audit_logs (id INTEGER PRIMARY KEY, action VARCHAR)"))
    engine = create_readonly_engine(db_url)
    report = check_database(engine)
    assert report.status is Health.MISSING_COLUMNS
    assert "resource_type" in report.message and "created_at" in report.message
    engine.dispose()
    with writer.begin() as conn:
        conn.execute(sa.text("DROP TABLE audit_logs"))
    writer.dispose()
    _make_tables(db_url, with_row=False)
    engine = create_readonly_engine(db_url)
    report = check_database(engine)
    assert report.status is Health.EMPTY and report.source is not None
    assert report.source.has_users
    engine.dispose()
    _make_tables(db_url)
    engine = create_readonly_engine(db_url)
    assert check_database(engine).ok
    engine.dispose()


def test_works_without_a_users_table(db_url: str) -> None:
    _make_tables(db_url)
    writer = sa.create_engine(db_url)
    with writer.begin() as conn:
        if writer.dialect.name == "postgresql":
            conn.execute(sa.text("ALTER TABLE audit_logs DROP CONSTRAINT audit_logs_user_id_fkey"))
        conn.execute(sa.text("DROP TABLE users"))
    writer.dispose()
    engine = create_readonly_engine(db_url)
    report = check_database(engine)
    assert report.ok and report.source is not None and not report.source.has_users
    engine.dispose()


def test_unreachable_database_gives_a_clear_message(tmp_path) -> None:
    for url in (
        "postgresql+psycopg://nobody@127.0.0.1:1/none",
        f"sqlite:///{tmp_path}/missing.sqlite3",
    ):
        engine = create_readonly_engine(url)
        report = check_database(engine)
        assert report.status is Health.UNREACHABLE
        assert "cannot be reached" in report.message and "AUDIT_DB_URL" in report.fix
        engine.dispose()


SLOW = {
    "postgresql": "SELECT pg_sleep(5)",
    "sqlite": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
    "SELECT count(*) FROM n",
}


def test_statement_timeout_ends_a_slow_query(db_url: str) -> None:
    _make_tables(db_url)
    engine = create_readonly_engine(db_url, statement_timeout_seconds=0.5)
    started = datetime.now()
    with pytest.raises(sa.exc.DBAPIError) as caught, engine.connect() as conn:
        conn.execute(sa.text(SLOW[engine.dialect.name])).all()
    assert is_timeout_error(caught.value)
    assert (datetime.now() - started).total_seconds() < 4
    with engine.connect() as conn:  # the engine stays usable afterwards
        assert conn.execute(sa.text("SELECT count(*) FROM audit_logs")).scalar() == 1
    engine.dispose()


# ---------------------------------------------------------------------------------------
# SQLite files: the path as written, read-only; the timeout over every row; a replaced file


def _sqlite_url(path: Path) -> str:
    """The URL a user writes for ``path``: characters special in URLs percent-encoded."""
    return sa.URL.create("sqlite", database=str(path)).render_as_string(hide_password=False)


def _count(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM audit_logs")).scalar_one()


@pytest.mark.parametrize(
    "name", ["audit#1.db", "audit?mode=rw.db", "100%.db", "a%23b.db", "a b.db"]
)
def test_a_sqlite_path_opens_that_very_file_read_only(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    _make_tables(sa.URL.create("sqlite", database=str(path)).render_as_string())
    engine = create_readonly_engine(_sqlite_url(path))
    assert _count(engine) == 1
    with pytest.raises(sa.exc.DBAPIError, match="readonly"), engine.begin() as conn:
        conn.execute(sa.text(WRITES[0]))
    engine.dispose()
    assert sorted(tmp_path.iterdir()) == [path]  # no other file was opened, let alone created


# The first row at once, the second after about five seconds of SQLite's work.
SLOW_AFTER_FIRST_ROW = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000000) "
    "SELECT i FROM n WHERE i = 1 OR i = 10000000"
)


def test_sqlite_statement_timeout_covers_every_row_not_only_the_first(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/audit.sqlite3"
    _make_tables(url)
    engine = create_readonly_engine(url, statement_timeout_seconds=0.5)
    started = time.monotonic()
    with pytest.raises(sa.exc.DBAPIError) as caught, engine.connect() as conn:
        conn.execute(sa.text(SLOW_AFTER_FIRST_ROW)).all()
    assert is_timeout_error(caught.value)
    assert time.monotonic() - started < 3
    assert _count(engine) == 1  # the engine stays usable afterwards
    engine.dispose()


def test_sqlite_statement_timeout_counts_the_database_time_not_the_readers(
    tmp_path: Path,
) -> None:
    """A reader that takes its time between rows (an export formatting them) is not cut off:
    as with PostgreSQL, the timeout bounds the database's work."""
    url = f"sqlite:///{tmp_path}/audit.sqlite3"
    _make_tables(url)
    engine = create_readonly_engine(url, statement_timeout_seconds=0.3)
    numbers = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5) SELECT i FROM n"
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=1).execute(sa.text(numbers))
        seen = []
        for row in result:
            seen.append(row[0])
            time.sleep(0.1)
    assert seen == [1, 2, 3, 4, 5]
    engine.dispose()


def _write_sqlite(path: Path, rows: int) -> None:
    """A database with ``rows`` events at ``path``, written beside it and moved in place."""
    partial = path.with_name(f"partial-{uuid.uuid4().hex[:6]}-{path.name}")
    writer = sa.create_engine(f"sqlite:///{partial}")
    metadata.create_all(writer)
    with writer.begin() as conn:
        conn.execute(audit_logs.insert(), [ROW] * rows)
    writer.dispose()
    os.replace(partial, path)


def test_a_replaced_or_deleted_sqlite_file_is_not_served_from_the_pool(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite3"
    _write_sqlite(path, rows=1)
    source = check_database(create_readonly_engine(f"sqlite:///{path}")).source
    assert source is not None
    count = sa.select(sa.func.count()).select_from(audit_logs)
    assert source.scalar(count) == 1
    first_key = source.key
    _write_sqlite(path, rows=2)
    assert source.scalar(count) == 2
    assert source.key != first_key  # cached results of the old file are not reused
    path.unlink()
    with pytest.raises(sa.exc.OperationalError):
        source.scalar(count)
    source.engine.dispose()


def test_pages_show_a_replaced_sqlite_file_and_a_problem_once_it_is_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.apptest import page_text, run_page

    path = tmp_path / "audit.sqlite3"
    env = {"AUDIT_DB_URL": f"sqlite:///{path}", "AUDIT_AGGREGATE_ENGINE": "source"}

    def events_shown() -> list[str]:
        at = run_page("pages/overview.py", env, monkeypatch, range="all")
        assert not at.exception, [e.value for e in at.exception]
        return [m.value for m in at.metric if m.label == "Events"]

    _write_sqlite(path, rows=1)
    assert events_shown() == ["1"]
    _write_sqlite(path, rows=2)
    assert events_shown() == ["2"]
    path.unlink()
    assert events_shown() == []
    at = run_page("pages/overview.py", env, monkeypatch, range="all")
    assert "Database unavailable" in page_text(at)


# ---------------------------------------------------------------------------------------
# Passwords never shown: not in the userinfo, not in the query string


PASSWORDS = ("hunter2", "open-sesame")
UNREACHABLE_WITH_PASSWORDS = (
    "postgresql+psycopg://someone:hunter2@127.0.0.1:1/none"
    "?password=hunter2&sslmode=prefer&sslpassword=open-sesame"
)


def _shows_no_password(text: str) -> bool:
    return not any(secret in text for secret in PASSWORDS)


@pytest.mark.parametrize(
    "text",
    [
        UNREACHABLE_WITH_PASSWORDS,
        sa.make_url(UNREACHABLE_WITH_PASSWORDS),
        "sqlite:////tmp/audit.db?PassWord=hunter2&mode=ro",
        "host=db user=someone password='hunter2 and more' sslpassword=open-sesame",
        f"error: The database {UNREACHABLE_WITH_PASSWORDS} cannot be reached.",
        "postgresql://someone:hunter2@db/audit?client_secret=open-sesame&api_key=hunter2",
    ],
)
def test_hide_secrets_hides_every_password_and_keeps_the_rest(text: str | sa.URL) -> None:
    shown = hide_secrets(text)
    assert _shows_no_password(shown), shown
    assert "***" in shown
    if "sslmode" in str(text):
        assert "sslmode=prefer" in shown and "127.0.0.1:1/none" in shown


def test_source_key_and_health_messages_show_no_password(tmp_path: Path) -> None:
    with fresh_database("postgresql", tmp_path) as url:
        _make_tables(url)
        with_passwords = sa.make_url(url).update_query_dict(
            {"password": "hunter2", "sslpassword": "open-sesame"}
        )
        engine = create_readonly_engine(with_passwords.render_as_string(hide_password=False))
        report = check_database(engine)
        assert report.ok and report.source is not None
        assert _shows_no_password(report.source.key), report.source.key
        engine.dispose()
    engine = create_readonly_engine(UNREACHABLE_WITH_PASSWORDS)
    report = check_database(engine)
    assert report.status is Health.UNREACHABLE
    assert "127.0.0.1:1/none" in report.message
    assert _shows_no_password(report.message), report.message
    engine.dispose()


def test_the_error_page_shows_no_password(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.support.apptest import page_text, run_page

    at = run_page("pages/overview.py", {"AUDIT_DB_URL": UNREACHABLE_WITH_PASSWORDS}, monkeypatch)
    assert not at.exception
    assert "cannot be reached" in page_text(at)
    assert _shows_no_password(page_text(at)), page_text(at)


def test_the_command_lines_show_no_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from audit import snapshot
    from audit.export.__main__ import main as export_main

    assert export_main(["--db", UNREACHABLE_WITH_PASSWORDS, "--out", str(tmp_path)]) != 0
    shown = capsys.readouterr().err
    assert "cannot be reached" in shown and _shows_no_password(shown), shown
    args = ["--db", UNREACHABLE_WITH_PASSWORDS, "--page", "overview", "--out", str(tmp_path)]
    assert snapshot.main(args) != 0
    shown = capsys.readouterr().err
    assert "cannot be reached" in shown and _shows_no_password(shown), shown


def test_the_demo_tool_shows_no_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from audit.tools.demo.__main__ import main as demo_main

    with fresh_database("postgresql", tmp_path) as url:
        with_password = f"{url}?password=hunter2"
        assert demo_main(["--url", with_password, "--rows", "20", "--days", "1"]) == 0
    shown = capsys.readouterr().out
    assert "wrote 20 audit rows" in shown and _shows_no_password(shown), shown


def test_an_invalid_database_url_setting_is_named_without_its_value() -> None:
    from audit.config import ConfigError, load_settings

    with pytest.raises(ConfigError) as caught:
        load_settings(env={"AUDIT_DB_URL": "postgresql//someone:hunter2@db/audit"}, secrets={})
    assert "db_url" in str(caught.value) and _shows_no_password(str(caught.value))
