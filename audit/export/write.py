"""One export, from the database to a file: count the matching rows, refuse or write them
chunk by chunk in the chosen format."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import BinaryIO
from zoneinfo import ZoneInfo

from audit.db import Source
from audit.export.cells import CsvRecords, Transform, export_row
from audit.export.formats import CsvWriter, Writer, open_writer, require_format
from audit.export.rows import Chunk, check_export, matching_rows
from audit.filters import AuditFilter

DEFAULT_CHUNK_SIZE = 5000

Progress = Callable[[int, int], None]


def write_export(
    source: Source,
    flt: AuditFilter,
    now: datetime,
    fmt: str,
    out: BinaryIO,
    *,
    cap: int,
    newest_first: bool = True,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: Progress | None = None,
    transform: Transform | None = None,
    check_total: Callable[[int], None] | None = None,
) -> int:
    """Write every row matching ``flt`` to ``out`` as ``fmt``; return the rows written.

    ``progress(done, total)`` is called once before the first row (also when ``total`` is
    0) and after each chunk. ``transform`` (e.g. masking) gets each row as
    :func:`~audit.export.cells.export_row` builds it and must return a row with the same
    keys and value types. Raises :class:`~audit.export.rows.ExportRefused`, before writing
    anything, when the result is over ``cap`` or does not fit the format, or when
    ``check_total(total)`` raises it (a caller's own limit). If it raises midway, what it
    wrote to ``out`` is incomplete: discard it."""
    require_format(fmt)
    reading = matching_rows(source, flt, now, newest_first=newest_first, chunk_size=chunk_size)
    with reading as rows:
        total = rows.total
        check_export(total, fmt, cap)
        if check_total:
            check_total(total)
        writer = open_writer(fmt, out, flt.tz, total)

        def report(done: int) -> None:
            if progress:
                progress(done, total)

        done = _write_chunks(writer, rows.chunks(), ZoneInfo(flt.tz), transform, report)
        writer.finish()
    return done


def _write_chunks(
    writer: Writer,
    chunks: Iterator[Chunk],
    zone: ZoneInfo,
    transform: Transform | None,
    report: Callable[[int], None],
) -> int:
    done = 0
    report(done)
    records: CsvRecords | None = None
    for names, rows in chunks:
        if isinstance(writer, CsvWriter) and transform is None:
            records = records or CsvRecords(names, zone)
            writer.write_database_rows(rows, records)
        else:
            exported = [export_row(dict(zip(names, row, strict=True)), zone) for row in rows]
            writer.write([transform(row) for row in exported] if transform else exported)
        done += len(rows)
        report(done)
    return done
