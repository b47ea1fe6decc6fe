"""The state of the background traffic for the day being written."""

from __future__ import annotations

import bisect
import random
from datetime import datetime, timedelta

from audit.tools.demo.people import SVC_BILLING_ID, SVC_CI_ID, Person
from audit.tools.demo.plan import Plan
from audit.tools.demo.rows import random_hex, random_uuid


class Day:
    """What the background's event kinds share: the random source, the people, the windows
    the planted stories keep quiet, recent failed logins, and who is around today with which
    IP, browser and session."""

    def __init__(self, rng: random.Random, folks: list[Person], plan: Plan) -> None:
        self.rng = rng
        self.humans = [p for p in folks if p.group != "service"]
        self.ci, self.billing = folks[SVC_CI_ID - 1], folks[SVC_BILLING_ID - 1]
        self.quiet: dict[int, list[tuple[datetime, datetime]]] = {}
        for uid, a, b in plan.quiet:
            self.quiet.setdefault(uid, []).append((a, b))
        self.fail_ip: dict[str, list[datetime]] = {}
        self.fail_user: dict[int, list[datetime]] = {}

    def begin_day(self, start: datetime) -> None:
        """Choose who is around today and each person's IP, browser and session."""
        rng, stop = self.rng, start + timedelta(days=1)
        self.day_start = start
        self.active = [p for p in self.humans if p.active(start, stop)]
        self.cum_w, acc = [], 0.0
        for p in self.active:
            acc += p.weight
            self.cum_w.append(acc)
        weekday = (start + timedelta(hours=12)).weekday() < 5
        self.ip: dict[int, str] = {}
        self.agent: dict[int, str] = {}
        self.session: dict[int, str] = {}
        for p in self.active:
            office = weekday and rng.random() < 0.75
            self.ip[p.id] = p.office_ip if office else rng.choice(p.vpn_ips)
            self.agent[p.id] = p.agents[0] if rng.random() < 0.8 else rng.choice(p.agents)
            self.session[p.id] = random_hex(rng)

    def _is_quiet(self, uid: int, t: datetime) -> bool:
        spans = self.quiet.get(uid)
        return spans is not None and any(a <= t <= b for a, b in spans)

    def pick_human(self, t: datetime) -> Person | None:
        if not self.active:
            return None
        for _ in range(6):
            p = self.active[bisect.bisect(self.cum_w, self.rng.random() * self.cum_w[-1])]
            if not self._is_quiet(p.id, t):
                return p
        return None

    def _web(self, p: Person) -> tuple[str | None, str | None]:
        if self.rng.random() < 0.3:
            return None, None
        return self.ip[p.id], self.agent[p.id]

    def _req(self) -> str | None:
        return random_uuid(self.rng) if self.rng.random() < 0.5 else None
