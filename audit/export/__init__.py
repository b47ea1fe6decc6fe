"""Export of the whole filtered result as CSV, Excel (xlsx), Parquet or JSON Lines.

Rows are streamed from the database in chunks (a server-side cursor on PostgreSQL) and
written chunk by chunk, so memory stays flat however many rows match. Run it from a shell
for large exports straight to disk::

    python -m audit.export --format csv --query 'range=7d&tz=Europe/Berlin&severity=high'

What the files hold, and why:

- **Exactly the counted rows.** The export first reads the largest ``id`` and counts the
  matching rows up to it, then streams only rows with ``id <=`` that bound, so events
  appended while the export runs (ids are serial) are left out and the file matches the count
  it reported. On PostgreSQL the count and the rows are also read in one REPEATABLE READ
  transaction, a single snapshot, which covers deletes and late commits as well.
- **Refused, never cut.** A result over the row cap (``Settings.export_row_cap``) or, for
  Excel, over a sheet's 1,048,575 data rows raises :class:`ExportRefused` before a byte is
  written.
- **Times** are ISO 8601 text with the offset of the display timezone
  (``2026-11-20T13:05:00+01:00``), empty when NULL; in Excel too, whose dates cannot hold
  an offset. Parquet keeps a typed ``timestamp[us, tz=<display tz>]`` instead: the instant
  is stored in UTC, as Parquet always does, with the zone name in the Arrow schema, so
  pandas and Polars show it in the display timezone (other readers in UTC or their own).
- **JSON columns** are compact JSON text in CSV, Excel and Parquet and JSON values in JSON
  Lines. Stored text that is not JSON (possible on SQLite) becomes a JSON string.
- **Formula injection.** In CSV and Excel every text cell (JSON text included) starting
  with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading ``'`` so spreadsheet
  programs show it as text instead of evaluating it (OWASP's advice). JSON Lines and
  Parquet keep the raw text.
- **CSV** is UTF-8 with a byte-order mark (without it Excel misreads non-ASCII text), with
  CRLF line ends (RFC 4180); ``success`` is ``true``/``false``/empty.
- **Excel**: one sheet, header frozen, with an autofilter. Excel cells hold at most 32,767
  characters; a longer text is shortened and ends with a note saying so.

If :func:`write_export` raises midway, what it wrote to ``out`` is incomplete: discard it.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import queue
import sys
import threading
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa
import xlsxwriter

from audit.config import ConfigError, load_settings
from audit.db import Source, check_database, create_readonly_engine, is_timeout_error
from audit.dialect import POSTGRESQL
from audit.filters import AuditFilter, where_clause
from audit.queries import rows_in_order, user_label
from audit.schema import JSON_COLUMNS, audit_logs
from audit.timerange import utc_now

EXCEL_MAX_ROWS = 1_048_575  # a sheet's 1,048,576 rows minus the header
EXCEL_MAX_CELL_UNITS = 32_767  # UTF-16 code units in one Excel cell
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
DEFAULT_CHUNK_SIZE = 5000
JSON_MEMORY = 20_000  # distinct JSON texts remembered while one export runs

COLUMNS: tuple[str, ...] = (
    "id",
    "created_at",
    "user_id",
    "user",
    "action",
    "resource_type",
    "resource_id",
    "description",
    "severity",
    "category",
    "success",
    "ip_address",
    "user_agent",
    "session_id",
    "request_id",
    "error_message",
    *JSON_COLUMNS,
)

Row = dict[str, Any]
Progress = Callable[[int, int], None]
Transform = Callable[[Row], Row]


@dataclass(frozen=True)
class ExportFormat:
    label: str
    extension: str
    mime_type: str


FORMATS: dict[str, ExportFormat] = {
    "csv": ExportFormat("CSV", "csv", "text/csv"),
    "xlsx": ExportFormat(
        "Excel",
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    "parquet": ExportFormat("Parquet", "parquet", "application/vnd.apache.parquet"),
    "jsonl": ExportFormat("JSON Lines", "jsonl", "application/x-ndjson"),
}


class ExportRefused(Exception):
    """The export would exceed a limit; nothing was written."""


def _require_format(fmt: str) -> ExportFormat:
    if fmt not in FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    return FORMATS[fmt]


def check_export(total: int, fmt: str, cap: int) -> None:
    """Raise :class:`ExportRefused` when ``total`` rows cannot be exported as ``fmt``."""
    _require_format(fmt)
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


def neutralize(value: str) -> str:
    """Text a spreadsheet will not evaluate as a formula: a leading ``'`` when needed."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


