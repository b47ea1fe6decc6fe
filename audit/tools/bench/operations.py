"""One measurement: an operation run cold once, then warm, with its time and memory;
normally in a child process (``python -m audit.tools.bench --measure SPEC``), so that
times are cold and memory peaks are the operation's own."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from audit.config import PROJECT_ROOT
from audit.db import Source, check_database, create_readonly_engine
from audit.tools.bench.dashboard import render_every_page
from audit.tools.bench.naive import naive_load, naive_overview
from audit.tools.bench.page_queries import run_overview, run_security
from audit.tools.bench.parameters import (
    ANOMALY_FILTERS,
    BENCH_NOW,
    EXPLORER_FILTERS,
    PAGE_SIZE,
    SEARCH_FILTER,
    STATEMENT_TIMEOUT,
    WHOLE_RANGE,
)
from audit.tools.bench.process import environment, reset_peak, status_mb


@dataclass
class Context:
    spec: dict[str, Any]
    origin: Source
    _mirror: Any = None

    @property
    def mirror(self) -> Source:
        from audit.mirror import Mirror

        if self._mirror is None:
            self._mirror = Mirror(Path(self.spec["mirror"]))
        return self._mirror.source_for(self.origin)

    def engine_source(self) -> Source:
        return self.mirror if self.spec.get("engine") == "mirror" else self.origin


def _preload() -> None:
    """Import what the operations use, so that a cold run does not time Python's imports."""
    import pandas  # noqa: F401

    from audit import export, mirror, queries, security  # noqa: F401


def _open_context(spec: dict[str, Any]) -> Context:
    _preload()
    engine = create_readonly_engine(spec["url"], statement_timeout_seconds=STATEMENT_TIMEOUT)
    report = check_database(engine)
    if report.source is None:
        raise SystemExit(report.message)
    ctx = Context(spec, report.source)
    if spec.get("engine") == "mirror" or spec["op"] in ("mirror_sync", "mirror_verify"):
        with ctx.mirror.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    return ctx


def _op_overview(ctx: Context) -> dict[str, Any]:
    source, workers = ctx.engine_source(), ctx.spec.get("workers", 1)
    return {"queries": run_overview(source, workers, facets=ctx.spec.get("facets", True))}


def _op_overview_cached(ctx: Context) -> dict[str, Any]:
    """The overview through the dashboard's own cached calls: warm runs are cache hits."""
    settings = {
        "AUDIT_DB_URL": ctx.spec["url"],
        "AUDIT_MIRROR_PATH": ctx.spec["mirror"],
        "AUDIT_AGGREGATE_ENGINE": ctx.spec.get("engine", "source"),
    }
    with environment(**settings):
        from audit.ui import data

        return {"queries": run_overview(ctx.origin, api=data)}


def _op_explorer(ctx: Context) -> dict[str, Any]:
    from audit import queries

    flt = EXPLORER_FILTERS[ctx.spec["filter"]]
    page = queries.page_rows(ctx.origin, flt, BENCH_NOW, size=PAGE_SIZE)
    return {"rows": len(page.rows)}


def _op_count(ctx: Context) -> dict[str, Any]:
    from audit import queries

    flt = SEARCH_FILTER if ctx.spec.get("search") else EXPLORER_FILTERS[ctx.spec["filter"]]
    return {"count": queries.count_events(ctx.engine_source(), flt, BENCH_NOW)}


def _op_search(ctx: Context) -> dict[str, Any]:
    from audit import queries

    page = queries.page_rows(ctx.origin, SEARCH_FILTER, BENCH_NOW, size=PAGE_SIZE)
    return {"rows": len(page.rows)}


def _op_deep_page(ctx: Context) -> dict[str, Any]:
    from audit import queries

    cursor = queries.Cursor(*ctx.spec["cursor"])
    cursor = queries.Cursor(datetime.fromisoformat(cursor.created_at), cursor.id)
    page = queries.page_rows(ctx.origin, WHOLE_RANGE, BENCH_NOW, size=PAGE_SIZE, after=cursor)
    return {"rows": len(page.rows), "first_id": int(page.rows["id"].iloc[0])}


