"""What the benchmark measures on: the demo data's size and span, the filters of the
explorer runs, the limits, and the labels its results and targets are found by."""

from __future__ import annotations

from datetime import UTC, datetime

from audit.config import PROJECT_ROOT
from audit.dimensions import BAR_FACETS
from audit.filters import AuditFilter
from audit.plans import FACET_OPTION_LIMIT, OVERVIEW_TOP_LISTS

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
# The Unusual section's baselines: hours over a week, weekdays over a quarter.
ANOMALY_FILTERS: dict[str, AuditFilter] = {
    "7 days in Berlin (hours)": AuditFilter(range="7d", tz="Europe/Berlin"),
    "90 days (days)": AuditFilter(range="90d"),
}
MIRROR_SECURITY = "security page (aggregates from the mirror, rows from the source)"
OVERVIEW_AS_PAGE = "overview, queries run 3 at once (as the page does)"
CHARTS_ONLY = "overview charts only (without the filter bar's 5 facet counts)"
CACHED_OVERVIEW = "overview through the dashboard's cache (warm = cache hit)"
SEARCH_FILTER = AuditFilter(range="all", text="sales-demo")
# The naive baseline computes what the page shows, from the page's own plan's names.
FACETS = tuple(d.name for d in BAR_FACETS)
FACET_LIMIT = FACET_OPTION_LIMIT
OVERVIEW_TOPS = tuple(by for by, _ in OVERVIEW_TOP_LISTS)
