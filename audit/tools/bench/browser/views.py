"""What the browser benchmark opens: the floor page and the dashboard's views, each as a
path and query, with the moment ``now`` relative ranges end at pinned in the URL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

import sqlalchemy as sa

from audit.db import create_readonly_engine
from audit.schema import audit_logs
from audit.timerange import RELATIVE_STEP, anchored_now

FLOOR = "floor"
PAGES = ("overview", "explorer", "security", "event", "profile")
PROFILE_DAYS = 7  # the default range: the profile shown is the busiest user in it


@dataclass(frozen=True)
class View:
    name: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    clicks_through: bool = False  # its first chart's bars open the explorer
    sidebar_filters: bool = True  # the explorer filters in its facets, not the sidebar

    def url(self, base: str, now: datetime | None) -> str:
        """The view's address; ``now`` pins the moment relative ranges end at (``None``:
        the dashboard's own clock)."""
        params = self.params | ({"now": now.strftime("%Y-%m-%dT%H:%M:%SZ")} if now else {})
        query = urlencode(params)
        return f"{base}/{self.path}" + (f"?{query}" if query else "")


@dataclass(frozen=True)
class Data:
    """What the database holds that the views need: the minute after its newest event (the
    moment the views are pinned to), that event's id, and the busiest user's id."""

    now: datetime
    newest_id: int
    busiest_user: int | None
    rows: int
    dialect: str


def read_data(db_url: str) -> Data:
    c = audit_logs.c
    engine = create_readonly_engine(db_url, statement_timeout_seconds=600)
    try:
        with engine.connect() as conn:
            newest, newest_id, rows = conn.execute(
                sa.select(sa.func.max(c.created_at), sa.func.max(c.id), sa.func.count())
            ).one()
            recent = c.created_at >= newest - timedelta(days=PROFILE_DAYS)
            busiest = conn.execute(
                sa.select(c.user_id)
                .where(recent, c.user_id.is_not(None))
                .group_by(c.user_id)
                .order_by(sa.func.count().desc(), c.user_id)
                .limit(1)
            ).scalar()
        dialect = engine.dialect.name
    finally:
        engine.dispose()
    # the moment the dashboard's own clock gives a view opened just after the newest event
    now = anchored_now(newest, RELATIVE_STEP)
    return Data(now, int(newest_id), busiest, int(rows), dialect)


def dashboard_views(data: Data, names: tuple[str, ...] = PAGES) -> list[View]:
    every = {
        "overview": View("overview", "", clicks_through=True),
        "explorer": View("explorer", "explorer", sidebar_filters=False),
        "security": View("security", "security"),
        "event": View("event", "event", {"id": str(data.newest_id)}),
        "profile": View("profile", "user", {"id": str(data.busiest_user or 1)}),
    }
    return [every[name] for name in names]


FLOOR_VIEW = View(FLOOR, "")
