"""An :class:`AuditFilter` as a SQLAlchemy where-clause, bound parameters only: each
dimension compiles through its registry entry, then the time range and the search."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from audit import dialect
from audit.dimensions import DIMENSIONS, LIKE_ESCAPE, REGISTRY, split_exclusion, wildcard_like
from audit.filters.model import AuditFilter
from audit.schema import audit_logs, users
from audit.timerange import TimeWindow

# What the free-text search reads: these columns, the JSON details and metadata, and the
# email and username of the event's user.
SEARCHED_COLUMNS: tuple[str, ...] = (
    "description",
    "error_message",
    "resource_id",
    "ip_address",
    "user_agent",
)
SEARCHED_JSON_COLUMNS: tuple[str, ...] = ("details", "metadata")


SEARCH_SCOPE = (
    "description, error message, resource id, IP address, user agent, user email and name, "
    "details and metadata"
)


def contains_text(column: sa.ColumnElement, text: str) -> sa.ColumnElement[bool]:
    """The text anywhere in the column, ignoring case; ``*`` matches any characters."""
    return column.ilike(f"%{wildcard_like(text)}%", escape=LIKE_ESCAPE)


def _text_clause(text: str, dialect_name: str, has_users: bool) -> sa.ColumnElement[bool]:
    c = audit_logs.c
    columns = [c[name] for name in SEARCHED_COLUMNS]
    columns += [dialect.json_text(c[name], dialect_name) for name in SEARCHED_JSON_COLUMNS]
    parts = [contains_text(col, text) for col in columns]
    if has_users:
        matching_users = sa.select(users.c.id).where(
            sa.or_(contains_text(users.c.email, text), contains_text(users.c.username, text))
        )
        parts.append(c.user_id.in_(matching_users))
    return sa.or_(*parts)


def time_clause(window: TimeWindow) -> list[sa.ColumnElement[bool]]:
    created = audit_logs.c.created_at
    parts = []
    if window.start is not None:
        parts.append(created >= window.start)
    if window.end is not None:
        parts.append(created < window.end)
    return parts


def _excluded(item: str) -> sa.ColumnElement[bool]:
    name, value = split_exclusion(item)
    dimension = DIMENSIONS[name]
    return dimension.excluded(dimension.typed(value))


def local_created_at(flt: AuditFilter, window: TimeWindow, dialect_name: str) -> sa.ColumnElement:
    """``created_at`` in the filter's timezone, for the dimensions of local time. An open
    end of the range takes the widest bounds (the offsets of every year that has them)."""
    start = window.start if window.start is not None else datetime.min
    end = window.end if window.end is not None else datetime.max
    return dialect.local_time(audit_logs.c.created_at, dialect_name, flt.tz, start, end)


def where_clause(
    flt: AuditFilter,
    now: datetime,
    dialect_name: str,
    has_users: bool = True,
    window: TimeWindow | None = None,
) -> sa.ColumnElement[bool]:
    """Every constraint of the filter, AND-ed. ``window`` overrides the filter's own time
    range (used for the previous-period comparison)."""
    window = window if window is not None else flt.window(now)
    parts = time_clause(window)
    for dimension in REGISTRY:
        chosen = getattr(flt, dimension.field)
        if chosen:
            values = chosen if isinstance(chosen, tuple) else (chosen,)
            local = local_created_at(flt, window, dialect_name) if dimension.local else None
            parts.append(dimension.clause(values, dialect_name, local))
    parts += [_excluded(item) for item in flt.excludes]
    if flt.text:
        parts.append(_text_clause(flt.text, dialect_name, has_users))
    return sa.and_(sa.true(), *parts)
