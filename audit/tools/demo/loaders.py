"""Bulk loading of audit rows: ``executemany`` on SQLite, ``COPY`` on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa

from audit.schema import JSON_COLUMNS
from audit.tools.demo.rows import AUDIT_COLUMNS, Row

CHUNK_ROWS = 20_000
_JSON_AT = tuple(AUDIT_COLUMNS.index(c) for c in JSON_COLUMNS)
_CREATED_AT = AUDIT_COLUMNS.index("created_at")


def _as_tuple(row: Row, sqlite: bool) -> tuple[Any, ...]:
    """Column values in table order; JSON as ``json.dumps`` text, None as SQL NULL."""
    values = [row[c] for c in AUDIT_COLUMNS]
    for i in _JSON_AT:
        if values[i] is not None:
            values[i] = json.dumps(values[i])
    if sqlite:  # the text format SQLAlchemy's SQLite DateTime type writes and parses
        values[_CREATED_AT] = values[_CREATED_AT].isoformat(" ", "microseconds")
    return tuple(values)


def _chunks(rows: Iterator[Row], sqlite: bool) -> Iterator[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(_as_tuple(row, sqlite))
        if len(chunk) >= CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def load_sqlite(
    conn: sa.Connection, rows: Iterator[Row], total: int, progress: Callable[[int, int], None]
) -> int:
    cols = ", ".join(f'"{c}"' for c in AUDIT_COLUMNS)
    sql = f"INSERT INTO audit_logs ({cols}) VALUES ({', '.join('?' * len(AUDIT_COLUMNS))})"
    cursor = conn.connection.driver_connection.cursor()
    done = 0
    for chunk in _chunks(rows, sqlite=True):
        cursor.executemany(sql, chunk)
        done += len(chunk)
        progress(done, total)
    cursor.close()
    return done


def _drop_user_fk(conn: sa.Connection) -> list[str]:
    """PostgreSQL: drop audit_logs' foreign keys (re-added NOT VALID after loading)."""
    names = conn.execute(
        sa.text(
            "SELECT conname FROM pg_constraint "
            "WHERE conrelid = 'audit_logs'::regclass AND contype = 'f'"
        )
    ).scalars()
    names = list(names)
    for name in names:
        conn.execute(sa.text(f'ALTER TABLE audit_logs DROP CONSTRAINT "{name}"'))
    return names


def load_postgres(
    conn: sa.Connection, rows: Iterator[Row], total: int, progress: Callable[[int, int], None]
) -> int:
    fks = _drop_user_fk(conn)
    cols = ", ".join(f'"{c}"' for c in AUDIT_COLUMNS)
    done = 0
    with (
        conn.connection.driver_connection.cursor() as cur,
        cur.copy(f"COPY audit_logs ({cols}) FROM STDIN") as copy,
    ):
        for chunk in _chunks(rows, sqlite=False):
            for values in chunk:
                copy.write_row(values)
            done += len(chunk)
            progress(done, total)
    for name in fks:  # NOT VALID: rows of the hard-deleted user stay, new rows are checked
        conn.execute(
            sa.text(
                f'ALTER TABLE audit_logs ADD CONSTRAINT "{name}" FOREIGN KEY (user_id) '
                "REFERENCES users (id) NOT VALID"
            )
        )
    for table in ("audit_logs", "users"):
        conn.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        )
    return done
