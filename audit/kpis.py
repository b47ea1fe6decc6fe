"""The overview's key figures in words: what each counts, which events a tile opens in
the explorer, and how its change against the previous period is shown. Pure functions."""

from __future__ import annotations

from dataclasses import dataclass

from audit.filters import AuditFilter
from audit.timerange import TimeWindow, describe_window
from audit.vocab import SECURITY_ACTIONS

MAX_SHOWN_RATIO = 10  # past +1000 %, a percentage says nothing: show the count alone
NOTHING_TO_COMPARE = "no earlier events to compare"

DEFINITIONS: dict[str, str] = {
    "Events": "Audit events in the range, under the filters.",
    "Failed": "Events whose outcome is failure (success is false). Events without an outcome "
    "are not counted.",
    "Failure rate": "Failed events as a share of all events in the range; its change is in "
    "percentage points.",
    "Security events": "Events in the security category or with a security action: "
    + ", ".join(sorted(SECURITY_ACTIONS))
    + " (Enclava's own definition, with the synonyms its writers use). Most are routine "
    "sign-ins, so a rise is not coloured as bad.",
    "High & critical": "Events at the critical or high level: severity critical, high or error.",
    "Active users": "Distinct users with at least one event (events without a user, written "
    "by the system, are not counted).",
    "Distinct IPs": "Distinct client IP addresses (events without an address are not counted).",
}
BAD_WHEN_UP = frozenset({"Failed", "Failure rate", "High & critical"})


def help_text(label: str, previous: TimeWindow | None, tz: str) -> str:
    compared = (
        f"Compared with the previous period of equal length, {describe_window(previous, tz)}."
        if previous is not None
        else "An open range has no previous period to compare with."
    )
    return f"{DEFINITIONS[label]} {compared}"


def _intersect(chosen: tuple[str, ...], wanted: tuple[str, ...]) -> tuple[str, ...] | None:
    """The filter's own choice narrowed to ``wanted`` (``None`` when nothing is left)."""
    kept = tuple(v for v in wanted if not chosen or v in chosen)
    return kept or None


def events_filter(label: str, flt: AuditFilter) -> AuditFilter | None:
    """Exactly the events a tile counts, as a filter for the explorer (``None``: none)."""
    if label in ("Events",):
        return flt
    if label in ("Failed", "Failure rate"):
        outcomes = _intersect(flt.outcomes, ("failure",))
        return flt.with_values(outcomes=outcomes) if outcomes else None
    if label == "Security events":
        chosen = _intersect(flt.security, ("yes",))
        return flt.with_values(security=chosen) if chosen else None
    if label == "High & critical":
        levels = _intersect(flt.severities, ("critical", "high"))
        return flt.with_values(severities=levels) if levels else None
    if label == "Active users":
        return _excluding_null(flt, "user", "system")
    if label == "Distinct IPs":
        return _excluding_null(flt, "ip", "(none)")
    raise KeyError(label)


def _excluding_null(flt: AuditFilter, dimension: str, null_label: str) -> AuditFilter:
    item = f"{dimension}:{null_label}"
    return flt if item in flt.excludes else flt.with_values(excludes=(*flt.excludes, item))


@dataclass(frozen=True)
class Change:
    """A tile's change against the previous period, as ``st.metric`` shows it."""

    text: str | None
    arrow: str  # "auto" or "off"
    color: str  # "inverse" (a rise is bad), "normal" or "off"


def change(label: str, value: float | None, previous: float | None, compared: bool) -> Change:
    """``compared``: the previous period exists and holds events. Without that there is
    nothing to compare with; an unchanged figure is neutral."""
    if not compared:
        return Change(NOTHING_TO_COMPARE, "off", "off")
    if value is None or previous is None:
        return Change(None, "off", "off")
    if value == previous:
        return Change("±0" if label != "Failure rate" else "±0.0 pp", "off", "off")
    return Change(format_delta(label, value, previous), "auto", _color(label))


def _color(label: str) -> str:
    return "inverse" if label in BAD_WHEN_UP else "off"


def format_kpi(label: str, value: float | None) -> str:
    if value is None:
        return "–"
    if label == "Failure rate":
        return f"{value:.1%}"
    return f"{int(value):,}"


def format_delta(label: str, value: float, previous: float) -> str:
    """Change against the previous period: absolute and relative; rates in points."""
    if label == "Failure rate":
        return f"{(value - previous) * 100:+.1f} pp"
    change_ = value - previous
    if previous == 0 or abs(change_ / previous) >= MAX_SHOWN_RATIO:
        return f"{int(change_):+,}"
    return f"{int(change_):+,} ({change_ / previous:+.0%})"
