"""The one registry of dimensions: the columns events are filtered, counted, faceted and
drilled by. URL parsing, where-clauses, exclusions, the filter in words, the facets of the
filter bar and the explorer, drill-through, mirror routing and masking for viewers all
read this table; adding a dimension is adding one entry to :data:`REGISTRY`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import sqlalchemy as sa

from audit import dialect
from audit.schema import audit_logs
from audit.vocab import (
    KNOWN_SEVERITIES,
    LEVEL_ORDER,
    OUTCOMES,
    SEVERITY_LEVELS,
    UNCATEGORIZED,
    UNSET_SEVERITY,
    security_event_clause,
    severity_in_levels,
    severity_level_expression,
)

LIKE_ESCAPE = "\\"
INT32_MAX = 2**31 - 1  # audit_logs.id, audit_logs.user_id and users.id are 32-bit in Enclava
NO_VALUE = "(none)"
SYSTEM_USER = "system"  # the user filter's word for events without a user
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # URL values, Monday first
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class Match(Enum):
    """How the values chosen for a dimension select rows."""

    ANY_OF = "any_of"  # any of several exact values; the null label selects NULL
    OUTCOME = "outcome"  # success / failure / unknown, from the boolean ``success``
    ALL_TAGS = "all_tags"  # every chosen value is in the row's JSON list
    PATTERN = "pattern"  # any of several patterns: * matches any characters, the rest is literal
    EXACT = "exact"  # one exact value
    LEVEL = "level"  # severity levels, each including its synonyms (high includes error)
    SECURITY = "security"  # "yes" for Enclava's security events, "no" for the rest
    WEEKDAY = "weekday"  # days of the week (mon ... sun) in the display timezone
    HOUR = "hour"  # hours of the day (0 ... 23) in the display timezone


class Mask(Enum):
    """What a viewer (totals and charts only) may see of a dimension's values."""

    NONE = "none"  # shown and filterable as they are
    SCRUB = "scrub"  # filterable, shown with any address or email inside masked (user agents)
    IP = "ip"  # an address: shown masked (203.0.113.x), never filterable
    IDENTITY = "identity"  # names a person: shown masked, never filterable
    TEXT = "text"  # free text that may hold identities: masked, never filterable


