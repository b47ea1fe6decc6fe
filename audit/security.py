"""Security detections that explain themselves, and the facts behind per-IP and per-user
profiles.

Every finding carries an :class:`AuditFilter` (its ``evidence``) that selects exactly the
events behind it, and ``events``, the number of events that filter selects.

Definitions the rules share:

- A login attempt is a row whose action is in :data:`LOGIN_ACTIONS` (Enclava writes every
  login as ``login`` with a ``success`` flag). It failed when ``success IS FALSE``; NULL is
  neither a failure nor a success.
- "At least N within W minutes" means N events whose first and last are at most W minutes
  apart: the window is closed, so a burst spanning exactly W minutes fires and one
  spanning W minutes and one second does not.
- A burst is the union of every W-minute window that satisfies the rule, windows that share
  a moment merged: every event of the key (IP or user) between its first and last moment
  belongs to it, which is why a time range selects it exactly.

How they compute (the cost is one scan of the range per query; only ``id`` and
``created_at`` are indexed in Enclava):

- brute force, spraying, takeover: SQL selects the failed logins of the range (capped at
  :data:`ROW_CAP` rows, four narrow columns), and the successful logins of the users with
  enough failures; sliding windows run over those rows in Python, in linear time. SQLite
  cannot express a time-valued ``RANGE`` window, and a self-join grows with the square of
  a burst, hence Python on a bounded set;
- users with many IPs: GROUP BY user and IP, then by user HAVING enough IPs (one scan);
- first-seen IPs: the (user, IP) pairs of the range, each joined to the pair's latest
  earlier event within the lookback (two scans, returning one row per pair);
- privileged actions off hours: a filtered SELECT with the local hour and weekday computed
  in SQL (at most :data:`LIST_LIMIT` rows).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pandas as pd
import sqlalchemy as sa

from audit import dialect, queries
from audit.config import Settings
from audit.db import Source
from audit.filters import AuditFilter, Params
from audit.schema import audit_logs, users
from audit.timerange import CUSTOM, TimeWindow
from audit.vocab import high_severity_clause, security_event_clause

c = audit_logs.c

LOGIN_ACTIONS: tuple[str, ...] = ("login",)
FAILURE, SUCCESS = "failure", "success"
ROW_CAP = 200_000  # failed (or successful) logins read for the window rules
MAX_TAKEOVER_SPANS = 300  # time spans the takeover rule reads successes in, at most
LIST_LIMIT = 500  # rows of the off-hours and lifecycle lists
ONE_MICROSECOND = timedelta(microseconds=1)
HIGH, MEDIUM, LOW = "high", "medium", "low"
RISKS: tuple[str, ...] = (HIGH, MEDIUM, LOW)
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

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


# ---------------------------------------------------------------------------------------
# Thresholds: settings with defaults, overridable per page through the URL


@dataclass(frozen=True)
class Thresholds:
    """The detection thresholds in force; defaults are the settings' defaults."""

    bruteforce_failures: int = Settings.bruteforce_failures
    bruteforce_window_minutes: int = Settings.bruteforce_window_minutes
    spray_min_users: int = Settings.spray_min_users
    spray_window_minutes: int = Settings.spray_window_minutes
    takeover_failures: int = Settings.takeover_failures
    takeover_window_minutes: int = Settings.takeover_window_minutes
    multi_ip_min: int = Settings.multi_ip_min
    new_ip_lookback_days: int = 30  # a page/URL threshold only, not a setting
    business_hours_start: int = Settings.business_hours_start
    business_hours_end: int = Settings.business_hours_end

    @classmethod
    def from_settings(cls, settings: Settings) -> Thresholds:
        names = {f.name for f in fields(cls)}
        return cls(
            **{f.name: getattr(settings, f.name) for f in fields(settings) if f.name in names}
        )

    def minutes(self, name: str) -> timedelta:
        return timedelta(minutes=getattr(self, name))


class ThresholdParam(NamedTuple):
    field: str
    label: str
    low: int
    high: int


# URL parameter name -> threshold; none of them is a filter parameter.
THRESHOLD_PARAMS: dict[str, ThresholdParam] = {
    "bf_n": ThresholdParam("bruteforce_failures", "Brute force: failed logins", 1, 100_000),
    "bf_w": ThresholdParam(
        "bruteforce_window_minutes", "Brute force: window (minutes)", 1, 100_000
    ),
    "sp_n": ThresholdParam("spray_min_users", "Spraying: distinct users", 1, 100_000),
    "sp_w": ThresholdParam("spray_window_minutes", "Spraying: window (minutes)", 1, 100_000),
    "to_n": ThresholdParam("takeover_failures", "Takeover: failures before", 1, 100_000),
    "to_w": ThresholdParam("takeover_window_minutes", "Takeover: window (minutes)", 1, 100_000),
    "ip_n": ThresholdParam("multi_ip_min", "Many IPs: distinct IPs", 1, 100_000),
    "new_d": ThresholdParam("new_ip_lookback_days", "New IP: lookback (days)", 1, 365),
    "bh_from": ThresholdParam("business_hours_start", "Business hours: from", 0, 23),
    "bh_to": ThresholdParam("business_hours_end", "Business hours: to", 1, 24),
}


