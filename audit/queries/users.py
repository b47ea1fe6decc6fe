"""Users as the dashboard names them: email, else username, else a note."""

from __future__ import annotations

import numbers
from typing import Any

import pandas as pd
import sqlalchemy as sa

from audit.db import Source
from audit.schema import users


def user_label(user_id: Any, email: Any, username: Any) -> str:
    if user_id is None or (user_id.__class__ is not int and pd.isna(user_id)):
        return "system (no user)"
    name = email if isinstance(email, str) and email else username
    if isinstance(name, str) and name:
        return name
    if user_id_or_none(user_id) is None:  # SQLite stores any text in user_id
        return f"user {str(user_id)[:40]!r} (not an id)"
    return f"user #{int(user_id)} (not in users)"


def user_id_or_none(value: Any) -> int | None:
    """A stored user id as an int; ``None`` for NULL and for what is no id (on SQLite,
    text or a fraction)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def user_ids(values: pd.Series) -> pd.Series:
    """Stored user ids as nullable integers (see :func:`user_id_or_none`)."""
    return pd.Series([user_id_or_none(v) for v in values], index=values.index, dtype="Int64")


def user_column(name: str, source: Source) -> sa.ColumnElement:
    """A label column of ``users`` when the source has it, else NULL under its name."""
    if name in source.user_columns:
        return users.c[name].label(name)
    return sa.null().label(name)


IDENTITY_COLUMNS = ("email", "username", "full_name")


def known_identities(source: Source) -> frozenset[str]:
    """Every email, username and full name in ``users``: the names masked in text a viewer
    reads. Grows with the users table (not the audit table), read once per cache period."""
    columns = [users.c[name] for name in IDENTITY_COLUMNS if name in source.user_columns]
    if not source.has_users or not columns:
        return frozenset()
    rows = source.rows(sa.select(*columns))
    return frozenset(str(v).strip() for row in rows for v in row if v and str(v).strip())
