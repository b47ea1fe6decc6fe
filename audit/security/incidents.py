"""From findings to incidents: one story per attacker or account.

Findings are grouped when they share a principal (a user, or an IP with no user) and
overlap in time (or lie within the chain window, W = the takeover window, of each other),
when a finding names the IP of a password attack with no user while it runs, or when a
chain ties them: failed logins -> a successful login from the same IP within W ->
privileged actions from that IP or session within W (:mod:`.chains`, bounded SQL).
"Users seen from many IPs" spans the whole range by construction: it stays an incident of
its own per user.

An incident's risk is the highest of its findings', raised to ``critical`` when a chain
reaches a privileged action. Its id is derived from its principal and its first event, so
it stays the same in any range that holds the whole incident."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from audit import queries
from audit.access import Identities, mask_email, mask_ip, mask_sentence
from audit.db import Source
from audit.filters import AuditFilter
from audit.security.chains import EVENT_CAP, Anchor, ChainEvent, chain_events, incident_events
from audit.security.detection import detect
from audit.security.findings import (
    BRUTE_FORCE,
    HIGH,
    LOW,
    MEDIUM,
    MULTI_IP,
    RULE_TITLES,
    SPRAYING,
    TAKEOVER,
    Detections,
    Finding,
    plural,
)
from audit.security.labels import labeller, user_labels
from audit.security.thresholds import Thresholds
from audit.security.timeline import Step, chain_story, finding_story, steps
from audit.timerange import shifted

CRITICAL = "critical"
INCIDENT_RISKS: tuple[str, ...] = (CRITICAL, HIGH, MEDIUM, LOW)  # most severe first
PASSWORD_ATTACKS = frozenset({BRUTE_FORCE, SPRAYING, TAKEOVER})


@dataclass(frozen=True)
class Principal:
    """Who an incident is about: a user (``user`` is its label), or an IP with no user."""

    user_id: int | None
    user: str | None
    ip: str | None

    @property
    def key(self) -> str:
        """``user:30`` or ``ip:192.0.2.7``: the principal chip's value in the URL."""
        return f"user:{self.user_id}" if self.user_id is not None else f"ip:{self.ip or '-'}"

    @property
    def label(self) -> str:
        return self.user or self.ip or "unknown"


@dataclass(frozen=True)
class Incident:
    id: str
    principal: Principal
    risk: str
    first_seen: datetime  # naive UTC, like created_at
    last_seen: datetime
    rules: tuple[str, ...]  # in RULE_TITLES order
    story: str
    timeline: tuple[Step, ...]
    findings: tuple[Finding, ...]
    event_ids: tuple[int, ...]  # ascending
    events_truncated: bool = False
    ips: tuple[str, ...] = ()  # every address the incident names
    user_ids: tuple[int, ...] = ()  # every user it names

    @property
    def events(self) -> int:
        return len(self.event_ids)


@dataclass(frozen=True)
class Incidents:
    """The incidents of a range, most severe and most recent first, with the detections
    they were built from (the page's other figures read them) and notices."""

    incidents: tuple[Incident, ...]
    detections: Detections
    notes: tuple[str, ...] = ()

    def get(self, incident_id: str) -> Incident | None:
        return next((i for i in self.incidents if i.id == incident_id), None)

    def at_least(self, risk: str) -> list[Incident]:
        worst = INCIDENT_RISKS.index(risk)
        return [i for i in self.incidents if INCIDENT_RISKS.index(i.risk) <= worst]

    def label_map(self) -> dict[int, str]:
        return self.detections.label_map()


# ---------------------------------------------------------------------------------------
# Grouping


