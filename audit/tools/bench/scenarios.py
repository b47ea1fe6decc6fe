"""A run over one database: every measurement, without and then with the recommended
indexes, from the source and from the mirror."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from audit.db import check_database, create_readonly_engine
from audit.queries import CONCURRENT_QUERIES
from audit.tools.bench.databases import Target, autocommit
from audit.tools.bench.operations import measure, measure_in_child
from audit.tools.bench.parameters import (
    ANOMALY_FILTERS,
    BENCH_NOW,
    CACHED_OVERVIEW,
    CHARTS_ONLY,
    DEEP_PAGES,
    EXPLORER_FILTERS,
    EXPORT_MAX_ROWS,
    MIRROR_SECURITY,
    NAIVE_MAX_ROWS,
    OVERVIEW_AS_PAGE,
    PAGE_SIZE,
    SMALL_ROWS,
    STATEMENT_TIMEOUT,
    SYNC_ROWS,
    WHOLE_RANGE,
)


@dataclass
class Run:
    target: Target
    workdir: Path
    quick: bool
    results: list[dict[str, Any]] = field(default_factory=list)

    @property
    def mirror_path(self) -> str:
        return str(self.workdir / f"mirror-{self.target.key}" / "audit_logs.duckdb")

    def measure(self, op: str, label: str, indexes: bool | None, **spec: Any) -> dict[str, Any]:
        spec = {"op": op, "url": self.target.url, "mirror": self.mirror_path} | spec
        spec.setdefault("repeat", 1 if self.quick or self.target.rows > 2_000_000 else 2)
        result = measure(spec) if self.quick else measure_in_child(spec)
        row = {"name": label, "engine": spec.get("engine", "source"), "indexes": indexes}
        row |= result
        self.results.append(row)
        _report_line(self.target, row)
        return row


def _report_line(target: Target, row: dict[str, Any]) -> None:
    warm = f", warm {row['warm_s']:.3f} s" if row.get("warm_s") is not None else ""
    print(
        f"{target.key}: {row['name']} [{row['engine']}, indexes={row['indexes']}]: "
        f"cold {row['cold_s']:.3f} s{warm}, +{row['peak_growth_mb']:.0f} MB",
        file=sys.stderr,
    )


def _deep_cursor(url: str, pages: int) -> tuple[str, int]:
    """The last row of page ``pages`` in the explorer's order (newest first)."""
    from audit.schema import audit_logs

    c = audit_logs.c
    statement = (
        sa.select(c.created_at, c.id)
        .order_by(c.created_at.desc().nulls_last(), c.id.desc())
        .offset(pages * PAGE_SIZE - 1)
        .limit(1)
    )
    engine = create_readonly_engine(url, STATEMENT_TIMEOUT)
    with engine.connect() as conn:
        created, row_id = conn.execute(statement).one()
    engine.dispose()
    return created.isoformat(), int(row_id)


def _walked_cursor(url: str, pages: int) -> tuple[str, int]:
    """The same cursor reached by paging for real (quick mode checks the shortcut)."""
    from audit import queries

    engine = create_readonly_engine(url)
    source = check_database(engine).source
    assert source is not None
    cursor = None
    for _ in range(pages):
        cursor = queries.page_rows(source, WHOLE_RANGE, BENCH_NOW, PAGE_SIZE, after=cursor).last
    engine.dispose()
    assert cursor is not None and cursor.created_at is not None
    return cursor.created_at.isoformat(), cursor.id


