"""Every export, from the browser or the command line, is logged to its own file (never to
``audit_logs``, which the dashboard only reads): who, when, how (``via``), which filter
(and, from the command line, the query as given), how many rows, which format."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from audit.config import PROJECT_ROOT
from audit.filters import AuditFilter

EXPORT_LOG_ENV = "AUDIT_EXPORT_LOG"
DEFAULT_EXPORT_LOG = PROJECT_ROOT / "data" / "export-log.jsonl"


def export_log_path() -> Path:
    return Path(os.environ.get(EXPORT_LOG_ENV) or DEFAULT_EXPORT_LOG)


def log_export(
    who: str,
    flt: AuditFilter,
    fmt: str,
    rows: int,
    file_name: str,
    path: Path | None = None,
    *,
    via: str = "browser",
    query: str | None = None,
) -> Path:
    """Append one JSON line; the file is created readable by its owner only."""
    path = path or export_log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    entry = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "who": who,
        "via": via,
        "format": fmt,
        "rows": rows,
        "file": file_name,
        "filter": flt.to_params(),
    }
    if query is not None:
        entry["query"] = query
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(descriptor, "a", encoding="utf-8") as log:
        log.write(json.dumps(entry, ensure_ascii=False) + "\n")
    return path


def read_log(path: Path | None = None) -> list[dict]:
    path = path or export_log_path()
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
