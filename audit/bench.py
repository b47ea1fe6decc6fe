"""The benchmark: ``python -m audit.bench`` (see docs/performance.md).

It builds N demo rows (default 1,000,000) in SQLite and, when a PostgreSQL server is given,
in PostgreSQL, or uses the databases given with ``--url`` (read only), then measures, each
in a fresh process so that times are cold and memory peaks are the operation's own:

- the overview page (filter-bar facets, KPIs, both volume charts, three top lists, the
  severity-by-category and rhythm heatmaps) over the whole range, from the source
  database one query after the other, from the source with the queries run concurrently,
  and from the DuckDB mirror; and the naive way (``pandas.read_sql`` of the whole table,
  then pandas);
- the explorer's first page for five filters, a free-text search, the page reached after
  paging 1,000 times by keyset, the security page, and a CSV export of every row;
- building the mirror, syncing 10,000 new rows into it, and a full verification pass;
- the peak memory of a dashboard process rendering every page (Streamlit's AppTest),
  against a 10,000-row database and the large one.

Source-side measurements run without and then with the indexes of :mod:`audit.tools.indexes`
(on databases the benchmark built; a given ``--url`` is measured as found). "Cold" is the
first run in a new process: no result cache, connections open, the database's and the OS's
own caches as they are (flushing them needs a server restart). "Warm" is the median of the
runs that follow in the same process. Memory is the growth of the process's peak resident
set during the cold run (Linux ``/proc/self/clear_refs``), so DuckDB's and the drivers'
native memory count as well as Python's.

Results go to ``docs/performance.json`` and, as Markdown tables, into a section of
``docs/performance.md`` per database and size (other sections are kept).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata as package_metadata
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from audit.config import PROJECT_ROOT
from audit.db import Source, check_database, create_readonly_engine
from audit.filters import AuditFilter
from audit.queries import CONCURRENT_QUERIES, COUNTED_TOGETHER

BENCH_END = datetime(2026, 11, 20, 12, 0)  # naive UTC: the demo data ends here
BENCH_NOW = BENCH_END.replace(tzinfo=UTC)
BENCH_DAYS = 90
BENCH_SEED = 7
DEFAULT_ROWS = 1_000_000
QUICK_ROWS = 20_000
SMALL_ROWS = 10_000  # the small database the dashboard's memory is compared against
SYNC_ROWS = 10_000
PAGE_SIZE = 50
DEEP_PAGES = 1_000
STATEMENT_TIMEOUT = 3_600.0  # measure slow queries instead of cutting them off
NAIVE_MAX_ROWS = 2_000_000  # beyond this the naive way needs several GB: not run
EXPORT_MAX_ROWS = 2_000_000
DOCS_MD = PROJECT_ROOT / "docs" / "performance.md"
DOCS_JSON = PROJECT_ROOT / "docs" / "performance.json"
PG_URL_ENVS = ("AUDIT_BENCH_PG_URL", "AUDIT_TEST_PG_URL")
RESULTS_HEADING = "## Measured results"

WHOLE_RANGE = AuditFilter(range="all")
EXPLORER_FILTERS: dict[str, AuditFilter] = {
    "all time": WHOLE_RANGE,
    "last 7 days": AuditFilter(range="7d"),
    "24 hours, medium or worse security": AuditFilter(
        range="24h", severities=("medium", "high", "critical"), categories=("security",)
    ),
    "all time, failed logins": AuditFilter(range="all", actions=("login",), outcomes=("failure",)),
    "30 days, one user": AuditFilter(range="30d", users=(10,)),
    "90 days, one IP": AuditFilter(range="90d", ip="198.51.100.11"),
}
MIRROR_SECURITY = "security page (aggregates from the mirror, rows from the source)"
OVERVIEW_AS_PAGE = "overview, queries run 3 at once (as the page does)"
CHARTS_ONLY = "overview charts only (without the filter bar's 5 facet counts)"
CACHED_OVERVIEW = "overview through the dashboard's cache (warm = cache hit)"
SEARCH_FILTER = AuditFilter(range="all", text="sales-demo")
FACETS = ("severity", "category", "action", "resource_type", "outcome")
FACET_LIMIT = 200
OVERVIEW_TOPS = ("action", "resource_type", "user")


# ---------------------------------------------------------------------------------------
# What a page asks of the query layer


def overview_calls(
    source: Source, flt: AuditFilter, api: Any = None, facets: bool = True
) -> list[Callable[[], Any]]:
    """Every query of the overview page as the page runs them (filter bar included unless
    ``facets`` is false), as independent calls, through ``api``: :mod:`audit.queries`
    (default) or the dashboard's cached :mod:`audit.ui.data`. As on the page, one grouped
    scan gives the volume charts, the heatmap and three facets' counts, and the top actions
    and resource types are the head of the facets' lists."""
    if api is None:
        from audit import queries as api

    now = BENCH_NOW
    own = [by for by in FACETS if by not in COUNTED_TOGETHER]
    calls: list[Callable[[], Any]] = [
        lambda by=by: api.top_values(source, flt, now, by, FACET_LIMIT) for by in own
    ]
    return [
        *calls,
        lambda: _one_scan(api, source, flt, now, facets),
        lambda: api.kpis(source, flt, now),
        lambda: api.activity_rhythm(source, flt, now),
        lambda: api.top_values(source, flt, now, "user"),
    ]


