"""``AuditFilter``: every filter a page can apply. It converts to and from URL query
parameters without loss, ignores bad parameters with a notice, and compiles to a
SQLAlchemy where-clause with bound parameters only."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from audit import dialect
from audit.schema import audit_logs, users
from audit.timerange import (
    CUSTOM,
    DEFAULT_PRESET,
    PRESETS,
    TimeWindow,
    is_valid_timezone,
    to_naive_utc,
)
from audit.vocab import OUTCOMES, UNCATEGORIZED, UNSET_SEVERITY

MAX_TEXT_LENGTH = 1000
LIKE_ESCAPE = "\\"

# Query parameter name of each multi-valued field (repeated in the URL: ?action=a&action=b).
LIST_PARAMS: dict[str, str] = {
    "actions": "action",
    "resource_types": "resource_type",
    "severities": "severity",
    "categories": "category",
    "outcomes": "outcome",
    "users": "user",
    "tags": "tag",
    "excludes": "exclude",
}
# Dimensions a value can be excluded on: ?exclude=action:login&exclude=severity:unset
EXCLUDABLE: tuple[str, ...] = (
    "action",
    "resource_type",
    "severity",
    "category",
    "outcome",
    "user",
    "ip",
)
TEXT_PARAMS: dict[str, str] = {
    "ip": "ip",
    "resource_id": "resource_id",
    "session_id": "session_id",
    "request_id": "request_id",
    "text": "q",
}
FILTER_PARAM_NAMES: frozenset[str] = frozenset(
    {"range", "from", "to", "tz", *LIST_PARAMS.values(), *TEXT_PARAMS.values()}
)

Params = Mapping[str, str | Sequence[str]]


@dataclass(frozen=True)
class AuditFilter:
    """What to show. ``range`` is a preset key or ``custom`` (then ``start``/``end``, aware
    datetimes, either may be open). Empty tuples and strings mean "no constraint"."""

    range: str = DEFAULT_PRESET
    start: datetime | None = None
    end: datetime | None = None
    tz: str = "UTC"
    actions: tuple[str, ...] = ()
    resource_types: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    users: tuple[int, ...] = ()
    tags: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    ip: str = ""
    resource_id: str = ""
    session_id: str = ""
    request_id: str = ""
    text: str = ""

    def __post_init__(self) -> None:
        # Hold bounds in UTC: equality then means the same instant, whatever the zone.
        for name in ("start", "end"):
            moment = getattr(self, name)
            if moment is not None:
                object.__setattr__(self, name, moment.astimezone(UTC))

    def window(self, now: datetime) -> TimeWindow:
        """The time range as naive UTC bounds, relative to the aware ``now``."""
        if self.range == CUSTOM:
            return TimeWindow(
                to_naive_utc(self.start) if self.start else None,
                to_naive_utc(self.end) if self.end else None,
            )
        length = PRESETS.get(self.range)
        if length is None:
            return TimeWindow(None, None)
        end = to_naive_utc(now)
        return TimeWindow(end - length, end)

    def pinned(self, now: datetime) -> AuditFilter:
        """The same events tomorrow: a relative range turned into absolute bounds."""
        if self.range == CUSTOM or PRESETS.get(self.range) is None:
            return self
        bounds = self.window(now)
        start = bounds.start.replace(tzinfo=UTC)  # type: ignore[union-attr]
        end = bounds.end.replace(tzinfo=UTC)  # type: ignore[union-attr]
        return replace(self, range=CUSTOM, start=start, end=end)

    def with_values(self, **changes: object) -> AuditFilter:
        return replace(self, **changes)  # type: ignore[arg-type]

    def to_params(self) -> dict[str, list[str]]:
        """Query parameters; each value a list (repeated keys). Empty fields are left out."""
        params: dict[str, list[str]] = {"tz": [self.tz]}
        if self.range == CUSTOM:
            params["range"] = [CUSTOM]
            zone = ZoneInfo(self.tz)
            if self.start is not None:
                params["from"] = [self.start.astimezone(zone).isoformat()]
            if self.end is not None:
                params["to"] = [self.end.astimezone(zone).isoformat()]
        else:
            params["range"] = [self.range]
        for name, key in LIST_PARAMS.items():
            values = getattr(self, name)
            if values:
                params[key] = [str(v) for v in values]
        for name, key in TEXT_PARAMS.items():
            if getattr(self, name):
                params[key] = [getattr(self, name)]
        return params

    @classmethod
    def from_params(cls, params: Params, default_tz: str = "UTC") -> tuple[AuditFilter, list[str]]:
        """Parse query parameters. Invalid values are dropped, each with a notice."""
        return _Parser(params, default_tz).parse()


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _dedupe(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v != ""))


def _clean_text(value: str) -> str:
    return value.replace("\x00", "")


@dataclass
class _Parser:
    params: Params
    default_tz: str
    notices: list[str] = field(default_factory=list)

    def first(self, key: str) -> str | None:
        values = _as_list(self.params.get(key))
        return values[-1] if values else None

    def text(self, key: str) -> str:
        raw = self.first(key) or ""
        value = _clean_text(raw)
        if value != raw:
            self.notices.append(f"Removed NUL characters from the {key!r} parameter.")
        if len(value) > MAX_TEXT_LENGTH:
            self.notices.append(f"The {key!r} parameter was cut to {MAX_TEXT_LENGTH} characters.")
            value = value[:MAX_TEXT_LENGTH]
        return value

    def timezone(self) -> str:
        tz = self.first("tz")
        if tz is None or tz == "":
            return self.default_tz
        if is_valid_timezone(tz):
            return tz
        self.notices.append(f"Unknown timezone {tz[:60]!r} in the URL; showing {self.default_tz}.")
        return self.default_tz

    def moment(self, key: str, tz: str) -> datetime | None:
        raw = self.first(key)
        if not raw:
            return None
        try:
            moment = datetime.fromisoformat(raw.strip())
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=ZoneInfo(tz))
            moment.astimezone(UTC)
        except (ValueError, OverflowError):
            self.notices.append(
                f"Ignored {key}={raw[:60]!r}: not a date and time (use 2026-11-27T08:00)."
            )
            return None
        return moment

    def time_range(self, tz: str) -> tuple[str, datetime | None, datetime | None]:
        preset = self.first("range")
        start, end = self.moment("from", tz), self.moment("to", tz)
        if preset == CUSTOM or (preset is None and (start or end)):
            if start and end and start >= end:
                self.notices.append("Ignored the custom range: its start is not before its end.")
                return DEFAULT_PRESET, None, None
            if start or end:
                return CUSTOM, start, end
            self.notices.append("A custom range needs 'from' or 'to'; showing the default range.")
            return DEFAULT_PRESET, None, None
        if preset is None or preset in PRESETS:
            return preset or DEFAULT_PRESET, None, None
        self.notices.append(f"Unknown range {preset[:60]!r}; showing {DEFAULT_PRESET}.")
        return DEFAULT_PRESET, None, None

    def strings(self, key: str) -> tuple[str, ...]:
        values = [_clean_text(v)[:MAX_TEXT_LENGTH] for v in _as_list(self.params.get(key))]
        return _dedupe(values)

    def checked(self, key: str, is_valid: Callable[[str], bool], what: str) -> tuple[str, ...]:
        kept = []
        for value in self.strings(key):
            if is_valid(value):
                kept.append(value)
            else:
                self.notices.append(f"Ignored {key}={value[:60]!r}: {what}.")
        return tuple(kept)

    def parse(self) -> tuple[AuditFilter, list[str]]:
        tz = self.timezone()
        range_, start, end = self.time_range(tz)
        outcomes = self.checked("outcome", OUTCOMES.__contains__, "use " + ", ".join(OUTCOMES))
        user_ids = self.checked("user", _is_user_id, "not a user id")
        excludes = self.checked("exclude", _is_exclusion, "use dimension:value, e.g. action:login")
        result = AuditFilter(
            range=range_,
            start=start,
            end=end,
            tz=tz,
            actions=self.strings("action"),
            resource_types=self.strings("resource_type"),
            severities=self.strings("severity"),
            categories=self.strings("category"),
            outcomes=outcomes,
            users=tuple(dict.fromkeys(int(u) for u in user_ids)),
            tags=self.strings("tag"),
            excludes=excludes,
            **{name: self.text(key) for name, key in TEXT_PARAMS.items()},
        )
        return result, self.notices


def _is_user_id(value: str) -> bool:
    return value.isascii() and value.isdigit() and int(value) < 2**63


def split_exclusion(item: str) -> tuple[str, str]:
    dimension, _, value = item.partition(":")
    return dimension, value


def exclusion(dimension: str, value: str) -> str:
    return f"{dimension}:{value}"


def _is_exclusion(item: str) -> bool:
    dimension, value = split_exclusion(item)
    if dimension not in EXCLUDABLE or ":" not in item:
        return False
    if dimension == "user":
        return _is_user_id(value)
    return dimension != "outcome" or value in OUTCOMES


# ---------------------------------------------------------------------------------------
# Compilation to SQL


def escape_like(text: str) -> str:
    """User text for a LIKE pattern: its wildcards match literally."""
    return (
        text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )


def contains_text(column: sa.ColumnElement, text: str) -> sa.ColumnElement[bool]:
    return column.ilike(f"%{escape_like(text)}%", escape=LIKE_ESCAPE)


def _in_with_null(
    column: sa.ColumnElement, values: Sequence[str], null_label: str
) -> sa.ColumnElement[bool]:
    real = [v for v in values if v != null_label]
    parts: list[sa.ColumnElement[bool]] = []
    if real:
        parts.append(column.in_(real))
    if null_label in values:
        parts.append(column.is_(None))
    return sa.or_(*parts)


def _outcome_clause(outcomes: Sequence[str]) -> sa.ColumnElement[bool]:
    column = audit_logs.c.success
    by_name = {
        "success": column.is_(True),
        "failure": column.is_(False),
        "unknown": column.is_(None),
    }
    return sa.or_(*(by_name[o] for o in outcomes))


def _excluded(item: str) -> sa.ColumnElement[bool]:
    """Rows whose value differs (NULL counts as different, unless NULL is excluded)."""
    dimension, value = split_exclusion(item)
    if dimension == "outcome":
        return sa.not_(_outcome_clause([value]))
    column = {"user": audit_logs.c.user_id, "ip": audit_logs.c.ip_address}.get(
        dimension, audit_logs.c.get(dimension)
    )
    null_label = {"severity": UNSET_SEVERITY, "category": UNCATEGORIZED}.get(dimension)
    if value == null_label:
        return column.is_not(None)
    typed = int(value) if dimension == "user" else value
    return sa.or_(column.is_(None), column != typed)


def _ip_clause(ip: str) -> sa.ColumnElement[bool]:
    """Exact address, or a prefix when it ends with ``*``, ``.`` or ``:``."""
    column = audit_logs.c.ip_address
    if ip.endswith("*"):
        return column.like(escape_like(ip.rstrip("*")) + "%", escape=LIKE_ESCAPE)
    if ip.endswith((".", ":")):
        return column.like(escape_like(ip) + "%", escape=LIKE_ESCAPE)
    return column == ip


def _text_clause(text: str, dialect_name: str, has_users: bool) -> sa.ColumnElement[bool]:
    c = audit_logs.c
    columns = [
        c.description,
        c.error_message,
        c.resource_id,
        c.ip_address,
        c.user_agent,
    ]
    columns += [
        dialect.json_text(c.details, dialect_name),
        dialect.json_text(c.metadata, dialect_name),
    ]
    parts = [contains_text(col, text) for col in columns]
    if has_users:
        matching_users = sa.select(users.c.id).where(
            sa.or_(
                contains_text(users.c.email, text),
                contains_text(users.c.username, text),
            )
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


def where_clause(
    flt: AuditFilter,
    now: datetime,
    dialect_name: str,
    has_users: bool = True,
    window: TimeWindow | None = None,
) -> sa.ColumnElement[bool]:
    """Every constraint of the filter, AND-ed. ``window`` overrides the filter's own time
    range (used for the previous-period comparison)."""
    c = audit_logs.c
    parts = time_clause(window if window is not None else flt.window(now))
    if flt.actions:
        parts.append(c.action.in_(flt.actions))
    if flt.resource_types:
        parts.append(c.resource_type.in_(flt.resource_types))
    if flt.severities:
        parts.append(_in_with_null(c.severity, flt.severities, UNSET_SEVERITY))
    if flt.categories:
        parts.append(_in_with_null(c.category, flt.categories, UNCATEGORIZED))
    if flt.outcomes:
        parts.append(_outcome_clause(flt.outcomes))
    if flt.users:
        parts.append(c.user_id.in_(flt.users))
    parts += [_excluded(item) for item in flt.excludes]
    for tag in flt.tags:
        parts.append(dialect.json_list_contains(c.tags, dialect_name, tag))
    if flt.ip:
        parts.append(_ip_clause(flt.ip))
    for name in ("resource_id", "session_id", "request_id"):
        if getattr(flt, name):
            parts.append(c[name] == getattr(flt, name))
    if flt.text:
        parts.append(_text_clause(flt.text, dialect_name, has_users))
    return sa.and_(sa.true(), *parts)


_WORDS: dict[str, str] = {
    "severities": "Severity",
    "categories": "Category",
    "actions": "Action",
    "resource_types": "Resource type",
    "outcomes": "Outcome",
    "users": "User id",
    "tags": "Tag",
    "ip": "IP",
    "resource_id": "Resource id",
    "session_id": "Session",
    "request_id": "Request",
    "text": "Search",
}


def describe_filter(flt: AuditFilter) -> str:
    """The filters (not the range) in words, for report headers: 'all events' when none."""
    parts = []
    for name, word in _WORDS.items():
        value = getattr(flt, name)
        if value:
            shown = ", ".join(map(str, value)) if isinstance(value, tuple) else f"“{value}”"
            parts.append(f"{word}: {shown}")
    for item in flt.excludes:
        dimension, value = split_exclusion(item)
        parts.append(f"not {dimension.replace('_', ' ')}: {value}")
    return "; ".join(parts) if parts else "all events"
