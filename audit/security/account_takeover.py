"""Success after failures (a possible account takeover): a successful login after at least
N failed logins for the same user within W minutes. It reads the failed logins of
:mod:`.logins`, and only the successes of users with enough failures near one of them."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa

from audit.db import Source
from audit.filters import AuditFilter
from audit.schema import audit_logs
from audit.security.findings import (
    HIGH,
    MEDIUM,
    TAKEOVER,
    Finding,
    duration_text,
    evidence_filter,
    listing,
    plural,
)
from audit.security.labels import Label
from audit.security.logins import (
    FAILURE,
    SUCCESS,
    Attempt,
    Attempts,
    grouped,
    login_actions,
    read_attempts,
)
from audit.security.thresholds import Thresholds
from audit.timerange import shifted

c = audit_logs.c

MAX_TAKEOVER_SPANS = 300  # time spans the takeover rule reads successes in, at most

Spans = dict[int, list[tuple[datetime, datetime]]]  # user id -> time spans


def takeover_candidates(attempts: Attempts, th: Thresholds) -> list[int]:
    """Users with enough failures in the range to possibly fire the takeover rule."""
    counts = Counter(r.user_id for r in attempts.rows if r.user_id is not None)
    return sorted(u for u, n in counts.items() if n >= th.takeover_failures)


def takeover_successes(
    source: Source, flt: AuditFilter, now: datetime, failures: Attempts, th: Thresholds
) -> Attempts:
    """The successful logins matching the filter that the takeover rule can use, oldest
    first: those of users with enough failures, within W minutes of one of their failures."""
    spans = _takeover_spans(failures, th)
    if not spans:
        return Attempts(())
    near_a_failure = sa.or_(
        *(
            sa.and_(c.user_id == user_id, c.created_at.between(low, high))
            for user_id, user_spans in spans.items()
            for low, high in user_spans
        )
    )
    return read_attempts(source, flt, now, True, near_a_failure)


def _takeover_spans(failures: Attempts, th: Thresholds) -> Spans:
    """Per candidate user, the times within W of one of their failures, merged. A success
    the rule fires on and the failures before it lie within W of each other, and so does
    every success of the evidence (it lies in a fired success's window, with failures).
    With too many spans, one per user (from the first failure to the last) keeps the
    query short; it only reads more rows."""
    window = th.minutes("takeover_window_minutes")
    by_user = grouped(failures.rows, lambda r: r.user_id)
    spans: Spans = {}
    for user_id in takeover_candidates(failures, th):
        merged: list[tuple[datetime, datetime]] = []
        for failure in by_user[user_id]:  # oldest first
            low, high = shifted(failure.at, -window), shifted(failure.at, window)
            if merged and low <= merged[-1][1]:
                merged[-1] = (merged[-1][0], high)
            else:
                merged.append((low, high))
        spans[user_id] = merged
    if sum(len(s) for s in spans.values()) > MAX_TAKEOVER_SPANS:
        return {user_id: [(s[0][0], s[-1][1])] for user_id, s in spans.items()}
    return spans


class _Entry(NamedTuple):
    first_failure: int  # index into the user's failures
    successes: list[Attempt]


def _takeover_entries(
    failures: list[Attempt], successes: list[Attempt], th: Thresholds
) -> list[_Entry]:
    """Successes preceded by N failures within W minutes (``[success - W, success]``);
    successes whose windows overlap merge into one entry."""
    window = th.minutes("takeover_window_minutes")
    times = [f.at for f in failures]
    entries: list[_Entry] = []
    low = high = 0
    for success in successes:
        while high < len(times) and times[high] <= success.at:
            high += 1
        while low < high and times[low] < success.at - window:
            low += 1
        if high - low < th.takeover_failures:
            continue
        if entries and times[low] <= entries[-1].successes[-1].at:
            entries[-1].successes.append(success)
        else:
            entries.append(_Entry(low, [success]))
    return entries


def takeover(
    attempts: Attempts, successes: Attempts, th: Thresholds, flt: AuditFilter, label: Label
) -> list[Finding]:
    """A successful login after at least N failures for the same user within W minutes."""
    failed_by_user = grouped(attempts.rows, lambda r: r.user_id)
    found = []
    for user_id, wins in grouped(successes.rows, lambda r: r.user_id).items():
        failures = failed_by_user.get(user_id, [])
        for entry in _takeover_entries(failures, wins, th):
            found.append(_takeover_finding(user_id, failures, wins, entry, th, flt, label))
    return found


def _takeover_finding(
    user_id: int,
    failures: list[Attempt],
    wins: list[Attempt],
    entry: _Entry,
    th: Thresholds,
    flt: AuditFilter,
    label: Label,
) -> Finding:
    first, last = failures[entry.first_failure].at, entry.successes[-1].at
    failed = [f for f in failures[entry.first_failure :] if f.at <= last]
    # Every login of the user in the span, a success that did not fire included: the
    # evidence filter selects them all.
    succeeded = [s for s in wins if first <= s.at <= last]
    failed_ips = Counter(f.ip or "no IP" for f in failed)
    success_ips = sorted({s.ip or "no IP" for s in entry.successes})
    logins = (
        f"{len(entry.successes)} successful logins" if len(entry.successes) > 1 else "logged in"
    )
    summary = (
        f"{label(user_id)} {logins} from {', '.join(success_ips)} after "
        f"{plural(len(failed), 'failed login')} from {listing(failed_ips)} in "
        f"{duration_text(last - first)} (rule: at least {th.takeover_failures} failures within "
        f"the {th.takeover_window_minutes} minutes before a success)."
    )
    involved = sorted({*failed_ips, *(s.ip for s in succeeded)} - {"no IP", None})
    evidence = evidence_filter(
        flt,
        first,
        last,
        users=(user_id,),
        actions=login_actions(flt),
        outcomes=(FAILURE, SUCCESS),
    )
    return Finding(
        TAKEOVER,
        HIGH if set(success_ips) & set(failed_ips) else MEDIUM,
        summary,
        first,
        last,
        len(failed) + len(succeeded),
        evidence,
        ip=entry.successes[-1].ip,
        user_id=user_id,
        ips=tuple(involved),
        user_ids=(user_id,),
    )