def _one_scan(api: Any, source: Source, flt: AuditFilter, now: datetime, facets: bool) -> Any:
    """Both volume charts, the severity-by-category heatmap and (``facets``) the counts of
    the severity, category and outcome facets."""
    if api.__name__ == "audit.queries":
        counts = api.overview_counts(source, flt, now)
        tops = [counts.top(by, FACET_LIMIT) for by in COUNTED_TOGETHER] if facets else []
        volumes = [counts.volume(by) for by in ("severity", "category")]
        return *volumes, counts.severity_by_category(), *tops
    tops = [api.top_values(source, flt, now, by, FACET_LIMIT) for by in COUNTED_TOGETHER]
    volumes = [api.volume(source, flt, now, by) for by in ("severity", "category")]
    return *volumes, api.severity_by_category(source, flt, now), *(tops if facets else [])


def run_overview(source: Source, workers: int = 1, api: Any = None, facets: bool = True) -> int:
    calls = overview_calls(source, WHOLE_RANGE, api, facets)
    if workers == 1:
        results = [call() for call in calls]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(lambda call: call(), calls))
    return len(results)


def run_security(aggregates: Source, rows: Source) -> dict[str, Any]:
    """The security page's queries: aggregates from ``aggregates``, rows from ``rows``."""
    from audit import queries, security

    now, flt, th = BENCH_NOW, WHOLE_RANGE, security.Thresholds()
    found = security.detect(aggregates, flt, now, th)
    failures = security.login_failures_filter(flt)
    assert failures is not None
    security.failure_summary(aggregates, failures, now)
    security.count_high_security_events(aggregates, flt, now)
    queries.volume(aggregates, failures, now, "outcome")
    queries.top_values(aggregates, failures, now, "ip")
    queries.top_values(aggregates, failures, now, "user")
    ids_from = None if aggregates is rows else aggregates  # as the page does with a mirror
    security.high_security_events(rows, flt, now, ids_from=ids_from)
    security.lifecycle(rows, flt, now, th, ids_from=ids_from)
    return {"findings": len(found.all())}


# ---------------------------------------------------------------------------------------
# Memory of this process (Linux)


