"""The command-line feeds' output (anomalies, incidents): JSON as is, or CSV with one
header row and every text cell made safe for spreadsheets."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from audit.export.cells import neutralize

Cell = Callable[[str, Any], Any]


def render_feed(
    records: Sequence[Mapping[str, Any]], columns: Sequence[str], form: str, cell: Cell
) -> str:
    """``records`` as JSON (``form == "json"``) or CSV, where ``cell(name, value)`` turns a
    value into one spreadsheet cell and no text cell can start a formula."""
    if form == "json":
        return json.dumps(list(records), ensure_ascii=False, indent=2) + "\n"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for record in records:
        cells = (cell(name, record[name]) for name in columns)
        writer.writerow(neutralize(v) if isinstance(v, str) else v for v in cells)
    return out.getvalue()
