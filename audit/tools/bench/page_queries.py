"""What a page asks of the query layer: the overview's and the security page's queries,
as the pages run them."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from audit.db import Source
from audit.filters import AuditFilter
from audit.queries import COUNTED_TOGETHER
from audit.tools.bench.parameters import BENCH_NOW, FACET_LIMIT, FACETS, WHOLE_RANGE


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
