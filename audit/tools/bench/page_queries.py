"""What a page asks of the query layer: the overview's and the security page's queries,
as the pages run them."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from audit import plans
from audit.db import Source
from audit.dialect import CLICKHOUSE
from audit.filters import AuditFilter
from audit.routing import ROWS_FOUND_IN_MIRROR, Call, Route, function_name, run
from audit.tools.bench.parameters import BENCH_NOW, WHOLE_RANGE


def overview_calls(flt: AuditFilter, facets: bool = True) -> list[Call]:
    """Every query of the overview page, from the page's own plan (:mod:`audit.plans`), with
    the filter bar's unless ``facets`` is false; shared results counted once, as the page's
    prefetch runs them."""
    calls = plans.overview_plan(flt).calls()
    if facets:
        calls += plans.facet_calls(flt).values()
    return plans.distinct_calls(calls)


def run_overview(source: Source, workers: int = 1, api: Any = None, facets: bool = True) -> int:
    """The overview's queries on ``source`` directly, or through ``api`` (the dashboard's
    cached :mod:`audit.ui.data`, which routes them as the page does)."""
    now = BENCH_NOW
    calls = overview_calls(WHOLE_RANGE, facets)
    direct = Route(source, source.key, source.dialect)

    def one(call: Call) -> Any:
        return api.fetch(call, source, now) if api is not None else run(call, direct, now)

    if workers == 1:
        results = [one(call) for call in calls]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(one, calls))
    return len(results)


def run_security(aggregates: Source, rows: Source) -> dict[str, Any]:
    """The security page's queries (its own plan): aggregates from ``aggregates``, rows
    from ``rows``, found through ``aggregates`` when that is the mirror, as the page does."""
    from audit import security

    now, plan = BENCH_NOW, plans.security_plan(WHOLE_RANGE, security.Thresholds())
    aggregate_route = Route(aggregates, aggregates.key, aggregates.dialect)
    ids_from = None if aggregates is rows else aggregates
    rows_route = Route(rows, rows.key, rows.dialect, {"ids_from": ids_from})
    # on ClickHouse the incidents' events come from the source (see audit.routing)
    incidents_route = (
        Route(aggregates, aggregates.key, aggregates.dialect, {"rows_from": rows})
        if aggregates.dialect == CLICKHOUSE
        else aggregate_route
    )
    found = None
    for call in plans.distinct_calls(plan.calls()):
        rows_call = call.name in (function_name(f) for f in ROWS_FOUND_IN_MIRROR)
        route = incidents_route if call is plan.incidents else aggregate_route
        result = run(call, rows_route if rows_call else route, now)
        if call is plan.incidents:
            found = result
    assert found is not None
    return {"findings": len(found.detections.all()), "incidents": len(found.incidents)}
