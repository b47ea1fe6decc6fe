"""The audit table's real vocabulary: severity ranking and colours, labels for NULLs,
and the one definition of a security event."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from audit.schema import audit_logs

UNSET_SEVERITY = "unset"
UNCATEGORIZED = "uncategorized"

# One ordered scale for two vocabularies: Enclava's model writes low/medium/high/critical,
# its real writers info/warning/error. Each raw value counts at its level; NULL and any
# value outside both vocabularies count as unset (and stay visible raw in the explorer).
SEVERITY_LEVELS: dict[str, tuple[str, ...]] = {
    "critical": ("critical",),
    "high": ("high", "error"),
    "medium": ("medium", "warning"),
    "low": ("low", "info"),
}
LEVEL_ORDER: tuple[str, ...] = (*SEVERITY_LEVELS, UNSET_SEVERITY)
KNOWN_SEVERITIES: tuple[str, ...] = tuple(raw for raws in SEVERITY_LEVELS.values() for raw in raws)
HIGH_SEVERITIES: tuple[str, ...] = SEVERITY_LEVELS["critical"] + SEVERITY_LEVELS["high"]
LEVEL_OF: dict[str, str] = {raw: level for level, raws in SEVERITY_LEVELS.items() for raw in raws}

SEVERITY_COLORS: dict[str, str] = {
    "critical": "#7f1d1d",
    "high": "#dc2626",
    "medium": "#f59e0b",
    "low": "#60a5fa",
    UNSET_SEVERITY: "#cbd5e1",
}


def severity_level(raw: str | None) -> str:
    """The level a raw severity counts at."""
    return LEVEL_OF.get(raw, UNSET_SEVERITY) if raw is not None else UNSET_SEVERITY


def level_label(level: str) -> str:
    """A level as legends and help name it, with the raw values it includes:
    "high (incl. error)", "unset (none or other)"."""
    if level == UNSET_SEVERITY:
        return "unset (none or other)"
    others = [raw for raw in SEVERITY_LEVELS.get(level, ()) if raw != level]
    return f"{level} (incl. {', '.join(others)})" if others else level


def severity_level_expression(column: sa.ColumnElement) -> sa.ColumnElement[str]:
    """SQL form of :func:`severity_level`."""
    whens = [(column.in_(raws), level) for level, raws in SEVERITY_LEVELS.items()]
    return sa.case(*whens, else_=UNSET_SEVERITY)


def severity_in_levels(column: sa.ColumnElement, levels: Iterable[str]) -> sa.ColumnElement[bool]:
    """Rows whose severity counts at one of ``levels``."""
    chosen = set(levels)
    raws = [raw for level in SEVERITY_LEVELS if level in chosen for raw in SEVERITY_LEVELS[level]]
    parts: list[sa.ColumnElement[bool]] = [column.in_(raws)] if raws else []
    if UNSET_SEVERITY in chosen:
        parts += [column.is_(None), column.not_in(KNOWN_SEVERITIES)]
    return sa.or_(*parts) if parts else sa.false()


def order_severities(levels: Iterable[str]) -> list[str]:
    """Levels most severe first, unset last (anything else after, by name)."""
    rank = {level: i for i, level in enumerate(LEVEL_ORDER)}
    return sorted(set(levels), key=lambda v: (rank.get(v, len(rank)), v))


def severity_color(level: str) -> str:
    return SEVERITY_COLORS.get(level, SEVERITY_COLORS[UNSET_SEVERITY])


OUTCOME_COLORS: dict[str, str] = {
    "success": "#16a34a",
    "failure": "#dc2626",
    "unknown": "#9ca3af",
}
OUTCOMES: tuple[str, ...] = ("success", "failure", "unknown")

# The model's security actions, plus the synonyms real Enclava writers use.
SECURITY_ACTIONS: frozenset[str] = frozenset(
    {
        "login",
        "logout",
        "api_key_create",
        "api_key_delete",
        "permission_grant",
        "permission_revoke",
        "security_event",
        "create_api_key",
        "delete_api_key",
        "password_reset",
        "password_change",
        "role_change",
        "role_assign",
        "role_update",
    }
)
SECURITY_CATEGORY = "security"


def category_label(value: str | None) -> str:
    return UNCATEGORIZED if value is None else value


def outcome_label(success: bool | None) -> str:
    if success is None:
        return "unknown"
    return "success" if success else "failure"


def is_security_event(action: str | None, category: str | None) -> bool:
    return action in SECURITY_ACTIONS or category == SECURITY_CATEGORY


def security_event_clause() -> sa.ColumnElement[bool]:
    """SQL form of :func:`is_security_event`."""
    return sa.or_(
        audit_logs.c.action.in_(sorted(SECURITY_ACTIONS)),
        audit_logs.c.category == SECURITY_CATEGORY,
    )


def high_severity_clause() -> sa.ColumnElement[bool]:
    """Severity at the critical or high level (high includes error)."""
    return audit_logs.c.severity.in_(HIGH_SEVERITIES)
