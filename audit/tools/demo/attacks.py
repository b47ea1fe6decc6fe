"""The planted attacks: a brute force on one account, a password spray over many, and an
account takeover followed by a permission grant, a new API key and heavy use of it."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from audit.tools.demo.catalog import BROWSERS, MODELS
from audit.tools.demo.clock import after
from audit.tools.demo.people import Person, user_dict
from audit.tools.demo.plan import Plan, span
from audit.tools.demo.rows import (
    Row,
    admin_change_row,
    login_row,
    make_row,
    permission_row,
    random_hex,
    random_uuid,
    security_row,
)


def brute_force(rng: random.Random, day: datetime, victim: Person) -> Plan:
    ip, agent = f"192.0.2.{rng.randint(200, 219)}", "python-requests/2.28.1"
    t0 = day + timedelta(hours=12, minutes=50 + rng.randint(0, 60), seconds=rng.random())
    times = sorted(t0 + timedelta(seconds=rng.uniform(0, 570)) for _ in range(40))
    rows = [login_row(t, victim.id, False, ip, agent) for t in times]
    lock_at = times[-1] + timedelta(seconds=2)
    rows.append(
        security_row(
            lock_at,
            victim.id,
            "account_locked",
            f"Account {victim.username} locked after 40 failed login attempts",
            "high",
            ip,
            reason="too_many_failed_logins",
            failed_attempts=40,
        )
    )
    unlock_at = after(lock_at, 95 + rng.randint(0, 30))
    old = user_dict(victim, account_locked=True, failed_login_attempts=40)
    new = user_dict(victim, account_locked=False, failed_login_attempts=0)
    rows.append(
        admin_change_row(
            unlock_at,
            2 if victim.id == 1 else 1,
            "update",
            "user",
            str(victim.id),
            old,
            new,
            f"User {victim.username} unlocked",
        )
    )
    facts = {
        "ip": ip,
        "user_id": victim.id,
        "failures": 40,
        "start": times[0],
        "end": times[-1],
        "user_agent": agent,
        "lock_at": lock_at,
        "unlock_at": unlock_at,
    }
    return Plan(rows, facts, [(victim.id, after(times[0], -30), after(unlock_at, 30))])


def spraying(rng: random.Random, day: datetime, targets: list[Person]) -> Plan:
    ip = f"192.0.2.{rng.randint(230, 249)}"
    agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36"
    t0 = day + timedelta(hours=20, minutes=40 + rng.randint(0, 40), seconds=rng.random())
    victims = [p.id for p in targets for _ in range(1 if rng.random() < 0.6 else 2)]
    offsets = sorted(rng.uniform(0, 840) for _ in victims)
    rows = [
        login_row(t0 + timedelta(seconds=s), uid, False, ip, agent)
        for s, uid in zip(offsets, victims, strict=True)
    ]
    start, stop = span(rows)
    facts = {
        "ip": ip,
        "user_ids": sorted({p.id for p in targets}),
        "attempts": len(rows),
        "start": start,
        "end": stop,
        "user_agent": agent,
    }
    quiet = [(p.id, after(start, -20), after(stop, 20)) for p in targets]
    return Plan(rows, facts, quiet)


def _takeover_failures(rng: random.Random, success: datetime) -> list[datetime]:
    times = [success - timedelta(minutes=rng.uniform(1.5, 2.0))]
    for _ in range(7):
        times.append(times[-1] - timedelta(minutes=rng.uniform(3.5, 4.0)))
    return times[::-1]


def _takeover_after(
    rng: random.Random, victim: Person, ip: str, success: datetime, key_id: int
) -> list[Row]:
    grant_at, key_at = after(success, 11), after(success, 19)
    grant = permission_row(grant_at, victim.id, "permission_grant", victim.id, "users:admin")
    grant["ip_address"] = ip
    key = make_row(
        key_at,
        victim.id,
        "create_api_key",
        "api_key",
        str(key_id),
        "Created API key 'backup-sync'",
        ip_address=ip,
        user_agent=BROWSERS[2],
        details={"api_key_name": "backup-sync", "scopes": ["*"], "expires_at": None},
        request_id=random_uuid(rng),
        severity="info",
        success=True,
    )
    rows = [grant, key]
    for k in range(4):
        t = after(key_at, 6 + 5 * k)
        rows.append(
            make_row(
                t,
                victim.id,
                "chat_completion",
                "/api/v1/chat",
                MODELS[0],
                f"Chat completion with {MODELS[0]}",
                ip_address=ip,
                user_agent="python-requests/2.31.0",
                request_id=random_uuid(rng),
                details={"model": MODELS[0], "prompt_tokens": 3900, "completion_tokens": 2048},
                severity="info",
                success=True,
                metadata={"api_key_id": key_id},
            )
        )
    return rows


def takeover(rng: random.Random, day: datetime, victim: Person) -> Plan:
    ip, agent = f"192.0.2.{rng.randint(100, 139)}", BROWSERS[2]
    success = day + timedelta(hours=2, minutes=30, seconds=rng.uniform(0, 50))
    fails = _takeover_failures(rng, success)
    rows = [login_row(t, victim.id, False, ip, agent) for t in fails]
    rows.append(login_row(success, victim.id, True, ip, agent, random_hex(rng)))
    key_id = 900 + rng.randint(0, 99)
    rows += _takeover_after(rng, victim, ip, success, key_id)
    facts = {
        "user_id": victim.id,
        "attacker_ip": ip,
        "failure_count": len(fails),
        "failures_start": fails[0],
        "failures_end": fails[-1],
        "success_at": success,
        "permission_grant_at": rows[len(fails) + 1]["created_at"],
        "api_key_created_at": rows[len(fails) + 2]["created_at"],
        "api_key_action": "create_api_key",
        "api_key_id": key_id,
        "user_agent": agent,
        "start": fails[0],
        "end": span(rows)[1],
    }
    return Plan(rows, facts, [(victim.id, after(fails[0], -45), after(facts["end"], 60))])