def _op_anomalies(ctx: Context) -> dict[str, Any]:
    """The baseline queries of the overview's Unusual section (grouped counts of the range
    and the four weeks before it, first-seen actions, returning users), under a filter of
    :data:`ANOMALY_FILTERS`."""
    from audit.anomalies import find_anomalies

    flt = ANOMALY_FILTERS[ctx.spec["filter"]]
    findings = find_anomalies(ctx.engine_source(), flt, BENCH_NOW)
    return {"anomalies": len(findings.anomalies), "width": findings.width}


def _op_security(ctx: Context) -> dict[str, Any]:
    return run_security(ctx.engine_source(), ctx.origin)


def _op_export(ctx: Context) -> dict[str, Any]:
    from audit.export import write_export

    target = Path(ctx.spec["out"])
    with target.open("wb") as out:
        written = write_export(ctx.origin, WHOLE_RANGE, BENCH_NOW, "csv", out, cap=ctx.spec["cap"])
    size = target.stat().st_size
    target.unlink()
    return {"rows": written, "file_mb": round(size / 2**20, 1)}


def _op_naive(ctx: Context) -> dict[str, Any]:
    frame, users = naive_load(ctx.spec["url"])
    naive_overview(frame, users, "UTC")
    return {"rows": len(frame)}


def _op_mirror_build(ctx: Context) -> dict[str, Any]:
    from audit.mirror import Mirror

    path = Path(ctx.spec["mirror"])
    shutil.rmtree(path.parent, ignore_errors=True)
    mirror = Mirror(path)
    report = mirror.build(ctx.origin)
    mirror.close()
    return {"rows": report.rows, "file_mb": round(path.stat().st_size / 2**20, 1)}


def _op_mirror_sync(ctx: Context) -> dict[str, Any]:
    """One step as a page or Refresh runs it, after SYNC_ROWS new rows: the rows are in after
    ``append_s``; the step then spends the rest of its budget checking older days."""
    from audit.mirror import STEP_SECONDS

    report = ctx._mirror.sync_step(ctx.origin, budget_seconds=STEP_SECONDS, wait=True)
    return {
        "appended": report.appended,
        "append_s": round(report.append_seconds, 3),
        "caught_up": report.caught_up,
        "slices_verified": report.verified,
    }


def _op_mirror_verify(ctx: Context) -> dict[str, Any]:
    """A whole verification pass (every day of the table) with nothing to append."""
    import math

    report = ctx._mirror.sync_step(ctx.origin, budget_seconds=math.inf, wait=True)
    return {"slices_verified": report.verified, "resynced": len(report.resynced)}


def _op_dashboard(ctx: Context) -> dict[str, Any]:
    return render_every_page(ctx.spec)


OPERATIONS: dict[str, Callable[[Context], dict[str, Any]]] = {
    "overview": _op_overview,
    "overview_cached": _op_overview_cached,
    "explorer": _op_explorer,
    "count": _op_count,
    "search": _op_search,
    "deep_page": _op_deep_page,
    "anomalies": _op_anomalies,
    "security": _op_security,
    "export": _op_export,
    "naive": _op_naive,
    "mirror_build": _op_mirror_build,
    "mirror_sync": _op_mirror_sync,
    "mirror_verify": _op_mirror_verify,
    "dashboard": _op_dashboard,
}


def measure(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one operation: cold once, then ``repeat`` warm runs; times and memory."""
    ctx = _open_context(spec)
    operation = OPERATIONS[spec["op"]]
    reset_peak()
    base = status_mb("VmRSS")
    started = time.perf_counter()
    extra = operation(ctx)
    cold = time.perf_counter() - started
    growth = status_mb("VmHWM") - base
    warm = []
    for _ in range(spec.get("repeat", 0)):
        started = time.perf_counter()
        operation(ctx)
        warm.append(time.perf_counter() - started)
    return {
        "cold_s": round(cold, 3),
        "warm_s": round(statistics.median(warm), 3) if warm else None,
        "peak_growth_mb": round(growth, 1),
        "peak_rss_mb": round(status_mb("VmHWM"), 1),
        **extra,
    }


def measure_in_child(spec: dict[str, Any]) -> dict[str, Any]:
    command = [sys.executable, "-m", "audit.tools.bench", "--measure", json.dumps(spec)]
    env = os.environ | {"PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run(
        command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"measurement {spec['op']} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])
