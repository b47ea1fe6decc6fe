"""The planted administrative stories: a budget overrun, module toggles, a morning of
admin data changes, and one row of every remaining action Enclava's model knows."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from audit.tools.demo.catalog import BUDGETS, MODELS, ROLES
from audit.tools.demo.clock import after
from audit.tools.demo.people import SVC_BILLING_ID, SVC_CI_ID, Person, role_dict, user_dict
from audit.tools.demo.plan import Plan, span
from audit.tools.demo.rows import (
    admin_change_row,
    api_key_row,
    budget_row,
    data_change_row,
    make_row,
    module_row,
    permission_row,
    security_row,
)


def budget_spike(rng: random.Random, day: datetime, spenders: list[Person]) -> Plan:
    t0 = day + timedelta(hours=9 + rng.randint(0, 3), minutes=rng.randint(1, 8))
    count, limit = rng.randint(36, 48), 50_000  # all inside one clock hour
    times = sorted(t0 + timedelta(seconds=rng.uniform(0, 3000)) for _ in range(count))
    rows = []
    for k, t in enumerate(times):
        who = spenders[k % len(spenders)]
        model = MODELS[k % len(MODELS)]
        rows.append(
            budget_row(
                t,
                who.id,
                "budget_exceed",
                2,
                limit_cents=limit,
                spent_cents=limit + 40 * (k + 1),
                period="monthly",
                model=model,
            )
        )
    facts = {
        "budget_id": 2,
        "budget_name": BUDGETS[2],
        "count": count,
        "user_ids": sorted({p.id for p in spenders}),
        "start": times[0],
        "end": times[-1],
    }
    return Plan(rows, facts, [])


def module_toggles(rng: random.Random, day: datetime, admin: Person) -> Plan:
    t0 = day + timedelta(hours=14, minutes=rng.randint(0, 45))
    plan = [
        (0, "module_disable", "rag", None),
        (25, "module_enable", "rag", None),
        (40, "module_enable", "signal", "Missing dependency: signal-cli not found"),
        (52, "module_enable", "signal", None),
        (70, "module_disable", "zammad", None),
    ]
    rows = [module_row(after(t0, m), admin.id, a, mod, err) for m, a, mod, err in plan]
    events = [
        {
            "at": r["created_at"],
            "action": r["action"],
            "module": r["resource_id"],
            "success": r["success"],
        }
        for r in rows
    ]
    start, stop = span(rows)
    return Plan(rows, {"user_id": admin.id, "events": events, "start": start, "end": stop}, [])


def _budget_dicts(limit_old: int, limit_new: int) -> tuple[dict[str, Any], dict[str, Any]]:
    base = {"id": 2, "name": BUDGETS[2], "period": "monthly", "currency": "EUR"}
    old = {**base, "limit_cents": limit_old, "alerts": {"thresholds": [50, 80, 100]}}
    new = {**base, "limit_cents": limit_new, "alerts": {"thresholds": [50, 80, 95, 100]}}
    return old, new


def data_changes(rng: random.Random, day: datetime, admin: Person, target: Person) -> Plan:
    t = day + timedelta(hours=9, minutes=rng.randint(0, 30))
    b_old, b_new = _budget_dicts(50_000, 80_000)
    key_old = {"id": 311, "name": "old-notebook", "scopes": ["chat"], "owner_id": target.id}
    moved = 3 if target.role_id != 3 else 2
    rows = [
        admin_change_row(
            t,
            admin.id,
            "update",
            "role",
            "2",
            role_dict(2),
            role_dict(2, ["rag:admin"], rpm=120),
            "Role user updated",
        ),
        admin_change_row(
            after(t, 7),
            admin.id,
            "role_change",
            "user",
            str(target.id),
            user_dict(target),
            user_dict(target, role_id=moved),
            f"Role of {target.username} changed to {ROLES[moved][0]}",
        ),
        admin_change_row(
            after(t, 12),
            admin.id,
            "update",
            "user",
            str(target.id),
            user_dict(target),
            user_dict(target, full_name=target.full_name + " (Research)"),
            f"User {target.username} updated",
        ),
        data_change_row(after(t, 20), admin.id, "update", "budget", "2", b_old, b_new),
        make_row(
            after(t, 31),
            admin.id,
            "system_config",
            "setting",
            "rate_limit_rpm",
            "Setting rate_limit_rpm changed",
            old_values={"value": 60, "scope": "global"},
            new_values={"value": 120, "scope": "global"},
            severity="medium",
            category="configuration",
            success=True,
            tags=["config"],
            details={},
        ),
        data_change_row(after(t, 44), admin.id, "delete", "api_key", "311", key_old, None),
    ]
    events = [
        {
            "at": r["created_at"],
            "action": r["action"],
            "resource_type": r["resource_type"],
            "resource_id": r["resource_id"],
            "user_id": r["user_id"],
        }
        for r in rows
    ]
    start, stop = span(rows)
    return Plan(rows, {"events": events, "start": start, "end": stop}, [])


def coverage(rng: random.Random, day: datetime, admin: Person, user: Person) -> Plan:
    t = day + timedelta(hours=13, minutes=rng.randint(0, 30))
    ip, agent = user.office_ip, user.agents[0]
    rows = [
        budget_row(t, admin.id, "budget_create", 6, limit_cents=20_000, period="monthly"),
        budget_row(after(t, 3), SVC_BILLING_ID, "budget_update", 6, spent_cents=1_250),
        api_key_row(after(t, 9), user.id, "api_key_create", 512, "notebook"),
        api_key_row(after(t, 14), user.id, "api_key_delete", 312, "laptop"),
        permission_row(after(t, 21), admin.id, "permission_grant", user.id, "rag:use"),
        permission_row(after(t, 26), admin.id, "permission_revoke", user.id, "budgets:manage"),
        security_row(
            after(t, 30),
            user.id,
            "secret_in_prompt",
            "Possible secret sent in a prompt",
            "critical",
            ip,
            detector="regex:aws_key",
        ),
        security_row(
            after(t, 31),
            SVC_CI_ID,
            "rate_limit_exceeded",
            "Rate limit exceeded",
            "warning",
            "198.51.100.200",
            limit_rpm=600,
            observed_rpm=702,
        ),
        make_row(
            after(t, 33),
            user.id,
            "password_reset",
            "user",
            str(user.id),
            "Password reset completed",
            details={"method": "email_link"},
            ip_address=ip,
            user_agent=agent,
            severity="medium",
            category="authentication",
            success=True,
        ),
        make_row(
            after(t, 35),
            user.id,
            "read",
            "api_key",
            None,
            "Listed API keys",
            ip_address=ip,
            user_agent=agent,
            severity="info",
            success=True,
        ),
        make_row(
            after(t, 37),
            user.id,
            "list_models",
            "/api/v1/models",
            None,
            "Listed available models",
            ip_address=ip,
            user_agent=agent,
            severity="info",
            details={"count": len(MODELS) + 1},
            success=True,
        ),
        make_row(
            after(t, 39),
            user.id,
            "create",
            "/api/v1/rag/collections",
            "handbook",
            "Created collection handbook",
            new_values={"name": "handbook", "documents": []},
            severity="info",
            success=True,
        ),
        make_row(
            after(t, 40),
            user.id,
            "chat_completion",
            "/api/v1/chat",
            MODELS[1],
            f"Chat completion with {MODELS[1]}",
            details={"model": MODELS[1]},
            ip_address=ip,
            user_agent=agent,
            severity="info",
            success=True,
        ),
        make_row(
            after(t, 55),
            user.id,
            "logout",
            "user",
            str(user.id),
            "User logout",
            details={"logout_method": "manual"},
            severity="low",
            category="security",
            success=True,
            tags=["authentication", "logout"],
            metadata={},
        ),
    ]
    start, stop = span(rows)
    return Plan(
        rows, {"actions": sorted({r["action"] for r in rows}), "start": start, "end": stop}, []
    )