def _status_mb(field_name: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> None:
    with suppress(OSError):  # Linux only: resets the peak (VmHWM) to the current size
        Path("/proc/self/clear_refs").write_text("5")


# ---------------------------------------------------------------------------------------
# One measurement, normally in a child process (python -m audit.bench --measure SPEC)


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
    with _environment(**settings):
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
    _reset_peak()
    base = _status_mb("VmRSS")
    started = time.perf_counter()
    extra = operation(ctx)
    cold = time.perf_counter() - started
    growth = _status_mb("VmHWM") - base
    warm = []
    for _ in range(spec.get("repeat", 0)):
        started = time.perf_counter()
        operation(ctx)
        warm.append(time.perf_counter() - started)
    return {
        "cold_s": round(cold, 3),
        "warm_s": round(statistics.median(warm), 3) if warm else None,
        "peak_growth_mb": round(growth, 1),
        "peak_rss_mb": round(_status_mb("VmHWM"), 1),
        **extra,
    }


def measure_in_child(spec: dict[str, Any]) -> dict[str, Any]:
    command = [sys.executable, "-m", "audit.bench", "--measure", json.dumps(spec)]
    env = os.environ | {"PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run(
        command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"measurement {spec['op']} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------
# The naive way: the whole table into pandas, then pandas


def naive_load(url: str) -> tuple[Any, Any]:
    import pandas as pd

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        frame = pd.read_sql("SELECT * FROM audit_logs", conn)
        users = pd.read_sql("SELECT id, email, username FROM users", conn)
    engine.dispose()
    frame["created_at"] = pd.to_datetime(frame["created_at"])
    return frame, users


def naive_overview(frame: Any, users: Any, tz: str) -> dict[str, Any]:
    """The overview's numbers computed with pandas from the whole table."""
    from audit.vocab import HIGH_SEVERITIES, SECURITY_ACTIONS

    success = frame["success"]
    security = frame["action"].isin(SECURITY_ACTIONS) | (frame["category"] == "security")
    kpis = {
        "events": len(frame),
        "failed": int((success == False).sum()),  # noqa: E712 - NULL is not a failure
        "security": int(security.sum()),
        "high": int(frame["severity"].isin(HIGH_SEVERITIES).sum()),
        "users": frame["user_id"].nunique(),
        "ips": frame["ip_address"].nunique(),
    }
    local = frame["created_at"].dt.tz_localize("UTC").dt.tz_convert(tz).dt.tz_localize(None)
    week = local.dt.to_period("W").dt.start_time
    labelled = {
        "severity": frame["severity"].fillna("unset"),
        "category": frame["category"].fillna("uncategorized"),
        "outcome": success.map({True: "success", False: "failure"}).fillna("unknown"),
    }
    charts = {
        "volume_severity": frame.groupby([week, labelled["severity"]]).size(),
        "volume_category": frame.groupby([week, labelled["category"]]).size(),
        "severity_category": frame.groupby([labelled["severity"], labelled["category"]]).size(),
        "rhythm": frame.groupby([local.dt.day_of_week, local.dt.hour]).size(),
    }
    facets = {name: frame[name].value_counts(dropna=False).head(FACET_LIMIT) for name in FACETS[:4]}
    facets["outcome"] = labelled["outcome"].value_counts()
    top_users = frame["user_id"].value_counts(dropna=False).head(10).rename("count").reset_index()
    top_users = top_users.merge(users, left_on="user_id", right_on="id", how="left")
    tops = {name: frame[name].value_counts().head(10) for name in OVERVIEW_TOPS[:2]}
    return {"kpis": kpis, **charts, **facets, **tops, "top_users": top_users}


# ---------------------------------------------------------------------------------------
# The dashboard process rendering every page (AppTest), for its peak memory


@contextmanager
def _environment(**values: str) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def render_every_page(spec: dict[str, Any]) -> dict[str, Any]:
    settings = {
        "AUDIT_DB_URL": spec["url"],
        "AUDIT_MIRROR_PATH": spec["mirror"],
        "AUDIT_AGGREGATE_ENGINE": spec.get("aggregate_engine", "auto"),
        "AUDIT_STATEMENT_TIMEOUT_SECONDS": str(int(STATEMENT_TIMEOUT)),
    }
    with _environment(**settings):
        return _render_pages()


def _render_pages() -> dict[str, Any]:
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=STATEMENT_TIMEOUT)
    app.query_params["range"] = "all"
    app.run()
    errors = [str(e.value) for e in app.exception]
    for page in ("pages/explorer.py", "pages/security.py"):
        app.switch_page(page).run()
        errors += [str(e.value) for e in app.exception]
    app.query_params["id"] = "1"
    app.switch_page("pages/event.py").run()
    errors += [str(e.value) for e in app.exception]
    if errors:
        raise RuntimeError("a page failed: " + "; ".join(errors)[:2000])
    return {"pages": 4}


# ---------------------------------------------------------------------------------------
# Databases the benchmark builds (or is given)


@dataclass
class Target:
    dialect: str
    url: str
    rows: int
    own: bool  # built by the benchmark: it may add rows and indexes
    small_url: str | None = None  # the 10,000-row database of the same kind

    @property
    def key(self) -> str:
        return f"{self.dialect}-{self.rows}"


def _table_rows(url: str) -> int | None:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("audit_logs"):
                return None
            return int(conn.exec_driver_sql("SELECT count(*) FROM audit_logs").scalar())
    finally:
        engine.dispose()


def _ensure_demo(url: str, rows: int, fresh: bool) -> None:
    """Write the demo rows unless the database already holds exactly them."""
    from audit.progress import ProgressBar
    from audit.tools.demo import write_demo

    if not fresh and _table_rows(url) == rows:
        return
    shown = sa.make_url(url).render_as_string(hide_password=True)
    print(f"writing {rows:,} demo rows to {shown}", file=sys.stderr)
    write_demo(url, rows, BENCH_DAYS, BENCH_SEED, BENCH_END, ProgressBar())
    if url.startswith("postgresql"):
        _autocommit(url, "VACUUM ANALYZE audit_logs", "VACUUM ANALYZE users")


def _autocommit(url: str, *statements: str) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    engine.dispose()


def _pg_database(server_url: str, name: str) -> str:
    server = sa.make_url(server_url)
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).first()
        if exists is None:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


