"""Every rule at once over the events matching a filter, and what each rule looks for."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import sqlalchemy as sa

from audit.db import Source
from audit.filters import AuditFilter
from audit.security.account_takeover import takeover, takeover_successes
from audit.security.findings import (
    BRUTE_FORCE,
    MULTI_IP,
    NEW_IP,
    OFF_HOURS,
    RISKS,
    RULE_TITLES,
    SPRAYING,
    TAKEOVER,
    Detections,
    Finding,
    plural,
)
from audit.security.first_seen_ip import data_start, first_ip_events, new_ips
from audit.security.guessing import brute_force, spraying
from audit.security.labels import labeller, user_labels
from audit.security.logins import ROW_CAP, Attempts, failed_logins
from audit.security.many_ips import multi_ip, multi_ip_pairs
from audit.security.privileged import LIST_LIMIT, business_hours_text, off_hours, off_hours_actions
from audit.security.thresholds import Thresholds


def detect(source: Source, flt: AuditFilter, now: datetime, th: Thresholds) -> Detections:
    """Run every rule over the events matching ``flt``."""
    failures = failed_logins(source, flt, now)
    successes = takeover_successes(source, flt, now, failures, th)
    many = multi_ip_pairs(source, flt, now, th)
    firsts = first_ip_events(source, flt, now, th)
    off_rows = off_hours_actions(source, flt, now, th)
    ids = [r.user_id for r in (*failures.rows, *successes.rows, *many, *firsts, *off_rows)]
    labels = user_labels(source, [u for u in ids if u is not None])
    label = labeller(labels)
    new = new_ips(firsts, data_start(source) if firsts else None, th, flt, label)
    findings = {
        BRUTE_FORCE: brute_force(failures, th, flt, label),
        SPRAYING: spraying(failures, th, flt, label),
        TAKEOVER: takeover(failures, successes, th, flt, label),
        MULTI_IP: multi_ip(many, th, flt, label),
        NEW_IP: new.findings,
        OFF_HOURS: off_hours(off_rows, th, flt, label),
    }
    notes = _cap_notes(failures, successes, off_rows)
    if new.unjudged:
        notes.append(
            f"{plural(new.unjudged, 'user and IP pair')} first seen less than "
            f"{th.new_ip_lookback_days} days after the oldest event could not be judged as new."
        )
    ordered = tuple((rule, tuple(_by_time(findings[rule]))) for rule in RULE_TITLES)
    return Detections(ordered, tuple(notes), tuple(labels.items()))


def _cap_notes(failures: Attempts, successes: Attempts, off_rows: Sequence[sa.Row]) -> list[str]:
    notes = []
    if failures.truncated or successes.truncated:
        notes.append(
            f"More than {ROW_CAP:,} failed or successful logins match: brute force, spraying "
            "and takeover looked at the oldest ones only. Narrow the range to see the rest."
        )
    if len(off_rows) > LIST_LIMIT:
        notes.append(f"Only the first {LIST_LIMIT:,} privileged actions off hours are listed.")
    return notes


def _by_time(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(
        findings, key=lambda f: (RISKS.index(f.risk), f.first_seen, f.ip or "", f.user_id or 0)
    )


def rule_description(rule: str, th: Thresholds) -> str:
    """What the rule looks for, with the thresholds in force."""
    texts = {
        BRUTE_FORCE: f"At least {th.bruteforce_failures} failed logins from one IP within "
        f"{th.bruteforce_window_minutes} minutes (a burst spanning exactly that long counts). "
        f"High risk from {2 * th.bruteforce_failures} failures.",
        SPRAYING: f"One IP failing to log in as at least {th.spray_min_users} different users "
        f"within {th.spray_window_minutes} minutes. High risk from {2 * th.spray_min_users} users.",
        TAKEOVER: f"A successful login after at least {th.takeover_failures} failed logins for "
        f"the same user within the {th.takeover_window_minutes} minutes before it. High risk when "
        "the success came from an IP that failed.",
        MULTI_IP: f"Users seen from at least {th.multi_ip_min} distinct IPs in the range. "
        f"Medium risk from {2 * th.multi_ip_min} IPs.",
        NEW_IP: f"A user's first event from an IP with no event for that user in the "
        f"{th.new_ip_lookback_days} days before. Medium risk when something from it succeeded.",
        OFF_HOURS: "Permission grants and revokes, role changes, API key creation, user deletion "
        f"and password resets outside business hours ({business_hours_text(th)}, display "
        "timezone). High risk for permission and role changes and user deletion.",
    }
    return texts[rule]
