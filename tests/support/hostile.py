"""A database holding everything the audit table can hold that a tidy demo never does."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from audit.schema import audit_logs, metadata, users

XSS_MARK = "__audit_xss"
SCRIPT = f"<script>window.{XSS_MARK}=1</script>"
IMG = f'<img src=x onerror="window.{XSS_MARK}=2">'
MD_LINK = f"[click me](javascript:window.{XSS_MARK}=3)"
HTML_LINK = '<a href="https://evil.example/">evil link</a>'
SAME_TIME = datetime(2026, 11, 18, 9, 30)
MEGABYTE = "A" * 1_000_000


def _nested(depth: int) -> dict:
    value: dict = {"leaf": "bottom"}
    for level in range(depth):
        value = {f"level{level}": value}
    return value


def hostile_rows() -> list[dict]:
    base = {"resource_type": "x", "description": "d", "created_at": datetime(2026, 11, 18, 10)}
    rows = [
        # every nullable column NULL (the NOT NULL ones as short as allowed)
        {"action": "a", "resource_type": "r", "description": ""},
        base | {"action": "odd", "severity": "catastrophic", "category": "weird-category"},
        base | {"action": "list", "details": [1, 2, {"a": [3]}], "tags": {"not": "a list"}},
        base | {"action": "string", "details": "just text", "tags": "login"},
        base | {"action": "number", "details": 42, "metadata": 3.5},
        base
        | {
            "action": "deep",
            "details": _nested(60),
            "old_values": _nested(30),
            "new_values": {"x": 1},
        },
        base | {"action": "huge", "description": MEGABYTE},
        base
        | {
            "action": "unicode",
            "description": "🔥🚨 مرحبا بالعالم \x07\x1b[31m red \r\n\t tab",
            "user_agent": "‮evil‭",
        },
        base | {"action": "epoch", "created_at": datetime(1970, 1, 1, 0, 0, 1)},
        base | {"action": "future", "created_at": datetime(2100, 12, 31, 23, 59, 59)},
        base | {"action": "orphan", "user_id": 99999},
        base | {"action": SCRIPT, "description": SCRIPT, "user_agent": IMG, "ip_address": IMG},
        base
        | {
            "action": "md",
            "resource_type": "**bold**",
            "category": HTML_LINK,
            "description": MD_LINK,
            "details": {"link": MD_LINK, "html": IMG},
            "severity": IMG,
        },
        base
        | {
            "action": "login",
            "user_id": 1,
            "success": False,
            "ip_address": "203.0.113.66",
            "error_message": SCRIPT,
            "old_values": {"role": "user", "perms": ["a"]},
            "new_values": {"role": IMG, "perms": ["a", MD_LINK]},
        },
    ]
    rows += [
        base | {"action": "same-time", "created_at": SAME_TIME, "description": f"tick {i}"}
        for i in range(1000)
    ]
    return rows


def write_hostile(url: str) -> int:
    """Create the tables and write the hostile rows; returns how many."""
    engine = sa.create_engine(url)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    rows = hostile_rows()
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":  # as after a hard delete: the row outlives its user
            conn.execute(sa.text("ALTER TABLE audit_logs DROP CONSTRAINT audit_logs_user_id_fkey"))
        conn.execute(
            users.insert(), [{"id": 1, "email": f"{MD_LINK}@example.com", "username": IMG}]
        )
        for row in rows:  # one by one: each row sets only its own columns
            conn.execute(audit_logs.insert().values(**row))
        if engine.dialect.name == "sqlite":  # SQLite stores JSON as text, even invalid text
            conn.execute(
                sa.text(
                    "INSERT INTO audit_logs (action, resource_type, description, details, tags, created_at) "
                    "VALUES ('badjson', 'x', 'invalid JSON', '{not json', '[1,', '2026-11-18 10:00:00.000000')"
                )
            )
            rows.append({})
    engine.dispose()
    return len(rows)
