"""The performance targets, each checked against a run's results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from audit.tools.bench.parameters import (
    CACHED_OVERVIEW,
    MIRROR_SECURITY,
    OVERVIEW_AS_PAGE,
    SMALL_ROWS,
    SYNC_ROWS,
)
from audit.tools.bench.scenarios import Run


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