def _param_value(raw: str | Sequence[str] | None) -> str | None:
    if raw is None or isinstance(raw, str):
        return raw
    return raw[-1] if raw else None


def thresholds_from_params(params: Params, defaults: Thresholds) -> tuple[Thresholds, list[str]]:
    """Thresholds from the URL over the defaults; a bad value is ignored with a notice."""
    values: dict[str, int] = {}
    notices: list[str] = []
    for key, spec in THRESHOLD_PARAMS.items():
        raw = _param_value(params.get(key))
        if raw is None or raw == "":
            continue
        text = raw.strip()
        if text.isascii() and text.isdigit() and spec.low <= int(text) <= spec.high:
            values[spec.field] = int(text)
        else:
            notices.append(
                f"Ignored {key}={raw[:40]!r}: use a whole number from {spec.low} to {spec.high}."
            )
    chosen, hours_ok = with_valid_hours(replace(defaults, **values), defaults)
    if not hours_ok:
        notices.append("Ignored the business hours in the URL: the start must be before the end.")
    return chosen, notices


def with_valid_hours(chosen: Thresholds, defaults: Thresholds) -> tuple[Thresholds, bool]:
    """``chosen`` with the default business hours when its own do not start before they
    end; and whether its own were kept."""
    if chosen.business_hours_start < chosen.business_hours_end:
        return chosen, True
    hours = {
        "business_hours_start": defaults.business_hours_start,
        "business_hours_end": defaults.business_hours_end,
    }
    return replace(chosen, **hours), False


def thresholds_to_params(thresholds: Thresholds, defaults: Thresholds) -> dict[str, list[str]]:
    """Only the thresholds that differ from the defaults."""
    return {
        key: [str(getattr(thresholds, spec.field))]
        for key, spec in THRESHOLD_PARAMS.items()
        if getattr(thresholds, spec.field) != getattr(defaults, spec.field)
    }


# ---------------------------------------------------------------------------------------
# Findings


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


Label = Callable[[int | None], str]


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


def _evidence(flt: AuditFilter, first: datetime, last: datetime, **narrow: Any) -> AuditFilter:
    """The page filter narrowed to ``[first, last]`` (naive UTC, both inclusive) and more."""
    return flt.with_values(
        range=CUSTOM, start=_aware(first), end=_aware(last) + ONE_MICROSECOND, **narrow
    )


def _login_actions(flt: AuditFilter) -> tuple[str, ...]:
    return tuple(a for a in LOGIN_ACTIONS if not flt.actions or a in flt.actions)


