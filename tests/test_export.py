"""Exports read back and compared with plain SQL, on SQLite and PostgreSQL: every format,
refusals, formula neutralisation, odd stored JSON, file names and the command line."""

from __future__ import annotations

import csv
import io
import json
import os
import pwd
import re
import shlex
import stat
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from openpyxl.utils.escape import unescape

from audit.config import ConfigError, load_settings
from audit.db import Source, check_database, create_readonly_engine
from audit.dimensions import REGISTRY
from audit.export import (
    COLUMNS,
    FORMATS,
    ExportRefused,
    TooLargeForBrowser,
    check_browser_export,
    check_export,
    command_line_export,
    export_filename,
    write_export,
)
from audit.export import __main__ as cli
from audit.export.cells import neutralize
from audit.export.filename import MAX_NAME_LENGTH
from audit.export.formats import EXCEL_MAX_ROWS, fit_excel_cell
from audit.export.log import read_log
from audit.filters import AuditFilter
from audit.queries import user_label
from audit.schema import JSON_COLUMNS, audit_logs, metadata
from tests.support.databases import DemoDatabase

BERLIN = ZoneInfo("Europe/Berlin")
# A week over the end of summer time in Berlin (2026-10-25): offsets +02:00 and +01:00.
WEEK_START = datetime(2026, 10, 22, tzinfo=BERLIN)
WEEK_END = datetime(2026, 10, 29, tzinfo=BERLIN)
WEEK = AuditFilter(
    range="custom",
    tz="Europe/Berlin",
    start=WEEK_START,
    end=WEEK_END,
    severities=("low", "high", "unset"),
)
WEEK_SQL = """
SELECT a.id, a.created_at, a.user_id, u.email, u.username, a.action, a.description,
       a.severity, a.success, a.ip_address,
       CAST(a.details AS TEXT) AS details, CAST(a.tags AS TEXT) AS tags,
       CAST(a.metadata AS TEXT) AS metadata, CAST(a.old_values AS TEXT) AS old_values,
       CAST(a.new_values AS TEXT) AS new_values
FROM audit_logs a LEFT JOIN users u ON u.id = a.user_id
WHERE a.created_at >= :start AND a.created_at < :end
  AND (a.severity IN ('low', 'info', 'high', 'error') OR a.severity IS NULL
       OR a.severity NOT IN ('critical', 'high', 'error', 'medium', 'warning', 'low', 'info'))
ORDER BY a.created_at DESC, a.id DESC
"""
TEXT_COLUMNS = ("user", "action", "description", "severity", "ip_address")
SHEET_FORMATS = ("csv", "xlsx")


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _as_datetime(value: datetime | str) -> datetime:
    # SQLite hands back the stored text when the query is plain SQL.
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def expected_week(demo: DemoDatabase, fmt: str) -> list[dict[str, Any]]:
    """The week's rows from plain SQL, as the file of ``fmt`` should show them."""
    rows = demo.rows(WEEK_SQL, start=_naive_utc(WEEK_START), end=_naive_utc(WEEK_END))
    sheet = fmt in SHEET_FORMATS
    expected = []
    for r in rows:
        local = _as_datetime(r.created_at).replace(tzinfo=UTC).astimezone(BERLIN)
        row: dict[str, Any] = {
            "id": r.id,
            "created_at": local.isoformat(),
            "user_id": r.user_id,
            "user": user_label(r.user_id, r.email, r.username),
            "action": r.action,
            "description": r.description,
            "severity": r.severity,
            "ip_address": r.ip_address,
            "success": None if r.success is None else bool(r.success),
        }
        if sheet:
            row.update({k: neutralize(row[k]) for k in TEXT_COLUMNS if row[k] is not None})
        for name in JSON_COLUMNS:
            text = getattr(r, name)
            row[name] = None if text is None else json.loads(text)
        expected.append(row)
    return expected


# ---------------------------------------------------------------------------------------
# Reading files back into comparable rows


def _from_text_cells(record: dict[str, Any]) -> dict[str, Any]:
    """CSV and Excel cells as values: numbers, booleans, parsed JSON, empty as None."""
    row = {k: (None if v == "" else v) for k, v in record.items()}
    for name in ("id", "user_id"):
        row[name] = None if row[name] is None else int(row[name])
    row["success"] = {"true": True, "false": False}.get(row["success"], row["success"])
    for name in JSON_COLUMNS:
        row[name] = None if row[name] is None else json.loads(row[name])
    return row


def read_csv(data: bytes) -> list[dict[str, Any]]:
    assert data.startswith("\ufeff".encode())
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    assert tuple(reader.fieldnames or ()) == COLUMNS
    return [_from_text_cells(record) for record in reader]


def xlsx_rows(data: bytes) -> list[tuple[Any, ...]]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    # Control characters are stored escaped (_x000D_); Excel unescapes them, openpyxl not.
    return [
        tuple(unescape(v) if isinstance(v, str) else v for v in row)
        for row in book.worksheets[0].iter_rows(values_only=True)
    ]


