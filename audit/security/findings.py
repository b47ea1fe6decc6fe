"""What the rules find: the :class:`Finding` type, every rule's findings together, and the
helpers the rules share to build a finding's evidence and summary.

Every finding carries an :class:`AuditFilter` (its ``evidence``) that selects exactly the
events behind it, and ``events``, the number of events that filter selects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from audit.filters import AuditFilter
from audit.timerange import CUSTOM, shifted

HIGH, MEDIUM, LOW = "high", "medium", "low"
RISKS: tuple[str, ...] = (HIGH, MEDIUM, LOW)

BRUTE_FORCE = "brute_force"
SPRAYING = "spraying"
TAKEOVER = "takeover"
MULTI_IP = "multi_ip"
NEW_IP = "new_ip"
OFF_HOURS = "off_hours"
RULE_TITLES: dict[str, str] = {
    BRUTE_FORCE: "Brute force",
    SPRAYING: "Password spraying",
    TAKEOVER: "Success after failures (possible takeover)",
    MULTI_IP: "Users seen from many IPs",
    NEW_IP: "First-seen IP for a user",
    OFF_HOURS: "Privileged actions off hours",
}

ONE_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Finding:
    """One thing a rule found. Times are naive UTC, like ``created_at``."""

    rule: str
    risk: str
    summary: str
    first_seen: datetime
    last_seen: datetime
    events: int
    evidence: AuditFilter
    ip: str | None = None
    user_id: int | None = None
    ips: tuple[str, ...] = ()
    user_ids: tuple[int, ...] = ()

    def involves(self, ip: str | None = None, user_id: int | None = None) -> bool:
        if ip is not None and (ip == self.ip or ip in self.ips):
            return True
        return user_id is not None and (user_id == self.user_id or user_id in self.user_ids)


@dataclass(frozen=True)
class Detections:
    """Every rule's findings (in :data:`RULE_TITLES` order) and notices about limits hit."""

    findings: tuple[tuple[str, tuple[Finding, ...]], ...]
    notes: tuple[str, ...] = ()
    labels: tuple[tuple[int, str], ...] = ()  # user id -> label, for the users involved

    def by_rule(self) -> dict[str, tuple[Finding, ...]]:
        return dict(self.findings)

    def all(self) -> list[Finding]:
        return [f for _, found in self.findings for f in found]

    def involving(self, ip: str | None = None, user_id: int | None = None) -> list[Finding]:
        return [f for f in self.all() if f.involves(ip, user_id)]

    def label_map(self) -> dict[int, str]:
        return dict(self.labels)


def aware(moment: datetime) -> datetime:
    """A naive UTC moment (as ``created_at`` holds it) made timezone-aware."""
    return moment.replace(tzinfo=UTC)


def evidence_filter(
    flt: AuditFilter, first: datetime, last: datetime, **narrow: Any
) -> AuditFilter:
    """The page filter narrowed to ``[first, last]`` (naive UTC, both inclusive) and more."""
    end = shifted(aware(last), ONE_MICROSECOND)  # the last moment Python holds stays itself
    return flt.with_values(range=CUSTOM, start=aware(first), end=end, **narrow)


def duration_text(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def listing(counts: Mapping[str, int], shown: int = 4) -> str:
    """``a (3), b (1) and 2 more``, most frequent first."""
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    parts = [f"{name} ({n:,})" for name, n in ordered[:shown]]
    rest = len(ordered) - shown
    return ", ".join(parts) + (f" and {rest} more" if rest > 0 else "")