def _duration(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _listing(counts: Mapping[str, int], shown: int = 4) -> str:
    """``a (3), b (1) and 2 more``, most frequent first."""
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    parts = [f"{name} ({n:,})" for name, n in ordered[:shown]]
    rest = len(ordered) - shown
    return ", ".join(parts) + (f" and {rest} more" if rest > 0 else "")


# ---------------------------------------------------------------------------------------
# Login attempts: the bounded, pre-filtered rows the window rules read


class Attempt(NamedTuple):
    id: int
    at: datetime
    ip: str | None
    user_id: int | None


@dataclass(frozen=True)
class Attempts:
    rows: tuple[Attempt, ...]
    truncated: bool = False


def _attempts(
    source: Source, flt: AuditFilter, now: datetime, succeeded: bool, *extra: sa.ColumnElement
) -> Attempts:
    statement = (
        sa.select(c.id, c.created_at, c.ip_address, c.user_id)
        .where(
            source.where(flt, now),
            c.action.in_(LOGIN_ACTIONS),
            c.success.is_(succeeded),
            c.created_at.is_not(None),
            *extra,
        )
        .order_by(c.created_at, c.id)
        .limit(ROW_CAP + 1)
    )
    rows = [Attempt(*row) for row in source.rows(statement)]
    return Attempts(tuple(rows[:ROW_CAP]), len(rows) > ROW_CAP)


def failed_logins(source: Source, flt: AuditFilter, now: datetime) -> Attempts:
    """Failed logins matching the filter, oldest first, at most :data:`ROW_CAP`."""
    return _attempts(source, flt, now, False)


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
    return _attempts(source, flt, now, True, near_a_failure)


Spans = dict[int, list[tuple[datetime, datetime]]]  # user id -> time spans


def _takeover_spans(failures: Attempts, th: Thresholds) -> Spans:
    """Per candidate user, the times within W of one of their failures, merged. A success
    the rule fires on and the failures before it lie within W of each other, and so does
    every success of the evidence (it lies in a fired success's window, with failures).
    With too many spans, one per user (from the first failure to the last) keeps the
    query short; it only reads more rows."""
    window = th.minutes("takeover_window_minutes")
    by_user = _grouped(failures.rows, lambda r: r.user_id)
    spans: Spans = {}
    for user_id in takeover_candidates(failures, th):
        merged: list[tuple[datetime, datetime]] = []
        for failure in by_user[user_id]:  # oldest first
            low, high = failure.at - window, failure.at + window
            if merged and low <= merged[-1][1]:
                merged[-1] = (merged[-1][0], high)
            else:
                merged.append((low, high))
        spans[user_id] = merged
    if sum(len(s) for s in spans.values()) > MAX_TAKEOVER_SPANS:
        return {user_id: [(s[0][0], s[-1][1])] for user_id, s in spans.items()}
    return spans


def _grouped(
    rows: Iterable[Attempt], key: Callable[[Attempt], Hashable]
) -> dict[Any, list[Attempt]]:
    groups: dict[Any, list[Attempt]] = defaultdict(list)
    for row in rows:
        if key(row) is not None:
            groups[key(row)].append(row)
    return groups


# ---------------------------------------------------------------------------------------
# Sliding windows


class Burst(NamedTuple):
    first: int  # index of the first event
    last: int  # index of the last event
    peak: int  # the most events (or distinct keys) found in one window


def bursts(
    times: Sequence[datetime],
    window: timedelta,
    threshold: int,
    keys: Sequence[Hashable | None] | None = None,
) -> list[Burst]:
    """Runs of ``times`` (sorted) covered by windows ``[t, t + window]`` that hold at least
    ``threshold`` events, or ``threshold`` distinct non-None ``keys`` when given. Windows
    sharing a moment merge, so no event between a burst's first and last is left out."""
    found: list[Burst] = []
    present: Counter[Hashable] = Counter()
    end = -1  # index of the last event inside the current window
    for start, moment in enumerate(times):
        while end + 1 < len(times) and times[end + 1] - moment <= window:
            end += 1
            if keys is not None and keys[end] is not None:
                present[keys[end]] += 1
        measure = end - start + 1 if keys is None else len(present)
        if measure >= threshold:
            if found and moment <= times[found[-1].last]:
                previous = found[-1]
                found[-1] = Burst(previous.first, end, max(previous.peak, measure))
            else:
                found.append(Burst(start, end, measure))
        if keys is not None and keys[start] is not None:
            present[keys[start]] -= 1
            if not present[keys[start]]:
                del present[keys[start]]
    return found


# ---------------------------------------------------------------------------------------
# Rules 1-3: brute force, spraying, success after failures


def _failures_finding(
    rule: str, risk: str, summary: str, ip: str, part: Sequence[Attempt], flt: AuditFilter
) -> Finding:
    """A finding over failed logins from one IP: its evidence is every failed login from
    that IP between the first and the last."""
    targets = sorted({r.user_id for r in part if r.user_id is not None})
    first, last = part[0].at, part[-1].at
    return Finding(
        rule,
        risk,
        summary,
        first,
        last,
        len(part),
        _evidence(flt, first, last, ip=ip, actions=_login_actions(flt), outcomes=(FAILURE,)),
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
    for ip, rows in _grouped(attempts.rows, lambda r: r.ip).items():
        for burst in bursts([r.at for r in rows], th.minutes("bruteforce_window_minutes"), n):
            part = rows[burst.first : burst.last + 1]
            targets = sorted(_targets(part))
            who = label(targets[0]) if len(targets) == 1 else _plural(len(targets), "user")
            summary = (
                f"{_plural(len(part), 'failed login')} from {ip} against {who} in "
                f"{_duration(part[-1].at - part[0].at)}; up to {burst.peak:,} within {minutes} "
                f"minutes (rule: at least {n} within {minutes} minutes)."
            )
            risk = HIGH if len(part) >= 2 * n else MEDIUM
            found.append(_failures_finding(BRUTE_FORCE, risk, summary, ip, part, flt))
    return found


def spraying(attempts: Attempts, th: Thresholds, flt: AuditFilter, label: Label) -> list[Finding]:
    """One IP failing against at least K distinct users within W minutes; 2K is high risk."""
    k, minutes = th.spray_min_users, th.spray_window_minutes
    found = []
    for ip, rows in _grouped(attempts.rows, lambda r: r.ip).items():
        times, targets = [r.at for r in rows], [r.user_id for r in rows]
        for burst in bursts(times, th.minutes("spray_window_minutes"), k, targets):
            part = rows[burst.first : burst.last + 1]
            victims = len(_targets(part))
            summary = (
                f"{ip} failed to log in as {victims:,} different users in "
                f"{_duration(part[-1].at - part[0].at)} ({_plural(len(part), 'attempt')}); up to "
                f"{burst.peak:,} users within {minutes} minutes (rule: at least {k} users within "
                f"{minutes} minutes)."
            )
            risk = HIGH if victims >= 2 * k else MEDIUM
            found.append(_failures_finding(SPRAYING, risk, summary, ip, part, flt))
    return found


def takeover_candidates(attempts: Attempts, th: Thresholds) -> list[int]:
    """Users with enough failures in the range to possibly fire the takeover rule."""
    counts = Counter(r.user_id for r in attempts.rows if r.user_id is not None)
    return sorted(u for u, n in counts.items() if n >= th.takeover_failures)


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
    failed_by_user = _grouped(attempts.rows, lambda r: r.user_id)
    found = []
    for user_id, wins in _grouped(successes.rows, lambda r: r.user_id).items():
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
        f"{_plural(len(failed), 'failed login')} from {_listing(failed_ips)} in "
        f"{_duration(last - first)} (rule: at least {th.takeover_failures} failures within the "
        f"{th.takeover_window_minutes} minutes before a success)."
    )
    involved = sorted({*failed_ips, *(s.ip for s in succeeded)} - {"no IP", None})
    return Finding(
        TAKEOVER,
        HIGH if set(success_ips) & set(failed_ips) else MEDIUM,
        summary,
        first,
        last,
        len(failed) + len(succeeded),
        _evidence(
            flt,
            first,
            last,
            users=(user_id,),
            actions=_login_actions(flt),
            outcomes=(FAILURE, SUCCESS),
        ),
        ip=entry.successes[-1].ip,
        user_id=user_id,
        ips=tuple(involved),
        user_ids=(user_id,),
    )


# ---------------------------------------------------------------------------------------
# Rule 4: users seen from many IPs


def multi_ip_pairs(source: Source, flt: AuditFilter, now: datetime, th: Thresholds) -> list[sa.Row]:
    """Events per (user, IP) of the users seen from at least K distinct IPs, the IP
    possibly NULL: user_id, ip_address, events, first, last. Grouping by the pair first
    and then by user avoids a costlier count(DISTINCT)."""
    pairs = (
        sa.select(
            c.user_id,
            c.ip_address,
            sa.func.count().label("events"),
            sa.func.min(c.created_at).label("first"),
            sa.func.max(c.created_at).label("last"),
        )
        .where(source.where(flt, now), c.user_id.is_not(None))
        .group_by(c.user_id, c.ip_address)
        .cte("pairs")
    )
    many = (
        sa.select(pairs.c.user_id)
        .group_by(pairs.c.user_id)
        .having(sa.func.count(pairs.c.ip_address) >= th.multi_ip_min)
    )
    statement = sa.select(pairs).where(pairs.c.user_id.in_(many)).order_by(pairs.c.user_id)
    return source.rows(statement)


def multi_ip(
    rows: Sequence[sa.Row], th: Thresholds, flt: AuditFilter, label: Label
) -> list[Finding]:
    by_user: dict[int, list[sa.Row]] = defaultdict(list)
    for row in rows:
        by_user[row.user_id].append(row)
    found = []
    for user_id, pairs in by_user.items():
        ips = {r.ip_address: int(r.events) for r in pairs if r.ip_address is not None}
        first, last = min(r.first for r in pairs), max(r.last for r in pairs)
        summary = (
            f"{label(user_id)} was seen from {len(ips):,} distinct IPs: {_listing(ips)} "
            f"(rule: at least {th.multi_ip_min} distinct IPs in the range)."
        )
        found.append(
            Finding(
                MULTI_IP,
                MEDIUM if len(ips) >= 2 * th.multi_ip_min else LOW,
                summary,
                first,
                last,
                sum(int(r.events) for r in pairs),
                _evidence(flt, first, last, users=(user_id,)),
                user_id=user_id,
                ips=tuple(sorted(ips)),
                user_ids=(user_id,),
            )
        )
    return found


# ---------------------------------------------------------------------------------------
# Rule 5: an IP with no event for that user in the lookback before its first event


def first_ip_events(
    source: Source, flt: AuditFilter, now: datetime, th: Thresholds
) -> list[sa.Row]:
    """For each (user, IP) pair with events matching the filter: the first and last of
    them, their count and successes, and ``previous``, the pair's latest event of any kind
    before the first, looked for back to the lookback before the range starts. Two grouped
    scans (the range, and the lookback plus the range) joined on the pair."""
    pairs = (
        sa.select(
            c.user_id,
            c.ip_address,
            sa.func.min(c.created_at).label("first"),
            sa.func.max(c.created_at).label("last"),
            sa.func.count().label("events"),
            queries.flag_sum(c.success.is_(True)).label("successes"),
        )
        .where(
            source.where(flt, now),
            c.user_id.is_not(None),
            c.ip_address.is_not(None),
            c.created_at.is_not(None),
        )
        .group_by(c.user_id, c.ip_address)
        .subquery("pairs")
    )
    before = audit_logs.alias("before")
    h = before.c
    joined = [h.user_id == pairs.c.user_id, h.ip_address == pairs.c.ip_address]
    joined.append(h.created_at < pairs.c.first)
    window = flt.window(now)
    if window.start is not None:
        joined.append(h.created_at >= window.start - timedelta(days=th.new_ip_lookback_days))
    if window.end is not None:
        joined.append(h.created_at < window.end)
    # Grouped by the pair alone (the rest depends on it) so the database can hash, not sort.
    statement = (
        sa.select(
            pairs.c.user_id,
            pairs.c.ip_address,
            *(sa.func.max(column).label(column.name) for column in list(pairs.c)[2:]),
            sa.func.max(h.created_at).label("previous"),
        )
        .select_from(pairs.outerjoin(before, sa.and_(*joined)))
        .group_by(pairs.c.user_id, pairs.c.ip_address)
    )
    return source.rows(statement)


def data_start(source: Source) -> datetime | None:
    """The oldest ``created_at`` in the table (an index lookup)."""
    with source.connect() as conn:
        return conn.execute(sa.select(sa.func.min(c.created_at))).scalar_one()


@dataclass(frozen=True)
class NewIpResult:
    findings: list[Finding]
    unjudged: int  # pairs first seen too close to the start of the data to tell


def new_ips(
    rows: Sequence[sa.Row], oldest: datetime | None, th: Thresholds, flt: AuditFilter, label: Label
) -> NewIpResult:
    lookback = timedelta(days=th.new_ip_lookback_days)
    found, unjudged = [], 0
    for row in rows:
        if row.previous is not None and row.first - row.previous <= lookback:
            continue
        if row.previous is None and (oldest is None or row.first - lookback < oldest):
            unjudged += 1
            continue
        before = (
            f"last seen {_duration(row.first - row.previous)} before"
            if row.previous is not None
            else f"no event from it in the {th.new_ip_lookback_days} days before"
        )
        successes = int(row.successes or 0)
        summary = (
            f"{label(row.user_id)} used {row.ip_address} for the first time ({before}); "
            f"{_plural(int(row.events), 'event')} from it in the range, {successes:,} successful "
            f"(rule: no event from that IP for the user in the {th.new_ip_lookback_days} days "
            "before)."
        )
        found.append(
            Finding(
                NEW_IP,
                MEDIUM if successes else LOW,
                summary,
                row.first,
                row.last,
                int(row.events),
                _evidence(flt, row.first, row.last, users=(row.user_id,), ip=row.ip_address),
                ip=row.ip_address,
                user_id=row.user_id,
                ips=(row.ip_address,),
                user_ids=(row.user_id,),
            )
        )
    return NewIpResult(found, unjudged)


# ---------------------------------------------------------------------------------------
# Rules 6 and 7: privileged actions off hours, and the privilege and API-key lifecycle


@dataclass(frozen=True)
class ActionKind:
    """A kind of sensitive action: named actions, or generic CRUD actions on a resource type."""

    name: str
    actions: tuple[str, ...] = ()
    resource_type: str | None = None
    resource_actions: tuple[str, ...] = ()

    def clause(self) -> sa.ColumnElement[bool]:
        parts = [c.action.in_(self.actions)] if self.actions else []
        if self.resource_type is not None:
            parts.append(
                sa.and_(c.resource_type == self.resource_type, c.action.in_(self.resource_actions))
            )
        return sa.or_(*parts)


PERMISSION_CHANGE = ActionKind("permission change", ("permission_grant", "permission_revoke"))
ROLE_CHANGE = ActionKind(
    "role change",
    ("role_change", "role_assign", "role_update"),
    "role",
    ("create", "update", "delete"),
)
KEY_CREATION = ActionKind(
    "API key creation", ("api_key_create", "create_api_key"), "api_key", ("create",)
)
KEY_CHANGE = ActionKind("API key change", (), "api_key", ("update",))
KEY_DELETION = ActionKind(
    "API key deletion", ("api_key_delete", "delete_api_key"), "api_key", ("delete",)
)
USER_DELETION = ActionKind("user deletion", ("user_delete", "delete_user"), "user", ("delete",))
PASSWORD_RESET = ActionKind("password reset", ("password_reset",))
PRIVILEGED_KINDS: tuple[ActionKind, ...] = (
    PERMISSION_CHANGE,
    ROLE_CHANGE,
    KEY_CREATION,
    USER_DELETION,
    PASSWORD_RESET,
)
LIFECYCLE_KINDS: tuple[ActionKind, ...] = (
    PERMISSION_CHANGE,
    ROLE_CHANGE,
    KEY_CREATION,
    KEY_CHANGE,
    KEY_DELETION,
)
HIGH_RISK_KINDS = frozenset({PERMISSION_CHANGE.name, ROLE_CHANGE.name, USER_DELETION.name})


def _kind_of(kinds: Sequence[ActionKind]) -> sa.ColumnElement[str]:
    return sa.case(*[(k.clause(), k.name) for k in kinds], else_=None)


def _local_parts(
    source: Source, flt: AuditFilter, now: datetime
) -> tuple[sa.ColumnElement, sa.ColumnElement]:
    """Hour of day and ISO weekday of ``created_at`` in the display timezone."""
    span = queries.effective_window(source, flt, now)
    start = span.start or datetime(1970, 1, 1)
    end = span.end or start + timedelta(days=1)
    local = dialect.local_time(c.created_at, source.dialect, flt.tz, start, end)
    return dialect.hour_of_day(local, source.dialect), dialect.iso_weekday(local, source.dialect)


def off_hours_actions(
    source: Source, flt: AuditFilter, now: datetime, th: Thresholds
) -> list[sa.Row]:
    """Privileged actions before/after business hours (local) or at weekends, oldest first,
    at most :data:`LIST_LIMIT` + 1 rows (one more tells the list was cut)."""
    hour, weekday = _local_parts(source, flt, now)
    kinds = PRIVILEGED_KINDS
    statement = (
        sa.select(
            c.id,
            c.created_at,
            c.user_id,
            c.action,
            c.resource_type,
            c.resource_id,
            c.ip_address,
            _kind_of(kinds).label("kind"),
            hour.label("hour"),
            weekday.label("weekday"),
        )
        .where(
            source.where(flt, now),
            c.created_at.is_not(None),
            sa.or_(*[k.clause() for k in kinds]),
            sa.or_(hour < th.business_hours_start, hour >= th.business_hours_end, weekday >= 6),
        )
        .order_by(c.created_at, c.id)
        .limit(LIST_LIMIT + 1)
    )
    return source.rows(statement)


def business_hours_text(th: Thresholds) -> str:
    return f"{th.business_hours_start:02d}:00–{th.business_hours_end:02d}:00 Mon–Fri"


def _action_key(row: sa.Row) -> tuple[Any, ...]:
    return (row.created_at, row.action, row.resource_type, row.user_id, row.resource_id)


def off_hours(
    rows: Sequence[sa.Row], th: Thresholds, flt: AuditFilter, label: Label
) -> list[Finding]:
    """One finding per privileged action (twins at the same microsecond share one)."""
    groups: dict[tuple[Any, ...], list[sa.Row]] = defaultdict(list)
    for row in rows[:LIST_LIMIT]:
        groups[_action_key(row)].append(row)
    zone = ZoneInfo(flt.tz)
    found = []
    for (moment, action, resource_type, user_id, resource_id), same in groups.items():
        row = same[0]
        local = _aware(moment).astimezone(zone)
        target = f"{resource_type} {resource_id}" if resource_id else resource_type
        summary = (
            f"{label(user_id)}: {row.kind} ({action} on {target}) at {local:%H:%M} on "
            f"{WEEKDAY_NAMES[row.weekday - 1]} {local:%Y-%m-%d} ({flt.tz}), outside business "
            f"hours {business_hours_text(th)}."
        )
        narrow: dict[str, Any] = {"actions": (action,), "resource_types": (resource_type,)}
        if user_id is not None:
            narrow["users"] = (user_id,)
        if resource_id:
            narrow["resource_id"] = resource_id
        found.append(
            Finding(
                OFF_HOURS,
                HIGH if row.kind in HIGH_RISK_KINDS else MEDIUM,
                summary,
                moment,
                moment,
                len(same),
                _evidence(flt, moment, moment, **narrow),
                ip=row.ip_address,
                user_id=user_id,
                ips=(row.ip_address,) if row.ip_address else (),
                user_ids=(user_id,) if user_id is not None else (),
            )
        )
    return found


def lifecycle(
    source: Source,
    flt: AuditFilter,
    now: datetime,
    th: Thresholds,
    limit: int = LIST_LIMIT,
    ids_from: Source | None = None,
) -> pd.DataFrame:
    """Permission and role changes and the API-key lifecycle, newest first: the rows of
    :func:`audit.queries.rows_frame` plus ``kind`` and ``off_hours``. ``ids_from``: see
    :func:`newest_rows`."""
    statement = newest_rows(
        source, flt, now, [sa.or_(*[k.clause() for k in LIFECYCLE_KINDS])], limit, ids_from
    ).add_columns(_kind_of(LIFECYCLE_KINDS).label("kind"))
    rows = [dict(r._mapping) for r in source.rows(statement)]
    frame = queries.rows_frame(rows, flt.tz)
    frame["kind"] = pd.Series([r["kind"] for r in rows], dtype="string")
    frame["off_hours"] = [is_off_hours(moment, th) for moment in frame["created_at"]]
    return frame


def is_off_hours(local: datetime, th: Thresholds) -> bool:
    """Outside business hours (``[start, end)`` local hours, Monday to Friday)."""
    in_hours = th.business_hours_start <= local.hour < th.business_hours_end
    return local.isoweekday() >= 6 or not in_hours


# ---------------------------------------------------------------------------------------
# All rules at once


def user_labels(source: Source, user_ids: Iterable[int]) -> dict[int, str]:
    """Email (or username) of each user id; a label for ids without a ``users`` row."""
    wanted = sorted({int(u) for u in user_ids})
    found: dict[int, tuple[Any, Any]] = {}
    if wanted and source.has_users:
        columns = [users.c.id] + [
            users.c[name] if name in source.user_columns else sa.null()
            for name in ("email", "username")
        ]
        statement = sa.select(*columns).where(users.c.id.in_(wanted))
        found = {row[0]: (row[1], row[2]) for row in source.rows(statement)}
    return {u: queries.user_label(u, *found.get(u, (None, None))) for u in wanted}


def _labeller(labels: Mapping[int, str]) -> Label:
    def label(user_id: int | None) -> str:
        if user_id is None:
            return queries.user_label(None, None, None)
        return labels.get(user_id) or queries.user_label(user_id, None, None)

    return label


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


def detect(source: Source, flt: AuditFilter, now: datetime, th: Thresholds) -> Detections:
    """Run every rule over the events matching ``flt``."""
    failures = failed_logins(source, flt, now)
    successes = takeover_successes(source, flt, now, failures, th)
    many = multi_ip_pairs(source, flt, now, th)
    firsts = first_ip_events(source, flt, now, th)
    off_rows = off_hours_actions(source, flt, now, th)
    ids = [r.user_id for r in (*failures.rows, *successes.rows, *many, *firsts, *off_rows)]
    labels = user_labels(source, [u for u in ids if u is not None])
    label = _labeller(labels)
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
            f"{_plural(new.unjudged, 'user and IP pair')} first seen less than "
            f"{th.new_ip_lookback_days} days after the oldest event could not be judged as new."
        )
    ordered = tuple((rule, tuple(_by_time(findings[rule]))) for rule in RULE_TITLES)
    return Detections(ordered, tuple(notes), tuple(labels.items()))


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


