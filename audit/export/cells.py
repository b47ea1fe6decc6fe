"""What an export holds for each row: the export row (the plain Python values a
``transform`` sees and JSON Lines and Parquet write) and the text cells of the spreadsheet
formats, CSV and Excel.

- **Times** are aware datetimes in the display timezone, written as ISO 8601 text with the
  offset (``2026-11-20T13:05:00+01:00``), empty when NULL.
- **JSON columns** are parsed values in the export row and compact JSON text in cells.
  Stored text that is not JSON (possible on SQLite) becomes a JSON string.
- **Formula injection.** In CSV and Excel every text cell (JSON text included) starting
  with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading ``'`` so spreadsheet
  programs show it as text instead of evaluating it (OWASP's advice). So does every part
  of a cell after a ``;``, ``,`` or tab that starts with one of them: a spreadsheet in a
  semicolon-separator locale splits ``total;=1+1`` into two cells, the second a formula,
  and *Text to Columns* or a tab-separated paste split the same way (``total;'=1+1``).
  JSON text in those cells may then hold a ``'`` inside (``[1,'-2]``): spreadsheet cells
  are for reading; JSON Lines and Parquet keep the raw text.

:class:`CsvRecords`, the fast path of CSV exports, sits here beside :func:`export_row` and
:func:`sheet_cells` because it must give exactly the cells they give.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from audit.queries import user_id_or_none, user_label
from audit.schema import JSON_COLUMNS
from audit.timerange import local_moment

FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
FORMULA_SEPARATORS = ";,\t"  # where a spreadsheet may split one cell into several
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
Transform = Callable[[Row], Row]


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
    return None if naive_utc is None else local_moment(naive_utc, zone)


def export_row(values: Mapping[str, Any], zone: ZoneInfo) -> Row:
    """A database row (column name -> value) as the dict a ``transform`` receives: the keys
    of ``COLUMNS``, ``created_at`` aware in the display timezone, JSON columns parsed."""
    row = {name: values.get(name) for name in COLUMNS}
    row["created_at"] = _local_time(row["created_at"], zone)
    row["user"] = user_label(row["user_id"], values["email"], values["username"])
    row["user_id"] = user_id_or_none(row["user_id"])  # SQLite may hold text: named in "user"
    for name in JSON_COLUMNS:
        row[name] = parse_json(row[name])
    return row


def json_text(value: Any) -> str | None:
    return None if value is None else _JSON_ENCODER.encode(value)


def time_text(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def json_columns_as_text(row: Row) -> Row:
    return {name: json_text(row[name]) for name in JSON_COLUMNS}


_TRIGGER_CHARACTERS = frozenset(FORMULA_TRIGGERS)  # each trigger is one character
_TRIGGER_CLASS = "[" + re.escape("".join(FORMULA_TRIGGERS)) + "]"
_SEPARATOR_CLASS = "[" + re.escape(FORMULA_SEPARATORS) + "]"
# A trigger after a separator: the start of a formula once the cell is split there.
_HIDDEN_FORMULA = re.compile(_SEPARATOR_CLASS + _TRIGGER_CLASS)
# Where a ``'`` goes: the cell's start, or just after a separator, before a trigger.
_FORMULA_START = re.compile(f"(?:^|(?<={_SEPARATOR_CLASS}))(?={_TRIGGER_CLASS})")


def needs_neutralizing(value: str) -> bool:
    """Whether ``value``, or a part of it after a separator, starts like a formula."""
    return value[:1] in _TRIGGER_CHARACTERS or _HIDDEN_FORMULA.search(value) is not None


def neutralize(value: str) -> str:
    """Text a spreadsheet will not evaluate as a formula, even split at its separators: a
    ``'`` before the cell and before each part that starts with a trigger."""
    return _FORMULA_START.sub("'", value) if needs_neutralizing(value) else value


def sheet_cells(row: Row) -> list[Any]:
    """A row's cells for a spreadsheet: time and JSON as text, and every text neutralised
    against formula injection."""
    values = {**row, "created_at": time_text(row["created_at"]), **json_columns_as_text(row)}
    cells = [values[name] for name in COLUMNS]
    return [neutralize(v) if isinstance(v, str) else v for v in cells]


def csv_cell(value: Any) -> Any:
    """A cell of :func:`sheet_cells` (text already neutralised) as CSV writes it: booleans
    as ``true``/``false``."""
    if value is True or value is False:
        return "true" if value else "false"
    return value


class CsvRecords:
    """Database rows straight to CSV cells, the same cells :func:`export_row` and
    :func:`sheet_cells` give, without a dict per row: the export's hot loop when no
    transform applies (a third of the time per row)."""

    def __init__(self, names: Sequence[str], zone: ZoneInfo) -> None:
        at = {name: index for index, name in enumerate(names)}
        self.zone = zone
        self.order = [at.get(name, at["user_id"]) for name in COLUMNS]
        self.time_at = COLUMNS.index("created_at")
        self.user_at = COLUMNS.index("user")
        self.user_id_at = COLUMNS.index("user_id")
        self.user_fields = (at["user_id"], at["email"], at["username"])
        self.json_at = [COLUMNS.index(name) for name in JSON_COLUMNS]
        self.compacted: dict[Any, str] = {}
        self.utc = zone.key == "UTC"

    def _time_text(self, naive_utc: datetime) -> str:
        if self.utc:  # what astimezone() then isoformat() give, for a sixth of the time
            return naive_utc.isoformat() + "+00:00"
        return local_moment(naive_utc, self.zone).isoformat()

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
        if row[user_id].__class__ is not int and row[user_id] is not None:
            record[self.user_id_at] = user_id_or_none(row[user_id])
        for index in self.json_at:
            if record[index] is not None:
                record[index] = self._compact_json(record[index])
        # neutralize and csv_cell, inlined: this runs for every cell of every row.
        triggers, hidden, place = _TRIGGER_CHARACTERS, _HIDDEN_FORMULA.search, _FORMULA_START
        return [
            (place.sub("'", v) if v[:1] in triggers or hidden(v) else v)
            if v.__class__ is str
            else (("true" if v else "false") if v.__class__ is bool else v)
            for v in record
        ]