class _Groups:
    """Union-find over finding positions."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, item: int) -> int:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def join(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)

    def members(self) -> list[list[int]]:
        groups: dict[int, list[int]] = defaultdict(list)
        for item in range(len(self.parent)):
            groups[self.find(item)].append(item)
        return list(groups.values())


def _principal_key(finding: Finding) -> str:
    if finding.user_id is not None:
        return f"user:{finding.user_id}"
    return f"ip:{finding.ip}" if finding.ip else f"none:{finding.rule}:{finding.first_seen}"


def _near(a: Finding, b: Finding, gap: timedelta) -> bool:
    return a.first_seen <= shifted(b.last_seen, gap) and b.first_seen <= shifted(a.last_seen, gap)


def _join_same_principal(found: Sequence[Finding], groups: _Groups, gap: timedelta) -> None:
    by_principal: dict[str, list[int]] = defaultdict(list)
    for index, finding in enumerate(found):
        if finding.rule != MULTI_IP:
            by_principal[_principal_key(finding)].append(index)
    for members in by_principal.values():
        members.sort(key=lambda i: found[i].first_seen)
        run_end = found[members[0]].last_seen
        for previous, current in pairwise(members):
            finding = found[current]
            if finding.first_seen <= run_end + gap:
                groups.join(previous, current)
                run_end = max(run_end, finding.last_seen)
            else:
                run_end = finding.last_seen


def _join_attacking_ips(found: Sequence[Finding], groups: _Groups, gap: timedelta) -> None:
    """A finding naming the IP of a user-less attack while it runs joins that attack."""
    attacks = [i for i, f in enumerate(found) if f.user_id is None and f.ip and f.rule != MULTI_IP]
    for index, finding in enumerate(found):
        if finding.rule == MULTI_IP:
            continue
        named = {finding.ip, *finding.ips}
        for attack in attacks:
            if found[attack].ip in named and _near(found[attack], finding, gap):
                groups.join(attack, index)


def group_findings(findings: Sequence[Finding], gap: timedelta) -> list[list[Finding]]:
    """Findings grouped into would-be incidents (before chains), each group oldest first."""
    found = list(findings)
    if not found:
        return []
    groups = _Groups(len(found))
    _join_same_principal(found, groups, gap)
    _join_attacking_ips(found, groups, gap)
    grouped = [sorted((found[i] for i in g), key=lambda f: f.first_seen) for g in groups.members()]
    return sorted(grouped, key=lambda g: g[0].first_seen)


# ---------------------------------------------------------------------------------------
# Building incidents


def _anchors(groups: Sequence[Sequence[Finding]]) -> list[Anchor]:
    return [
        Anchor(number, ip, f.first_seen, f.last_seen)
        for number, group in enumerate(groups)
        for f in group
        if f.rule in PASSWORD_ATTACKS
        for ip in sorted({f.ip, *f.ips} - {None})  # type: ignore[arg-type]
    ]


def _principal(group: Sequence[Finding], labels: Mapping[int, str]) -> Principal:
    """The one user all findings name, else the one IP, else the most severe finding's."""
    users = {f.user_id for f in group}
    ips = {f.ip for f in group}
    if len(users) == 1 and None not in users:
        (user_id,) = users
        named = {f.ip for f in group if f.rule in PASSWORD_ATTACKS} - {None}
        return Principal(
            user_id, labels.get(user_id), next(iter(named)) if len(named) == 1 else None
        )
    attack = [f for f in group if f.user_id is None and f.ip]
    if attack:
        return Principal(None, None, attack[0].ip)
    if len(ips) == 1 and None not in ips:
        return Principal(None, None, next(iter(ips)))
    top = min(group, key=lambda f: INCIDENT_RISKS.index(f.risk))
    return Principal(top.user_id, labels.get(top.user_id) if top.user_id else None, top.ip)


def incident_id(principal: Principal, first_event_id: int, range_wide: bool = False) -> str:
    """Stable for the same principal and first event: ``inc-`` and 12 hex digits.
    ``range_wide``: a "many IPs" incident, which may start at the same event as another
    incident of its user."""
    seed = f"{principal.key}|{first_event_id}" + ("|many-ips" if range_wide else "")
    digest = hashlib.sha256(seed.encode()).hexdigest()
    return f"inc-{digest[:12]}"


def _risk(group: Sequence[Finding], chained: Sequence[ChainEvent]) -> str:
    if any(e.privileged for e in chained):
        return CRITICAL
    return min((f.risk for f in group), key=INCIDENT_RISKS.index)


def _rules(group: Iterable[Finding]) -> tuple[str, ...]:
    fired = {f.rule for f in group}
    return tuple(rule for rule in RULE_TITLES if rule in fired)


def _story(group: Sequence[Finding], timeline: Sequence[Step], chained: bool, label) -> str:
    if chained or any(f.rule in PASSWORD_ATTACKS for f in group):
        told = chain_story(timeline, label)
        if told:
            return told
    return finding_story(group)