# ---------------------------------------------------------------------------------------
# Security page aggregates


def login_failures_filter(flt: AuditFilter) -> AuditFilter | None:
    """The filter narrowed to failed logins; ``None`` when the filter excludes them."""
    actions = _login_actions(flt)
    if not actions or (flt.outcomes and FAILURE not in flt.outcomes):
        return None
    return flt.with_values(actions=actions, outcomes=(FAILURE,))


@dataclass(frozen=True)
class FailureSummary:
    failures: int
    ips: int
    users: int


def failure_summary(source: Source, flt: AuditFilter, now: datetime) -> FailureSummary:
    """Failed logins, distinct IPs and distinct users among them (``flt`` already narrowed)."""
    statement = sa.select(
        sa.func.count(),
        sa.func.count(sa.distinct(c.ip_address)),
        sa.func.count(sa.distinct(c.user_id)),
    ).where(source.where(flt, now))
    return FailureSummary(*(int(v) for v in source.rows(statement)[0]))


def newest_rows(
    source: Source,
    flt: AuditFilter,
    now: datetime,
    conditions: Sequence[sa.ColumnElement[bool]],
    limit: int,
    ids_from: Source | None = None,
) -> sa.Select:
    """The newest ``limit`` rows matching ``flt`` and ``conditions``, read from ``source``.

    On a large table the database may walk its time index over millions of rows to find a
    few rare ones. ``ids_from`` (the mirror) finds the candidates instead: the ids of its
    newest matching rows, plus every id newer than it holds. The source then reads those
    rows by primary key and applies the filter again, so every row shown matches."""
    statement = queries.rows_statement(source, flt, now).where(*conditions)
    if ids_from is not None:
        statement = statement.where(_candidate_ids(ids_from, flt, now, conditions, limit))
    return statement.order_by(*queries.row_order(newest_first=True)).limit(limit)


