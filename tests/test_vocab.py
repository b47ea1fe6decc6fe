"""Severity ranking and labels, and the security-event predicate in Python and SQL."""

from __future__ import annotations

import sqlalchemy as sa

from audit.schema import audit_logs, metadata
from audit.vocab import (
    is_security_event,
    level_label,
    order_severities,
    security_event_clause,
    severity_color,
    severity_in_levels,
    severity_level,
    severity_level_expression,
)


def test_levels_are_ordered_most_severe_first_and_unset_last() -> None:
    assert order_severities(["unset", "low", "critical", "medium", "high"]) == [
        "critical",
        "high",
        "medium",
        "low",
        "unset",
    ]


RAW_LEVELS = [
    ("critical", "critical"),
    ("high", "high"),
    ("error", "high"),
    ("medium", "medium"),
    ("warning", "medium"),
    ("low", "low"),
    ("info", "low"),
    ("weird", "unset"),
    ("HIGH", "unset"),  # the vocabulary is lower case; anything else is not guessed at
    (None, "unset"),
]


def test_each_raw_severity_counts_at_its_level() -> None:
    assert [severity_level(raw) for raw, _ in RAW_LEVELS] == [level for _, level in RAW_LEVELS]
    assert level_label("high") == "high (incl. error)"
    assert level_label("critical") == "critical"
    assert level_label("unset") == "unset (none or other)"
    assert severity_color("high") != severity_color("low")


def test_the_level_in_sql_equals_the_level_in_python(db_url: str) -> None:
    engine = sa.create_engine(db_url)
    metadata.create_all(engine)
    with engine.begin() as conn:
        for raw, _ in RAW_LEVELS:
            conn.execute(
                audit_logs.insert(),
                {"action": "a", "severity": raw, "resource_type": "x", "description": "d"},
            )
        column = audit_logs.c.severity
        levels = conn.execute(sa.select(column, severity_level_expression(column))).all()
        for level in ("high", "unset"):
            chosen = conn.execute(
                sa.select(column).where(severity_in_levels(column, [level]))
            ).scalars()
            assert sorted(map(str, chosen)) == sorted(
                str(raw) for raw, expected in RAW_LEVELS if expected == level
            )
    engine.dispose()
    assert sorted(levels, key=str) == sorted(RAW_LEVELS, key=str)


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