# ---------------------------------------------------------------------------------------
# File name


def _name_stamp(naive_utc: datetime, zone: ZoneInfo) -> str:
    return naive_utc.replace(tzinfo=UTC).astimezone(zone).strftime("%Y-%m-%dT%H%M%z")


def _range_part(flt: AuditFilter, now: datetime) -> str:
    window = flt.window(now)
    zone = ZoneInfo(flt.tz)
    start, end = window.start, window.end
    if start is None:
        return "all-time" if end is None else "until_" + _name_stamp(end, zone)
    if end is None:
        return "from_" + _name_stamp(start, zone)
    return f"{_name_stamp(start, zone)}_to_{_name_stamp(end, zone)}"


def export_filename(flt: AuditFilter, now: datetime, fmt: str, exported_at: datetime) -> str:
    """``audit-events_<range in the display tz>_exported-<UTC time>.<ext>``; only letters,
    digits and ``-_+.`` appear in it."""
    extension = _require_format(fmt).extension
    exported = exported_at.astimezone(UTC).strftime("%Y-%m-%dT%H%M%SZ")
    return f"audit-events_{_range_part(flt, now)}_exported-{exported}.{extension}"


# ---------------------------------------------------------------------------------------
# Rows: database row -> export row (plain Python values) -> cells of each format


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


# Built once: json.loads/dumps with options build a new decoder/encoder on every call.
_JSON_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
_JSON_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def parse_json(text: Any) -> Any:
    """Stored JSON text as a value; text that is not strict JSON (NaN included) stays a
    string."""
    if not isinstance(text, str):
        return text
    try:
        return _JSON_DECODER.decode(text)
    except ValueError:
        return text


def _local_time(naive_utc: datetime | None, zone: ZoneInfo) -> datetime | None:
    if naive_utc is None:
        return None
    return naive_utc.replace(tzinfo=UTC).astimezone(zone)


def export_row(values: Mapping[str, Any], zone: ZoneInfo) -> Row:
    """A database row (column name -> value) as the dict a ``transform`` receives: the keys
    of ``COLUMNS``, ``created_at`` aware in the display timezone, JSON columns parsed."""
    row = {name: values.get(name) for name in COLUMNS}
    row["created_at"] = _local_time(row["created_at"], zone)
    row["user"] = user_label(row["user_id"], values["email"], values["username"])
    for name in JSON_COLUMNS:
        row[name] = parse_json(row[name])
    return row


def _json_text(value: Any) -> str | None:
    return None if value is None else _JSON_ENCODER.encode(value)


