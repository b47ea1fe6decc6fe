"""The series anomalies are found in: the whole volume, each action, each action and
outcome, each user's volume and each IP's failures. A series knows how to name itself (for
analysts and, masked, for viewers), the key the machine feed gives it, and the filter that
selects exactly its events."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from audit.access import mask_email, mask_ip
from audit.filters import AuditFilter


class Family(Enum):
    TOTAL = "total"
    ACTION = "action"
    ACTION_OUTCOME = "action_outcome"
    USER = "user"
    IP_FAILURES = "ip_failures"


# Anomalies of one bucket are views of the same events; the most specific is shown first.
SPECIFICITY: dict[Family, int] = {
    Family.ACTION_OUTCOME: 4,
    Family.IP_FAILURES: 3,
    Family.USER: 2,
    Family.ACTION: 1,
    Family.TOTAL: 0,
}
_OUTCOME_WORDS = {"failure": "failed", "success": "successful"}


@dataclass(frozen=True)
class Series:
    family: Family
    action: str | None = None
    outcome: str | None = None
    user_id: int | None = None
    user_label: str | None = None  # email, else username, else a note: masked for viewers
    ip: str | None = None

    def key(self, masked: bool = False) -> dict[str, Any]:
        """The series as the feed names it: ``{}``, ``{"action": ...}``, ``{"user_id": 7}``;
        for viewers the user and the address masked (``{"user": "@example.com"}``)."""
        if self.family is Family.USER:
            return {"user": self._user(masked)} if masked else {"user_id": self.user_id}
        if self.family is Family.IP_FAILURES:
            return {"ip": self._ip(masked), "outcome": "failure"}
        key: dict[str, Any] = {}
        if self.action is not None:
            key["action"] = self.action
        if self.outcome is not None:
            key["outcome"] = self.outcome
        return key

    def name(self, masked: bool = False) -> str:
        """A noun phrase: "events", "login events", "failed logins", "events by ann@…"."""
        if self.family is Family.TOTAL:
            return "events"
        if self.family is Family.USER:
            return f"events by {self._user(masked)}"
        if self.family is Family.IP_FAILURES:
            return f"failures from {self._ip(masked)}"
        noun = _action_noun(str(self.action))
        if self.outcome is None:
            return noun
        if self.outcome in _OUTCOME_WORDS:
            return f"{_OUTCOME_WORDS[self.outcome]} {noun}"
        return f"{noun} of unknown outcome"

    def narrow(self, flt: AuditFilter) -> AuditFilter:
        """``flt`` limited to this series' events."""
        changes: dict[str, Any] = {}
        if self.action is not None:
            changes["actions"] = (self.action,)
        if self.outcome is not None:
            changes["outcomes"] = (self.outcome,)
        if self.user_id is not None:
            changes["users"] = (self.user_id,)
        if self.ip is not None:
            changes |= {"ip": self.ip, "outcomes": ("failure",)}
        return flt.with_values(**changes) if changes else flt

    def _user(self, masked: bool) -> str:
        label = self.user_label or f"user #{self.user_id}"
        return (mask_email(label) or "(hidden)") if masked else label

    def _ip(self, masked: bool) -> str:
        return (mask_ip(self.ip) or "(hidden)") if masked else str(self.ip)


def _action_noun(action: str) -> str:
    """ "login" -> "logins"; any other action -> "'<action>' events"."""
    if action in ("login", "logout"):
        return action + "s"
    return f"'{action}' events"


TOTAL = Series(Family.TOTAL)
