"""Table definitions mirroring Enclava's ``audit_logs`` and ``users`` tables.

``audit_logs`` is declared exactly as Enclava's Alembic migration creates it: JSON (not
JSONB) columns, a column literally named ``metadata`` and a naive ``created_at`` holding UTC.
Only ``id`` and ``created_at`` are indexed, as in Enclava. No server defaults exist.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String, unique=True, nullable=False),
    sa.Column("username", sa.String, unique=True, nullable=False),
    sa.Column("full_name", sa.String, nullable=True),
    sa.Column("is_active", sa.Boolean, nullable=True),
    sa.Column("is_superuser", sa.Boolean, nullable=True),
    sa.Column("role_id", sa.Integer, nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=True),
    sa.Column("last_login", sa.DateTime, nullable=True),
    sa.Column("account_locked", sa.Boolean, nullable=True),
    sa.Column("failed_login_attempts", sa.Integer, nullable=True),
)

audit_logs = sa.Table(
    "audit_logs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, index=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
    sa.Column("action", sa.String, nullable=False),
    sa.Column("resource_type", sa.String, nullable=False),
    sa.Column("resource_id", sa.String, nullable=True),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("details", sa.JSON, nullable=True),
    sa.Column("ip_address", sa.String, nullable=True),
    sa.Column("user_agent", sa.String, nullable=True),
    sa.Column("session_id", sa.String, nullable=True),
    sa.Column("request_id", sa.String, nullable=True),
    sa.Column("severity", sa.String, nullable=True),
    sa.Column("category", sa.String, nullable=True),
    sa.Column("success", sa.Boolean, nullable=True),
    sa.Column("error_message", sa.Text, nullable=True),
    sa.Column("tags", sa.JSON, nullable=True),
    sa.Column("metadata", sa.JSON, nullable=True),
    sa.Column("old_values", sa.JSON, nullable=True),
    sa.Column("new_values", sa.JSON, nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=True, index=True),
)

JSON_COLUMNS: tuple[str, ...] = (
    "details",
    "tags",
    "metadata",
    "old_values",
    "new_values",
)

# The columns the dashboard cannot work without; the others are shown when present.
REQUIRED_AUDIT_COLUMNS: tuple[str, ...] = tuple(c.name for c in audit_logs.columns)

# Columns of ``users`` the dashboard shows; only ``id`` plus one of email/username is needed.
USER_LABEL_COLUMNS: tuple[str, ...] = ("email", "username")
