"""Events related to one event, as one timeline around it: the same session or request at
any time, the same user or IP within 30 minutes; each event once, with the reasons it is
related, and the event itself in its place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import sqlalchemy as sa

from audit.db import Source
from audit.queries.rows import (
    Cursor,
    before_cursor,
    event_rows_statement,
    row_order,
    rows_frame,
    timed_after,
)
from audit.queries.users import user_id_or_none
from audit.schema import audit_logs
from audit.timerange import shifted

c = audit_logs.c
RELATED_WINDOW = timedelta(minutes=30)
RELATED_SIDE = 10  # related events shown before the event, and as many after it
SELF = "this event"
# Why an event is related, in the order reasons are listed.
REASONS: dict[str, str] = {
    "session": "same session",
    "request": "same request",
    "user": "same user",
    "ip": "same IP",
}
REASON_HELP: dict[str, str] = {
    "session": "Same session (any time)",
    "request": "Same request (any time)",
    "user": "Same user within 30 minutes",
    "ip": "Same IP within 30 minutes",
}


@dataclass(frozen=True)
class Related:
    """``timeline``: the event and its nearest related events in time order, every column
    of a row page plus ``related`` (the reasons, comma-separated; :data:`SELF` for the
    event). ``totals``: how many events each reason relates, all of them (the timeline
    shows the nearest only)."""

    timeline: pd.DataFrame
    totals: dict[str, int]


def _key(value: Any) -> Any:
    return None if value is None or pd.isna(value) else value


def _utc(moment: Any) -> datetime | None:
    if moment is None or pd.isna(moment):
        return None
    return moment.tz_convert("UTC").tz_localize(None).to_pydatetime()


def _conditions(event: pd.Series) -> dict[str, sa.ColumnElement[bool]]:
    """Each reason's condition; a reason whose key (or time, for user and IP) is missing
    is absent."""
    moment = _utc(event["created_at"])
    near = (
        []
        if moment is None
        else [
            c.created_at >= shifted(moment, -RELATED_WINDOW),
            c.created_at <= shifted(moment, RELATED_WINDOW),
        ]
    )
    keys = {
        "session": (c.session_id, _key(event["session_id"]), []),
        "request": (c.request_id, _key(event["request_id"]), []),
        "user": (c.user_id, _key(event["user_id"]), near),
        "ip": (c.ip_address, _key(event["ip_address"]), near),
    }
    conditions = {}
    for reason, (column, value, window) in keys.items():
        if value is None or (reason in ("user", "ip") and not window):
            continue
        value = user_id_or_none(value) if reason == "user" else value
        if value is None:  # a user id stored as text that is no id: no "same user"
            continue
        conditions[reason] = sa.and_(column == value, *window)
    return conditions


def _same(row: pd.Series, event: pd.Series, column: str) -> bool:
    value, own = _key(row[column]), _key(event[column])
    return value is not None and own is not None and bool(value == own)


def _reasons(row: pd.Series, event: pd.Series) -> str:
    moment, other = event["created_at"], row["created_at"]
    near = not pd.isna(moment) and not pd.isna(other) and abs(other - moment) <= RELATED_WINDOW
    same = {
        "session": _same(row, event, "session_id"),
        "request": _same(row, event, "request_id"),
        "user": near and _same(row, event, "user_id"),
        "ip": near and _same(row, event, "ip_address"),
    }
    return ", ".join(REASONS[reason] for reason, hit in same.items() if hit)


def _totals(source: Source, event_id: int, conditions: dict[str, Any]) -> dict[str, int]:
    counts = [
        sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0).label(reason)
        for reason, condition in conditions.items()
    ]
    statement = sa.select(*counts).where(sa.or_(*conditions.values()), c.id != event_id)
    with source.connect() as conn:
        row = conn.execute(statement).one()
    return {reason: int(row._mapping[reason]) for reason in conditions}


def _nearest(source: Source, event: pd.Series, related: sa.ColumnElement[bool]) -> list[dict]:
    """The event's row between up to :data:`RELATED_SIDE` related rows before it and as
    many after it, in time order (rows without a time last)."""
    cursor = Cursor(_utc(event["created_at"]), int(event["id"]))
    rows = event_rows_statement(source)
    earlier = rows.where(related, before_cursor(cursor, newest_first=False))
    later = rows.where(related, c.id != cursor.id)
    if cursor.created_at is not None:
        later = later.where(sa.or_(timed_after(cursor, False), c.created_at.is_(None)))
    else:
        later = later.where(c.created_at.is_(None), c.id > cursor.id)
    with source.connect() as conn:

        def read(statement: sa.Select) -> list[dict]:
            return [dict(r._mapping) for r in conn.execute(statement.limit(RELATED_SIDE))]

        before = read(earlier.order_by(*row_order(False, reverse=True)))[::-1]
        own = read(rows.where(c.id == cursor.id))
        after = read(later.order_by(*row_order(False)))
    return before + own + after


def related_timeline(source: Source, event: pd.Series, tz: str) -> Related:
    """The event among its related events (see the module), the nearest on each side."""
    conditions = _conditions(event)
    related = sa.or_(*conditions.values()) if conditions else sa.false()
    timeline = rows_frame(_nearest(source, event, related), tz)
    timeline["related"] = [
        SELF if row["id"] == event["id"] else _reasons(row, event) for _, row in timeline.iterrows()
    ]
    totals = _totals(source, int(event["id"]), conditions) if conditions else {}
    return Related(timeline, totals)