def _candidate_ids(
    index: Source,
    flt: AuditFilter,
    now: datetime,
    conditions: Sequence[sa.ColumnElement[bool]],
    limit: int,
) -> sa.ColumnElement[bool]:
    newest = (
        sa.select(c.id)
        .where(index.where(flt, now), *conditions)
        .order_by(*queries.row_order(newest_first=True))
        .limit(limit)
    )
    with index.connect() as conn:
        ids = [int(i) for i in conn.execute(newest).scalars()]
        last = conn.execute(sa.select(sa.func.max(c.id))).scalar()
    if last is None:
        return sa.true()
    return sa.or_(c.id.in_(ids), c.id > int(last))


def high_security_events(
    source: Source,
    flt: AuditFilter,
    now: datetime,
    limit: int = 200,
    ids_from: Source | None = None,
) -> pd.DataFrame:
    """Security events of high or critical severity (``error`` ranks with ``high``),
    newest first: rows as :func:`audit.queries.rows_frame` makes them. ``ids_from``: see
    :func:`newest_rows`."""
    conditions = [security_event_clause(), high_severity_clause()]
    statement = newest_rows(source, flt, now, conditions, limit, ids_from)
    return queries.rows_frame([dict(r._mapping) for r in source.rows(statement)], flt.tz)


