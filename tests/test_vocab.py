"""Severity ranking and labels, and the security-event predicate in Python and SQL."""

from __future__ import annotations

import sqlalchemy as sa

from audit.schema import audit_logs, metadata
from audit.vocab import (
    is_security_event,
    order_severities,
    security_event_clause,
    severity_color,
    severity_label,
)


def test_severity_order_known_then_unknown_then_unset() -> None:
    labels = [
        "info",
        "zeta",
        "warning",
        "unset",
        "critical",
        "error",
        "low",
        "alpha",
        "high",
        "medium",
    ]
    assert order_severities(labels) == [
        "critical",
        "high",
        "error",
        "medium",
        "warning",
        "low",
        "info",
        "alpha",
        "zeta",
        "unset",
    ]


def test_null_and_unknown_severity_labels_and_colours() -> None:
    assert severity_label(None) == "unset"
    assert severity_label("weird") == "weird"
    assert severity_color("high") != severity_color("weird")
    assert severity_color("weird") == severity_color("other-weird")


def test_security_predicate_matches_python_and_sql(db_url: str) -> None:
    cases = [
        ("login", None, True),
        ("create_api_key", "user_management", True),
        ("password_reset", None, True),
        ("update", "security", True),
        ("update", "data", False),
        ("read", None, False),
    ]
    engine = sa.create_engine(db_url)
    metadata.create_all(engine)
    with engine.begin() as conn:
        for action, category, _ in cases:
            conn.execute(
                audit_logs.insert(),
                {"action": action, "category": category, "resource_type": "x", "description": "d"},
            )
        matched = conn.execute(
            sa.select(audit_logs.c.action, audit_logs.c.category).where(security_event_clause())
        ).all()
    engine.dispose()
    expected = [(a, c) for a, c, is_security in cases if is_security]
    assert sorted(matched, key=str) == sorted(expected, key=str)
    assert [is_security_event(a, c) for a, c, _ in cases] == [s for *_, s in cases]