def build_targets(args: argparse.Namespace, workdir: Path) -> list[Target]:
    if args.url:
        return [_given_target(url) for url in args.url]
    targets = []
    if "sqlite" in args.dialects:
        url = f"sqlite:///{workdir / f'bench-{args.rows}.sqlite3'}"
        small = f"sqlite:///{workdir / f'bench-{SMALL_ROWS}.sqlite3'}"
        targets.append(Target("sqlite", url, args.rows, True, small))
    pg_server = args.pg_url or next((os.environ[e] for e in PG_URL_ENVS if e in os.environ), None)
    if "postgresql" in args.dialects and pg_server:
        url = _pg_database(pg_server, f"audit_bench_{args.rows}")
        small = _pg_database(pg_server, f"audit_bench_{SMALL_ROWS}")
        targets.append(Target("postgresql", url, args.rows, True, small))
    elif "postgresql" in args.dialects:
        print("no PostgreSQL server given (--pg-url): PostgreSQL skipped", file=sys.stderr)
    for target in targets:
        _ensure_demo(target.url, target.rows, args.fresh)
        if target.small_url and not args.quick:
            _ensure_demo(target.small_url, SMALL_ROWS, args.fresh)
    return targets


def _given_target(url: str) -> Target:
    engine = create_readonly_engine(url)
    dialect = engine.dialect.name
    with engine.connect() as conn:
        rows = int(conn.exec_driver_sql("SELECT count(*) FROM audit_logs").scalar())
    engine.dispose()
    return Target(dialect, url, rows, own=False)


# ---------------------------------------------------------------------------------------
# A run over one database


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
    run.measure("security", "security page", indexes)
    run.measure("security", MIRROR_SECURITY, indexes, engine="mirror")
    if run.target.rows <= EXPORT_MAX_ROWS:
        out = str(run.workdir / "export.csv")
        run.measure(
            "export", "CSV export, every row", indexes, out=out, cap=run.target.rows + 1, repeat=0
        )


def mirror_measurements(run: Run) -> None:
    run.measure("mirror_build", "mirror: first build", None, repeat=0)
    run.measure("overview", "overview", None, engine="mirror")
    run.measure("overview_cached", CACHED_OVERVIEW, None, engine="mirror")
    run.measure("overview", CHARTS_ONLY, None, engine="mirror", facets=False)
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
        _autocommit(run.target.url, "ANALYZE audit_logs")
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

    _autocommit(url, *(f'DROP INDEX IF EXISTS "{spec.name}"' for spec in indexes.RECOMMENDED))


def run_target(target: Target, workdir: Path, quick: bool) -> Run:
    run = Run(target, workdir, quick)
    mirror_measurements(run)
    sync_measurements(run)
    naive_measurements(run)
    index_phase(run)
    dashboard_measurements(run)
    return run


# ---------------------------------------------------------------------------------------
# The machine, the targets, and the report


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


def _find(results: list[dict[str, Any]], name: str, **where: Any) -> dict[str, Any] | None:
    for row in results:
        if row["name"] == name and all(row.get(k) == v for k, v in where.items()):
            return row
    return None


@dataclass(frozen=True)
class Check:
    target: str
    measured: str
    met: bool | None  # None: not measured in this run


