"""Password guessing from one IP: brute force (many failed logins) and spraying (failed
logins as many different users), both over the failed logins of :mod:`.logins`."""

from __future__ import annotations

from collections.abc import Sequence

from audit.filters import AuditFilter
from audit.security.findings import (
    BRUTE_FORCE,
    HIGH,
    MEDIUM,
    SPRAYING,
    Finding,
    duration_text,
    evidence_filter,
    plural,
)
from audit.security.labels import Label
from audit.security.logins import FAILURE, Attempt, Attempts, grouped, login_actions
from audit.security.thresholds import Thresholds
from audit.security.windows import bursts


def _failures_finding(
    rule: str, risk: str, summary: str, ip: str, part: Sequence[Attempt], flt: AuditFilter
) -> Finding:
    """A finding over failed logins from one IP: its evidence is every failed login from
    that IP between the first and the last."""
    targets = sorted({r.user_id for r in part if r.user_id is not None})
    first, last = part[0].at, part[-1].at
    evidence = evidence_filter(
        flt, first, last, ip=ip, actions=login_actions(flt), outcomes=(FAILURE,)
    )
    return Finding(
        rule,
        risk,
        summary,
        first,
        last,
        len(part),
        evidence,
        ip=ip,
        user_id=targets[0] if len(targets) == 1 else None,
        ips=(ip,),
        user_ids=tuple(targets),
    )


def _targets(part: Sequence[Attempt]) -> set[int]:
    return {r.user_id for r in part if r.user_id is not None}


def brute_force(
    attempts: Attempts, th: Thresholds, flt: AuditFilter, label: Label
) -> list[Finding]:
    """At least N failed logins from one IP within W minutes; 2N or more is high risk."""
    n, minutes = th.bruteforce_failures, th.bruteforce_window_minutes
    found = []
    for ip, rows in grouped(attempts.rows, lambda r: r.ip).items():
        for burst in bursts([r.at for r in rows], th.minutes("bruteforce_window_minutes"), n):
            part = rows[burst.first : burst.last + 1]
            targets = sorted(_targets(part))
            who = label(targets[0]) if len(targets) == 1 else plural(len(targets), "user")
            summary = (
                f"{plural(len(part), 'failed login')} from {ip} against {who} in "
                f"{duration_text(part[-1].at - part[0].at)}; up to {burst.peak:,} within "
                f"{minutes} minutes (rule: at least {n} within {minutes} minutes)."
            )
            risk = HIGH if len(part) >= 2 * n else MEDIUM
            found.append(_failures_finding(BRUTE_FORCE, risk, summary, ip, part, flt))
    return found


def spraying(attempts: Attempts, th: Thresholds, flt: AuditFilter, label: Label) -> list[Finding]:
    """One IP failing against at least K distinct users within W minutes; 2K is high risk."""
    k, minutes = th.spray_min_users, th.spray_window_minutes
    found = []
    for ip, rows in grouped(attempts.rows, lambda r: r.ip).items():
        times, targets = [r.at for r in rows], [r.user_id for r in rows]
        for burst in bursts(times, th.minutes("spray_window_minutes"), k, targets):
            part = rows[burst.first : burst.last + 1]
            victims = len(_targets(part))
            summary = (
                f"{ip} failed to log in as {victims:,} different users in "
                f"{duration_text(part[-1].at - part[0].at)} ({plural(len(part), 'attempt')}); "
                f"up to {burst.peak:,} users within {minutes} minutes (rule: at least {k} users "
                f"within {minutes} minutes)."
            )
            risk = HIGH if victims >= 2 * k else MEDIUM
            found.append(_failures_finding(SPRAYING, risk, summary, ip, part, flt))
    return found