@dataclass(frozen=True)
class Dimension:
    name: str  # the key everywhere: exclusions (exclude=name:value), drill, charts, facets
    param: str  # URL query parameter
    field: str  # AuditFilter attribute: a tuple for several values, a str for one
    title: str
    column: str  # the audit_logs column read
    match: Match = Match.ANY_OF
    integer: bool = False  # values are 32-bit ids
    null_label: str | None = None  # the value that stands for NULL, where NULL is selectable
    excludable: bool = False
    bar_facet: bool = False  # a multi-select with counts in the sidebar's filter bar
    explorer_facet: bool = False  # an include/exclude facet with counts in the explorer
    drillable: bool = False  # a chart mark of this dimension narrows the filter to it
    breakdown: bool = False  # a choice for the overview's second volume chart
    mirrored: bool = True  # the mirror holds the column, so it can answer filters on it
    mask: Mask = Mask.NONE
    hint: str = ""  # how a typed value matches, where it is not plain equality

    @property
    def multi(self) -> bool:
        return self.match is not Match.EXACT

    @property
    def local(self) -> bool:
        """Matched on the local time in the filter's timezone, not on a stored value."""
        return self.match in (Match.WEEKDAY, Match.HOUR)

    @property
    def empty(self) -> tuple[()] | str:
        return () if self.multi else ""

    @property
    def sql_column(self) -> sa.Column:
        return audit_logs.c[self.column]

    def expression(self) -> sa.ColumnElement:
        """The value rows are grouped by."""
        if self.match is Match.OUTCOME:
            success = self.sql_column
            return sa.case(
                (success.is_(True), "success"), (success.is_(False), "failure"), else_="unknown"
            )
        if self.match is Match.LEVEL:
            return severity_level_expression(self.sql_column)
        if self.match is Match.SECURITY:
            return sa.case((security_event_clause(), "yes"), else_="no")
        if self.local:
            raise ValueError(f"{self.name!r} is counted by the local time: see activity_rhythm")
        return self.sql_column

    def label(self, value: Any) -> str:
        """The words shown for a grouped value (NULL becomes the null label)."""
        if value is None:
            return self.null_label or NO_VALUE
        if self.match is Match.WEEKDAY and value in WEEKDAYS:
            return WEEKDAY_NAMES[WEEKDAYS.index(value)]
        if self.match is Match.HOUR and isinstance(value, int):
            return f"{value:02d}:00–{value + 1:02d}:00"
        return str(value)

    def typed(self, text: str) -> int | str | None:
        """A value from the URL or a chart as this dimension holds it; ``None`` if invalid."""
        if self.null_label is not None and text == self.null_label:
            return text
        if self.integer:
            return parse_id(text)
        if self.match is Match.OUTCOME and text not in OUTCOMES:
            return None
        if self.match is Match.LEVEL and text not in LEVEL_ORDER:
            return None
        if self.match is Match.SECURITY and text not in ("yes", "no"):
            return None
        if self.match is Match.WEEKDAY:
            return text if text in WEEKDAYS else None
        if self.match is Match.HOUR:
            return parse_whole_number(text, 0, 23)
        return text

    def chosen(self, value: tuple[Any, ...] | str) -> list[str]:
        """A filter field's value as a list of URL texts."""
        if isinstance(value, tuple):
            return [str(v) for v in value]
        return [value] if value else []

    def clause(
        self,
        values: Sequence[Any],
        dialect_name: str,
        local: sa.ColumnElement | None = None,
    ) -> sa.ColumnElement[bool]:
        """Rows that match the chosen values (several are OR-ed, tags AND-ed). ``local``:
        ``created_at`` in the display timezone, for the dimensions of local time."""
        column = self.sql_column
        if self.local:
            return self._local_clause(values, dialect_name, local)
        if self.match is Match.OUTCOME:
            return sa.or_(*(_outcome_is(column, v) for v in values))
        if self.match is Match.ALL_TAGS:
            return sa.and_(*(dialect.json_list_contains(column, dialect_name, v) for v in values))
        if self.match is Match.SECURITY:  # on the CASE: a NULL category still says "no"
            return self.expression().in_(sorted(set(values)))
        if self.match is Match.PATTERN:
            parts = [pattern_clause(column, str(v)) for v in values if v != self.null_label]
            if self.null_label in values:
                parts.append(column.is_(None))
            return sa.or_(*parts)
        if self.match is Match.EXACT:
            return column == values[0]
        if self.match is Match.LEVEL:
            return severity_in_levels(column, values)
        real = [v for v in values if v != self.null_label]
        parts: list[sa.ColumnElement[bool]] = [column.in_(real)] if real else []
        if self.null_label is not None and self.null_label in values:
            parts.append(column.is_(None))
        return sa.or_(*parts)

    def _local_clause(
        self, values: Sequence[Any], dialect_name: str, local: sa.ColumnElement | None
    ) -> sa.ColumnElement[bool]:
        if local is None:
            raise ValueError(f"{self.name!r} needs the local time of created_at")
        if self.match is Match.WEEKDAY:
            days = sorted({WEEKDAYS.index(v) + 1 for v in values})  # ISO: Monday = 1
            return dialect.iso_weekday(local, dialect_name).in_(days)
        return dialect.hour_of_day(local, dialect_name).in_(sorted(set(values)))

    def excluded(self, value: Any) -> sa.ColumnElement[bool]:
        """Rows whose value differs (NULL counts as different, unless NULL is excluded)."""
        column = self.sql_column
        if self.match is Match.OUTCOME:
            return sa.not_(_outcome_is(column, value))
        if self.match is Match.SECURITY:
            return self.clause(["no" if value == "yes" else "yes"], "")
        if self.match is Match.LEVEL and value == self.null_label:
            return column.in_(KNOWN_SEVERITIES)
        if self.match is Match.LEVEL:
            return sa.or_(column.is_(None), column.not_in(SEVERITY_LEVELS[value]))
        if self.null_label is not None and value == self.null_label:
            return column.is_not(None)
        if self.match is Match.PATTERN:
            return sa.or_(column.is_(None), sa.not_(pattern_clause(column, str(value))))
        return sa.or_(column.is_(None), column != value)


def _outcome_is(success: sa.ColumnElement, outcome: str) -> sa.ColumnElement[bool]:
    return {
        "success": success.is_(True),
        "failure": success.is_(False),
        "unknown": success.is_(None),
    }[outcome]


def escape_like(text: str) -> str:
    """User text for a LIKE pattern: its wildcards match literally."""
    return (
        text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )


WILDCARD = "*"
WILDCARD_RULE = "* matches any characters; everything else, % and _ included, is literal"


def wildcard_like(text: str) -> str:
    """The one wildcard rule, as a LIKE pattern: ``*`` matches any characters, and every
    other character (``%``, ``_`` and ``\\`` included) matches itself."""
    return escape_like(text).replace(WILDCARD, "%")


def pattern_clause(column: sa.ColumnElement, pattern: str) -> sa.ColumnElement[bool]:
    """The whole value: exact, or matching the pattern when it holds a ``*``, whatever the
    case of letters (as the search box; PostgreSQL's LIKE minds case, SQLite's does not, so
    ``2001:DB8:*`` found other rows on each)."""
    if WILDCARD in pattern:
        return column.ilike(wildcard_like(pattern), escape=LIKE_ESCAPE)
    return column == pattern


def parse_whole_number(text: str | None, low: int, high: int) -> int | None:
    """The one parser of numbers from a URL or a form: ASCII digits for a value within
    ``[low, high]``, else ``None`` (so a hostile value is a notice, never an exception)."""
    if text is None:
        return None
    text = text.strip()
    if not text or len(text) > len(str(high)) or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if low <= value <= high else None