def _check(target: str, row: dict[str, Any] | None, key: str, limit: float) -> Check:
    if row is None or row.get(key) is None:
        return Check(target, "not measured in this run", None)
    shown = f"{row[key]:.0f} MB" if key.endswith("_mb") else f"{row[key]:.3f} s"
    return Check(target, shown, row[key] <= limit)


def targets(run: Run) -> list[Check]:
    results = run.results
    mirror_overview = _find(results, "overview", engine="mirror")
    checks = [
        _check("overview from the mirror, cold ≤ 1 s", mirror_overview, "cold_s", 1.0),
        _check(
            "overview from the mirror, warm ≤ 0.1 s (the dashboard's cache)",
            _find(results, CACHED_OVERVIEW, engine="mirror"),
            "warm_s",
            0.1,
        ),
        _check(
            "overview from the mirror, warm ≤ 0.1 s (queries run again)",
            mirror_overview,
            "warm_s",
            0.1,
        ),
        _check(
            "security page with the mirror ≤ 2 s (with indexes when measured)",
            _find(results, MIRROR_SECURITY, indexes=True) or _find(results, MIRROR_SECURITY),
            "cold_s",
            2.0,
        ),
        _check(
            f"mirror sync of {SYNC_ROWS:,} new rows ≤ 1 s (until they are in the mirror)",
            _find(results, f"mirror: sync of {SYNC_ROWS:,} new rows (one step)"),
            "append_s",
            1.0,
        ),
    ]
    for indexes in _index_states(results):
        checks += _source_checks(results, indexes)
    checks += _explorer_checks(results)
    checks += _dashboard_checks(results)
    source_overview = _find(results, "overview", indexes=False) or _find(
        results, "overview", indexes=True
    )
    checks += _naive_checks(results, mirror_overview, source_overview)
    return checks


def _index_states(results: list[dict[str, Any]]) -> list[bool]:
    return [state for state in (False, True) if _find(results, "overview", indexes=state)]


def _source_checks(results: list[dict[str, Any]], indexes: bool) -> list[Check]:
    label = "with" if indexes else "without"
    export = _find(results, "CSV export, every row", indexes=indexes)
    return [
        _check(
            f"overview without the mirror, one query at a time, cold ≤ 1.5 s, {label} indexes",
            _find(results, "overview", indexes=indexes),
            "cold_s",
            1.5,
        ),
        _check(
            f"overview without the mirror, as the page runs it, cold ≤ 1.5 s, {label} indexes",
            _find(results, OVERVIEW_AS_PAGE, indexes=indexes),
            "cold_s",
            1.5,
        ),
        _check(f"CSV export of every row ≤ 20 s, {label} indexes", export, "cold_s", 20.0),
        _check(
            f"CSV export peak memory growth ≤ 150 MB, {label} indexes",
            export,
            "peak_growth_mb",
            150,
        ),
    ]


def _dashboard_checks(results: list[dict[str, Any]]) -> list[Check]:
    big = _find(results, "dashboard process, every page")
    small = next(
        (r for r in results if r["name"].startswith("dashboard process, every page, ")), None
    )
    checks = [
        _check("dashboard process < 500 MB while every page renders", big, "peak_rss_mb", 500)
    ]
    if big and small:
        grows = big["peak_rss_mb"] - small["peak_rss_mb"]
        checks.append(
            Check(
                "dashboard memory does not grow with the table",
                f"{big['peak_rss_mb']:.0f} MB vs {small['peak_rss_mb']:.0f} MB at "
                f"{SMALL_ROWS:,} rows",
                grows < 100,
            )
        )
    return checks


def _explorer_checks(results: list[dict[str, Any]]) -> list[Check]:
    checks = []
    for indexes in (False, True):
        pages = [
            r
            for r in results
            if r["name"].startswith("explorer first page") and r["indexes"] is indexes
        ]
        if not pages:
            continue
        worst = max(pages, key=lambda r: r["cold_s"])
        label = "with" if indexes else "without"
        checks.append(
            _check(
                f"explorer first page ≤ 0.2 s, slowest of the filters, {label} "
                f"indexes ({worst['name'].split(': ', 1)[1]})",
                worst,
                "cold_s",
                0.2,
            )
        )
        deep = next(
            (
                r
                for r in results
                if r["name"].startswith("explorer page ") and r["indexes"] is indexes
            ),
            None,
        )
        if deep:
            first = _find(results, "explorer first page: all time", indexes=indexes)
            limit = max(first["cold_s"] if first else 0.2, 0.2)
            checks.append(
                _check(
                    f"{deep['name']} no slower than the first page, {label} indexes",
                    deep,
                    "cold_s",
                    limit,
                )
            )
    return checks