def count_high_security_events(source: Source, flt: AuditFilter, now: datetime) -> int:
    statement = sa.select(sa.func.count()).where(
        source.where(flt, now), security_event_clause(), high_severity_clause()
    )
    return int(source.rows(statement)[0][0])


# ---------------------------------------------------------------------------------------
# Profiles


def parse_user_id(value: str | None) -> int | None:
    """The ``id`` URL parameter of the user profile, or ``None`` when it is not an id."""
    text = (value or "").strip()
    if text.isascii() and text.isdigit() and int(text) < 2**63:
        return int(text)
    return None


def user_profile_filter(flt: AuditFilter, user_id: int) -> AuditFilter:
    return flt.with_values(users=(user_id,))


@dataclass(frozen=True)
class EntitySummary:
    """Counts over the events matching a profile's filter."""

    events: int
    successes: int
    failures: int
    ips: int
    users: int
    user_agents: int
    first: datetime | None
    last: datetime | None

    @property
    def unknown(self) -> int:
        return self.events - self.successes - self.failures

    @property
    def failure_ratio(self) -> float | None:
        known = self.successes + self.failures
        return self.failures / known if known else None


def entity_summary(source: Source, flt: AuditFilter, now: datetime) -> EntitySummary:
    statement = sa.select(
        sa.func.count(),
        queries.flag_sum(c.success.is_(True)),
        queries.flag_sum(c.success.is_(False)),
        sa.func.count(sa.distinct(c.ip_address)),
        sa.func.count(sa.distinct(c.user_id)),
        sa.func.count(sa.distinct(c.user_agent)),
        sa.func.min(c.created_at),
        sa.func.max(c.created_at),
    ).where(source.where(flt, now))
    *counts, first, last = source.rows(statement)[0]
    return EntitySummary(*(int(n) for n in counts), first, last)


