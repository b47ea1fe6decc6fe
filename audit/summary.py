"""What stands out in a period, in a few sentences, for the top of a report: how many
high and critical events, the key figures that changed most against the previous period,
and the most unusual groups of events. Made from the aggregates the page has already
fetched (the KPIs and the anomalies): no query of its own. Pure functions."""

from __future__ import annotations

from audit.anomalies import KIND_TITLES, Findings, explain
from audit.kpis import NOTHING_TO_COMPARE, format_kpi
from audit.queries import Kpis

HIGH = "High & critical"
# Figures whose change is worth a sentence: at least this much, relative (rates: in points).
NOTABLE_CHANGE = 0.10
NOTABLE_POINTS = 1.0
CHANGES_SHOWN = 2
ANOMALIES_SHOWN = 3
_WORDS = {
    "Events": "events",
    "Failed": "failed events",
    "Failure rate": "the failure rate",
    "Security events": "security events",
    HIGH: "high and critical events",
    "Active users": "active users",
    "Distinct IPs": "distinct IP addresses",
}


def stands_out(kpis: Kpis, findings: Findings | None, masked: bool) -> list[str]:
    """The summary's sentences, most important first. ``masked``: a viewer's report (the
    anomalies' series are then named without addresses or people)."""
    return [
        _high_sentence(kpis),
        *_change_sentences(kpis),
        *(_anomaly_sentences(findings, masked) if findings is not None else []),
    ]


def _high_sentence(kpis: Kpis) -> str:
    count = int(kpis.current.get(HIGH) or 0)
    if not count:
        return "No high or critical events."
    share = count / int(kpis.current["Events"] or 1)
    text = f"{count:,} high or critical events ({share:.1%} of all)"
    previous = kpis.previous.get(HIGH) if kpis.previous and kpis.comparable else None
    if previous is None:
        return text + "."
    return text + f", against {int(previous):,} in the previous period."


def _relative(label: str, value: float, previous: float) -> float:
    """How large a change is, comparably across figures: relative, rates in points / 10."""
    if label == "Failure rate":
        return abs(value - previous) * 100 / NOTABLE_POINTS * NOTABLE_CHANGE
    return abs(value - previous) / previous if previous else float("inf")


def largest_changes(kpis: Kpis) -> list[tuple[str, float, float]]:
    """(label, value, previous) of the figures that moved notably, the largest first."""
    if not kpis.comparable or kpis.previous is None:
        return []
    moved = []
    for label, value in kpis.current.items():
        previous = kpis.previous.get(label)
        if value is None or previous is None or value == previous:
            continue
        size = _relative(label, value, previous)
        if size >= NOTABLE_CHANGE:
            moved.append((size, label, value, previous))
    moved.sort(key=lambda m: -m[0])
    return [(label, value, previous) for _, label, value, previous in moved[:CHANGES_SHOWN]]


def change_sentence(label: str, value: float, previous: float) -> str:
    verb = "rose" if value > previous else "fell"
    if label == "Failure rate":
        points = abs(value - previous) * 100
        how = f"by {points:.1f} percentage points"
    elif previous:
        how = f"by {abs(value - previous) / previous:.0%}"
    else:
        how = "from none"
    words = _WORDS[label]  # capitalised, not .capitalize(): "IP" keeps its capitals
    return (
        f"{words[0].upper()}{words[1:]} {verb} {how}: {format_kpi(label, value)}, against "
        f"{format_kpi(label, previous)} in the previous period."
    )


def _change_sentences(kpis: Kpis) -> list[str]:
    if kpis.previous is None:
        return []
    if not kpis.comparable:
        return [f"Key figures: {NOTHING_TO_COMPARE} (the data begins within the previous period)."]
    changes = largest_changes(kpis)
    if not changes:
        return ["No key figure moved by 10% or more against the previous period."]
    return [change_sentence(*change) for change in changes]


def _anomaly_sentences(findings: Findings, masked: bool) -> list[str]:
    groups = findings.groups()
    if not groups:
        return ["Nothing unusual against the usual rhythm."]
    sentences = [
        f"{KIND_TITLES[g.lead.kind]}: {explain(g.lead, findings.width, masked)}."
        for g in groups[:ANOMALIES_SHOWN]
    ]
    if len(groups) > ANOMALIES_SHOWN:
        sentences.append(f"{len(groups) - ANOMALIES_SHOWN:,} more unusual groups below.")
    return sentences