def _naive_checks(
    results: list[dict[str, Any]], mirror: dict[str, Any] | None, source: dict[str, Any] | None
) -> list[Check]:
    naive = _find(results, "overview, naive (read_sql + pandas)")
    if naive is None:
        return [
            Check("cold overview ≥ 3× faster and ≥ 5× leaner than naive", "naive not run", None)
        ]
    checks = []
    for label, row in (("mirror", mirror), ("source", source)):
        if row is None:
            continue
        speed = naive["cold_s"] / max(row["cold_s"], 1e-9)
        lean = naive["peak_growth_mb"] / max(row["peak_growth_mb"], 1.0)
        checks.append(
            Check(f"cold overview ({label}) ≥ 3× faster than naive", f"{speed:.1f}×", speed >= 3)
        )
        checks.append(
            Check(
                f"cold overview ({label}) ≥ 5× leaner than naive",
                f"{lean:.1f}× (growth floored at 1 MB)",
                lean >= 5,
            )
        )
    return checks


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


def replace_section(text: str, key: str, section: str) -> str:
    """The document with the section of ``key`` replaced, or added at the end of the
    results (which close the document)."""
    start, end = f"<!-- bench:{key}:start -->", f"<!-- bench:{key}:end -->"
    block = f"{start}\n{section}{end}"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        return before + block + rest.split(end, 1)[1]
    if RESULTS_HEADING not in text:
        text = text.rstrip("\n") + f"\n\n{RESULTS_HEADING}\n"
    return f"{text.rstrip(chr(10))}\n\n{block}\n"


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


# ---------------------------------------------------------------------------------------
# Command line


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m audit.bench",
        description="Benchmark the dashboard's queries (source database and DuckDB mirror) "
        "against the naive read_sql + pandas way; writes docs/performance.md and .json.",
    )
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="demo rows to build")
    parser.add_argument(
        "--url",
        action="append",
        help="measure this database instead (read only; repeatable); nothing is built",
    )
    parser.add_argument(
        "--pg-url",
        help="PostgreSQL server URL to build the demo database in "
        f"(default: ${PG_URL_ENVS[0]} or ${PG_URL_ENVS[1]})",
    )
    parser.add_argument("--dialects", default="sqlite,postgresql", help="which to build")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: {QUICK_ROWS:,} rows, SQLite only, measured in this process",
    )
    parser.add_argument("--fresh", action="store_true", help="rebuild the demo databases")
    parser.add_argument("--workdir", type=Path, help="where databases and mirrors are kept")
    parser.add_argument("--out", type=Path, default=DOCS_MD, help="Markdown report")
    parser.add_argument("--json", type=Path, default=DOCS_JSON, help="JSON results")
    parser.add_argument(
        "--rerender", action="store_true", help="rewrite the Markdown from the JSON, no measuring"
    )
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.rows = QUICK_ROWS if args.rows == DEFAULT_ROWS else args.rows
        args.dialects = "sqlite" if args.dialects == "sqlite,postgresql" else args.dialects
    return args


@contextmanager
def _workdir(given: Path | None) -> Iterator[Path]:
    if given is not None:
        given.mkdir(parents=True, exist_ok=True)
        yield given
        return
    folder = Path(tempfile.gettempdir()) / "audit-bench"
    folder.mkdir(exist_ok=True)
    yield folder


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    if args.measure:
        print(json.dumps(measure(json.loads(args.measure)), default=str))
        return 0
    if args.rerender:
        rerender(args.out, args.json)
        return 0
    with _workdir(args.workdir) as workdir:
        for target in build_targets(args, workdir):
            info = machine(target) | {"started": datetime.now(UTC).isoformat(timespec="seconds")}
            run = run_target(target, workdir, args.quick)
            write_reports(run, info, args.out, args.json)
            for check in targets(run):
                print(
                    f"{target.key}: {check.target}: {check.measured} "
                    f"({ {True: 'met', False: 'MISSED', None: '-'}[check.met] })"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
