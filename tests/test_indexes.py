"""``python -m audit.tools.indexes`` lists the missing recommended indexes without writing, and
``--apply`` creates them (CONCURRENTLY on PostgreSQL), on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from audit.db import create_readonly_engine
from audit.tools import indexes
from audit.tools.demo import write_demo
from tests.support.databases import DEMO_END, fresh_database

NAMES = [spec.name for spec in indexes.RECOMMENDED]


def _index_names(url: str) -> set[str]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        names = {ix["name"] for ix in sa.inspect(conn).get_indexes("audit_logs")}
    engine.dispose()
    return names


def _missing(url: str) -> list[indexes.IndexSpec]:
    reader = create_readonly_engine(url)
    try:
        return indexes.missing(reader)
    finally:
        reader.dispose()


def test_lists_then_applies_the_missing_indexes(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    write_demo(db_url, rows=300, days=7, seed=2, end=DEMO_END)
    assert indexes.main(["--url", db_url]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in NAMES)
    assert "4 recommended index(es) missing" in listed
    assert not set(NAMES) & _index_names(db_url)  # listing wrote nothing
    concurrently = "CONCURRENTLY" in listed
    assert concurrently == db_url.startswith("postgresql")

    assert indexes.main(["--url", db_url, "--apply"]) == 0
    assert set(NAMES) <= _index_names(db_url)
    assert _missing(db_url) == []
    capsys.readouterr()
    assert indexes.main(["--url", db_url, "--apply"]) == 0
    assert capsys.readouterr().out.strip() == "Every recommended index is present."


def test_an_index_with_the_same_leading_columns_counts(db_url: str) -> None:
    write_demo(db_url, rows=100, days=7, seed=2, end=DEMO_END)
    writer = sa.create_engine(db_url)
    with writer.begin() as conn:
        conn.exec_driver_sql("CREATE INDEX my_user_time ON audit_logs (user_id, created_at, id)")
        conn.exec_driver_sql("CREATE INDEX my_action ON audit_logs (action)")
    writer.dispose()
    wanted = [spec.name for spec in _missing(db_url)]
    assert "ix_audit_logs_user_id_created_at" not in wanted
    assert "ix_audit_logs_action_created_at" in wanted  # (action) alone does not cover it
    assert "ix_audit_logs_created_at_id" in wanted  # Enclava's (created_at) does not either


def test_an_interrupted_concurrent_build_on_postgresql_is_redone(tmp_path: Path) -> None:
    with fresh_database("postgresql", tmp_path) as url:
        _interrupted_build_is_redone(url)


def _interrupted_build_is_redone(db_url: str) -> None:
    write_demo(db_url, rows=100, days=7, seed=2, end=DEMO_END)
    writer = sa.create_engine(db_url)
    spec = indexes.RECOMMENDED[0]
    with writer.begin() as conn:
        conn.exec_driver_sql(f"CREATE INDEX {spec.name} ON audit_logs (created_at, id)")
        conn.exec_driver_sql(
            f"UPDATE pg_index SET indisvalid = false WHERE indexrelid = '{spec.name}'::regclass"
        )
    assert spec in _missing(db_url)
    indexes.apply(writer, [spec])
    writer.dispose()
    assert spec not in _missing(db_url)


def test_help_warns_that_apply_writes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        indexes.main(["--help"])
    assert "WRITES TO THE DATABASE" in capsys.readouterr().out


def test_newest_first_pages_need_a_descending_index_on_postgresql(db_url: str) -> None:
    write_demo(db_url, rows=100, days=7, seed=2, end=DEMO_END)
    writer = sa.create_engine(db_url)
    with writer.begin() as conn:
        conn.exec_driver_sql(
            "CREATE INDEX ix_audit_logs_created_at_id ON audit_logs (created_at, id)"
        )
    postgresql = writer.dialect.name == "postgresql"
    spec = indexes.RECOMMENDED[0]
    assert (spec in _missing(db_url)) is postgresql  # SQLite scans it backwards, NULLs last
    indexes.apply(writer, _missing(db_url))
    writer.dispose()
    assert _missing(db_url) == []
