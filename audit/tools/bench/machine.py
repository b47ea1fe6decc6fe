"""The machine and the database a run measured on, for the report."""

from __future__ import annotations

import os
import platform
import sqlite3
from importlib import metadata as package_metadata
from pathlib import Path
from typing import Any

from audit.db import create_readonly_engine
from audit.tools.bench.databases import Target


def _first_line(path: str, prefix: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def _version(package: str) -> str:
    try:
        return package_metadata.version(package)
    except package_metadata.PackageNotFoundError:
        return "not installed"


def _server_version(target: Target) -> str:
    if target.dialect == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    engine = create_readonly_engine(target.url)
    with engine.connect() as conn:
        version = conn.exec_driver_sql("SHOW server_version").scalar()
    engine.dispose()
    return f"PostgreSQL {version}"


def machine(target: Target) -> dict[str, Any]:
    memory_kb = _first_line("/proc/meminfo", "MemTotal").split()[0]
    return {
        "cpus": os.cpu_count(),
        "cpu": _first_line("/proc/cpuinfo", "model name"),
        "memory_gb": round(int(memory_kb) / 2**20, 1) if memory_kb.isdigit() else None,
        "os": platform.platform(),
        "python": platform.python_version(),
        "database": _server_version(target),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "packages": {
            name: _version(name)
            for name in ("duckdb", "duckdb-engine", "SQLAlchemy", "pandas", "psycopg", "streamlit")
        },
    }