EXCEL_OFFSET = re.compile(r'"([+-]\d\d:\d\d(?::\d\d)?)"$')


def excel_time(cell: Any) -> datetime | str | None:
    """A time cell as an aware datetime: its wall time with the UTC offset its number format
    shows. A text cell (a time Excel cannot hold) is returned as it is."""
    if not isinstance(cell.value, datetime):
        return cell.value
    assert cell.number_format.startswith("yyyy-mm-dd hh:mm:ss.000 ")
    offset = EXCEL_OFFSET.search(cell.number_format)
    assert offset is not None, cell.number_format
    return datetime.fromisoformat(cell.value.isoformat() + offset.group(1))


def xlsx_times(data: bytes) -> tuple[str, list[datetime | str | None]]:
    """The time column's header and its cells (see :func:`excel_time`)."""
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    column = COLUMNS.index("created_at") + 1
    header, *cells = (row[0] for row in sheet.iter_rows(min_col=column, max_col=column))
    return header.value, [excel_time(cell) for cell in cells]


def read_xlsx(data: bytes) -> list[dict[str, Any]]:
    header, *rows = xlsx_rows(data)
    assert header[1].startswith("created_at (") and header[:1] + header[2:] == (
        COLUMNS[:1] + COLUMNS[2:]
    )
    records = [_from_text_cells(dict(zip(COLUMNS, row, strict=True))) for row in rows]
    for record, time in zip(records, xlsx_times(data)[1], strict=True):
        record["created_at"] = time.isoformat() if isinstance(time, datetime) else time
    return records


def pop_times(rows: list[dict[str, Any]]) -> list[datetime | None]:
    return [
        None if r["created_at"] is None else datetime.fromisoformat(r.pop("created_at"))
        for r in rows
    ]


def assert_same_to_the_millisecond(
    got: list[datetime | None], expected: list[datetime | None]
) -> None:
    """Excel shows times to the millisecond, and readers round them there."""
    assert len(got) == len(expected)
    for have, want in zip(got, expected, strict=True):
        assert (have is None) == (want is None)
        if have is not None and want is not None:
            assert abs(have - want) <= timedelta(microseconds=500), (have, want)
            assert have.utcoffset() == want.utcoffset(), (have, want)


def read_parquet(data: bytes) -> list[dict[str, Any]]:
    table = pq.read_table(io.BytesIO(data))
    assert tuple(table.schema.names) == COLUMNS
    rows = table.to_pylist()
    for row in rows:
        if row["created_at"] is not None:
            row["created_at"] = row["created_at"].isoformat()
        for name in JSON_COLUMNS:
            row[name] = None if row[name] is None else json.loads(row[name])
    return rows


def read_jsonl(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in data.decode("utf-8").splitlines()]


READERS = {"csv": read_csv, "xlsx": read_xlsx, "parquet": read_parquet, "jsonl": read_jsonl}