def _time_text(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _json_columns_as_text(row: Row) -> Row:
    return {name: _json_text(row[name]) for name in JSON_COLUMNS}


def _sheet_cells(row: Row) -> list[Any]:
    """A row's cells for a spreadsheet: time and JSON as text, and every text neutralised
    against formula injection."""
    values = {**row, "created_at": _time_text(row["created_at"]), **_json_columns_as_text(row)}
    cells = [values[name] for name in COLUMNS]
    return [neutralize(v) if isinstance(v, str) else v for v in cells]


# ---------------------------------------------------------------------------------------
# Writers, one per format; each takes chunks of export rows


class _Writer(Protocol):
    def write(self, rows: Sequence[Row]) -> None: ...

    def finish(self) -> None: ...


_TRIGGER_CHARACTERS = frozenset(FORMULA_TRIGGERS)  # each trigger is one character


def _csv_cell(value: Any) -> Any:
    """:func:`neutralize` for text, ``true``/``false`` for booleans."""
    if value.__class__ is str:
        return "'" + value if value[:1] in _TRIGGER_CHARACTERS else value
    if value is True or value is False:
        return "true" if value else "false"
    return value


class _CsvRecords:
    """Database rows straight to CSV cells, the same cells :func:`export_row` and
    :func:`_sheet_cells` give, without a dict per row: the export's hot loop when no
    transform applies (a third of the time per row)."""

    def __init__(self, names: Sequence[str], zone: ZoneInfo) -> None:
        at = {name: index for index, name in enumerate(names)}
        self.zone = zone
        self.order = [at.get(name, at["user_id"]) for name in COLUMNS]
        self.time_at = COLUMNS.index("created_at")
        self.user_at = COLUMNS.index("user")
        self.user_fields = (at["user_id"], at["email"], at["username"])
        self.json_at = [COLUMNS.index(name) for name in JSON_COLUMNS]
        self.compacted: dict[Any, str] = {}
        self.utc = zone.key == "UTC"

    def _time_text(self, naive_utc: datetime) -> str:
        if self.utc:  # what astimezone() then isoformat() give, for a sixth of the time
            return naive_utc.isoformat() + "+00:00"
        return naive_utc.replace(tzinfo=UTC).astimezone(self.zone).isoformat()

    def _compact_json(self, stored: Any) -> str:
        """Stored JSON as compact text; remembered, as audit rows repeat their values
        (the same ``old_values``, ``tags``, ...) and parsing is the costliest step."""
        if not isinstance(stored, str):
            return _JSON_ENCODER.encode(stored)
        known = self.compacted.get(stored)
        if known is None:
            known = _JSON_ENCODER.encode(parse_json(stored))
            if len(self.compacted) >= JSON_MEMORY:
                self.compacted.clear()
            self.compacted[stored] = known
        return known

    def __call__(self, row: Sequence[Any]) -> list[Any]:
        record = [row[index] for index in self.order]
        moment = record[self.time_at]
        if moment is not None:
            record[self.time_at] = self._time_text(moment)
        user_id, email, username = self.user_fields
        record[self.user_at] = user_label(row[user_id], row[email], row[username])
        for index in self.json_at:
            if record[index] is not None:
                record[index] = self._compact_json(record[index])
        # _csv_cell, inlined: it runs for every cell of every row.
        triggers = _TRIGGER_CHARACTERS
        return [
            ("'" + v if v[:1] in triggers else v)
            if v.__class__ is str
            else (("true" if v else "false") if v.__class__ is bool else v)
            for v in record
        ]


class _CsvWriter:
    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        out.write("\ufeff".encode())
        self.text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        self.csv = csv.writer(self.text)
        self._write_records([list(COLUMNS)])

    def _write_records(self, records: Sequence[Sequence[Any]]) -> None:
        self.csv.writerows(records)
        self.text.flush()

    def write(self, rows: Sequence[Row]) -> None:
        self._write_records([[_csv_cell(v) for v in _sheet_cells(row)] for row in rows])

    def write_database_rows(self, rows: Sequence[Sequence[Any]], cells: _CsvRecords) -> None:
        self._write_records([cells(row) for row in rows])

    def finish(self) -> None:
        self.text.flush()
        self.text.detach()  # else closing the wrapper would close ``out``
        self.out.flush()


class _JsonLinesWriter:
    def __init__(self, out: BinaryIO) -> None:
        self.out = out

    def write(self, rows: Sequence[Row]) -> None:
        lines = [_json_text({**row, "created_at": _time_text(row["created_at"])}) for row in rows]
        self.out.write(("\n".join(lines) + "\n").encode("utf-8"))

    def finish(self) -> None:
        self.out.flush()


def parquet_schema(tz: str) -> pa.Schema:
    types = {
        "id": pa.int64(),
        "created_at": pa.timestamp("us", tz=tz),
        "user_id": pa.int64(),
        "success": pa.bool_(),
    }
    return pa.schema(
        [pa.field(name, types.get(name, pa.string()), nullable=name != "id") for name in COLUMNS]
    )


class _ParquetWriter:
    """One row group per chunk."""

    def __init__(self, out: BinaryIO, tz: str) -> None:
        self.schema = parquet_schema(tz)
        self.writer = pq.ParquetWriter(out, self.schema, compression="zstd")

    def write(self, rows: Sequence[Row]) -> None:
        records = [{**row, **_json_columns_as_text(row)} for row in rows]
        self.writer.write_table(pa.Table.from_pylist(records, schema=self.schema))

    def finish(self) -> None:
        self.writer.close()


EXCEL_WIDTHS: dict[str, int] = {
    "created_at": 26,
    "user": 28,
    "action": 18,
    "resource_type": 14,
    "description": 60,
    "ip_address": 16,
    "user_agent": 30,
    "error_message": 30,
}


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def fit_excel_cell(text: str) -> str:
    """Text an Excel cell can hold: a longer one is shortened, with a note saying so."""
    if len(text) <= EXCEL_MAX_CELL_UNITS // 2 or _utf16_units(text) <= EXCEL_MAX_CELL_UNITS:
        return text
    note = (
        f" … [shortened for Excel: {len(text):,} characters in full; "
        "CSV, Parquet and JSON Lines hold all]"
    )
    budget = EXCEL_MAX_CELL_UNITS - _utf16_units(note)
    kept = text[:budget]
    # Characters outside the BMP take two units: dropping one character per unit over
    # the budget always brings the text within it.
    excess = _utf16_units(kept) - budget
    return (kept[:-excess] if excess > 0 else kept) + note


class _ExcelWriter:
    def __init__(self, out: BinaryIO, total: int) -> None:
        self.book = xlsxwriter.Workbook(
            out,
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        self.sheet = self.book.add_worksheet("audit events")
        self.sheet.write_row(0, 0, COLUMNS, self.book.add_format({"bold": True}))
        for index, name in enumerate(COLUMNS):
            self.sheet.set_column(index, index, EXCEL_WIDTHS.get(name, 12))
        self.sheet.freeze_panes(1, 0)
        self.sheet.autofilter(0, 0, max(total, 1), len(COLUMNS) - 1)
        self.next_row = 1

    def write(self, rows: Sequence[Row]) -> None:
        for row in rows:
            for column, value in enumerate(_sheet_cells(row)):
                if isinstance(value, str):
                    self.sheet.write_string(self.next_row, column, fit_excel_cell(value))
                elif value is not None:
                    self.sheet.write(self.next_row, column, value)
            self.next_row += 1

    def finish(self) -> None:
        self.book.close()


def _open_writer(fmt: str, out: BinaryIO, tz: str, total: int) -> _Writer:
    if fmt == "csv":
        return _CsvWriter(out)
    if fmt == "xlsx":
        return _ExcelWriter(out, total)
    if fmt == "parquet":
        return _ParquetWriter(out, tz)
    return _JsonLinesWriter(out)


# ---------------------------------------------------------------------------------------
# Reading: count under a fixed id bound, then stream the same rows


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
    matching = where_clause(flt, now, source.dialect, source.has_users)
    statement = (
        sa.select(sa.func.count())
        .select_from(audit_logs)
        .where(matching, audit_logs.c.id <= id_bound)
    )
    return id_bound, int(conn.execute(statement).scalar_one())


def _export_statements(
    source: Source, flt: AuditFilter, now: datetime, id_bound: int, newest_first: bool
) -> list[sa.Select]:
    """Rows with a time, then rows without (two statements: PostgreSQL can then walk the
    ``created_at`` index instead of sorting every row first)."""
    parts = rows_in_order(source, flt, now, newest_first)
    return [part.where(audit_logs.c.id <= id_bound) for part in parts]


Chunk = tuple[tuple[str, ...], Sequence[Sequence[Any]]]  # column names, rows


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


def _write_chunks(
    writer: _Writer,
    chunks: Iterator[Chunk],
    zone: ZoneInfo,
    transform: Transform | None,
    report: Callable[[int], None],
) -> int:
    done = 0
    report(done)
    records: _CsvRecords | None = None
    for names, rows in chunks:
        if isinstance(writer, _CsvWriter) and transform is None:
            records = records or _CsvRecords(names, zone)
            writer.write_database_rows(rows, records)
        else:
            exported = [export_row(dict(zip(names, row, strict=True)), zone) for row in rows]
            writer.write([transform(row) for row in exported] if transform else exported)
        done += len(rows)
        report(done)
    return done


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
) -> int:
    """Write every row matching ``flt`` to ``out`` as ``fmt``; return the rows written.

    ``progress(done, total)`` is called once before the first row (also when ``total`` is
    0) and after each chunk. ``transform`` (e.g. masking) gets each row as
    :func:`export_row` builds it and must return a row with the same keys and value types.
    Raises :class:`ExportRefused`, before writing anything, when the result is over ``cap``
    or does not fit the format."""
    _require_format(fmt)
    with _consistent_connection(source) as conn:
        id_bound, total = _count_up_to_bound(conn, source, flt, now)
        check_export(total, fmt, cap)
        writer = _open_writer(fmt, out, flt.tz, total)

        def report(done: int) -> None:
            if progress:
                progress(done, total)

        statements = _export_statements(source, flt, now, id_bound, newest_first)
        chunks = _read_ahead(_row_chunks(conn, statements, chunk_size)) if total else iter(())
        done = _write_chunks(writer, chunks, ZoneInfo(flt.tz), transform, report)
        writer.finish()
    return done


# ---------------------------------------------------------------------------------------
# Command line: python -m audit.export --format csv --query 'range=7d&severity=high'

EXIT_REFUSED = 1
EXIT_FAILED = 2  # database unreachable or unusable, or the export failed


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m audit.export",
        description="Export the audit events matching a dashboard filter, streamed to disk.",
    )
    parser.add_argument("--format", choices=list(FORMATS), default="csv", help="file format")
    parser.add_argument(
        "--query",
        default="",
        help="the dashboard's URL query, e.g. 'range=7d&tz=Europe/Berlin&severity=high' "
        "(a whole dashboard URL works too; empty: the dashboard's default, the last 7 days)",
    )
    parser.add_argument("--db", help="database URL (default: the dashboard's AUDIT_DB_URL)")
    parser.add_argument("--out", help="directory or file to write (default: this directory)")
    parser.add_argument(
        "--oldest-first", action="store_true", help="oldest events first (default newest)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        help="statement timeout in seconds (default: the dashboard's setting)",
    )
    return parser.parse_args(argv)


def _query_params(query: str) -> dict[str, list[str]]:
    if "://" in query:
        query = urllib.parse.urlsplit(query).query
    return urllib.parse.parse_qs(query.lstrip("?"))


def _target_path(out: str | None, filename: str) -> Path:
    if out is None:
        return Path.cwd() / filename
    target = Path(out)
    if target.is_dir() or out.endswith(("/", os.sep)):
        target.mkdir(parents=True, exist_ok=True)
        return target / filename
    return target


def _terminal_progress(done: int, total: int) -> None:
    print(f"\r{done:,} / {total:,} rows", end="", file=sys.stderr, flush=True)


def _export_to_file(target: Path, write: Callable[[BinaryIO], int]) -> int:
    """Write to a hidden sibling and rename at the end: no partial or empty file is left
    behind when the export is refused or fails."""
    partial = target.with_name(f".{target.name}.part")
    try:
        with partial.open("wb") as out:
            rows = write(out)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return rows


def _fail(message: str, code: int = EXIT_FAILED) -> int:
    print(message, file=sys.stderr)
    return code


def _database_failure(exc: sa.exc.SQLAlchemyError) -> int:
    reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
    hint = " Allow it more time with --timeout SECONDS." if is_timeout_error(exc) else ""
    return _fail(f"error: the export failed: {reason}{hint}")


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        return _fail(f"error: {exc}")
    flt, notices = AuditFilter.from_params(_query_params(args.query), settings.default_timezone)
    for notice in notices:
        print(f"notice: {notice}", file=sys.stderr)
    timeout = args.timeout or settings.statement_timeout_seconds
    try:
        engine = create_readonly_engine(args.db or settings.db_url, timeout)
    except (ValueError, sa.exc.ArgumentError) as exc:
        return _fail(f"error: {exc}")
    try:
        return _run(engine, flt, args, settings.export_row_cap)
    finally:
        engine.dispose()


def _run(engine: sa.Engine, flt: AuditFilter, args: argparse.Namespace, cap: int) -> int:
    report = check_database(engine)
    if report.source is None:
        return _fail(f"error: {report.message}\n{report.fix}")
    source = report.source
    now = utc_now()
    target = _target_path(args.out, export_filename(flt, now, args.format, now))
    progress = _terminal_progress if sys.stderr.isatty() else None

    def write(out: BinaryIO) -> int:
        return write_export(
            source,
            flt,
            now,
            args.format,
            out,
            cap=cap,
            newest_first=not args.oldest_first,
            progress=progress,
        )

    try:
        rows = _export_to_file(target, write)
    except ExportRefused as exc:
        return _fail(str(exc), EXIT_REFUSED)
    except sa.exc.SQLAlchemyError as exc:
        return _database_failure(exc)
    except OSError as exc:
        return _fail(f"error: cannot write {target}: {exc}")
    if progress:
        print(file=sys.stderr)
    print(target)
    print(f"{rows} rows")
    return 0
