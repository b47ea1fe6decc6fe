"""Tables for display: findings and rows with their links."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from audit.filters import AuditFilter
from audit.security.findings import RULE_TITLES, Finding
from audit.security.labels import labeller
from audit.security.links import event_url, explorer_url, ip_url, user_url

FINDING_COLUMNS = ("rule", "risk", "summary", "first_seen", "last_seen", "ip", "user", "events",
                   "explorer", "ip_profile", "user_profile")  # fmt: skip


def _local(moments: pd.Series, tz: str) -> pd.Series:
    """Naive UTC times in ``tz``: converted as a column, which pandas does past the year
    9999 too (a local time in the year 10000 is no Python datetime)."""
    return pd.to_datetime(moments).dt.tz_localize("UTC").dt.tz_convert(tz)


def findings_frame(
    findings: Sequence[Finding],
    flt: AuditFilter,
    labels: Mapping[int, str],
    extra: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """One row per finding with links to its events and to the profiles involved."""
    label = labeller(labels)
    rows = [
        {
            "rule": RULE_TITLES[f.rule],
            "risk": f.risk,
            "summary": f.summary,
            "first_seen": f.first_seen,
            "last_seen": f.last_seen,
            "ip": f.ip,
            "user": label(f.user_id) if f.user_id is not None else None,
            "events": f.events,
            "explorer": explorer_url(f.evidence),
            "ip_profile": ip_url(f.ip, flt, extra) if f.ip else None,
            "user_profile": user_url(f.user_id, flt, extra) if f.user_id is not None else None,
        }
        for f in findings
    ]
    frame = pd.DataFrame(rows, columns=list(FINDING_COLUMNS))
    frame["events"] = frame["events"].astype("int64")
    for name in ("first_seen", "last_seen"):
        frame[name] = _local(frame[name], flt.tz)
    return frame


def with_event_links(frame: pd.DataFrame, flt: AuditFilter) -> pd.DataFrame:
    """A rows frame plus ``event`` (link to the event's detail page)."""
    linked = frame.copy()
    linked["event"] = pd.Series(
        [event_url(int(i), flt) for i in frame["id"]], index=frame.index, dtype="string"
    )
    return linked