def export_bytes(source: Source, flt: AuditFilter, now: datetime, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    write_export(source, flt, now, fmt, out, **{"cap": 1_000_000, **options})
    return out.getvalue()


# ---------------------------------------------------------------------------------------
# Every format against plain SQL


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_holds_the_rows_sql_returns(demo: DemoDatabase, fmt: str) -> None:
    expected = expected_week(demo, fmt)
    assert len(expected) > 100
    out = io.BytesIO()
    calls: list[tuple[int, int]] = []
    written = write_export(
        demo.source,
        WEEK,
        demo.now,
        fmt,
        out,
        cap=len(expected),  # exactly at the cap is allowed
        chunk_size=64,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert written == len(expected)
    got = READERS[fmt](out.getvalue())
    assert [r["id"] for r in got] == [r["id"] for r in expected]
    if fmt == "xlsx":  # date-times, to the millisecond
        assert_same_to_the_millisecond(pop_times(got), pop_times(expected))
    assert [{k: r[k] for k in expected[0]} for r in got] == expected
    assert calls[0] == (0, len(expected)) and calls[-1] == (len(expected), len(expected))
    assert len(calls) == 1 + -(-len(expected) // 64)  # once before the rows, once per chunk


def test_parquet_keeps_typed_columns(demo: DemoDatabase) -> None:
    schema = pq.read_schema(io.BytesIO(export_bytes(demo.source, WEEK, demo.now, "parquet")))
    assert str(schema.field("created_at").type) == "timestamp[us, tz=Europe/Berlin]"
    assert (str(schema.field("id").type), str(schema.field("user_id").type)) == ("int64", "int64")
    assert str(schema.field("success").type) == "bool"
    assert {str(schema.field(name).type) for name in JSON_COLUMNS} == {"string"}


def test_times_carry_the_offset_of_the_display_timezone(demo: DemoDatabase) -> None:
    offsets = {
        r["created_at"][-6:] for r in read_jsonl(export_bytes(demo.source, WEEK, demo.now, "jsonl"))
    }
    assert offsets == {"+02:00", "+01:00"}


def test_oldest_first_reverses_the_order(demo: DemoDatabase) -> None:
    newest = read_jsonl(export_bytes(demo.source, WEEK, demo.now, "jsonl"))
    oldest = read_jsonl(export_bytes(demo.source, WEEK, demo.now, "jsonl", newest_first=False))
    assert [r["id"] for r in oldest] == [r["id"] for r in reversed(newest)]


def test_transform_sees_typed_rows_and_changes_the_output(demo: DemoDatabase) -> None:
    seen: list[dict[str, Any]] = []

    def mask(row: dict[str, Any]) -> dict[str, Any]:
        seen.append(row)
        return {**row, "ip_address": None if row["ip_address"] is None else "masked"}

    got = read_csv(export_bytes(demo.source, WEEK, demo.now, "csv", transform=mask))
    assert {r["ip_address"] for r in got} <= {"masked", None}
    assert "masked" in {r["ip_address"] for r in got}
    assert all(tuple(row) == COLUMNS for row in seen)
    assert all(row["created_at"].tzinfo == BERLIN for row in seen)
    assert any(isinstance(row["details"], dict) for row in seen)


EMPTY = AuditFilter(
    range="custom", start=datetime(2001, 1, 1, tzinfo=UTC), end=datetime(2001, 1, 2, tzinfo=UTC)
)


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_empty_result_gives_a_valid_file_with_no_rows(demo: DemoDatabase, fmt: str) -> None:
    assert READERS[fmt](export_bytes(demo.source, EMPTY, demo.now, fmt)) == []


# ---------------------------------------------------------------------------------------
# Refusal


@pytest.mark.parametrize("fmt", FORMATS)
def test_over_the_cap_is_refused_before_writing(demo: DemoDatabase, fmt: str) -> None:
    total = len(expected_week(demo, fmt))
    out = io.BytesIO()
    calls: list[tuple[int, int]] = []
    with pytest.raises(ExportRefused) as refused:
        write_export(
            demo.source,
            WEEK,
            demo.now,
            fmt,
            out,
            cap=total - 1,
            progress=lambda *a: calls.append(a),
        )
    assert out.getvalue() == b""
    assert calls == []
    message = str(refused.value)
    assert f"{total:,}" in message and f"{total - 1:,}" in message
    assert "Nothing was written" in message and "Narrow the filter" in message


@pytest.mark.parametrize(
    ("total", "fmt", "cap", "refused_with"),
    [
        (1_000_000, "csv", 1_000_000, None),
        (1_000_001, "csv", 1_000_000, "export limit of 1,000,000"),
        (1_000_001, "parquet", 1_000_000, "matches 1,000,001 events"),
        (EXCEL_MAX_ROWS, "xlsx", 2_000_000, None),
        (EXCEL_MAX_ROWS + 1, "xlsx", 2_000_000, "export as CSV or Parquet"),
        (EXCEL_MAX_ROWS + 1, "csv", 2_000_000, None),
        (EXCEL_MAX_ROWS + 1, "jsonl", 2_000_000, None),
        (0, "jsonl", 1, None),
    ],
)
def test_check_export(total: int, fmt: str, cap: int, refused_with: str | None) -> None:
    if refused_with is None:
        check_export(total, fmt, cap)
        return
    with pytest.raises(ExportRefused, match=re.escape(refused_with)):
        check_export(total, fmt, cap)


def test_excel_refusal_names_the_sheet_limit() -> None:
    with pytest.raises(ExportRefused) as refused:
        check_export(EXCEL_MAX_ROWS + 1, "xlsx", 5_000_000)
    assert "1,048,576 events" in str(refused.value) and "1,048,575 rows" in str(refused.value)


def test_an_unknown_format_is_an_error() -> None:
    with pytest.raises(ValueError, match="xls"):
        check_export(1, "xls", 10)


# ---------------------------------------------------------------------------------------
# Hostile and odd stored text, in fresh databases

BASE_ROW = {"action": "update", "resource_type": "setting", "severity": "low", "success": True}


@contextmanager
def source_with_rows(url: str, rows: list[dict[str, Any]]) -> Iterator[Source]:
    """A fresh database holding ``rows`` (one a minute), seen through the read-only engine."""
    writer = sa.create_engine(url)
    metadata.create_all(writer)
    with writer.begin() as conn:
        for minute, row in enumerate(rows):
            created = datetime(2026, 11, 20, 11, 0) + timedelta(minutes=minute)
            conn.execute(audit_logs.insert().values(**{**BASE_ROW, "created_at": created, **row}))
    writer.dispose()
    engine = create_readonly_engine(url)
    report = check_database(engine)
    assert report.source is not None, report.message
    try:
        yield report.source
    finally:
        engine.dispose()


ALL_TIME = AuditFilter(range="all")
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
HOSTILE = ["=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "normal text"]
NEUTRALISED = ["'=cmd|' /C calc'!A0", "'+1", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "normal text"]


@pytest.mark.parametrize(("text", "expected"), list(zip(HOSTILE, NEUTRALISED, strict=True)))
def test_neutralize(text: str, expected: str) -> None:
    assert neutralize(text) == expected


def test_formula_cells_are_neutralised_in_spreadsheets_only(db_url: str) -> None:
    rows = [{"description": text, "details": {"formula": text}} for text in HOSTILE]
    with source_with_rows(db_url, rows) as source:
        files = {
            fmt: export_bytes(source, ALL_TIME, NOW, fmt, newest_first=False) for fmt in FORMATS
        }
    assert [r["description"] for r in read_csv(files["csv"])] == NEUTRALISED
    cells = xlsx_rows(files["xlsx"])[1:]
    descriptions = [row[COLUMNS.index("description")] for row in cells]
    assert descriptions == NEUTRALISED
    assert {row[COLUMNS.index("details")][:1] for row in cells} == {"{"}
    for fmt in ("jsonl", "parquet"):
        assert [r["description"] for r in READERS[fmt](files[fmt])] == HOSTILE
    assert [r["details"]["formula"] for r in read_csv(files["csv"])] == HOSTILE


# A formula after a separator: a semicolon-locale spreadsheet, Text to Columns or a
# tab-separated paste splits the cell there, and the part becomes a cell of its own.
HIDDEN = ["total;=1+1", "a,+1", "b\t-2", "c;@SUM(A1)", "d;\t=1", "e;\r=1", "=f;=g", "x,1;2"]
HIDDEN_NEUTRALISED = [
    "total;'=1+1",
    "a,'+1",
    "b\t'-2",
    "c;'@SUM(A1)",
    "d;'\t'=1",
    "e;'\r=1",
    "'=f;'=g",
    "x,1;2",
]
SPLIT_FORMULA = re.compile(r"(?:^|[;,\t])[=+\-@\t\r]")


@pytest.mark.parametrize(("text", "expected"), list(zip(HIDDEN, HIDDEN_NEUTRALISED, strict=True)))
def test_neutralize_formulas_after_a_separator(text: str, expected: str) -> None:
    assert neutralize(text) == expected
    assert neutralize(expected) == expected


def _csv_cells(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_formulas_after_a_separator_are_neutralised_in_csv_and_excel(db_url: str) -> None:
    """Every part of every text cell (JSON text too), split at ``;``, ``,`` or tab, is
    safe in CSV (fast and row-by-row path alike) and Excel; JSON Lines keeps the text."""
    rows = [{"description": text, "details": {"note": text, "n": [1, -2]}} for text in HIDDEN]
    with source_with_rows(db_url, rows) as source:

        def export(fmt: str, **options: Any) -> bytes:
            return export_bytes(source, ALL_TIME, NOW, fmt, newest_first=False, **options)

        fast, slow = export("csv"), export("csv", transform=lambda row: row)
        xlsx, jsonl = export("xlsx"), export("jsonl")
    assert fast == slow
    csv_rows = _csv_cells(fast)
    excel_rows = [dict(zip(COLUMNS, row, strict=True)) for row in xlsx_rows(xlsx)[1:]]
    for cells in (csv_rows, excel_rows):
        assert [row["description"] for row in cells] == HIDDEN_NEUTRALISED
        texts = [v for row in cells for v in row.values() if isinstance(v, str)]
        assert [v for v in texts if SPLIT_FORMULA.search(v)] == []
    assert [r["description"] for r in read_jsonl(jsonl)] == HIDDEN
    assert [r["details"]["n"] for r in read_jsonl(jsonl)] == [[1, -2]] * len(HIDDEN)


def test_excel_shortens_an_over_long_cell_and_says_so(db_url: str) -> None:
    long_text = "x" * 40_000
    with source_with_rows(db_url, [{"description": long_text}]) as source:
        xlsx = read_xlsx(export_bytes(source, ALL_TIME, NOW, "xlsx"))
        csv_rows = read_csv(export_bytes(source, ALL_TIME, NOW, "csv"))
    assert xlsx[0]["description"].startswith("x" * 30_000)
    assert len(xlsx[0]["description"]) <= 32_767
    assert "shortened for Excel: 40,000 characters" in xlsx[0]["description"]
    assert csv_rows[0]["description"] == long_text


def test_excel_times_are_date_times_in_the_display_timezone(demo: DemoDatabase) -> None:
    header, times = xlsx_times(export_bytes(demo.source, WEEK, demo.now, "xlsx"))
    assert header == "created_at (Europe/Berlin)"
    assert times and all(isinstance(t, datetime) for t in times)
    assert {t.utcoffset() for t in times if isinstance(t, datetime)} == {
        timedelta(hours=2),
        timedelta(hours=1),
    }  # the week spans the end of summer time: each cell shows its own offset
    expected = [datetime.fromisoformat(r["created_at"]) for r in expected_week(demo, "xlsx")]
    assert_same_to_the_millisecond(times, expected)  # type: ignore[arg-type]


# Stored (naive UTC) -> the cell in Berlin: a date-time (its wall time and offset), or text
# where Excel cannot hold the time, or empty when there is none.
EXCEL_EDGES: list[tuple[datetime | None, datetime | str | None]] = [
    (datetime(2026, 10, 25, 0, 30), datetime.fromisoformat("2026-10-25T02:30:00+02:00")),
    (datetime(2026, 10, 25, 1, 30), datetime.fromisoformat("2026-10-25T02:30:00+01:00")),
    (datetime(1900, 2, 28, 23, 0), datetime.fromisoformat("1900-03-01T00:00:00+01:00")),
    (datetime(1900, 2, 28, 22, 59, 59), "1900-02-28T23:59:59+01:00"),  # Excel's phantom leap day
    (datetime(1, 1, 1), "0001-01-01T00:53:28+00:53:28"),  # Berlin's local mean time
    (datetime(9999, 12, 31, 21, 0), datetime.fromisoformat("9999-12-31T22:00:00+01:00")),
    (datetime(9999, 12, 31, 22, 59, 59, 999999), "9999-12-31T23:59:59.999999+01:00"),
    (datetime(9999, 12, 31, 23, 30), "9999-12-31T23:30:00+00:00"),  # past 9999 in Berlin: UTC
    (None, None),
]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_excel_keeps_times_it_cannot_hold_as_text_and_a_missing_time_empty(
    db_url: str, fmt: str
) -> None:
    rows = [{"description": f"edge {i}", "created_at": t} for i, (t, _) in enumerate(EXCEL_EDGES)]
    berlin = AuditFilter(range="all", tz="Europe/Berlin")
    with source_with_rows(db_url, rows) as source:
        data = export_bytes(source, berlin, NOW, fmt, newest_first=False)
    by_description = {r["description"]: r for r in READERS[fmt](data)}
    got = [by_description[f"edge {i}"]["created_at"] for i in range(len(EXCEL_EDGES))]
    if fmt == "csv":  # every time as text: what the Excel text cells must match
        wanted = [
            None if e is None else e if isinstance(e, str) else e.isoformat()
            for _, e in EXCEL_EDGES
        ]
        assert got == wanted
        return
    wanted = [e.isoformat() if isinstance(e, datetime) else e for _, e in EXCEL_EDGES]
    assert got == wanted
    header, cells = xlsx_times(data)
    assert header == "created_at (Europe/Berlin)"
    assert sum(isinstance(c, datetime) for c in cells) == 4


@pytest.mark.parametrize("text", ["a" * 32_767, "a" * 40_000, "😀" * 20_000, "a😀" * 12_000])
def test_fit_excel_cell_stays_within_excels_limit(text: str) -> None:
    fitted = fit_excel_cell(text)
    assert len(fitted.encode("utf-16-le")) // 2 <= 32_767
    assert (fitted == text) == (len(text.encode("utf-16-le")) // 2 <= 32_767)


def test_text_that_is_not_json_is_exported_as_a_string(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'odd.sqlite3'}"
    writer = sa.create_engine(url)
    metadata.create_all(writer)
    with writer.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO audit_logs (action, resource_type, description, details, tags, "
                "metadata, created_at) VALUES ('update', 'setting', 'odd JSON', 'not json {', "
                "'NaN', '{\"ok\": [1, 2]}', '2026-11-20 11:00:00.000000')"
            )
        )
    writer.dispose()
    engine = create_readonly_engine(url)
    source = check_database(engine).source
    assert source is not None
    (line,) = read_jsonl(export_bytes(source, ALL_TIME, NOW, "jsonl"))
    assert (line["details"], line["tags"], line["metadata"]) == (
        "not json {",
        "NaN",
        {"ok": [1, 2]},
    )
    for fmt in ("csv", "xlsx", "parquet"):
        (row,) = READERS[fmt](export_bytes(source, ALL_TIME, NOW, fmt))
        assert (row["details"], row["tags"], row["metadata"]) == (
            "not json {",
            "NaN",
            {"ok": [1, 2]},
        )
    (raw,) = csv.DictReader(
        io.StringIO(export_bytes(source, ALL_TIME, NOW, "csv").decode("utf-8-sig"))
    )
    assert (raw["details"], raw["metadata"]) == ('"not json {"', '{"ok":[1,2]}')
    engine.dispose()


def test_rows_appended_during_an_export_are_left_out(db_url: str) -> None:
    rows = [{"description": f"event {n}"} for n in range(5)]
    writer = sa.create_engine(db_url)

    def append_a_matching_row(done: int, total: int) -> None:
        if done == 0:
            with writer.begin() as conn:
                conn.execute(audit_logs.insert().values(**BASE_ROW, description="late"))

    with source_with_rows(db_url, rows) as source:
        out = io.BytesIO()
        written = write_export(
            source, ALL_TIME, NOW, "jsonl", out, cap=10, progress=append_a_matching_row
        )
        assert written == 5
        assert [r["description"] for r in read_jsonl(out.getvalue())] == [
            f"event {n}" for n in reversed(range(5))
        ]
        assert len(read_jsonl(export_bytes(source, ALL_TIME, NOW, "jsonl"))) == 6
    writer.dispose()


def test_the_command_line_export_fixes_a_relative_range() -> None:
    now = datetime(2026, 11, 20, 11, 0, tzinfo=UTC)
    flt = AuditFilter(range="7d", tz="Europe/Berlin", severities=("high",))
    words = shlex.split(command_line_export(flt, now, "xlsx"))
    assert words == [
        "python", "-m", "audit.export", "--format", "xlsx", "--query", words[6], "--out", "exports/"
    ]  # fmt: skip
    parsed, notices = AuditFilter.from_params(urllib.parse.parse_qs(words[6]), "UTC")
    assert notices == [] and parsed.range == "custom" and parsed.severities == ("high",)
    assert (parsed.start, parsed.end) == (now - timedelta(days=7), now)
    assert parsed.tz == "Europe/Berlin"


def test_check_browser_export_names_the_setting_and_carries_the_command() -> None:
    check_browser_export(100, 100, "python -m audit.export")
    with pytest.raises(TooLargeForBrowser) as refused:
        check_browser_export(101, 100, "python -m audit.export --format csv")
    assert "101 events" in str(refused.value) and "100 rows" in str(refused.value)
    assert "AUDIT_BROWSER_EXPORT_ROW_CAP" in refused.value.reason
    assert refused.value.command == "python -m audit.export --format csv"
    assert isinstance(refused.value, ExportRefused)


def test_the_browser_export_cap_is_a_setting() -> None:
    assert load_settings(env={}, secrets={}).browser_export_row_cap == 100_000
    from_secrets = load_settings(env={}, secrets={"audit": {"browser_export_row_cap": 5000}})
    assert from_secrets.browser_export_row_cap == 5000
    with pytest.raises(ConfigError, match="browser_export_row_cap"):
        load_settings(env={"AUDIT_BROWSER_EXPORT_ROW_CAP": "0"}, secrets={})


# ---------------------------------------------------------------------------------------
# File names


BERLIN_WEEK = {"range": "custom", "tz": "Europe/Berlin", "start": WEEK_START, "end": WEEK_END}
SAFE_NAME = re.compile(r"[A-Za-z0-9._+-]+")


@pytest.mark.parametrize(
    ("flt", "fmt", "expected"),
    [
        (
            AuditFilter(range="7d", tz="Europe/Berlin"),
            "csv",
            "audit-explorer_2026-11-13T1200_2026-11-20T1200.csv",
        ),
        (
            AuditFilter(
                range="custom",
                tz="Europe/Berlin",
                start=datetime(2026, 11, 13, tzinfo=BERLIN),
                end=datetime(2026, 11, 20, tzinfo=BERLIN),
                severities=("high",),
                users=(10,),
            ),
            "csv",
            "audit-explorer_2026-11-13_2026-11-20_severity-high_user-10.csv",
        ),
        (AuditFilter(range="all"), "parquet", "audit-explorer_all-time.parquet"),
        (
            AuditFilter(
                range="custom", tz="America/New_York", end=datetime(2026, 11, 1, tzinfo=UTC)
            ),
            "xlsx",
            "audit-explorer_until-2026-10-31T2000.xlsx",
        ),
        (
            AuditFilter(range="custom", start=datetime(2026, 11, 1, 6, 30, 15, tzinfo=UTC)),
            "jsonl",
            "audit-explorer_from-2026-11-01T063015.jsonl",
        ),
        (
            AuditFilter(
                range="all",
                actions=("login", "logout", "delete", "export"),
                ip=("192.0.2.*",),
                excludes=("category:billing", "action:export"),
                text="failed Zürich",
            ),
            "csv",
            "audit-explorer_all-time_action-login+logout+delete+1-more_ip-192.0.2.x"
            "_not-category-billing_not-action-export_search-failed-Zurich.csv",
        ),
    ],
)
def test_export_filename_says_what_the_file_holds(
    flt: AuditFilter, fmt: str, expected: str
) -> None:
    name = export_filename(flt, datetime(2026, 11, 20, 11, 0, tzinfo=UTC), fmt)
    assert name == expected
    assert SAFE_NAME.fullmatch(name)


HOSTILE_VALUES = ["../../etc/passwd", "a\x00b\nc", "😀" * 40, "CON", ".hidden", "-rf", "x" * 500]


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_export_filename_has_safe_characters_only(value: str) -> None:
    flt = AuditFilter(range="all", actions=(value,), resource_id=value, text=value)
    name = export_filename(flt, NOW, "csv")
    assert SAFE_NAME.fullmatch(name) and name.startswith("audit-explorer_all-time_")
    assert not any(part.startswith((".", "-")) for part in name.split("_"))


def test_export_filename_is_bounded_and_says_what_it_left_out() -> None:
    many = AuditFilter(
        **BERLIN_WEEK,
        **{d.field: ("v" * 40, "w" * 40, "y", "z") for d in REGISTRY if d.multi},
        resource_id="r" * 60,
        session_id="s" * 60,
        request_id="q" * 60,
        text="t" * 60,
    )
    name = export_filename(many, NOW, "parquet")
    assert len(name) <= MAX_NAME_LENGTH
    assert name.startswith("audit-explorer_2026-10-22_2026-10-29_severity-")
    assert re.search(r"_\d+-more-filters\.parquet$", name), name
    assert SAFE_NAME.fullmatch(name)


def test_export_filename_for_a_viewer_names_no_identity() -> None:
    flt = AuditFilter(
        **BERLIN_WEEK,
        severities=("high",),
        users=(10,),
        ip=("203.0.113.7",),
        agents=("curl/8.0",),
        session_id="s-1",
        excludes=("user:11", "action:login"),
        text="alice@example.com",
    )
    analyst = export_filename(flt, NOW, "csv")
    viewer = export_filename(flt, NOW, "csv", masked=True)
    assert "_user-10_ip-203.0.113.7_" in analyst
    assert viewer == (
        "audit-explorer_2026-10-22_2026-10-29_severity-high_agent-curl-8.0_not-action-login.csv"
    )


# ---------------------------------------------------------------------------------------
# Command line


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No secrets, no settings from the environment, an export log of the test's own
    (returned)."""
    monkeypatch.setenv("STREAMLIT_SECRETS_FILES", str(tmp_path / "no-secrets.toml"))
    for name in ("AUDIT_DB_URL", "AUDIT_EXPORT_ROW_CAP", "AUDIT_DEFAULT_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    log = tmp_path / "logs" / "export-log.jsonl"
    monkeypatch.setenv("AUDIT_EXPORT_LOG", str(log))
    return log


def week_query() -> str:
    return urllib.parse.urlencode(WEEK.to_params(), doseq=True)


@pytest.mark.usefixtures("cli_env")
def test_cli_writes_the_file_and_reports_it(
    demo: DemoDatabase, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "exports"
    args = ["--db", demo.url, "--format", "jsonl", "--query", week_query(), "--out", f"{out_dir}/"]
    assert cli.main(args) == 0
    path_line, count_line = capsys.readouterr().out.splitlines()
    path = Path(path_line)
    assert path.parent == out_dir
    assert path.name == "audit-explorer_2026-10-22_2026-10-29_severity-low+high+unset.jsonl"
    assert path.name == export_filename(WEEK, demo.now, "jsonl")  # as the browser names it
    expected_ids = [r["id"] for r in expected_week(demo, "jsonl")]
    assert [r["id"] for r in read_jsonl(path.read_bytes())] == expected_ids
    assert count_line == f"{len(expected_ids)} rows"
    assert sorted(p.name for p in out_dir.iterdir()) == [path.name]


@pytest.mark.usefixtures("cli_env")
def test_cli_pins_now_from_the_query(
    demo: DemoDatabase, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``now=`` in the query ends a relative range there, as on the pages."""
    now = datetime(2026, 10, 29, 12, 0, tzinfo=UTC)
    query = "range=7d&tz=UTC&severity=high&now=2026-10-29T13:00:00%2B01:00"
    assert (
        cli.main(["--db", demo.url, "--format", "jsonl", "--query", query, "--out", f"{tmp_path}/"])
        == 0
    )
    captured = capsys.readouterr()
    path = Path(captured.out.splitlines()[0])
    assert path.name == "audit-explorer_2026-10-22T1200_2026-10-29T1200_severity-high.jsonl"
    pinned = AuditFilter(range="7d", tz="UTC", severities=("high",))
    expected_ids = [r["id"] for r in read_jsonl(export_bytes(demo.source, pinned, now, "jsonl"))]
    assert expected_ids and [r["id"] for r in read_jsonl(path.read_bytes())] == expected_ids
    assert "notice" not in captured.err


@pytest.mark.usefixtures("cli_env")
def test_cli_ignores_a_bad_now_with_a_notice(
    demo: DemoDatabase, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    query = "range=1h&now=tomorrow"
    assert cli.main(["--db", demo.url, "--query", query, "--out", f"{tmp_path}/"]) == 0
    assert "notice: Ignored now='tomorrow'" in capsys.readouterr().err


@pytest.mark.usefixtures("cli_env")
def test_cli_chosen_name_never_replaces_an_earlier_file(
    demo: DemoDatabase, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--db", demo.url, "--query", week_query() + "&action=login", "--out", f"{tmp_path}/"]
    assert cli.main(args) == 0 and cli.main(args) == 0
    first, second = (Path(line) for line in capsys.readouterr().out.splitlines()[::2])
    stem = "audit-explorer_2026-10-22_2026-10-29_severity-low+high+unset_action-login"
    assert (first.name, second.name) == (f"{stem}.csv", f"{stem}_copy-2.csv")
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.usefixtures("cli_env")
def test_cli_refusal_exits_non_zero_and_leaves_no_file(
    demo: DemoDatabase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("AUDIT_EXPORT_ROW_CAP", "10")
    target = tmp_path / "week.csv"
    query = week_query() + "&outcome=maybe"
    assert cli.main(["--db", demo.url, "--query", query, "--out", str(target)]) == 1
    err = capsys.readouterr().err
    assert "notice: Ignored outcome='maybe'" in err
    assert "Export refused" in err and "export limit of 10 rows" in err
    assert list(tmp_path.iterdir()) == []  # no file, and nothing logged


@contextmanager
def umask(mask: int) -> Iterator[None]:
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("cli_env")
def test_cli_never_writes_through_a_planted_link(
    demo: DemoDatabase, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Links planted where the export goes, under the name a temporary file once had
    and under the file's own name, are replaced or left alone, never written through."""
    out_dir, victim = tmp_path / "exports", tmp_path / "victim.txt"
    out_dir.mkdir()
    victim.write_text("precious")
    target = out_dir / "week.csv"
    (out_dir / ".week.csv.part").symlink_to(victim)
    target.symlink_to(victim)
    assert cli.main(["--db", demo.url, "--query", week_query(), "--out", str(target)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == str(target)
    assert victim.read_text() == "precious"
    assert target.is_file() and not target.is_symlink()
    expected_ids = [r["id"] for r in expected_week(demo, "csv")]
    assert [r["id"] for r in read_csv(target.read_bytes())] == expected_ids
    assert sorted(p.name for p in out_dir.iterdir()) == [".week.csv.part", "week.csv"]


@pytest.mark.usefixtures("cli_env")
def test_cli_files_and_new_folders_are_owner_only(demo: DemoDatabase, tmp_path: Path) -> None:
    out_dir = tmp_path / "new-folder"
    with umask(0o022):  # a common umask, which would leave files readable by all
        assert cli.main(["--db", demo.url, "--query", week_query(), "--out", f"{out_dir}/"]) == 0
    (written,) = out_dir.iterdir()
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert stat.S_IMODE(out_dir.stat().st_mode) == 0o700


def test_cli_logs_each_export_with_the_os_user_and_the_query(
    demo: DemoDatabase, tmp_path: Path, cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    query = week_query() + "&outcome=maybe"  # the log keeps the query as given
    args = ["--db", demo.url, "--format", "xlsx", "--query", query, "--out", f"{tmp_path}/x/"]
    assert cli.main(args) == 0
    path = Path(capsys.readouterr().out.splitlines()[0])
    (entry,) = read_log(cli_env)
    assert entry["who"] == pwd.getpwuid(os.geteuid()).pw_name
    assert (entry["via"], entry["query"], entry["format"]) == ("command line", query, "xlsx")
    assert entry["filter"] == WEEK.to_params()
    assert (entry["rows"], entry["file"]) == (len(expected_week(demo, "xlsx")), str(path))
    assert stat.S_IMODE(cli_env.stat().st_mode) == 0o600


@pytest.mark.usefixtures("cli_env")
def test_cli_delivers_no_file_it_cannot_log(
    demo: DemoDatabase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "not-a-folder").write_text("")
    monkeypatch.setenv("AUDIT_EXPORT_LOG", str(tmp_path / "not-a-folder" / "log.jsonl"))
    out_dir = tmp_path / "exports"
    assert cli.main(["--db", demo.url, "--query", week_query(), "--out", f"{out_dir}/"]) == 2
    assert "cannot write the export log" in capsys.readouterr().err
    assert list(out_dir.iterdir()) == []


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize(
    "url", ["sqlite:///{tmp}/missing.sqlite3", "postgresql+psycopg://nobody@127.0.0.1:9/none"]
)
def test_cli_unreachable_database_exits_non_zero(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--db", url.format(tmp=tmp_path), "--query", "range=all", "--out", str(tmp_path)]
    assert cli.main(args) == 2
    assert "cannot be reached" in capsys.readouterr().err
    assert not any(p.suffix in (".csv", ".part") for p in tmp_path.iterdir())


@pytest.mark.parametrize("newest_first", [True, False])
def test_rows_without_a_time_come_last_in_either_order(db_url: str, newest_first: bool) -> None:
    base = datetime(2026, 11, 1, 12, 0)
    times = [(i, base + timedelta(minutes=i // 2)) for i in range(1, 12)]
    times += [(i, None) for i in (14, 12, 13)]
    rows = [
        {"id": i, "action": "read", "resource_type": "doc", "description": "d", "created_at": at}
        for i, at in times
    ]
    writer = sa.create_engine(db_url)
    metadata.create_all(writer)
    with writer.begin() as conn:
        for row in rows:
            conn.execute(audit_logs.insert().values(**row))
    writer.dispose()
    engine = create_readonly_engine(db_url)
    source = check_database(engine).source
    assert source is not None
    out = io.BytesIO()
    flt = AuditFilter(range="all")
    now = datetime(2026, 11, 2, tzinfo=UTC)
    write_export(source, flt, now, "csv", out, cap=100, newest_first=newest_first, chunk_size=4)
    engine.dispose()
    ids = [int(r["id"]) for r in csv.DictReader(io.StringIO(out.getvalue().decode("utf-8-sig")))]
    timed = sorted(range(1, 12), key=lambda i: (i // 2, i), reverse=newest_first)
    assert ids == timed + sorted((12, 13, 14), reverse=newest_first)
