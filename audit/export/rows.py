"""Which rows an export holds: counted first, refused over a limit, then streamed in
chunks (a server-side cursor on PostgreSQL) so memory stays flat however many match.

- **Exactly the counted rows.** The export first reads the largest ``id`` and counts the
  matching rows up to it, then streams only rows with ``id <=`` that bound, so events
  appended while the export runs (ids are serial) are left out and the file matches the count
  it reported. On PostgreSQL the count and the rows are also read in one REPEATABLE READ
  transaction, a single snapshot, which covers deletes and late commits as well.
- **Refused, never cut.** A result over the row cap (``Settings.export_row_cap``) or, for
  Excel, over a sheet's 1,048,575 data rows raises :class:`ExportRefused` before a byte is
  written. An export prepared in the browser has a lower cap of its own
  (``Settings.browser_export_row_cap``): over it, :class:`TooLargeForBrowser` carries the
  command that exports the same events to disk instead.
"""

from __future__ import annotations

import queue
import shlex
import threading
import urllib.parse
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from audit.db import Source
from audit.dialect import POSTGRESQL
from audit.export.formats import EXCEL_MAX_ROWS, require_format
from audit.filters import AuditFilter
from audit.queries import rows_in_order
from audit.schema import audit_logs

Chunk = tuple[tuple[str, ...], Sequence[Sequence[Any]]]  # column names, rows


class ExportRefused(Exception):
    """The export would exceed a limit; nothing was written."""


def check_export(total: int, fmt: str, cap: int) -> None:
    """Raise :class:`ExportRefused` when ``total`` rows cannot be exported as ``fmt``."""
    require_format(fmt)
    if total > cap:
        raise ExportRefused(
            f"Export refused: the filter matches {total:,} events, more than the export "
            f"limit of {cap:,} rows, and an export is never cut short. Nothing was written. "
            "Narrow the filter (a shorter time range, a severity, an action, ...) or export "
            "the range in parts. The limit is the setting export_row_cap "
            "(AUDIT_EXPORT_ROW_CAP)."
        )
    if fmt == "xlsx" and total > EXCEL_MAX_ROWS:
        raise ExportRefused(
            f"Export refused: the filter matches {total:,} events but an Excel sheet holds "
            f"at most {EXCEL_MAX_ROWS:,} rows. Nothing was written. Narrow the filter, or "
            "export as CSV or Parquet, which have no such limit."
        )


class TooLargeForBrowser(ExportRefused):
    """Over the browser's cap; ``command`` exports the same events from the command line."""

    def __init__(self, reason: str, command: str) -> None:
        super().__init__(f"{reason} {command}")
        self.reason = reason
        self.command = command


def command_line_export(flt: AuditFilter, now: datetime, fmt: str) -> str:
    """The command that exports the events of ``flt`` to disk, its range fixed at ``now``
    (so "last 7 days" means the same days later). It names no database: the command line
    reads the dashboard's settings."""
    query = urllib.parse.urlencode(flt.pinned(now).to_params(), doseq=True)
    return f"python -m audit.export --format {fmt} --query {shlex.quote(query)} --out exports/"


def check_browser_export(total: int, cap: int, command: str) -> None:
    """Raise :class:`TooLargeForBrowser` when ``total`` rows are over the browser's cap."""
    if total > cap:
        raise TooLargeForBrowser(
            f"Too large to export from the browser: the filter matches {total:,} events, "
            f"more than the browser's limit of {cap:,} rows (a file prepared here is held "
            "in the server's memory until it is downloaded). Nothing was prepared. Narrow "
            "the filter, or export these events from the command line, which streams them "
            "to disk. The limit is the setting browser_export_row_cap "
            "(AUDIT_BROWSER_EXPORT_ROW_CAP). The command:",
            command,
        )


@dataclass(frozen=True)
class MatchingRows:
    """The rows matching a filter, counted, ready to be read from the same connection."""

    total: int
    conn: sa.Connection
    statements: Sequence[sa.Select]
    chunk_size: int

    def chunks(self) -> Iterator[Chunk]:
        """Exactly the ``total`` counted rows, in chunks of ``chunk_size``."""
        if not self.total:
            return iter(())
        return _read_ahead(_row_chunks(self.conn, self.statements, self.chunk_size))


@contextmanager
def matching_rows(
    source: Source, flt: AuditFilter, now: datetime, *, newest_first: bool, chunk_size: int
) -> Iterator[MatchingRows]:
    """The rows matching ``flt``, counted and read in one snapshot where the database
    offers it; nothing but the count is read until :meth:`MatchingRows.chunks` is."""
    with _consistent_connection(source) as conn:
        id_bound, total = _count_up_to_bound(conn, source, flt, now)
        statements = _export_statements(source, flt, now, id_bound, newest_first)
        yield MatchingRows(total, conn, statements, chunk_size)


@contextmanager
def _consistent_connection(source: Source) -> Iterator[sa.Connection]:
    """A connection whose reads share one snapshot where the database offers it."""
    with source.connect() as conn:
        if source.dialect == POSTGRESQL:
            conn.execution_options(isolation_level="REPEATABLE READ")
        yield conn


def _count_up_to_bound(
    conn: sa.Connection, source: Source, flt: AuditFilter, now: datetime
) -> tuple[int, int]:
    """The largest id now (0 for an empty table), and how many matching rows have an id
    up to it."""
    id_bound = conn.execute(sa.select(sa.func.max(audit_logs.c.id))).scalar_one() or 0
    statement = (
        sa.select(sa.func.count())
        .select_from(audit_logs)
        .where(source.where(flt, now), audit_logs.c.id <= id_bound)
    )
    return id_bound, int(conn.execute(statement).scalar_one())


def _export_statements(
    source: Source, flt: AuditFilter, now: datetime, id_bound: int, newest_first: bool
) -> list[sa.Select]:
    """Rows with a time, then rows without (two statements: PostgreSQL can then walk the
    ``created_at`` index instead of sorting every row first)."""
    parts = rows_in_order(source, flt, now, newest_first)
    return [part.where(audit_logs.c.id <= id_bound) for part in parts]


def _row_chunks(
    conn: sa.Connection, statements: Sequence[sa.Select], chunk_size: int
) -> Iterator[Chunk]:
    streaming = conn.execution_options(stream_results=True, yield_per=chunk_size)
    for statement in statements:
        result = streaming.execute(statement)
        names = tuple(result.keys())
        for chunk in result.partitions(chunk_size):
            yield names, chunk


def _read_ahead(chunks: Iterator[Chunk], depth: int = 2) -> Iterator[Chunk]:
    """``chunks``, read by a thread up to ``depth`` ahead: the database produces and the
    driver receives the next rows while the caller formats these. The connection is used
    by that thread alone until it has finished."""
    ready: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    end = object()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for chunk in chunks:
                if not put(chunk):
                    return
            put(end)
        except BaseException as exc:  # handed to the caller, raised there
            put(exc)

    reader = threading.Thread(target=read, name="audit-export-reader", daemon=True)
    reader.start()
    try:
        while (item := ready.get()) is not end:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        reader.join()
