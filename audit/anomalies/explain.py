"""Each anomaly in a sentence ("failed logins 41 on Tue 17 Nov 10:00–11:00, usually 1–3 at
this hour (4-week median 2)"), the filter of exactly its events, and its record for the
machine feed. Viewers get the series masked (no address, no person) and no filter."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from audit.anomalies.rules import Anomaly, Findings, Kind
from audit.filters import AuditFilter
from audit.timerange import CUSTOM

FEED_KEYS: tuple[str, ...] = (
    "series", "kind", "bucket_start", "bucket_end", "count", "expected", "spread", "explanation",
)  # fmt: skip
KIND_TITLES = {
    Kind.SPIKE: "Spike",
    Kind.DROP: "Drop",
    Kind.FIRST_SEEN: "First seen",
    Kind.RETURNING: "Returning",
}


def number(value: float) -> str:
    """2 -> "2", 2.5 -> "2.5", 1234 -> "1,234"."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def when(item: Anomaly, width: str) -> str:
    """The bucket in words: "Tue 17 Nov 10:00–11:00", or "Tue 17 Nov" for a day."""
    day = item.bucket_start.strftime("%a %d %b")
    if width == "day":
        return day
    return f"{day} {item.bucket_start:%H:%M}–{item.bucket_end:%H:%M}"


def _usually(item: Anomaly, width: str) -> str:
    low, high = min(item.weeks), max(item.weeks)
    usual = number(low) if low == high else f"{number(low)}–{number(high)}"
    at = "at this hour" if width == "hour" else f"on {item.bucket_start:%A}s"
    return f"usually {usual} {at} ({len(item.weeks)}-week median {number(item.expected)})"


def explain(item: Anomaly, width: str, masked: bool = False) -> str:
    name = item.series.name(masked)
    if item.kind is Kind.FIRST_SEEN:
        return (
            f"{name} seen for the first time on {_moment(item.first)}: "
            f"{number(item.count)} in this range"
        )
    if item.kind is Kind.RETURNING:
        silent = (item.first - item.since).days if item.first and item.since else 0
        return (
            f"{name} again on {_moment(item.first)} after {silent} days of silence: "
            f"{number(item.count)} in this range"
        )
    return f"{name} {number(item.count)} on {when(item, width)}, {_usually(item, width)}"


def _moment(moment: datetime | None) -> str:
    return moment.strftime("%a %d %b %H:%M") if moment else "–"


def events_filter(item: Anomaly, flt: AuditFilter, tz: str) -> AuditFilter:
    """Exactly the events an anomaly counts: its series over its bucket (a first-seen action
    or a returning user: over the range)."""
    narrowed = item.series.narrow(flt)
    if item.kind in (Kind.FIRST_SEEN, Kind.RETURNING):
        return narrowed
    zone = ZoneInfo(tz)
    start = item.bucket_start.replace(tzinfo=zone)
    end = item.bucket_end.replace(tzinfo=zone)
    return narrowed.with_values(range=CUSTOM, start=start, end=end)


def _utc_text(local: datetime, tz: str) -> str:
    moment = local.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def feed_record(item: Anomaly, findings: Findings, masked: bool) -> dict[str, Any]:
    """One anomaly as the feed gives it (exactly :data:`FEED_KEYS`)."""
    record = {
        "series": item.series.key(masked),
        "kind": item.kind.value,
        "bucket_start": _utc_text(item.bucket_start, findings.tz),
        "bucket_end": _utc_text(item.bucket_end, findings.tz),
        "count": item.count,
        "expected": item.expected,
        "spread": round(item.spread, 3),
        "explanation": explain(item, findings.width, masked),
    }
    return {key: record[key] for key in FEED_KEYS}


def history_note(findings: Findings) -> str | None:
    """What the baseline lacks, in words; ``None`` when it has four full weeks."""
    if findings.weeks_available >= 4:
        return None
    start = findings.history_start
    since = f" (the data starts {start:%Y-%m-%d})" if start else ""
    if findings.weeks_available < 2:
        return (
            f"Less than two weeks of history before this range{since}: no baseline can be "
            "drawn for a bucket with fewer than two weeks of data before it (there only "
            "first-seen actions and returning users are reported); later buckets are "
            "compared with the weeks they have."
        )
    return (
        f"Only {findings.weeks_available} of the four weeks of history before this range "
        f"exist{since}: early buckets are compared with those weeks only."
    )


def rules_note(findings: Findings) -> str:
    unit = "hour of the week" if findings.width == "hour" else "weekday"
    cut = ""
    if findings.analysed_from is not None:
        cut = f" Of this long range, the last 92 days (from {findings.analysed_from:%Y-%m-%d})."
    return (
        f"Each {findings.width} compared with the same {unit} in the four weeks before "
        f"(times in {findings.tz}); flagged beyond {number(findings.rules.threshold)} robust "
        f"deviations and with at least {findings.rules.min_count} events "
        f"(settings anomaly_threshold and anomaly_min_count).{cut}"
    )