def ever_seen(source: Source, flt: AuditFilter, now: datetime) -> TimeWindow:
    """First and last event of the filter's IP and users in the whole table, whatever the
    other filters and the range say."""
    entity = AuditFilter(range="all", ip=flt.ip, users=flt.users)
    return queries.data_bounds(source, entity, now)


def top_user_agents(
    source: Source, flt: AuditFilter, now: datetime, limit: int = 10
) -> pd.DataFrame:
    """Most frequent user agents. Columns: user_agent, count."""
    count = sa.func.count().label("count")
    statement = (
        sa.select(c.user_agent, count)
        .where(source.where(flt, now))
        .group_by(c.user_agent)
        .order_by(count.desc(), c.user_agent)
        .limit(limit)
    )
    rows = [("(none)" if agent is None else agent, int(n)) for agent, n in source.rows(statement)]
    frame = pd.DataFrame(rows, columns=["user_agent", "count"])
    frame["user_agent"] = frame["user_agent"].astype("string")
    frame["count"] = frame["count"].astype("int64")
    return frame


def latest_events(
    source: Source, flt: AuditFilter, now: datetime, size: int = 50, ids_from: Source | None = None
) -> pd.DataFrame:
    """The newest ``size`` rows of a profile; ``ids_from``: see :func:`newest_rows`."""
    statement = newest_rows(source, flt, now, [], size, ids_from)
    return queries.rows_frame([dict(r._mapping) for r in source.rows(statement)], flt.tz)


