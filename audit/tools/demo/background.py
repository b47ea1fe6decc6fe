"""Ordinary traffic, one 24-hour chunk at a time: people's and machines' events in the
proportions of the day's rhythm, with the rare events mixed in."""

from __future__ import annotations

import bisect
import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from audit.tools.demo.human import HumanTraffic
from audit.tools.demo.people import Person
from audit.tools.demo.plan import Plan
from audit.tools.demo.rare import RareEvents
from audit.tools.demo.rows import Row
from audit.tools.demo.service import ServiceTraffic


class Background(HumanTraffic, ServiceTraffic, RareEvents):
    """Ordinary traffic for one 24-hour chunk at a time, from one ``random.Random``. The
    event kinds come from the three traffic classes, which share the state of ``Day``; their
    order in the weight tables below fixes the random sequence, so the data stays the same."""

    def __init__(self, rng: random.Random, folks: list[Person], plan: Plan) -> None:
        super().__init__(rng, folks, plan)
        self.kinds = {g: self._kind_table(g) for g in ("admin", "analyst", "user")}
        self.flat = self._cum(self._flat_kinds())

    @staticmethod
    def _cum(pairs: Sequence[tuple[float, Any]]) -> tuple[list[float], list[Any]]:
        cum, acc = [], 0.0
        for w, _ in pairs:
            acc += w
            cum.append(acc)
        return cum, [f for _, f in pairs]

    def _kind_table(self, group: str) -> tuple[list[float], list[Any]]:
        pairs: list[tuple[float, Any]] = [
            (20, self._chat),
            (5, self._list_models),
            (2.5, self._embed),
            (8, self._read),
            (6, self._login),
            (3.5, self._logout),
            (2.2, self._update),
            (1.2, self._create),
            (1.5, self._raw_upload),
            (0.5, self._delete),
            (0.35, self._key_model),
            (0.35, self._key_helper),
            (0.25, self._key_delete),
        ]
        if group == "analyst":
            pairs += [(5, self._audit_view), (0.4, self._audit_export)]
        if group == "admin":
            pairs += [(3, self._admin_list), (1.5, self._audit_view)]
        return self._cum(pairs)

    def _flat_kinds(self) -> list[tuple[float, Any]]:
        return [
            (20, self._ci_chat),
            (10, self._ci_embed),
            (5, self._ci_models),
            (7, self._ci_docs),
            (2, self._svc_login),
            (9, self._billing_update),
            (5, self._billing_read),
            (14, self._health),
            (4, self._cleanup),
            (1.5, self._health_warning),
            (0.6, self._health_error),
            (0.4, self._expire_key),
            (3, self._raw_system),
        ]

    def event(self, t: datetime, p_human: float) -> Row:
        rng = self.rng
        if rng.random() < p_human:
            p = self.pick_human(t)
            if p is not None:
                cum, fns = self.kinds[p.group]
                return fns[bisect.bisect(cum, rng.random() * cum[-1])](p, t)
        cum, fns = self.flat
        return fns[bisect.bisect(cum, rng.random() * cum[-1])](t)

    def day_rows(
        self,
        hours: Sequence[datetime],
        counts: Sequence[int],
        p_human: Sequence[float],
        weights: Sequence[float],
    ) -> list[Row]:
        """Exactly ``sum(counts)`` rows for the 24 hours starting at ``hours[0]``."""
        rng = self.rng
        self.begin_day(hours[0])
        n = sum(counts)
        out = self.rare(weights, n // 4)
        slots = [i for i, c in enumerate(counts) for _ in range(c)]
        if out:
            drop = set(rng.sample(range(n), len(out)))
            slots = [s for k, s in enumerate(slots) if k not in drop]
        event, rand = self.event, rng.random
        for i in slots:
            t = hours[i] + timedelta(microseconds=int(rand() * 3_600_000_000))
            out.append(event(t, p_human[i]))
        return out
