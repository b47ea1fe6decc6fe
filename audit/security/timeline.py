"""An incident's events told briefly: collapsed runs ("14 failed logins 09:01–09:07") and a
one-line story ("14 failed logins on staff3 from 203.0.113.77 in 6 min, then a success from
that IP, then a permission grant 2 min later"). Pure functions over rows already read."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from audit.security.chains import EventRow
from audit.security.findings import Finding, plural
from audit.security.labels import Label
from audit.security.logins import LOGIN_ACTIONS
from audit.security.privileged import PERMISSION_CHANGE, PRIVILEGED_KINDS, ActionKind

FAILED, SUCCEEDED = "failed login", "successful login"
MAX_STORY_STEPS = 5  # steps a story names; more end in "…"
_RULE_NOTE = re.compile(r" \(rule: [^)]*\)")


def _matches(kind: ActionKind, row: EventRow) -> bool:
    if row.action in kind.actions:
        return True
    return row.resource_type == kind.resource_type and row.action in kind.resource_actions


def privileged_kind(row: EventRow) -> str | None:
    """The kind of privileged action a row is (permission grants named as such), or None."""
    for kind in PRIVILEGED_KINDS:
        if _matches(kind, row):
            return row.action.replace("_", " ") if kind is PERMISSION_CHANGE else kind.name
    return None


def _what(row: EventRow) -> tuple[str, bool]:
    """What a row is in words, and whether it is privileged."""
    if row.action in LOGIN_ACTIONS and row.success is not None:
        return (SUCCEEDED if row.success else FAILED), False
    kind = privileged_kind(row)
    if kind is not None:
        return kind, True
    return row.action.replace("_", " "), False


@dataclass(frozen=True)
class Step:
    """A run of consecutive events of one kind from one IP."""

    what: str
    privileged: bool
    first: datetime
    last: datetime
    count: int
    ip: str | None
    user_ids: tuple[int, ...]

    @property
    def key(self) -> bool:
        """Logins and privileged actions: what a story is made of."""
        return self.privileged or self.what in (FAILED, SUCCEEDED)

    def phrase(self, label: Label) -> str:
        """``14 failed logins on staff3 from 203.0.113.77``."""
        words = plural(self.count, self.what) if self.count > 1 else f"{_article(self.what)}"
        return words + self._who(label) + (f" from {self.ip}" if self.ip else "")

    def _who(self, label: Label) -> str:
        if not self.user_ids:
            return ""
        who = (
            label(self.user_ids[0])
            if len(self.user_ids) == 1
            else plural(len(self.user_ids), "user")
        )
        return f" on {who}" if self.what == FAILED else f" by {who}"


def _article(what: str) -> str:
    return ("an " if what[:1].lower() in "aeiou" else "a ") + what


def steps(rows: Sequence[EventRow]) -> list[Step]:
    """Consecutive rows (oldest first) of the same kind and IP, collapsed into steps."""
    found: list[Step] = []
    for row in rows:
        what, privileged = _what(row)
        users = (row.user_id,) if row.user_id is not None else ()
        last = found[-1] if found else None
        if last is not None and (last.what, last.ip) == (what, row.ip):
            merged = tuple(sorted({*last.user_ids, *users}))
            found[-1] = Step(what, privileged, last.first, row.at, last.count + 1, row.ip, merged)
        else:
            found.append(Step(what, privileged, row.at, row.at, 1, row.ip, users))
    return found


def span_text(span: timedelta) -> str:
    """``6 min``, ``40 s``, ``3 h 5 min``: a story's durations, to the minute."""
    seconds = round(span.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"


def _first_phrase(step: Step, label: Label) -> str:
    text = step.phrase(label)
    if step.count > 1 and step.last > step.first:
        text += f" in {span_text(step.last - step.first)}"
    return text


def _next_phrase(step: Step, previous: Step, origin: Step, label: Label) -> str:
    if step.what == SUCCEEDED:
        who = "" if step.user_ids == origin.user_ids else step._who(label).replace(" by ", " as ")
        where = "that IP" if step.ip == origin.ip else (step.ip or "no IP")
        success = "a success" if step.count == 1 else plural(step.count, "success")
        return f"then {success}{who} from {where}"
    later = span_text(step.first - previous.last)
    words = _article(step.what) if step.count == 1 else plural(step.count, step.what)
    return f"then {words} {later} later"


def chain_story(all_steps: Sequence[Step], label: Label) -> str:
    """The key steps in order: the first in full, the others relative to it."""
    key = [s for s in all_steps if s.key]
    if not key:
        return ""
    parts = [_first_phrase(key[0], label)]
    for previous, step in pairwise(key[:MAX_STORY_STEPS]):
        parts.append(_next_phrase(step, previous, key[0], label))
    text = ", ".join(parts)
    return text + (", …" if len(key) > MAX_STORY_STEPS else "")


def finding_story(findings: Sequence[Finding]) -> str:
    """The most telling finding's sentence, without its rule note; how many more there are."""
    ordered = sorted(findings, key=lambda f: (_RISK_ORDER.get(f.risk, 9), f.first_seen))
    text = _RULE_NOTE.sub("", ordered[0].summary)
    more = len(findings) - 1
    return text + (f" (and {plural(more, 'more finding')})" if more else "")


_RISK_ORDER = {"high": 0, "medium": 1, "low": 2}
