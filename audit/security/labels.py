"""How findings name users: their email (or username) from the ``users`` table."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from audit import queries
from audit.db import Source
from audit.schema import users

Label = Callable[[int | None], str]


def user_labels(source: Source, user_ids: Iterable[int]) -> dict[int, str]:
    """Email (or username) of each user id; a label for ids without a ``users`` row. What
    is no id (text SQLite may hold in ``user_id``) gets none."""
    ids = (queries.user_id_or_none(u) for u in user_ids)
    wanted = sorted({u for u in ids if u is not None})
    found: dict[int, tuple[Any, Any]] = {}
    if wanted and source.has_users:
        columns = [users.c.id] + [
            users.c[name] if name in source.user_columns else sa.null()
            for name in ("email", "username")
        ]
        statement = sa.select(*columns).where(users.c.id.in_(wanted))
        found = {row[0]: (row[1], row[2]) for row in source.rows(statement)}
    return {u: queries.user_label(u, *found.get(u, (None, None))) for u in wanted}


def labeller(labels: Mapping[int, str]) -> Label:
    """A :data:`Label` reading ``labels``, with a fallback for ids it does not hold."""

    def label(user_id: int | None) -> str:
        if user_id is None:
            return queries.user_label(None, None, None)
        return labels.get(user_id) or queries.user_label(user_id, None, None)

    return label
