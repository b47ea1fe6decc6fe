"""Which stories are planted, on which day and against whom, and the facts about them
(``stories``)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from audit.tools.demo.attacks import brute_force, spraying, takeover
from audit.tools.demo.changes import budget_spike, coverage, data_changes, module_toggles
from audit.tools.demo.clock import floor_day, resolve_end
from audit.tools.demo.defaults import DEFAULT_DAYS, DEFAULT_ROWS, DEFAULT_SEED
from audit.tools.demo.people import (
    SOFT_DELETED_ID,
    SVC_BILLING_ID,
    SVC_CI_ID,
    Person,
    people,
    user_dict,
)
from audit.tools.demo.plan import Plan
from audit.tools.demo.rows import admin_change_row

STORY_MIN_DAYS = 7
STORY_MIN_ROWS = 1_000  # fewer rows than this: no stories, only background


def _eligible(folks: Sequence[Person], start: datetime, end: datetime) -> list[Person]:
    humans = [p for p in folks if p.group != "service"]
    return [p for p in humans if p.active(start - timedelta(days=1), end)]


def _lifecycle(folks: Sequence[Person], start: datetime) -> Plan:
    admin = folks[1]
    rows, facts = [], {}
    for p in folks:
        if p.created_at >= start:
            rows.append(
                admin_change_row(
                    p.created_at - timedelta(minutes=20),
                    admin.id,
                    "create",
                    "user",
                    str(p.id),
                    None,
                    user_dict(p),
                    f"User {p.username} created",
                )
            )
    for p in folks:
        if p.deleted_at is None:
            continue
        soft = p.id == SOFT_DELETED_ID
        gone = user_dict(
            p,
            email=f"deleted_{p.id}_{p.email}",
            username=f"deleted_{p.id}_{p.username}",
            is_active=False,
        )
        text = f"User {p.username} {'deactivated (soft delete)' if soft else 'deleted'}"
        new = gone if soft else None
        rows.append(
            admin_change_row(
                p.deleted_at, admin.id, "delete", "user", str(p.id), user_dict(p), new, text
            )
        )
        key = "soft_deleted_user" if soft else "hard_deleted_user"
        facts[key] = {"user_id": p.id, "deleted_at": p.deleted_at}
        if soft:
            facts[key] |= {"email": gone["email"], "username": gone["username"]}
    new_users = [p.id for p in folks if p.created_at >= start]
    facts["new_user_ids"] = new_users
    return Plan(rows, facts, [])


def _stories(rng: random.Random, folks: list[Person], end: datetime) -> list[tuple[str, Plan]]:
    base = floor_day(end)
    pool = _eligible(folks, base - timedelta(days=7), end)
    bosses = [p for p in pool if p.group == "admin"]
    brute = rng.choice([p for p in pool if p.group in ("admin", "analyst")])
    rest = [p for p in pool if p is not brute]
    taken = rng.choice([p for p in rest if p.group == "user"])
    rest = [p for p in rest if p is not taken]
    spray = rng.sample(rest, 14)
    spenders = rng.sample([p for p in rest if p.group == "user"], 3)
    day = lambda n: base - timedelta(days=n)  # noqa: E731
    return [
        ("brute_force", brute_force(rng, day(2), brute)),
        ("spraying", spraying(rng, day(4), spray)),
        ("takeover", takeover(rng, day(1), taken)),
        ("budget_spike", budget_spike(rng, day(3), spenders)),
        ("modules", module_toggles(rng, day(5), rng.choice(bosses))),
        ("data_changes", data_changes(rng, day(6), rng.choice(bosses), rng.choice(rest))),
        ("coverage", coverage(rng, day(6), rng.choice(bosses), rng.choice(rest))),
    ]


def plan_stories(rows: int, days: int, seed: int, end: datetime) -> Plan:
    folks = people(days, end)
    start = end - timedelta(days=days)
    life = _lifecycle(folks, start)
    facts: dict[str, Any] = {
        "planted": False,
        "admin_ids": [p.id for p in folks if p.group == "admin"],
        "service_account_ids": [SVC_CI_ID, SVC_BILLING_ID],
        **life.facts,
    }
    plan = Plan(list(life.rows), facts, [])
    if days >= STORY_MIN_DAYS and rows >= STORY_MIN_ROWS:
        for name, part in _stories(random.Random(f"enclava-demo-stories:{seed}"), folks, end):
            plan.rows += part.rows
            plan.quiet += part.quiet
            facts[name] = part.facts
        facts["planted"] = True
    plan.rows = [r for r in plan.rows if start <= r["created_at"] < end]
    if len(plan.rows) > rows:
        plan.rows, facts["planted"] = [], False
    facts["planted_rows"] = len(plan.rows)
    return plan


def stories(
    days: int = DEFAULT_DAYS,
    seed: int = DEFAULT_SEED,
    end: datetime | None = None,
    rows: int = DEFAULT_ROWS,
) -> dict[str, Any]:
    """Facts about the rows ``generate(rows, days, seed, end)`` plants (times naive UTC).

    Always: ``planted`` (bool: stories present), ``planted_rows`` (int), ``admin_ids``,
    ``service_account_ids``, ``new_user_ids`` (created inside the range, with a ``create``
    row), ``hard_deleted_user`` {user_id, deleted_at} (no ``users`` row; audit rows before
    ``deleted_at``), ``soft_deleted_user`` {user_id, deleted_at, email, username}.
    When ``planted`` (days >= 7 and rows >= STORY_MIN_ROWS), all within the last 7 days:

    - ``brute_force``: {ip, user_id, failures (40), start, end (first/last failed login,
      under 10 minutes apart), user_agent, lock_at (security_event ``account_locked``),
      unlock_at (user_management ``update``)}
    - ``spraying``: {ip, user_ids (14 distinct), attempts (1-2 per user), start, end
      (within 14 minutes), user_agent}
    - ``takeover``: {user_id, attacker_ip (never used by anyone else), failure_count (8,
      3.5-4 minutes apart so at most 3 fall in any 10 minutes), failures_start,
      failures_end, success_at (about 02:30 UTC), permission_grant_at (+11 min, severity
      high, category security), api_key_created_at (+19 min), api_key_action
      (``create_api_key``), api_key_id, user_agent, start, end}
    - ``budget_spike``: {budget_id, budget_name, count (36-48 ``budget_exceed`` rows, category
      financial, within one hour), user_ids, start, end}
    - ``modules``: {user_id, events [{at, action, module, success}], start, end}
    - ``data_changes``: {events [{at, action, resource_type, resource_id, user_id}], start,
      end}: role update, role_change, user update, budget update, system_config, delete.
    - ``coverage``: {actions, start, end}: one row of each remaining model action.
    """
    return plan_stories(rows, days, seed, resolve_end(end)).facts
