"""Each page's queries, written once: the page draws from these calls, the prefetch runs
them at once before anything draws, and the benchmark times them. A plan names calls;
:mod:`audit.routing` decides which engine answers each."""

from __future__ import annotations

from dataclasses import dataclass

from audit import anomalies, queries, security
from audit.dimensions import BAR_FACETS, EXPLORER_FACETS, Dimension, split_exclusion
from audit.filters import AuditFilter
from audit.routing import Call
from audit.security import Thresholds
from audit.security.incidents import find_incidents

FACET_OPTION_LIMIT = 200  # options (with counts) of a filter-bar facet
TOP_SIZE = 10  # bars of a top list
OVERVIEW_TOP_LISTS: tuple[tuple[str, str], ...] = (
    ("action", "Top actions"),
    ("resource_type", "Top resource types"),
    ("user", "Top users"),
    ("agent", "Top user agents"),
)
DEFAULT_BREAKDOWN = "category"
_BAR_FACET_NAMES = frozenset(d.name for d in BAR_FACETS)


def volume_call(flt: AuditFilter, by: str) -> Call:
    """Events per time bucket and value of ``by``; severity, category and outcome come
    from the overview's one grouped scan."""
    if by in queries.COUNTED_TOGETHER:
        return Call(queries.overview_counts, flt, derive=lambda counts: counts.volume(by))
    return Call(queries.volume, flt, (by,))


def top_values_call(flt: AuditFilter, by: str, limit: int, shared: bool = True) -> Call:
    """The most frequent values of ``by``. Of severity, category and outcome, the one
    grouped scan (``shared``: worth it when the page reads it anyway, under the same
    filter), else a grouped query of its own."""
    if shared and by in queries.COUNTED_TOGETHER:
        return Call(queries.overview_counts, flt, derive=lambda counts: counts.top(by, limit))
    return Call(queries.top_values, flt, (by, limit))


def facet_filter(flt: AuditFilter, dimension: Dimension) -> AuditFilter:
    """The filter a facet counts under: as if its own filter (the values kept and the values
    excluded) were not set, so its other values stay on offer with their counts."""
    excludes = tuple(e for e in flt.excludes if split_exclusion(e)[0] != dimension.name)
    return flt.with_values(**{dimension.field: dimension.empty}, excludes=excludes)


def facet_calls(
    flt: AuditFilter, dimensions: tuple[Dimension, ...] = BAR_FACETS
) -> dict[str, Call]:
    """Option counts of facets, by dimension name (the filter bar's by default), each
    under :func:`facet_filter`. The filter bar and the explorer ask alike, so the same
    choice counts once."""
    calls = {}
    for dimension in dimensions:
        others = facet_filter(flt, dimension)
        calls[dimension.name] = top_values_call(
            others, dimension.name, FACET_OPTION_LIMIT, shared=others == flt
        )
    return calls


def explorer_facet_calls(flt: AuditFilter) -> dict[str, Call]:
    return facet_calls(flt, EXPLORER_FACETS)


def top_list_limit(by: str) -> int:
    """A top list of a facet's dimension is the head of the facet's longer list: the same
    query as the facet's when that facet is not set."""
    return FACET_OPTION_LIMIT if by in _BAR_FACET_NAMES else TOP_SIZE


@dataclass(frozen=True)
class OverviewPlan:
    breakdown: str  # the second volume chart's dimension
    kpis: Call
    volume_by_severity: Call
    volume_by_breakdown: Call
    severity_by_category: Call
    rhythm: Call
    top_lists: tuple[tuple[str, Call], ...]
    anomalies: Call

    def calls(self) -> list[Call]:
        return [
            self.anomalies,
            self.kpis,
            self.volume_by_severity,
            self.volume_by_breakdown,
            self.severity_by_category,
            self.rhythm,
            *(call for _, call in self.top_lists),
        ]


def anomalies_call(flt: AuditFilter, rules: anomalies.Rules) -> Call:
    """What is unusual in the range (the overview's section, the profiles, the feed)."""
    return Call(anomalies.find_anomalies, flt, (rules,))


def overview_plan(
    flt: AuditFilter,
    breakdown: str = DEFAULT_BREAKDOWN,
    rules: anomalies.Rules = anomalies.DEFAULT_RULES,
) -> OverviewPlan:
    return OverviewPlan(
        breakdown=breakdown,
        kpis=Call(queries.kpis, flt),
        volume_by_severity=volume_call(flt, "severity"),
        volume_by_breakdown=volume_call(flt, breakdown),
        severity_by_category=Call(
            queries.overview_counts, flt, derive=lambda counts: counts.severity_by_category()
        ),
        rhythm=Call(queries.activity_rhythm, flt),
        top_lists=tuple(
            (by, top_values_call(flt, by, top_list_limit(by))) for by, _ in OVERVIEW_TOP_LISTS
        ),
        anomalies=anomalies_call(flt, rules),
    )


@dataclass(frozen=True)
class SecurityPlan:
    detections: Call  # the profiles read it; the security page reads the incidents'
    incidents: Call
    high_count: Call
    high_events: Call
    lifecycle: Call
    # Calls over failed logins; ``None`` when the filter excludes them.
    failure_summary: Call | None
    failed_volume: Call | None
    top_failing: tuple[tuple[str, Call], ...]

    def calls(self) -> list[Call]:
        optional = [self.failure_summary, self.failed_volume]
        return [
            self.incidents,
            self.high_count,
            self.high_events,
            self.lifecycle,
            *(call for call in optional if call is not None),
            *(call for _, call in self.top_failing),
        ]


def security_plan(flt: AuditFilter, th: Thresholds) -> SecurityPlan:
    failures = security.login_failures_filter(flt)
    return SecurityPlan(
        detections=Call(security.detect, flt, (th,)),
        incidents=Call(find_incidents, flt, (th,)),
        high_count=Call(security.count_high_security_events, flt),
        high_events=Call(security.high_security_events, flt),
        lifecycle=Call(security.lifecycle, flt, (th,)),
        failure_summary=Call(security.failure_summary, failures) if failures else None,
        failed_volume=volume_call(failures, "outcome") if failures else None,
        top_failing=tuple(
            (by, Call(queries.top_values, failures, (by, TOP_SIZE)))
            for by in ("ip", "user")
            if failures
        ),
    )


def distinct_calls(calls: list[Call]) -> list[Call]:
    """Calls that run a query of their own (shared results counted once)."""
    return list({(c.name, c.flt, c.args): c for c in calls}.values())
