"""The naive way, to compare against: the whole table into pandas, then pandas."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from audit.tools.bench.parameters import FACET_LIMIT, FACETS, OVERVIEW_TOPS


def naive_load(url: str) -> tuple[Any, Any]:
    import pandas as pd

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        frame = pd.read_sql("SELECT * FROM audit_logs", conn)
        users = pd.read_sql("SELECT id, email, username FROM users", conn)
    engine.dispose()
    frame["created_at"] = pd.to_datetime(frame["created_at"])
    return frame, users


def naive_overview(frame: Any, users: Any, tz: str) -> dict[str, Any]:
    """The overview's numbers computed with pandas from the whole table."""
    from audit.vocab import HIGH_SEVERITIES, SECURITY_ACTIONS

    success = frame["success"]
    security = frame["action"].isin(SECURITY_ACTIONS) | (frame["category"] == "security")
    kpis = {
        "events": len(frame),
        "failed": int((success == False).sum()),  # noqa: E712 - NULL is not a failure
        "security": int(security.sum()),
        "high": int(frame["severity"].isin(HIGH_SEVERITIES).sum()),
        "users": frame["user_id"].nunique(),
        "ips": frame["ip_address"].nunique(),
    }
    local = frame["created_at"].dt.tz_localize("UTC").dt.tz_convert(tz).dt.tz_localize(None)
    week = local.dt.to_period("W").dt.start_time
    labelled = {
        "severity": frame["severity"].fillna("unset"),
        "category": frame["category"].fillna("uncategorized"),
        "outcome": success.map({True: "success", False: "failure"}).fillna("unknown"),
    }
    charts = {
        "volume_severity": frame.groupby([week, labelled["severity"]]).size(),
        "volume_category": frame.groupby([week, labelled["category"]]).size(),
        "severity_category": frame.groupby([labelled["severity"], labelled["category"]]).size(),
        "rhythm": frame.groupby([local.dt.day_of_week, local.dt.hour]).size(),
    }
    facets = {name: frame[name].value_counts(dropna=False).head(FACET_LIMIT) for name in FACETS[:4]}
    facets["outcome"] = labelled["outcome"].value_counts()
    top_users = frame["user_id"].value_counts(dropna=False).head(10).rename("count").reset_index()
    top_users = top_users.merge(users, left_on="user_id", right_on="id", how="left")
    tops = {name: frame[name].value_counts().head(10) for name in OVERVIEW_TOPS[:2]}
    return {"kpis": kpis, **charts, **facets, **tops, "top_users": top_users}
