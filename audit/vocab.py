"""The audit table's real vocabulary: severity ranking and colours, labels for NULLs,
and the one definition of a security event."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from audit.schema import audit_logs

UNSET_SEVERITY = "unset"
UNCATEGORIZED = "uncategorized"

# Known severities, most severe first. Synonyms seen in Enclava's docs rank with their peer.
SEVERITY_RANK: dict[str, int] = {
    "critical": 0,
    "high": 1,
    "error": 1,
    "medium": 2,
    "warning": 2,
    "low": 3,
    "info": 4,
}
KNOWN_SEVERITIES: tuple[str, ...] = tuple(SEVERITY_RANK)
HIGH_SEVERITIES: tuple[str, ...] = ("critical", "high", "error")

SEVERITY_COLORS: dict[str, str] = {
    "critical": "#7f1d1d",
    "high": "#dc2626",
    "error": "#ef4444",
    "medium": "#f59e0b",
    "warning": "#fbbf24",
    "low": "#3b82f6",
    "info": "#94a3b8",
    UNSET_SEVERITY: "#d1d5db",
}
OTHER_SEVERITY_COLOR = "#a855f7"

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


def severity_label(value: str | None) -> str:
    return UNSET_SEVERITY if value is None else value


def category_label(value: str | None) -> str:
    return UNCATEGORIZED if value is None else value


def severity_sort_key(label: str) -> tuple[int, str]:
    """Known severities by rank (a synonym after its peer), then unknown values by name,
    then ``unset`` last."""
    if label in SEVERITY_RANK:
        return (KNOWN_SEVERITIES.index(label), "")
    if label == UNSET_SEVERITY:
        return (len(KNOWN_SEVERITIES) + 1, "")
    return (len(KNOWN_SEVERITIES), label)


def order_severities(labels: Iterable[str]) -> list[str]:
    return sorted(set(labels), key=severity_sort_key)


def severity_color(label: str) -> str:
    return SEVERITY_COLORS.get(label, OTHER_SEVERITY_COLOR)


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
    return audit_logs.c.severity.in_(HIGH_SEVERITIES)