def _build(
    source: Source,
    now: datetime,
    group: Sequence[Finding],
    chained: Sequence[ChainEvent],
    labels: Mapping[int, str],
) -> Incident:
    first = min([f.first_seen for f in group] + [e.at for e in chained])
    last = max([f.last_seen for f in group] + [e.at for e in chained])
    rows, truncated = incident_events(
        source, now, [f.evidence for f in group], [e.id for e in chained], (first, last)
    )
    principal = _principal(group, labels)
    timeline = steps(rows)
    label = labeller(labels)
    first_id = rows[0].id if rows else min((e.id for e in chained), default=0)
    return Incident(
        id=incident_id(principal, first_id, all(f.rule == MULTI_IP for f in group)),
        principal=principal,
        risk=_risk(group, chained),
        first_seen=rows[0].at if rows else first,
        last_seen=max((r.at for r in rows), default=last),
        rules=_rules(group),
        story=_story(group, timeline, bool(chained), label),
        timeline=tuple(timeline),
        findings=tuple(group),
        event_ids=tuple(sorted(r.id for r in rows)),
        events_truncated=truncated,
        ips=_named(group, [r.ip for r in rows], "ips"),
        user_ids=_named(group, [r.user_id for r in rows], "user_ids"),
    )


def _named(group: Sequence[Finding], seen: Iterable[Any], attribute: str) -> tuple[Any, ...]:
    """Every address (or user) the incident's events and findings name, sorted."""
    named = {v for v in seen if v is not None}
    named.update(v for f in group for v in getattr(f, attribute))
    return tuple(sorted(named, key=lambda v: (not isinstance(v, int), str(v))))


def _order(incident: Incident) -> tuple:
    return (INCIDENT_RISKS.index(incident.risk), -incident.last_seen.timestamp(), incident.id)


def _labels_with(source: Source, found: Detections, user_ids: Iterable[int]) -> dict[int, str]:
    labels = found.label_map()
    missing = [u for u in user_ids if u not in labels]
    return labels | (user_labels(source, missing) if missing else {})


def incidents_from(
    source: Source,
    flt: AuditFilter,
    now: datetime,
    th: Thresholds,
    found: Detections,
    rows_from: Source | None = None,
) -> Incidents:
    """Incidents over detections already run (``found``, under the same filter); each
    incident's events are read from ``rows_from`` when given (the database, when the
    aggregates come from ClickHouse, which reads one incident's rows far slower)."""
    window = th.minutes("takeover_window_minutes")
    groups = group_findings(found.all(), window)
    chained: dict[int, list[ChainEvent]] = defaultdict(list)
    for event in chain_events(source, flt, now, _anchors(groups), window):
        chained[event.group].append(event)
    user_ids = {u for g in groups for f in g for u in f.user_ids}
    labels = _labels_with(source, found, user_ids)
    rows = rows_from or source
    built = [_build(rows, now, g, chained[n], labels) for n, g in enumerate(groups)]
    notes = list(found.notes)
    cut = sum(i.events_truncated for i in built)
    if cut:
        notes.append(
            f"{plural(cut, 'incident')} with more than {EVENT_CAP:,} events: only the oldest "
            f"{EVENT_CAP:,} of each are listed. Narrow the range to see the rest."
        )
    return Incidents(tuple(sorted(built, key=_order)), found, tuple(notes))


def find_incidents(
    source: Source,
    flt: AuditFilter,
    now: datetime,
    th: Thresholds,
    rows_from: Source | None = None,
) -> Incidents:
    """Every rule over the events matching ``flt``, the findings grouped into incidents
    (their events from ``rows_from``, see :func:`incidents_from`)."""
    return incidents_from(source, flt, now, th, detect(source, flt, now, th), rows_from)


def risk_at_least(risk: str, floor: str) -> bool:
    return INCIDENT_RISKS.index(risk) <= INCIDENT_RISKS.index(floor)


def queries_user_name(user_id: int | None, label: str | None) -> str | None:
    """The principal's email or username for machines: None when the user has no row."""
    if user_id is None or label is None:
        return None
    return None if label == queries.user_label(user_id, None, None) else label


def mask_incident_text(
    text: str, incident: Incident, labels: Mapping[int, str], identities: Identities
) -> str:
    """Text about an incident (its story, a timeline line) as a viewer may read it: the
    addresses and people it names masked by the one policy in :mod:`audit.access`."""
    names = {labels[u] for u in incident.user_ids if labels.get(u)}
    if incident.principal.user:
        names.add(incident.principal.user)
    return mask_sentence(text, incident.ips, names, identities)


def masked_principal(principal: Principal) -> Principal:
    """A principal as a viewer sees it: no user id, the email's domain, the masked IP."""
    return Principal(None, mask_email(principal.user), mask_ip(principal.ip))
