"""The bounded SQL behind incidents: what followed a password attack (a successful login from
the attacking IP, then privileged actions from that IP or session), and the events of an
incident, read back by the filters of its findings.

Every read is a filtered SELECT with a row cap, so an incident costs at most a few thousand
narrow rows in memory, like the detections."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa

from audit import dialect
from audit.db import Source
from audit.filters import AuditFilter
from audit.schema import audit_logs
from audit.security.logins import LOGIN_ACTIONS
from audit.security.privileged import PRIVILEGED_KINDS, ActionKind

c = audit_logs.c

MAX_ANCHORS = 300  # (IP, time span) pairs a chain is looked for from, at most
CHAIN_CAP = 1_000  # successes (and privileged actions) a chain reads, at most
EVENT_CAP = 5_000  # events of one incident read back, at most


class Anchor(NamedTuple):
    """Where a chain may start: failed logins from ``ip`` between ``first`` and ``last``."""

    group: int  # the incident (group of findings) it belongs to
    ip: str
    first: datetime
    last: datetime


class ChainEvent(NamedTuple):
    group: int
    id: int
    at: datetime
    ip: str | None
    session: str | None
    privileged: bool


class EventRow(NamedTuple):
    id: int
    at: datetime
    action: str
    resource_type: str | None
    resource_id: str | None
    success: bool | None
    ip: str | None
    user_id: int | None


def _session_column(source: Source) -> sa.ColumnElement:
    """The session id where the engine holds it (the copies do not: there, IP alone)."""
    return sa.null() if source.dialect in dialect.COPIES else c.session_id


def _chain_columns(source: Source) -> list[sa.ColumnElement]:
    return [c.id, c.created_at, c.ip_address, _session_column(source).label("session")]


def _successes(
    source: Source, flt: AuditFilter, now: datetime, anchors: Sequence[Anchor], window: timedelta
) -> list[ChainEvent]:
    """Successful logins from an anchor's IP, from its first failure to W after its last."""
    spans = [
        sa.and_(c.ip_address == a.ip, c.created_at.between(a.first, a.last + window))
        for a in anchors
    ]
    statement = (
        sa.select(*_chain_columns(source))
        .where(
            source.where(flt, now),
            c.action.in_(LOGIN_ACTIONS),
            c.success.is_(True),
            sa.or_(*spans),
        )
        .order_by(c.created_at, c.id)
        .limit(CHAIN_CAP)
    )
    found = []
    for row in source.rows(statement):
        for a in anchors:
            if row.ip_address == a.ip and a.first <= row.created_at <= a.last + window:
                found.append(
                    ChainEvent(a.group, row.id, row.created_at, row.ip_address, row.session, False)
                )
                break
    return found


def _same_origin(source: Source, success: ChainEvent) -> sa.ColumnElement[bool]:
    same = [c.ip_address == success.ip] if success.ip else []
    if success.session and source.dialect not in dialect.COPIES:
        same.append(c.session_id == success.session)
    return sa.or_(*same) if same else sa.false()


def _privileged_after(
    source: Source,
    flt: AuditFilter,
    now: datetime,
    successes: Sequence[ChainEvent],
    window: timedelta,
    kinds: Sequence[ActionKind] = PRIVILEGED_KINDS,
) -> list[ChainEvent]:
    """Privileged actions from a success's IP or session within W after it."""
    spans = [
        sa.and_(_same_origin(source, s), c.created_at.between(s.at, s.at + window))
        for s in successes
    ]
    statement = (
        sa.select(*_chain_columns(source))
        .where(source.where(flt, now), sa.or_(*[k.clause() for k in kinds]), sa.or_(*spans))
        .order_by(c.created_at, c.id)
        .limit(CHAIN_CAP)
    )
    found = []
    for row in source.rows(statement):
        for s in successes:
            same = (s.ip and row.ip_address == s.ip) or (s.session and row.session == s.session)
            if same and s.at <= row.created_at <= s.at + window:
                found.append(
                    ChainEvent(s.group, row.id, row.created_at, row.ip_address, row.session, True)
                )
                break
    return found


def chain_events(
    source: Source, flt: AuditFilter, now: datetime, anchors: Sequence[Anchor], window: timedelta
) -> list[ChainEvent]:
    """Failures -> a success from the same IP (within W after the last failure) -> privileged
    actions from that IP or session (within W after the success), for each anchor."""
    anchors = list(anchors)[:MAX_ANCHORS]
    if not anchors:
        return []
    successes = _successes(source, flt, now, anchors, window)
    if not successes:
        return []
    return successes + _privileged_after(source, flt, now, successes, window)


def incident_events(
    source: Source,
    now: datetime,
    evidence: Sequence[AuditFilter],
    chained: Sequence[int],
    span: tuple[datetime, datetime],
) -> tuple[list[EventRow], bool]:
    """The events behind an incident, oldest first: every event of one of its findings'
    filters, and the chained events; at most :data:`EVENT_CAP` (and whether more match).
    ``span`` (naive UTC, inclusive) bounds the read so the ``created_at`` index narrows it."""
    selected = [source.where(flt, now) for flt in evidence]
    if chained:
        selected.append(c.id.in_(sorted(chained)))
    statement = (
        sa.select(
            c.id,
            c.created_at,
            c.action,
            c.resource_type,
            c.resource_id,
            c.success,
            c.ip_address,
            c.user_id,
        )
        .where(c.created_at.between(*span), sa.or_(*selected))
        .order_by(c.created_at, c.id)
        .limit(EVENT_CAP + 1)
    )
    rows = [EventRow(*row) for row in source.rows(statement)]
    return rows[:EVENT_CAP], len(rows) > EVENT_CAP