def parse_id(text: str | None) -> int | None:
    """An id (``audit_logs.id``, ``audit_logs.user_id``, ``users.id``): within the 32-bit
    integer columns' range."""
    return parse_whole_number(text, 0, INT32_MAX)


REGISTRY: tuple[Dimension, ...] = (
    Dimension(
        "severity", "severity", "severities", "Severity", "severity", match=Match.LEVEL,
        null_label=UNSET_SEVERITY, excludable=True, bar_facet=True, drillable=True,
        breakdown=True, hint="critical, high (incl. error), medium (incl. warning), "
        "low (incl. info), unset (none or other)",
    ),
    Dimension(
        "raw_severity", "raw_severity", "raw_severities", "Severity as written", "severity",
        null_label=NO_VALUE, excludable=True, explorer_facet=True, drillable=True,
    ),
    Dimension(
        "category", "category", "categories", "Category", "category",
        null_label=UNCATEGORIZED, excludable=True, bar_facet=True, explorer_facet=True,
        drillable=True, breakdown=True,
    ),
    Dimension(
        "action", "action", "actions", "Action", "action",
        excludable=True, bar_facet=True, explorer_facet=True, drillable=True, breakdown=True,
    ),
    Dimension(
        "resource_type", "resource_type", "resource_types", "Resource type", "resource_type",
        excludable=True, bar_facet=True, explorer_facet=True, drillable=True, breakdown=True,
    ),
    Dimension(
        "outcome", "outcome", "outcomes", "Outcome", "success", match=Match.OUTCOME,
        excludable=True, bar_facet=True, explorer_facet=True, drillable=True, breakdown=True,
    ),
    Dimension(
        "security", "security", "security", "Security event", "action", match=Match.SECURITY,
        explorer_facet=True, drillable=True,
        hint="yes: the security category or a security action (login, permission_grant, …)",
    ),
    Dimension(
        "user", "user", "users", "User", "user_id", integer=True, null_label=SYSTEM_USER,
        excludable=True, explorer_facet=True, drillable=True, mask=Mask.IDENTITY,
    ),
    Dimension(
        "ip", "ip", "ip", "IP address", "ip_address", match=Match.PATTERN, null_label=NO_VALUE,
        excludable=True, explorer_facet=True, drillable=True, mask=Mask.IP,
        hint="whole address; * matches any characters",
    ),
    Dimension(
        "agent", "agent", "agents", "User agent", "user_agent", mask=Mask.SCRUB,
        null_label=NO_VALUE, excludable=True, explorer_facet=True, drillable=True,
    ),
    Dimension("tag", "tag", "tags", "Tag", "tags", match=Match.ALL_TAGS, mirrored=False),
    Dimension(
        "weekday", "weekday", "weekdays", "Weekday", "created_at", match=Match.WEEKDAY,
        drillable=True, hint="mon, tue, wed, thu, fri, sat or sun, in the display timezone",
    ),
    Dimension(
        "hour", "hour", "hours", "Hour of day", "created_at", match=Match.HOUR,
        drillable=True, hint="0 to 23 (14 is 14:00–15:00), in the display timezone",
    ),
    Dimension(
        "resource_id", "resource_id", "resource_id", "Resource id", "resource_id",
        match=Match.EXACT, mask=Mask.TEXT,
    ),
    Dimension(
        "session_id", "session_id", "session_id", "Session", "session_id",
        match=Match.EXACT, mirrored=False, mask=Mask.TEXT,
    ),
    Dimension(
        "request_id", "request_id", "request_id", "Request", "request_id",
        match=Match.EXACT, mirrored=False, mask=Mask.TEXT,
    ),
)  # fmt: skip

DIMENSIONS: dict[str, Dimension] = {d.name: d for d in REGISTRY}
BY_FIELD: dict[str, Dimension] = {d.field: d for d in REGISTRY}
BAR_FACETS: tuple[Dimension, ...] = tuple(d for d in REGISTRY if d.bar_facet)
EXPLORER_FACETS: tuple[Dimension, ...] = tuple(d for d in REGISTRY if d.explorer_facet)
BREAKDOWNS: tuple[str, ...] = tuple(d.name for d in REGISTRY if d.breakdown)
# Dimensions events are counted by (top lists, facets, volume charts).
COUNTED: tuple[str, ...] = tuple(d.name for d in REGISTRY if d.bar_facet or d.explorer_facet)
# Typed into a field of their own (one exact value): ids of a resource, session, request.
TYPED_FILTERS: tuple[Dimension, ...] = tuple(d for d in REGISTRY if not d.multi)


def split_exclusion(item: str) -> tuple[str, str]:
    """``action:login`` -> ``("action", "login")``."""
    dimension, _, value = item.partition(":")
    return dimension, value


def exclusion(dimension: str, value: str) -> str:
    return f"{dimension}:{value}"


def excluded_values(excludes: Sequence[str], dimension: str) -> list[str]:
    return [v for d, v in map(split_exclusion, excludes) if d == dimension]
