"""The report: the results as JSON (``docs/performance.json``) and, as Markdown tables, in
a section of ``docs/performance.md`` per database and size (other sections are kept)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from audit.tools.bench.checks import targets
from audit.tools.bench.databases import Target
from audit.tools.bench.parameters import RESULTS_HEADING
from audit.tools.bench.scenarios import Run


def _cell(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _lower(item: tuple[str, str]) -> str:
    return item[0].lower()


def markdown(run: Run, info: dict[str, Any]) -> str:
    t = run.target
    pkgs = ", ".join(f"{k} {v}" for k, v in sorted(info["packages"].items(), key=_lower))
    lines = [
        f"### {t.dialect}, {t.rows:,} rows" + (" (quick smoke run)" if run.quick else ""),
        "",
        f"Measured {info['started']} on {info['cpus']} CPUs ({info['cpu']}), "
        f"{info['memory_gb']} GB RAM, {info['os']}, Python {info['python']}, "
        f"{info['database']}; {pkgs}. Load average at start: {info['load_average_at_start']} "
        "(the machine is shared).",
        "",
        "| Measurement | Engine | Indexes | Cold (s) | Warm (s) | Peak growth (MB) | Notes |",
        "|---|---|---|---:|---:|---:|---|",
    ]
    for row in run.results:
        lines.append(
            f"| {row['name']} | {row['engine']} | {_cell(row['indexes'])} | "
            f"{_cell(row['cold_s'])} | {_cell(row.get('warm_s'))} | "
            f"{_cell(row.get('peak_growth_mb'), 1)} | {_notes(row)} |"
        )
    lines += ["", "| Target | Measured | Met |", "|---|---|---|"]
    for check in targets(run):
        met = {True: "yes", False: "**no**", None: "–"}[check.met]
        lines.append(f"| {check.target} | {check.measured} | {met} |")
    return "\n".join(lines) + "\n"


_NOTE_KEYS = (
    "rows",
    "count",
    "file_mb",
    "appended",
    "append_s",
    "caught_up",
    "slices_verified",
    "resynced",
    "findings",
    "incidents",
    "peak_rss_mb",
    "pages",
)


def _notes(row: dict[str, Any]) -> str:
    return ", ".join(f"{k}={row[k]}" for k in _NOTE_KEYS if k in row and row[k] is not None)


def write_reports(run: Run, info: dict[str, Any], md_path: Path, json_path: Path) -> None:
    key = run.target.key + ("-quick" if run.quick else "")
    json_path.parent.mkdir(parents=True, exist_ok=True)
    stored = json.loads(json_path.read_text()) if json_path.exists() else {}
    stored[key] = {
        "machine": info,
        "results": run.results,
        "targets": [c.__dict__ for c in targets(run)],
    }
    json_path.write_text(json.dumps(stored, indent=1, sort_keys=True, default=str) + "\n")
    section = markdown(run, info)
    text = md_path.read_text() if md_path.exists() else f"# Performance\n\n{RESULTS_HEADING}\n"
    md_path.write_text(replace_section(text, key, section))


def replace_section(
    text: str, key: str, section: str, prefix: str = "bench", heading: str = RESULTS_HEADING
) -> str:
    """The document with the section of ``key`` replaced, or added at the end of the part
    under ``heading`` (which is added at the end of the document when missing)."""
    start, end = f"<!-- {prefix}:{key}:start -->", f"<!-- {prefix}:{key}:end -->"
    block = f"{start}\n{section}{end}"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        return before + block + rest.split(end, 1)[1]
    if heading not in text:
        text = text.rstrip("\n") + f"\n\n{heading}\n"
    head, tail = text.split(heading, 1)
    next_heading = tail.find("\n## ")
    if next_heading < 0:
        return f"{text.rstrip(chr(10))}\n\n{block}\n"
    part, rest = tail[:next_heading], tail[next_heading:]
    return f"{head}{heading}{part.rstrip(chr(10))}\n\n{block}\n{rest}"


def rerender(md_path: Path, json_path: Path) -> None:
    """Write the Markdown sections again from the stored JSON results (no measuring), by
    size, SQLite first."""
    stored = json.loads(json_path.read_text())
    text = re.sub(
        r"\n*<!-- bench:(\S+):start -->.*?<!-- bench:\1:end -->",
        "",
        md_path.read_text(),
        flags=re.S,
    )
    for key in sorted(stored, key=_section_order):
        dialect, rows, *quick = key.split("-")
        run = Run(Target(dialect, "", int(rows), True), Path(), bool(quick), stored[key]["results"])
        text = replace_section(text, key, markdown(run, stored[key]["machine"]))
    md_path.write_text(text)


def _section_order(key: str) -> tuple[int, bool, str]:
    dialect, rows, *_ = key.split("-")
    return int(rows), dialect != "sqlite", key
