"""The export file formats, and one writer for each; a writer takes chunks of export rows
(see :mod:`audit.export.cells`).

- **CSV** is UTF-8 with a byte-order mark (without it Excel misreads non-ASCII text), with
  CRLF line ends (RFC 4180); ``success`` is ``true``/``false``/empty.
- **Excel**: one sheet, header frozen, with an autofilter. Times are Excel date-times, the
  wall time in the display timezone, which the header names (``created_at (Europe/Berlin)``);
  each cell's number format shows its UTC offset too (``2026-10-25 02:30:00.000 +02:00``), so
  the hour repeated when summer time ends stays readable. A time Excel cannot hold (before
  1900-03-01, where Excel's phantom 1900-02-29 makes readers disagree, in the last
  millisecond of 9999 or later, or past 9999 in the display timezone, then shown in UTC) is
  ISO 8601 text with its offset, as in CSV; a missing time is an empty cell. Excel cells hold
  at most 32,767 characters; a longer text is shortened and ends with a note saying so.
- **Parquet** keeps a typed ``timestamp[us, tz=<display tz>]``: the instant is stored in
  UTC, as Parquet always does, with the zone name in the Arrow schema, so pandas and Polars
  show it in the display timezone (other readers in UTC or their own). JSON columns are
  compact JSON text.
- **JSON Lines**: one JSON object per row, times as text, JSON columns as JSON values.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, BinaryIO, Protocol

import pyarrow as pa
import pyarrow.parquet as pq
import xlsxwriter
from xlsxwriter.format import Format

from audit.export.cells import (
    COLUMNS,
    CsvRecords,
    Row,
    csv_cell,
    json_columns_as_text,
    json_text,
    sheet_cells,
    time_text,
)

EXCEL_MAX_ROWS = 1_048_575  # a sheet's 1,048,576 rows minus the header
EXCEL_MAX_CELL_UNITS = 32_767  # UTF-16 code units in one Excel cell
# Wall times written as Excel date-times: from the first day after Excel's phantom 1900-02-29
# (earlier serials are read differently by different programs) to the last whole millisecond
# Excel shows (a later one would round into the year 10000).
EXCEL_EARLIEST = datetime(1900, 3, 1)
EXCEL_LATEST = datetime(9999, 12, 31, 23, 59, 59, 999000)
EXCEL_TIME_FORMAT = "yyyy-mm-dd hh:mm:ss.000"
TIME_COLUMN = COLUMNS.index("created_at")


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


def require_format(fmt: str) -> ExportFormat:
    if fmt not in FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    return FORMATS[fmt]


class Writer(Protocol):
    def write(self, rows: Sequence[Row]) -> None: ...

    def finish(self) -> None: ...


class CsvWriter:
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
        self._write_records([[csv_cell(v) for v in sheet_cells(row)] for row in rows])

    def write_database_rows(self, rows: Sequence[Sequence[Any]], cells: CsvRecords) -> None:
        self._write_records([cells(row) for row in rows])

    def finish(self) -> None:
        self.text.flush()
        self.text.detach()  # else closing the wrapper would close ``out``
        self.out.flush()


class JsonLinesWriter:
    def __init__(self, out: BinaryIO) -> None:
        self.out = out

    def write(self, rows: Sequence[Row]) -> None:
        lines = [json_text({**row, "created_at": time_text(row["created_at"])}) for row in rows]
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


class ParquetWriter:
    """One row group per chunk."""

    def __init__(self, out: BinaryIO, tz: str) -> None:
        self.schema = parquet_schema(tz)
        self.writer = pq.ParquetWriter(out, self.schema, compression="zstd")

    def write(self, rows: Sequence[Row]) -> None:
        records = [{**row, **json_columns_as_text(row)} for row in rows]
        self.writer.write_table(pa.Table.from_pylist(records, schema=self.schema))

    def finish(self) -> None:
        self.writer.close()


EXCEL_WIDTHS: dict[str, int] = {
    "created_at": 30,
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


def excel_header(tz: str) -> list[str]:
    """The sheet's header: the column names, the time's with the display timezone."""
    return [f"{name} ({tz})" if name == "created_at" else name for name in COLUMNS]


def offset_text(moment: datetime) -> str:
    """The UTC offset of an aware time as ISO 8601 writes it: ``+01:00`` (``+00:53:28``)."""
    offset = moment.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes, seconds = divmod(int(abs(offset).total_seconds()), 60)
    text = f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    return f"{text}:{seconds:02d}" if seconds else text


def excel_wall_time(moment: datetime | None, tz: str) -> datetime | None:
    """The wall time in ``tz`` to write as an Excel date-time, or ``None`` when Excel cannot
    hold it (or ``moment`` is missing, or is not in ``tz``: past 9999 there, shown in UTC)."""
    if moment is None or getattr(moment.tzinfo, "key", None) != tz:
        return None
    wall = moment.replace(tzinfo=None)
    return wall if EXCEL_EARLIEST <= wall < EXCEL_LATEST else None


class ExcelWriter:
    def __init__(self, out: BinaryIO, total: int, tz: str) -> None:
        self.book = xlsxwriter.Workbook(
            out,
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        self.tz = tz
        self.time_formats: dict[str, Format] = {}  # by UTC offset: a zone has a few
        self.sheet = self.book.add_worksheet("audit events")
        self.sheet.write_row(0, 0, excel_header(tz), self.book.add_format({"bold": True}))
        for index, name in enumerate(COLUMNS):
            self.sheet.set_column(index, index, EXCEL_WIDTHS.get(name, 12))
        self.sheet.freeze_panes(1, 0)
        self.sheet.autofilter(0, 0, max(total, 1), len(COLUMNS) - 1)
        self.next_row = 1

    def _time_format(self, moment: datetime) -> Format:
        offset = offset_text(moment)
        if offset not in self.time_formats:
            number_format = f'{EXCEL_TIME_FORMAT} "{offset}"'
            self.time_formats[offset] = self.book.add_format({"num_format": number_format})
        return self.time_formats[offset]

    def _write_time(self, moment: datetime | None) -> bool:
        """The time as a date-time cell; ``False`` when Excel cannot hold it (then text)."""
        wall = excel_wall_time(moment, self.tz)
        if wall is None or moment is None:  # (``moment`` is set when ``wall`` is)
            return False
        self.sheet.write_datetime(self.next_row, TIME_COLUMN, wall, self._time_format(moment))
        return True

    def write(self, rows: Sequence[Row]) -> None:
        for row in rows:
            cells = sheet_cells(row)
            if self._write_time(row["created_at"]):
                cells[TIME_COLUMN] = None
            for column, value in enumerate(cells):
                if isinstance(value, str):
                    self.sheet.write_string(self.next_row, column, fit_excel_cell(value))
                elif value is not None:
                    self.sheet.write(self.next_row, column, value)
            self.next_row += 1

    def finish(self) -> None:
        self.book.close()


def open_writer(fmt: str, out: BinaryIO, tz: str, total: int) -> Writer:
    """The writer of ``fmt``; ``total`` rows will follow (Excel's autofilter spans them)."""
    if fmt == "csv":
        return CsvWriter(out)
    if fmt == "xlsx":
        return ExcelWriter(out, total, tz)
    if fmt == "parquet":
        return ParquetWriter(out, tz)
    return JsonLinesWriter(out)
