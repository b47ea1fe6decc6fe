"""Indexes that would help the dashboard on Enclava's ``audit_logs`` table.

Enclava indexes only ``id`` and ``created_at``, and the dashboard never requires more: it
runs on the table as it is. ``python -m audit.tools.indexes`` lists the recommended indexes that
are missing, with the statement that creates each; ``--apply`` creates them, through a
separate, writable connection (``CREATE INDEX CONCURRENTLY`` on PostgreSQL, so writers are
not blocked). Listing uses the dashboard's read-only engine.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from audit.db import create_readonly_engine
from audit.schema import audit_logs

POSTGRESQL = "postgresql"


Sorting = tuple[str, ...]  # as SQLAlchemy reflects it: ("desc", "nulls_last"), or ()


@dataclass(frozen=True)
class IndexSpec:
    name: str
    columns: tuple[str, ...]
    helps: str
    # PostgreSQL only: build the columns DESC NULLS LAST, the explorer's newest-first order
    # (a backward scan of an ascending index gives NULLS FIRST, which it cannot use).
    newest_first: bool = False

    def sorting(self, dialect_name: str) -> tuple[tuple[str, Sorting], ...]:
        """Each column with its sort order, as it must be in an index that serves."""
        if dialect_name == POSTGRESQL and self.newest_first:
            first, *rest = self.columns
            return ((first, ("desc", "nulls_last")), *((c, ("desc",)) for c in rest))
        return tuple((c, ()) for c in self.columns)

    def index(self, dialect_name: str) -> sa.Index:
        """A fresh Index each time: a Table keeps every Index built on it."""
        table = sa.Table(audit_logs.name, sa.MetaData(), *(sa.Column(c) for c in self.columns))
        return sa.Index(
            self.name,
            *(_ordered(table.c[c], order) for c, order in self.sorting(dialect_name)),
            postgresql_concurrently=dialect_name == POSTGRESQL,
        )

    def statement(self, dialect: sa.engine.Dialect) -> str:
        create = sa.schema.CreateIndex(self.index(dialect.name), if_not_exists=True)
        return str(create.compile(dialect=dialect)).strip()


def _ordered(column: sa.ColumnElement, order: Sorting) -> sa.ColumnElement:
    if "desc" in order:
        column = column.desc()
    return column.nulls_last() if "nulls_last" in order else column


RECOMMENDED: tuple[IndexSpec, ...] = (
    IndexSpec(
        "ix_audit_logs_created_at_id",
        ("created_at", "id"),
        "explorer pages, newest first, at any depth; time ranges; the mirror's checks",
        newest_first=True,
    ),
    IndexSpec(
        "ix_audit_logs_user_id_created_at",
        ("user_id", "created_at"),
        "user filter and user profile; takeover and new-IP detections",
    ),
    IndexSpec(
        "ix_audit_logs_ip_address_created_at",
        ("ip_address", "created_at"),
        "IP filter and IP profile; brute-force and spraying detections",
    ),
    IndexSpec(
        "ix_audit_logs_action_created_at",
        ("action", "created_at"),
        "action filters; the login-based detections of the security page",
    ),
)


def _existing(conn: sa.Connection) -> list[tuple[tuple[str, Sorting], ...]]:
    """The columns, with their sort order, of each usable index on audit_logs (PostgreSQL:
    valid ones only)."""
    indexes = sa.inspect(conn).get_indexes(audit_logs.name)
    if conn.dialect.name == POSTGRESQL:
        invalid = set(
            conn.execute(
                sa.text(
                    "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                    "WHERE i.indrelid = 'audit_logs'::regclass AND NOT i.indisvalid"
                )
            ).scalars()
        )
        indexes = [ix for ix in indexes if ix["name"] not in invalid]
    return [_sorted_columns(ix) for ix in indexes]


def _sorted_columns(index: dict[str, Any]) -> tuple[tuple[str, Sorting], ...]:
    sorting = index.get("column_sorting") or {}
    return tuple((c, tuple(sorting.get(c, ()))) for c in index["column_names"])


def _covered(wanted: tuple[tuple[str, Sorting], ...], existing: list[tuple]) -> bool:
    """An index whose leading columns (and orders) are the recommended ones serves the
    same queries."""
    return any(columns[: len(wanted)] == wanted for columns in existing)


def missing(engine: sa.Engine) -> list[IndexSpec]:
    """The recommended indexes the table lacks."""
    with engine.connect() as conn:
        existing = _existing(conn)
    dialect = engine.dialect.name
    return [spec for spec in RECOMMENDED if not _covered(spec.sorting(dialect), existing)]


def create_writable_engine(url: str) -> sa.Engine:
    """A writable engine, for ``--apply`` only; the dashboard itself never uses one."""
    return sa.create_engine(url)


def apply(engine: sa.Engine, specs: Sequence[IndexSpec]) -> list[tuple[IndexSpec, float]]:
    """Create each index (autocommit: PostgreSQL builds CONCURRENTLY outside a transaction);
    an invalid leftover of an interrupted concurrent build is dropped first."""
    done = []
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for spec in specs:
            started = time.perf_counter()
            if conn.dialect.name == POSTGRESQL:
                conn.exec_driver_sql(f'DROP INDEX CONCURRENTLY IF EXISTS "{spec.name}"')
            conn.exec_driver_sql(spec.statement(conn.dialect))
            done.append((spec, time.perf_counter() - started))
    return done


# ---------------------------------------------------------------------------------------
# Command line


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m audit.tools.indexes",
        description="List the indexes that would speed up the dashboard on Enclava's "
        "audit_logs table and are missing. Read-only unless --apply is given.",
    )
    parser.add_argument("--url", help="database URL (default: the AUDIT_DB_URL setting)")
    parser.add_argument(
        "--apply",
        action="store_true",
        help="WARNING: WRITES TO THE DATABASE. Create the missing indexes through a writable "
        "connection (needs a role allowed to create indexes on audit_logs; the dashboard's own "
        "connection stays read-only). PostgreSQL builds them CONCURRENTLY: writers are not "
        "blocked, but each build reads the whole table and takes disk space; run it at a "
        "quiet hour.",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from audit.config import load_settings

    args = _arguments(argv)
    url = args.url or load_settings().db_url
    reader = create_readonly_engine(url)
    try:
        wanted = missing(reader)
        dialect = reader.dialect
    finally:
        reader.dispose()
    if not wanted:
        print("Every recommended index is present.")
        return 0
    for spec in wanted:
        print(f"-- helps: {spec.helps}\n{spec.statement(dialect)};")
    if not args.apply:
        print(f"\n{len(wanted)} recommended index(es) missing; --apply creates them.")
        return 0
    writer = create_writable_engine(url)
    try:
        for spec, seconds in apply(writer, wanted):
            print(f"created {spec.name} in {seconds:.1f} s", file=sys.stderr)
    finally:
        writer.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