def source_measurements(run: Run, indexes: bool) -> None:
    run.measure("overview", "overview", indexes)
    run.measure("overview", OVERVIEW_AS_PAGE, indexes, workers=CONCURRENT_QUERIES)
    for name in EXPLORER_FILTERS:
        run.measure("explorer", f"explorer first page: {name}", indexes, filter=name)
        run.measure("count", f"explorer total: {name}", indexes, filter=name)
    run.measure("search", "free-text search, first page", indexes)
    run.measure("count", "free-text search, total", indexes, search=True)
    pages = min(DEEP_PAGES, run.target.rows // PAGE_SIZE // 2)
    cursor = _deep_cursor(run.target.url, pages)
    if run.quick:
        assert cursor == _walked_cursor(run.target.url, pages)
    run.measure(
        "deep_page",
        f"explorer page {pages + 1} (after {pages} keyset pages)",
        indexes,
        cursor=cursor,
    )
    anomaly_measurements(run, indexes)
    run.measure("security", "security page", indexes)
    run.measure("security", MIRROR_SECURITY, indexes, engine="mirror")
    if run.target.rows <= EXPORT_MAX_ROWS:
        out = str(run.workdir / "export.csv")
        run.measure(
            "export", "CSV export, every row", indexes, out=out, cap=run.target.rows + 1, repeat=0
        )


def anomaly_measurements(run: Run, indexes: bool | None, engine: str = "source") -> None:
    for name in ANOMALY_FILTERS:
        label = f"unusual (baselines): {name}"
        run.measure("anomalies", label, indexes, engine=engine, filter=name)


def mirror_measurements(run: Run) -> None:
    run.measure("mirror_build", "mirror: first build", None, repeat=0)
    run.measure("overview", "overview", None, engine="mirror")
    run.measure("overview_cached", CACHED_OVERVIEW, None, engine="mirror")
    run.measure("overview", CHARTS_ONLY, None, engine="mirror", facets=False)
    anomaly_measurements(run, None, engine="mirror")
    run.measure(
        "count",
        "explorer total: all time, failed logins",
        None,
        engine="mirror",
        filter="all time, failed logins",
    )


def sync_measurements(run: Run) -> None:
    """Append SYNC_ROWS rows to the source (the benchmark's own database), sync, remove them."""
    if not run.target.own:
        return
    max_id = _append_copies(run.target.url, SYNC_ROWS)
    try:
        run.measure(
            "mirror_sync", f"mirror: sync of {SYNC_ROWS:,} new rows (one step)", None, repeat=0
        )
    finally:
        _delete_after(run.target.url, max_id)
    label = f"mirror: full verification pass (after the {SYNC_ROWS:,} rows were deleted)"
    run.measure("mirror_verify", label, None, repeat=0)


def _append_copies(url: str, count: int) -> int:
    from audit.schema import audit_logs

    names = [c.name for c in audit_logs.columns]
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        max_id = int(conn.execute(sa.select(sa.func.max(audit_logs.c.id))).scalar())
        source = sa.select(
            *[(audit_logs.c.id + count) if n == "id" else audit_logs.c[n] for n in names]
        ).where(audit_logs.c.id > max_id - count)
        conn.execute(audit_logs.insert().from_select(names, source))
    engine.dispose()
    return max_id


def _delete_after(url: str, max_id: int) -> None:
    from audit.schema import audit_logs

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(audit_logs.delete().where(audit_logs.c.id > max_id))
    engine.dispose()


def dashboard_measurements(run: Run) -> None:
    run.measure("dashboard", "dashboard process, every page", None, repeat=0)
    if run.target.small_url and not run.quick:
        small_mirror = str(run.workdir / f"mirror-{run.target.dialect}-{SMALL_ROWS}" / "m.duckdb")
        spec = {"url": run.target.small_url, "mirror": small_mirror, "repeat": 0}
        row = {
            "name": f"dashboard process, every page, {SMALL_ROWS:,} rows",
            "engine": "source",
            "indexes": None,
        } | measure_in_child({"op": "dashboard"} | spec)
        run.results.append(row)
        _report_line(run.target, row)


def naive_measurements(run: Run) -> None:
    if run.target.rows <= NAIVE_MAX_ROWS:
        run.measure("naive", "overview, naive (read_sql + pandas)", None, engine="naive")


def index_phase(run: Run) -> None:
    """Measure without the recommended indexes, create them, measure again."""
    from audit.tools import indexes

    if not run.target.own:
        present = len(indexes.RECOMMENDED) - len(_missing_indexes(run.target.url))
        source_measurements(run, indexes=bool(present))
        return
    _drop_indexes(run.target.url)
    source_measurements(run, indexes=False)
    started = time.perf_counter()
    writer = indexes.create_writable_engine(run.target.url)
    indexes.apply(writer, indexes.missing(writer))
    writer.dispose()
    if run.target.dialect == "postgresql":
        autocommit(run.target.url, "ANALYZE audit_logs")
    seconds = time.perf_counter() - started
    run.results.append(
        {
            "name": "create the 4 recommended indexes",
            "engine": "source",
            "indexes": True,
            "cold_s": round(seconds, 3),
            "warm_s": None,
            "peak_growth_mb": None,
        }
    )
    source_measurements(run, indexes=True)


def _missing_indexes(url: str) -> list[Any]:
    from audit.tools import indexes

    engine = create_readonly_engine(url)
    try:
        return indexes.missing(engine)
    finally:
        engine.dispose()


def _drop_indexes(url: str) -> None:
    from audit.tools import indexes

    autocommit(url, *(f'DROP INDEX IF EXISTS "{spec.name}"' for spec in indexes.RECOMMENDED))


def run_target(target: Target, workdir: Path, quick: bool) -> Run:
    run = Run(target, workdir, quick)
    mirror_measurements(run)
    sync_measurements(run)
    naive_measurements(run)
    index_phase(run)
    dashboard_measurements(run)
    return run