@dataclass(frozen=True)
class Account:
    """The ``users`` row of a profile's user (the columns that exist)."""

    values: tuple[tuple[str, Any], ...]

    def get(self, name: str) -> Any:
        return dict(self.values).get(name)


ACCOUNT_COLUMNS = (
    "email", "username", "full_name", "is_active", "is_superuser", "role_id",
    "created_at", "last_login", "account_locked", "failed_login_attempts",
)  # fmt: skip


def account(source: Source, user_id: int) -> Account | None:
    if not source.has_users:
        return None
    names = [n for n in ACCOUNT_COLUMNS if n in source.user_columns]
    statement = sa.select(*(users.c[n] for n in names)).where(users.c.id == user_id)
    rows = source.rows(statement)
    return Account(tuple(zip(names, rows[0], strict=True))) if rows else None


# ---------------------------------------------------------------------------------------
# Links (relative URLs, so they work under any base path)


def _query(pairs: Sequence[tuple[str, str]]) -> str:
    return urlencode(pairs, safe=":")  # IPv6 addresses stay readable


def _pairs(params: Mapping[str, Sequence[str]]) -> list[tuple[str, str]]:
    return [(key, value) for key, values in params.items() for value in values]


def explorer_url(flt: AuditFilter) -> str:
    return "explorer?" + _query(_pairs(flt.to_params()))


def ip_params(
    ip: str, flt: AuditFilter, extra: Mapping[str, Sequence[str]] | None = None
) -> dict[str, list[str]]:
    """Query parameters of an IP's profile: ``ip`` first, so a link can show it."""
    return {"ip": [ip]} | flt.with_values(ip="").to_params() | dict(extra or {})


def user_params(
    user_id: int, flt: AuditFilter, extra: Mapping[str, Sequence[str]] | None = None
) -> dict[str, list[str]]:
    """Query parameters of a user's profile (``id``; ``user`` is the users filter)."""
    return {"id": [str(user_id)]} | flt.with_values(users=()).to_params() | dict(extra or {})


def ip_url(ip: str, flt: AuditFilter, extra: Mapping[str, Sequence[str]] | None = None) -> str:
    return "ip?" + _query(_pairs(ip_params(ip, flt, extra)))


def user_url(
    user_id: int, flt: AuditFilter, extra: Mapping[str, Sequence[str]] | None = None
) -> str:
    return "user?" + _query(_pairs(user_params(user_id, flt, extra)))


def event_url(event_id: int, flt: AuditFilter) -> str:
    return "event?" + _query([("id", str(event_id)), *_pairs(flt.to_params())])


IP_LINK_TEXT = r"^ip\?ip=([^&]*)"  # LinkColumn display_text: the address itself


# ---------------------------------------------------------------------------------------
# Tables for display


FINDING_COLUMNS = ("rule", "risk", "summary", "first_seen", "last_seen", "ip", "user", "events",
                   "explorer", "ip_profile", "user_profile")  # fmt: skip


def _local(moment: datetime | None, tz: str) -> pd.Timestamp | None:
    return None if moment is None else pd.Timestamp(_aware(moment)).tz_convert(tz)


def findings_frame(
    findings: Sequence[Finding],
    flt: AuditFilter,
    labels: Mapping[int, str],
    extra: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """One row per finding with links to its events and to the profiles involved."""
    label = _labeller(labels)
    rows = [
        {
            "rule": RULE_TITLES[f.rule],
            "risk": f.risk,
            "summary": f.summary,
            "first_seen": _local(f.first_seen, flt.tz),
            "last_seen": _local(f.last_seen, flt.tz),
            "ip": f.ip,
            "user": label(f.user_id) if f.user_id is not None else None,
            "events": f.events,
            "explorer": explorer_url(f.evidence),
            "ip_profile": ip_url(f.ip, flt, extra) if f.ip else None,
            "user_profile": user_url(f.user_id, flt, extra) if f.user_id is not None else None,
        }
        for f in findings
    ]
    frame = pd.DataFrame(rows, columns=list(FINDING_COLUMNS))
    frame["events"] = frame["events"].astype("int64")
    return frame


def finding_user_ids(findings: Iterable[Finding]) -> list[int]:
    return sorted({f.user_id for f in findings if f.user_id is not None})


def with_event_links(frame: pd.DataFrame, flt: AuditFilter) -> pd.DataFrame:
    """A rows frame plus ``event`` (link to the event's detail page)."""
    linked = frame.copy()
    linked["event"] = pd.Series(
        [event_url(int(i), flt) for i in frame["id"]], index=frame.index, dtype="string"
    )
    return linked
