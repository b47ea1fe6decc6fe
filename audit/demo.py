"""Synthetic, deterministic Enclava audit data for demos and tests.

``generate`` streams rows shaped like a real Enclava deployment's ``audit_logs`` (see
``shared/docs/enclava-audit-data.md``): about 40 users with admins, analysts, ordinary users,
two service accounts, a soft-deleted user and a hard-deleted user (audit rows whose
``user_id`` has no ``users`` row), system events with a NULL user, office/VPN/external IPs
from the RFC 5737 documentation ranges (plus one ``2001:db8::/32`` address), a business-hours
and weekday rhythm, and the NULLs real writers leave behind. ``write_demo`` is the only code
that writes: it (re)creates the two tables and bulk-loads the rows.

Planted stories (``stories(days, seed, end)`` returns their facts; see its docstring) sit in
the last 7 days so a 7-day view shows them: a brute force, a password spray, an account
takeover, a ``budget_exceed`` spike, module toggles and admin data changes. Outside them
failed logins are rare and scattered (one or two mistypes followed by a success from the
user's own IP; no two background failures from one IP within 15 minutes nor for one user
within 90 minutes), so detectors for brute force (>= 5 failures from one IP in 10 minutes),
spraying (>= 5 users from one IP in 15 minutes) or takeover (>= 5 failures in 30 minutes,
then a success from a new IP) find only the planted stories, for any seed and row count.
Stories are planted when ``days >= 7`` and ``rows`` can hold them (``STORY_MIN_ROWS``).

Times are naive UTC. The office is in UTC+1 (``OFFICE_UTC_OFFSET``) for the daily rhythm.
"""

from __future__ import annotations

import argparse
import bisect
import json
import random
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from audit.config import DEMO_DB_PATH, DEMO_DB_URL
from audit.progress import ProgressBar
from audit.schema import JSON_COLUMNS, audit_logs, metadata, users

DEFAULT_ROWS = 50_000
DEFAULT_DAYS = 90
DEFAULT_SEED = 7

STORY_MIN_DAYS = 7
STORY_MIN_ROWS = 1_000  # fewer rows than this: no stories, only background
OFFICE_UTC_OFFSET = 1
DEFAULT_URL = DEMO_DB_URL

Row = dict[str, Any]
AUDIT_COLUMNS: tuple[str, ...] = tuple(c.name for c in audit_logs.columns)
_HOUR = timedelta(hours=1)
_EMPTY = dict.fromkeys(AUDIT_COLUMNS)

# ----------------------------------------------------------------------------------------
# Vocabulary
# ----------------------------------------------------------------------------------------

ROLES: dict[int, tuple[str, str]] = {
    1: ("read_only", "Read only"),
    2: ("user", "User"),
    3: ("admin", "Administrator"),
    4: ("super_admin", "Super administrator"),
}
ROLE_PERMISSIONS: dict[int, list[str]] = {
    1: ["audit:read", "models:list"],
    2: ["chat:use", "models:list", "api_keys:own", "rag:use"],
    3: ["chat:use", "models:list", "api_keys:any", "users:read", "budgets:manage"],
    4: ["*"],
}
DOMAINS = ("corp.example.com", "labs.example.com")
MODELS = (
    "llama-3.3-70b-instruct",
    "mistral-small-3.1-24b",
    "qwen2.5-coder-32b",
    "gemma-3-27b-it",
)
EMBED_MODEL = "bge-m3"
BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/125.0.0.0 Safari/537.36",
)
CLI_AGENTS = ("python-requests/2.31.0", "curl/8.5.0", "enclava-cli/0.9.1")
BUDGETS = {
    1: "platform-monthly",
    2: "team-research-monthly",
    3: "team-support-monthly",
    4: "ci-pipeline-monthly",
    5: "sales-demo-weekly",
    6: "team-data-monthly",
}
SETTINGS = ("default_model", "rate_limit_rpm", "retention_days", "rag_chunk_size")
HOUR_SHAPE = (
    0.02, 0.01, 0.01, 0.01, 0.01, 0.02, 0.05, 0.25, 0.7, 1.0, 1.0, 0.95,
    0.6, 0.85, 1.0, 1.0, 0.9, 0.7, 0.45, 0.22, 0.1, 0.07, 0.05, 0.03,
)  # fmt: skip
WEEKEND_FACTOR = 0.07
HUMAN_SHARE = 0.75

# ----------------------------------------------------------------------------------------
# Users
# ----------------------------------------------------------------------------------------

# (full name, group, role_id, domain index, activity weight)
_ROSTER: tuple[tuple[str, str, int, int, float], ...] = (
    ("Platform Admin", "admin", 4, 0, 2.0),
    ("Ines Varga", "admin", 4, 0, 2.5),
    ("Tomasz Lindqvist", "admin", 3, 0, 1.6),
    ("Mara Okafor", "analyst", 1, 0, 2.2),
    ("Jonas Brandt", "analyst", 1, 0, 1.4),
    ("Leila Haddad", "analyst", 2, 1, 1.8),
    ("Chen Wei", "analyst", 2, 1, 1.1),
    ("Sofia Marquez", "analyst", 1, 0, 0.9),
    ("Anton Petrov", "analyst", 2, 0, 0.7),
    ("Aisha Bello", "user", 2, 0, 3.5),
    ("Lukas Hoffmann", "user", 2, 0, 2.8),
    ("Emma Novak", "user", 2, 1, 2.4),
    ("Rahul Iyer", "user", 2, 1, 2.1),
    ("Greta Sandoval", "user", 2, 0, 0.6),  # hard-deleted
    ("Noah Fischer", "user", 2, 0, 1.9),
    ("Yuki Tanaka", "user", 2, 1, 1.7),
    ("Olga Ivanova", "user", 2, 0, 1.5),
    ("Mateo Rossi", "user", 2, 0, 1.3),
    ("Hannah Weber", "user", 2, 0, 1.2),
    ("Kwame Mensah", "user", 2, 1, 1.1),
    ("Sara Lindgren", "user", 2, 0, 1.0),
    ("Diego Alvarez", "user", 2, 0, 0.9),
    ("Nina Kowalski", "user", 2, 0, 0.8),
    ("Omar Farouk", "user", 2, 1, 0.8),
    ("Julia Schmidt", "user", 2, 0, 0.7),
    ("Ivan Horvat", "user", 1, 0, 0.6),
    ("Maria Kessler", "user", 2, 0, 0.6),  # soft-deleted
    ("Felix Braun", "user", 2, 0, 0.5),
    ("Ana Costa", "user", 2, 1, 0.5),
    ("Peter Maier", "user", 2, 0, 0.4),
    ("Lena Vogel", "user", 1, 0, 0.4),
    ("Samuel Okoro", "user", 2, 0, 0.35),
    ("Clara Dubois", "user", 2, 0, 0.3),
    ("Viktor Lang", "user", 2, 0, 0.3),
    ("Tara Singh", "user", 2, 1, 0.25),
    ("Ben Carter", "user", 2, 0, 0.2),
    ("Mia Schulz", "user", 2, 0, 0.2),
    ("svc-ci", "service", 2, 0, 0.0),
    ("svc-billing", "service", 3, 0, 0.0),
    ("Elif Demir", "user", 2, 0, 1.0),  # hired inside the range
    ("Jan Berg", "user", 2, 1, 0.8),  # hired inside the range
)
HARD_DELETED_ID = 14
SOFT_DELETED_ID = 27
SVC_CI_ID = 38
SVC_BILLING_ID = 39
NEW_HIRE_IDS = (40, 41)


@dataclass(frozen=True)
class Person:
    """One account: identity, habits (IPs, agents, weight) and lifetime."""

    id: int
    username: str
    full_name: str
    email: str
    role_id: int
    group: str
    weight: float
    office_ip: str
    vpn_ips: tuple[str, ...]
    agents: tuple[str, ...]
    created_at: datetime
    deleted_at: datetime | None = None

    @property
    def is_superuser(self) -> bool:
        return self.group == "admin"

    def active(self, start: datetime, stop: datetime) -> bool:
        """True when the account exists for the whole of [start, stop)."""
        gone = self.deleted_at is not None and self.deleted_at < stop
        return self.created_at <= start and not gone


def _handle(full_name: str) -> str:
    if full_name == "Platform Admin":
        return "admin"
    if full_name.startswith("svc-"):
        return full_name
    first, last = full_name.lower().split(" ", 1)
    return f"{first}.{last.replace(' ', '')}"


def _ips(pid: int, group: str) -> tuple[str, tuple[str, ...]]:
    if pid == SVC_CI_ID:
        return "198.51.100.200", ("198.51.100.200", "198.51.100.201")
    if pid == SVC_BILLING_ID:
        return "198.51.100.210", ("198.51.100.210",)
    vpn = [f"203.0.113.{20 + pid}"]
    if pid % 3 == 0:
        vpn.append(f"203.0.113.{120 + pid}")
    if pid == 12:
        vpn.append("2001:db8:4f2a:17::1c")
    return f"198.51.100.{10 + pid % 4}", tuple(vpn)


def _agents(pid: int, group: str) -> tuple[str, ...]:
    if pid == SVC_CI_ID:
        return ("python-requests/2.32.3", "enclava-cli/0.9.1")
    if pid == SVC_BILLING_ID:
        return ("python-requests/2.31.0",)
    first = BROWSERS[pid % len(BROWSERS)]
    if group == "analyst" or pid % 5 == 0:
        return (first, CLI_AGENTS[pid % len(CLI_AGENTS)])
    if pid % 4 == 0:
        return (first, BROWSERS[(pid + 2) % len(BROWSERS)])
    return (first,)


def _lifetime(pid: int, start: datetime, end: datetime) -> tuple[datetime, datetime | None]:
    span = end - start
    day9 = timedelta(hours=9 - OFFICE_UTC_OFFSET, minutes=pid)
    if pid in NEW_HIRE_IDS:
        frac = 0.3 if pid == NEW_HIRE_IDS[0] else 0.62
        created = _floor_day(start + span * frac) + day9
        return min(created, end - _HOUR), None
    created = start - timedelta(days=30 + (pid * 37) % 500, minutes=pid * 11)
    deleted = {HARD_DELETED_ID: 0.45, SOFT_DELETED_ID: 0.7}.get(pid)
    if deleted is None:
        return created, None
    gone = _floor_day(start + span * deleted) + day9 + timedelta(hours=2)
    return created, min(gone, end - _HOUR)


def people(days: int = DEFAULT_DAYS, end: datetime | None = None) -> list[Person]:
    """Every account ever seen in the data, including the hard-deleted one."""
    end = resolve_end(end)
    start = end - timedelta(days=days)
    out = []
    for pid, (name, group, role_id, dom, weight) in enumerate(_ROSTER, start=1):
        handle = _handle(name)
        office, vpn = _ips(pid, group)
        created, deleted = _lifetime(pid, start, end)
        email = f"{handle}@{DOMAINS[dom]}"
        out.append(
            Person(
                pid,
                handle,
                name,
                email,
                role_id,
                group,
                weight,
                office,
                vpn,
                _agents(pid, group),
                created,
                deleted,
            )
        )
    return out


def _last_login(p: Person, end: datetime, rng: random.Random) -> datetime:
    """Service accounts: minutes ago; people: office hours of one of the last three days."""
    if p.deleted_at is not None:
        last = p.deleted_at - timedelta(hours=rng.randint(2, 30))
    elif p.group == "service":
        last = end - timedelta(minutes=rng.randint(1, 30))
    else:
        day = _floor_day(end) - timedelta(days=rng.randint(0, 2))
        last = day + timedelta(hours=rng.randint(7, 16), minutes=rng.randint(0, 59))
        last = last if last < end else last - timedelta(days=1)
    return max(last, p.created_at)


def _user_row(p: Person, end: datetime, rng: random.Random) -> Row:
    soft = p.id == SOFT_DELETED_ID
    service_names = {SVC_CI_ID: "CI pipeline (service)", SVC_BILLING_ID: "Billing sync (service)"}
    return {
        "id": p.id,
        "email": f"deleted_{p.id}_{p.email}" if soft else p.email,
        "username": f"deleted_{p.id}_{p.username}" if soft else p.username,
        "full_name": service_names.get(p.id, p.full_name),
        "is_active": not soft,
        "is_superuser": p.is_superuser,
        "role_id": p.role_id,
        "created_at": p.created_at,
        "last_login": _last_login(p, end, rng),
        "account_locked": False,
        "failed_login_attempts": 0,
    }


def user_dict(p: Person, **changes: Any) -> dict[str, Any]:
    """The full user dict the admin user-management writer stores as old/new values."""
    role_id = changes.pop("role_id", p.role_id)
    out: dict[str, Any] = {
        "id": p.id,
        "email": p.email,
        "username": p.username,
        "full_name": p.full_name,
        "is_active": True,
        "is_superuser": p.is_superuser,
        "role_id": role_id,
        "role": {"id": role_id, "name": ROLES[role_id][0]},
        "permissions": list(ROLE_PERMISSIONS[role_id]),
        "profile": {
            "department": p.group if p.group != "user" else "engineering",
            "timezone": "Europe/Berlin",
            "mfa_enabled": p.id % 3 != 1,
        },
        "created_at": p.created_at.isoformat(),
    }
    out.update(changes)
    return out


def role_dict(role_id: int, extra: Sequence[str] = (), rpm: int = 60) -> dict[str, Any]:
    """The full role dict stored by role updates."""
    name, label = ROLES[role_id]
    return {
        "id": role_id,
        "name": name,
        "description": label,
        "level": name,
        "permissions": [*ROLE_PERMISSIONS[role_id], *extra],
        "settings": {"rate_limit_rpm": rpm, "max_api_keys": 2 * role_id + 1},
    }


# ----------------------------------------------------------------------------------------
# Row builders shared by background and stories
# ----------------------------------------------------------------------------------------


def make_row(
    t: datetime, user_id: int | None, action: str, rtype: str, rid: str | None, text: str, **kw: Any
) -> Row:
    """A full audit row dict (every column present, unset ones None; ``id`` set later)."""
    row = dict(_EMPTY)
    row.update(created_at=t, user_id=user_id, action=action, resource_type=rtype, resource_id=rid)
    row["description"] = text
    row.update(kw)
    return row


def login_row(
    t: datetime,
    uid: int,
    ok: bool,
    ip: str,
    agent: str,
    session: str | None = None,
    category: str = "security",
    method: str = "password",
) -> Row:
    """A login event as the model's ``create_login_event`` writes it."""
    return make_row(
        t,
        uid,
        "login",
        "user",
        str(uid),
        f"User login {'successful' if ok else 'failed'}",
        details={"login_method": method, "success": ok},
        ip_address=ip,
        user_agent=agent,
        session_id=session,
        severity="low" if ok else "medium",
        category=category,
        success=ok,
        error_message=None if ok else "Invalid email or password",
        tags=["authentication", "login"],
        metadata={},
    )


def permission_row(t: datetime, uid: int, action: str, target: int, perm: str) -> Row:
    """A permission grant/revoke as ``create_permission_event`` writes it."""
    return make_row(
        t,
        uid,
        action,
        "permission",
        str(target),
        f"Permission {action}: {perm} for user {target}",
        details={"permission": perm, "target_user_id": target},
        severity="high",
        category="security",
        success=True,
        tags=["permission", action],
        metadata={},
    )


def budget_row(t: datetime, uid: int | None, action: str, budget_id: int, **details: Any) -> Row:
    """A budget event as ``create_budget_event`` writes it."""
    return make_row(
        t,
        uid,
        action,
        "budget",
        str(budget_id),
        f"Budget {action}: {BUDGETS[budget_id]}",
        details=details,
        severity="medium" if action == "budget_exceed" else "low",
        category="financial",
        success=True,
        tags=["budget", action],
        metadata={},
    )


def module_row(t: datetime, uid: int, action: str, module: str, error: str | None = None) -> Row:
    """A module toggle as ``create_module_event`` writes it."""
    return make_row(
        t,
        uid,
        action,
        "module",
        module,
        f"Module {action}: {module}",
        details={"module": module, "requested_by": "admin_ui"},
        severity="medium",
        category="system",
        success=error is None,
        error_message=error,
        tags=["module", action],
        metadata={},
    )


def api_key_row(t: datetime, uid: int, action: str, key_id: int, name: str) -> Row:
    """An API key event as ``create_api_key_event`` writes it."""
    return make_row(
        t,
        uid,
        action,
        "api_key",
        str(key_id),
        f"API key {action}: {name}",
        details={"api_key_name": name, "action": action},
        severity="medium",
        category="security",
        success=True,
        tags=["api_key", action],
        metadata={},
    )


def admin_change_row(
    t: datetime, uid: int, action: str, rtype: str, rid: str, old: Any, new: Any, text: str
) -> Row:
    """The admin user-management writer: category, tags and full before/after dicts."""
    return make_row(
        t,
        uid,
        action,
        rtype,
        rid,
        text,
        details={"changed_by": uid},
        severity="medium" if rtype == "role" or action == "role_change" else "info",
        category="user_management",
        success=True,
        tags=["user_management", action],
        metadata={"source": "admin_api"},
        old_values=old,
        new_values=new,
    )


def data_change_row(
    t: datetime, uid: int, action: str, rtype: str, rid: str, old: Any, new: Any, text: str = ""
) -> Row:
    """A data change as ``create_data_change_event`` writes it."""
    return make_row(
        t,
        uid,
        action,
        rtype,
        rid,
        text or f"{rtype.replace('_', ' ').capitalize()} {rid} {action}d",
        old_values=old,
        new_values=new,
        severity="low",
        category="data",
        success=True,
        tags=["data_change", action],
        details={},
        metadata={},
    )


def security_row(
    t: datetime, uid: int | None, event: str, text: str, severity: str, ip: str | None, **d: Any
) -> Row:
    """A security event as ``create_security_event`` writes it."""
    return make_row(
        t,
        uid,
        "security_event",
        "security",
        event,
        text,
        details=d,
        ip_address=ip,
        severity=severity,
        category="security",
        success=False,
        tags=["security", event],
        metadata={},
    )


def _hex(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _floor_day(t: datetime) -> datetime:
    return t.replace(hour=0, minute=0, second=0, microsecond=0)


def resolve_end(end: datetime | None) -> datetime:
    """``end`` as naive UTC; default now (UTC) truncated to the hour."""
    if end is None:
        return datetime.now(UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0)
    if end.tzinfo is not None:
        return end.astimezone(UTC).replace(tzinfo=None)
    return end


# ----------------------------------------------------------------------------------------
# Planted stories
# ----------------------------------------------------------------------------------------


@dataclass
class _Plan:
    """Planted rows, their facts, and (user_id, start, stop) windows the background avoids."""

    rows: list[Row]
    facts: dict[str, Any]
    quiet: list[tuple[int, datetime, datetime]]


def _after(t: datetime, minutes: float) -> datetime:
    return t + timedelta(minutes=minutes)


def _span(rows: Sequence[Row]) -> tuple[datetime, datetime]:
    times = [r["created_at"] for r in rows]
    return min(times), max(times)


def _eligible(folks: Sequence[Person], start: datetime, end: datetime) -> list[Person]:
    humans = [p for p in folks if p.group != "service"]
    return [p for p in humans if p.active(start - timedelta(days=1), end)]


def _brute_force(rng: random.Random, day: datetime, victim: Person) -> _Plan:
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
    unlock_at = _after(lock_at, 95 + rng.randint(0, 30))
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
    return _Plan(rows, facts, [(victim.id, _after(times[0], -30), _after(unlock_at, 30))])


def _spraying(rng: random.Random, day: datetime, targets: list[Person]) -> _Plan:
    ip = f"192.0.2.{rng.randint(230, 249)}"
    agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36"
    t0 = day + timedelta(hours=20, minutes=40 + rng.randint(0, 40), seconds=rng.random())
    victims = [p.id for p in targets for _ in range(1 if rng.random() < 0.6 else 2)]
    offsets = sorted(rng.uniform(0, 840) for _ in victims)
    rows = [
        login_row(t0 + timedelta(seconds=s), uid, False, ip, agent)
        for s, uid in zip(offsets, victims, strict=True)
    ]
    start, stop = _span(rows)
    facts = {
        "ip": ip,
        "user_ids": sorted({p.id for p in targets}),
        "attempts": len(rows),
        "start": start,
        "end": stop,
        "user_agent": agent,
    }
    quiet = [(p.id, _after(start, -20), _after(stop, 20)) for p in targets]
    return _Plan(rows, facts, quiet)


def _takeover_failures(rng: random.Random, success: datetime) -> list[datetime]:
    times = [success - timedelta(minutes=rng.uniform(1.5, 2.0))]
    for _ in range(7):
        times.append(times[-1] - timedelta(minutes=rng.uniform(3.5, 4.0)))
    return times[::-1]


def _takeover_after(
    rng: random.Random, victim: Person, ip: str, success: datetime, key_id: int
) -> list[Row]:
    grant_at, key_at = _after(success, 11), _after(success, 19)
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
        request_id=_uuid(rng),
        severity="info",
        success=True,
    )
    rows = [grant, key]
    for k in range(4):
        t = _after(key_at, 6 + 5 * k)
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
                request_id=_uuid(rng),
                details={"model": MODELS[0], "prompt_tokens": 3900, "completion_tokens": 2048},
                severity="info",
                success=True,
                metadata={"api_key_id": key_id},
            )
        )
    return rows


def _takeover(rng: random.Random, day: datetime, victim: Person) -> _Plan:
    ip, agent = f"192.0.2.{rng.randint(100, 139)}", BROWSERS[2]
    success = day + timedelta(hours=2, minutes=30, seconds=rng.uniform(0, 50))
    fails = _takeover_failures(rng, success)
    rows = [login_row(t, victim.id, False, ip, agent) for t in fails]
    rows.append(login_row(success, victim.id, True, ip, agent, _hex(rng)))
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
        "end": _span(rows)[1],
    }
    return _Plan(rows, facts, [(victim.id, _after(fails[0], -45), _after(facts["end"], 60))])


def _budget_spike(rng: random.Random, day: datetime, spenders: list[Person]) -> _Plan:
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
    return _Plan(rows, facts, [])


def _modules(rng: random.Random, day: datetime, admin: Person) -> _Plan:
    t0 = day + timedelta(hours=14, minutes=rng.randint(0, 45))
    plan = [
        (0, "module_disable", "rag", None),
        (25, "module_enable", "rag", None),
        (40, "module_enable", "signal", "Missing dependency: signal-cli not found"),
        (52, "module_enable", "signal", None),
        (70, "module_disable", "zammad", None),
    ]
    rows = [module_row(_after(t0, m), admin.id, a, mod, err) for m, a, mod, err in plan]
    events = [
        {
            "at": r["created_at"],
            "action": r["action"],
            "module": r["resource_id"],
            "success": r["success"],
        }
        for r in rows
    ]
    start, stop = _span(rows)
    return _Plan(rows, {"user_id": admin.id, "events": events, "start": start, "end": stop}, [])


def _budget_dicts(limit_old: int, limit_new: int) -> tuple[dict[str, Any], dict[str, Any]]:
    base = {"id": 2, "name": BUDGETS[2], "period": "monthly", "currency": "EUR"}
    old = {**base, "limit_cents": limit_old, "alerts": {"thresholds": [50, 80, 100]}}
    new = {**base, "limit_cents": limit_new, "alerts": {"thresholds": [50, 80, 95, 100]}}
    return old, new


def _data_changes(rng: random.Random, day: datetime, admin: Person, target: Person) -> _Plan:
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
            _after(t, 7),
            admin.id,
            "role_change",
            "user",
            str(target.id),
            user_dict(target),
            user_dict(target, role_id=moved),
            f"Role of {target.username} changed to {ROLES[moved][0]}",
        ),
        admin_change_row(
            _after(t, 12),
            admin.id,
            "update",
            "user",
            str(target.id),
            user_dict(target),
            user_dict(target, full_name=target.full_name + " (Research)"),
            f"User {target.username} updated",
        ),
        data_change_row(_after(t, 20), admin.id, "update", "budget", "2", b_old, b_new),
        make_row(
            _after(t, 31),
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
        data_change_row(_after(t, 44), admin.id, "delete", "api_key", "311", key_old, None),
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
    start, stop = _span(rows)
    return _Plan(rows, {"events": events, "start": start, "end": stop}, [])


def _coverage(rng: random.Random, day: datetime, admin: Person, user: Person) -> _Plan:
    t = day + timedelta(hours=13, minutes=rng.randint(0, 30))
    ip, agent = user.office_ip, user.agents[0]
    rows = [
        budget_row(t, admin.id, "budget_create", 6, limit_cents=20_000, period="monthly"),
        budget_row(_after(t, 3), SVC_BILLING_ID, "budget_update", 6, spent_cents=1_250),
        api_key_row(_after(t, 9), user.id, "api_key_create", 512, "notebook"),
        api_key_row(_after(t, 14), user.id, "api_key_delete", 312, "laptop"),
        permission_row(_after(t, 21), admin.id, "permission_grant", user.id, "rag:use"),
        permission_row(_after(t, 26), admin.id, "permission_revoke", user.id, "budgets:manage"),
        security_row(
            _after(t, 30),
            user.id,
            "secret_in_prompt",
            "Possible secret sent in a prompt",
            "critical",
            ip,
            detector="regex:aws_key",
        ),
        security_row(
            _after(t, 31),
            SVC_CI_ID,
            "rate_limit_exceeded",
            "Rate limit exceeded",
            "warning",
            "198.51.100.200",
            limit_rpm=600,
            observed_rpm=702,
        ),
        make_row(
            _after(t, 33),
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
            _after(t, 35),
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
            _after(t, 37),
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
            _after(t, 39),
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
            _after(t, 40),
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
            _after(t, 55),
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
    start, stop = _span(rows)
    return _Plan(
        rows, {"actions": sorted({r["action"] for r in rows}), "start": start, "end": stop}, []
    )


def _lifecycle(folks: Sequence[Person], start: datetime) -> _Plan:
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
    return _Plan(rows, facts, [])


def _stories(rng: random.Random, folks: list[Person], end: datetime) -> list[tuple[str, _Plan]]:
    base = _floor_day(end)
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
        ("brute_force", _brute_force(rng, day(2), brute)),
        ("spraying", _spraying(rng, day(4), spray)),
        ("takeover", _takeover(rng, day(1), taken)),
        ("budget_spike", _budget_spike(rng, day(3), spenders)),
        ("modules", _modules(rng, day(5), rng.choice(bosses))),
        ("data_changes", _data_changes(rng, day(6), rng.choice(bosses), rng.choice(rest))),
        ("coverage", _coverage(rng, day(6), rng.choice(bosses), rng.choice(rest))),
    ]


def _plan(rows: int, days: int, seed: int, end: datetime) -> _Plan:
    folks = people(days, end)
    start = end - timedelta(days=days)
    life = _lifecycle(folks, start)
    facts: dict[str, Any] = {
        "planted": False,
        "admin_ids": [p.id for p in folks if p.group == "admin"],
        "service_account_ids": [SVC_CI_ID, SVC_BILLING_ID],
        **life.facts,
    }
    plan = _Plan(list(life.rows), facts, [])
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
    return _plan(rows, days, seed, resolve_end(end)).facts


# ----------------------------------------------------------------------------------------
# Background traffic
# ----------------------------------------------------------------------------------------

_CHAT_ERRORS = ("Upstream provider timeout", "Budget exceeded", "Model not available")
_READ_TYPES = ("api_key", "budget", "module", "setting", "user", "api_endpoint")


def _hour_weight(t: datetime) -> float:
    local = t + timedelta(hours=OFFICE_UTC_OFFSET)
    return HOUR_SHAPE[local.hour] * (WEEKEND_FACTOR if local.weekday() >= 5 else 1.0)


def _apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` into integer parts proportional to ``weights`` (largest remainder)."""
    scale = total / sum(weights)
    raw = [w * scale for w in weights]
    parts = [int(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: (parts[i] - raw[i], i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


class _Background:
    """Ordinary traffic for one 24-hour chunk at a time, from one ``random.Random``."""

    def __init__(self, rng: random.Random, folks: list[Person], plan: _Plan) -> None:
        self.rng = rng
        self.humans = [p for p in folks if p.group != "service"]
        self.ci, self.billing = folks[SVC_CI_ID - 1], folks[SVC_BILLING_ID - 1]
        self.quiet: dict[int, list[tuple[datetime, datetime]]] = {}
        for uid, a, b in plan.quiet:
            self.quiet.setdefault(uid, []).append((a, b))
        self.fail_ip: dict[str, list[datetime]] = {}
        self.fail_user: dict[int, list[datetime]] = {}
        self.kinds = {g: self._kind_table(g) for g in ("admin", "analyst", "user")}
        self.flat = self._cum(self._flat_kinds())

    # -- set-up ---------------------------------------------------------------------------

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
            self.session[p.id] = _hex(rng)

    # -- picking --------------------------------------------------------------------------

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

    def event(self, t: datetime, p_human: float) -> Row:
        rng = self.rng
        if rng.random() < p_human:
            p = self.pick_human(t)
            if p is not None:
                cum, fns = self.kinds[p.group]
                return fns[bisect.bisect(cum, rng.random() * cum[-1])](p, t)
        cum, fns = self.flat
        return fns[bisect.bisect(cum, rng.random() * cum[-1])](t)

    # -- request context ------------------------------------------------------------------

    def _web(self, p: Person) -> tuple[str | None, str | None]:
        if self.rng.random() < 0.3:
            return None, None
        return self.ip[p.id], self.agent[p.id]

    def _req(self) -> str | None:
        return _uuid(self.rng) if self.rng.random() < 0.5 else None

    # -- human kinds ----------------------------------------------------------------------

    def _chat(self, p: Person, t: datetime) -> Row:
        rng = self.rng
        model = MODELS[int(rng.random() * len(MODELS))]
        ok = rng.random() > 0.03
        details = None
        if rng.random() > 0.05:
            details = {
                "model": model,
                "prompt_tokens": rng.randint(40, 3000),
                "completion_tokens": rng.randint(20, 1200) if ok else 0,
                "duration_ms": rng.randint(300, 20000),
            }
        ip, ua = self._web(p)
        return make_row(
            t,
            p.id,
            "chat_completion",
            "/api/v1/chat" if rng.random() < 0.7 else "api_endpoint",
            model,
            f"Chat completion with {model}",
            details=details,
            ip_address=ip,
            user_agent=ua,
            request_id=self._req(),
            severity="info" if ok else "error",
            category=None if rng.random() < 0.9 else "user_action",
            success=ok,
            error_message=None if ok else rng.choice(_CHAT_ERRORS),
        )

    def _list_models(self, p: Person, t: datetime) -> Row:
        ip, ua = self._web(p)
        return make_row(
            t,
            p.id,
            "list_models",
            "/api/v1/models",
            None,
            "Listed available models",
            details={"count": len(MODELS) + 1},
            ip_address=ip,
            user_agent=ua,
            request_id=self._req(),
            severity="info",
            success=True,
        )

    def _embed(self, p: Person, t: datetime) -> Row:
        ip, ua = self._web(p)
        return make_row(
            t,
            p.id,
            "create_embedding",
            "/api/v1/embeddings",
            EMBED_MODEL,
            f"Embeddings with {EMBED_MODEL}",
            details={"inputs": self.rng.randint(1, 64)},
            ip_address=ip,
            user_agent=ua,
            request_id=self._req(),
            severity="info",
            success=True,
            category=None if self.rng.random() < 0.8 else "data",
        )

    def _read(self, p: Person, t: datetime) -> Row:
        rng = self.rng
        rtype = _READ_TYPES[int(rng.random() * len(_READ_TYPES))]
        rid = str(rng.randint(1, 40)) if rng.random() < 0.6 else None
        ip, ua = self._web(p)
        return make_row(
            t,
            p.id,
            "read",
            rtype,
            rid,
            f"Viewed {rtype.replace('_', ' ')}" + (f" {rid}" if rid else " list"),
            details={"page": 1, "size": 50} if rid is None else {},
            ip_address=ip,
            user_agent=ua,
            request_id=self._req(),
            severity="info",
            category=None if rng.random() < 0.85 else "general",
            success=True,
            tags=None if rng.random() < 0.7 else [],
            metadata=None,
        )

    def _login(self, p: Person, t: datetime) -> Row:
        roll = self.rng.random()
        cat = "security" if roll < 0.85 else "authentication"
        row = login_row(t, p.id, True, self.ip[p.id], self.agent[p.id], self.session[p.id], cat)
        if roll >= 0.95:  # the main audit helper's copy: no category, severity "info"
            row.update(category=None, severity="info", tags=None, metadata=None)
        return row

    def _logout(self, p: Person, t: datetime) -> Row:
        return make_row(
            t,
            p.id,
            "logout",
            "user",
            str(p.id),
            "User logout",
            details={"logout_method": "manual" if self.rng.random() < 0.7 else "timeout"},
            session_id=self.session[p.id],
            severity="low",
            category="security",
            success=True,
            tags=["authentication", "logout"],
            metadata={},
        )

    def _update(self, p: Person, t: datetime) -> Row:
        rng = self.rng
        if rng.random() < 0.5:
            key = SETTINGS[int(rng.random() * len(SETTINGS))]
            old = {"key": key, "value": rng.randint(1, 9), "ui": {"theme": "light"}}
            new = {"key": key, "value": rng.randint(10, 99), "ui": {"theme": "dark"}}
            return data_change_row(t, p.id, "update", "setting", key, old, new)
        kid = rng.randint(100, 400)
        old = {"id": kid, "name": f"key-{kid}", "scopes": ["chat"], "rate_limit": 60}
        new = {"id": kid, "name": f"key-{kid}", "scopes": ["chat", "embeddings"], "rate_limit": 120}
        return data_change_row(t, p.id, "update", "api_key", str(kid), old, new)

    def _create(self, p: Person, t: datetime) -> Row:
        name = f"collection-{self.rng.randint(1, 300)}"
        ip, ua = self._web(p)
        return make_row(
            t,
            p.id,
            "create",
            "/api/v1/rag/collections",
            name,
            f"Created collection {name}",
            new_values={"name": name, "documents": [], "settings": {"chunk_size": 512}},
            details={"name": name},
            ip_address=ip,
            user_agent=ua,
            request_id=self._req(),
            severity="info",
            success=True,
        )

    def _raw_upload(self, p: Person, t: datetime) -> Row:
        doc = f"doc-{self.rng.randint(1000, 9999)}.pdf"
        return make_row(t, p.id, "create", "/api/v1/rag/documents", doc, f"Uploaded {doc}")

    def _delete(self, p: Person, t: datetime) -> Row:
        name = f"collection-{self.rng.randint(1, 300)}"
        old = {"name": name, "documents": [f"doc-{self.rng.randint(1000, 9999)}.pdf"]}
        path = "/api/v1/rag/collections"
        return data_change_row(t, p.id, "delete", path, name, old, None, f"Deleted {name}")

    def _key_model(self, p: Person, t: datetime) -> Row:
        kid = self.rng.randint(100, 899)
        return api_key_row(t, p.id, "api_key_create", kid, f"{p.username}-key-{kid}")

    def _key_helper(self, p: Person, t: datetime) -> Row:
        kid = self.rng.randint(100, 899)
        ip, ua = self._web(p)
        return make_row(
            t,
            p.id,
            "create_api_key",
            "api_key",
            str(kid),
            f"Created API key 'key-{kid}'",
            details={"api_key_name": f"key-{kid}", "scopes": ["chat"]},
            ip_address=ip,
            user_agent=ua,
            request_id=self._req(),
            severity="info",
            success=True,
        )

    def _key_delete(self, p: Person, t: datetime) -> Row:
        kid = self.rng.randint(100, 899)
        return api_key_row(t, p.id, "api_key_delete", kid, f"{p.username}-key-{kid}")

    def _audit_view(self, p: Person, t: datetime) -> Row:
        ip, ua = self._web(p)
        filters = {"action": "login"} if self.rng.random() < 0.3 else {}
        return make_row(
            t,
            p.id,
            "read",
            "/api/v1/audit",
            None,
            "Viewed audit logs",
            details={"page": self.rng.randint(1, 5), "size": 50, "filters": filters},
            ip_address=ip,
            user_agent=ua,
            severity="info",
            category="audit",
            success=True,
        )

    def _audit_export(self, p: Person, t: datetime) -> Row:
        ip, ua = self._web(p)
        return make_row(
            t,
            p.id,
            "read",
            "/api/v1/audit/export",
            "csv",
            "Exported audit logs (csv)",
            details={"format": "csv", "rows": 10_000},
            ip_address=ip,
            user_agent=ua,
            severity="low",
            category="audit",
            success=True,
            tags=["audit", "export"],
        )

    def _admin_list(self, p: Person, t: datetime) -> Row:
        ip, ua = self._web(p)
        return make_row(
            t,
            p.id,
            "read",
            "user",
            None,
            "Listed users",
            details={"page": 1, "size": 100},
            ip_address=ip,
            user_agent=ua,
            severity="info",
            category="user_management",
            success=True,
            tags=["user_management", "read"],
        )

    # -- service accounts and system ------------------------------------------------------

    def _via_key(self, p: Person) -> dict[str, Any]:
        rng = self.rng
        return {
            "ip_address": p.vpn_ips[int(rng.random() * len(p.vpn_ips))],
            "user_agent": p.agents[0],
            "request_id": _uuid(rng),
            "metadata": {"api_key_id": 40 + p.id, "auth": "api_key"},
        }

    def _ci_chat(self, t: datetime) -> Row:
        rng, p = self.rng, self.ci
        model = MODELS[int(rng.random() * len(MODELS))]
        tokens = {
            "prompt_tokens": rng.randint(200, 6000),
            "completion_tokens": rng.randint(50, 900),
        }
        return make_row(
            t,
            p.id,
            "chat_completion",
            "/api/v1/chat",
            model,
            f"Chat completion with {model}",
            details={"model": model, **tokens},
            severity="info",
            success=True,
            **self._via_key(p),
        )

    def _ci_embed(self, t: datetime) -> Row:
        return make_row(
            t,
            SVC_CI_ID,
            "create_embedding",
            "/api/v1/embeddings",
            EMBED_MODEL,
            f"Embeddings with {EMBED_MODEL}",
            details={"inputs": self.rng.randint(16, 256)},
            severity="info",
            success=True,
            **self._via_key(self.ci),
        )

    def _ci_models(self, t: datetime) -> Row:
        return make_row(
            t,
            SVC_CI_ID,
            "list_models",
            "/api/v1/models",
            None,
            "Listed available models",
            severity="info",
            success=True,
            **self._via_key(self.ci),
        )

    def _ci_docs(self, t: datetime) -> Row:
        doc = f"build-{self.rng.randint(1, 99999)}.md"
        return make_row(
            t,
            SVC_CI_ID,
            "create",
            "/api/v1/rag/documents",
            doc,
            f"Uploaded {doc}",
            details={"collection": "engineering-docs"},
            severity="info",
            success=True,
            **self._via_key(self.ci),
        )

    def _svc_login(self, t: datetime) -> Row:
        p = self.ci if self.rng.random() < 0.6 else self.billing
        row = login_row(t, p.id, True, p.vpn_ips[0], p.agents[0], method="api_key")
        row["category"] = "authentication"
        return row

    def _billing_update(self, t: datetime) -> Row:
        bid = self.rng.randint(1, len(BUDGETS))
        row = budget_row(
            t,
            SVC_BILLING_ID,
            "budget_update",
            bid,
            spent_cents_delta=self.rng.randint(1, 900),
            source="usage_sync",
        )
        row.update(ip_address=self.billing.vpn_ips[0], user_agent=self.billing.agents[0])
        return row

    def _billing_read(self, t: datetime) -> Row:
        bid = self.rng.randint(1, len(BUDGETS))
        return make_row(
            t,
            SVC_BILLING_ID,
            "read",
            "budget",
            str(bid),
            f"Fetched usage of {BUDGETS[bid]}",
            details={"period": "monthly"},
            severity="info",
            success=True,
            **self._via_key(self.billing),
        )

    def _system(
        self,
        t: datetime,
        action: str,
        rtype: str,
        rid: str | None,
        text: str,
        severity: str = "low",
        **kw: Any,
    ) -> Row:
        """A system event as ``create_system_event`` writes it (user_id NULL)."""
        base: dict[str, Any] = {
            "severity": severity,
            "category": "system",
            "success": True,
            "tags": ["system", action],
            "details": {},
            "metadata": {},
        }
        return make_row(t, None, action, rtype, rid, text, **(base | kw))

    def _health(self, t: datetime) -> Row:
        ms = self.rng.randint(40, 900)
        return self._system(
            t,
            "health_check",
            "system",
            "privatemode-proxy",
            "Provider health check passed",
            details={"provider": "privatemode-proxy", "latency_ms": ms},
        )

    def _cleanup(self, t: datetime) -> Row:
        return self._system(
            t,
            "delete",
            "system",
            "sessions",
            "Expired sessions cleaned up",
            details={"deleted": self.rng.randint(0, 40)},
        )

    def _health_warning(self, t: datetime) -> Row:
        return self._system(
            t,
            "health_check",
            "system",
            "privatemode-proxy",
            "Provider latency above threshold",
            severity="warning",
            details={"latency_ms": self.rng.randint(3000, 9000), "threshold_ms": 2500},
        )

    def _health_error(self, t: datetime) -> Row:
        return self._system(
            t,
            "health_check",
            "system",
            "privatemode-proxy",
            "Provider health check failed",
            severity="error",
            success=False,
            error_message="upstream timeout after 30s",
        )

    def _expire_key(self, t: datetime) -> Row:
        kid = self.rng.randint(100, 899)
        return self._system(
            t,
            "api_key_delete",
            "api_key",
            str(kid),
            f"Expired API key {kid} revoked",
            details={"reason": "expired"},
        )

    def _raw_system(self, t: datetime) -> Row:
        return make_row(t, None, "read", "/api/v1/health", None, "Health endpoint polled")

    # -- rare events: counts per day do not grow with ``rows`` -----------------------------

    def rare(self, weights: Sequence[float], budget: int) -> list[Row]:
        """Detector-relevant events at a fixed daily rate, at most ``budget`` rows."""
        rng = self.rng
        weekday = (self.day_start + timedelta(hours=12)).weekday() < 5
        todo: list[Callable[[datetime], list[Row]]] = []
        todo += [self._mistype] * rng.choice((0, 1, 1, 2, 3) if weekday else (0, 0, 0, 1))
        todo += [self._admin_change] * rng.choice((0, 1, 1, 2, 3) if weekday else (0, 0, 1))
        todo += [self._security] * rng.choice((0, 0, 1, 1, 2))
        todo += [self._password_reset] * rng.choice((0, 0, 0, 0, 1))
        office = [*weights[:23], 0.0]  # leave the last hour free: follow-ups stay in the day
        out: list[Row] = []
        for fn in todo:
            t = self.day_start + timedelta(
                hours=rng.choices(range(24), office)[0], seconds=rng.random() * 3540
            )
            got = fn(t)
            if len(out) + len(got) <= budget:
                out += got
        for hour in rng.sample(range(24), rng.choice((0, 0, 0, 1, 1, 2))):
            if len(out) < budget:
                t = self.day_start + timedelta(hours=hour, seconds=rng.random() * 3599)
                out.append(self._budget_exceed(t))
        return out

    def _fail_ok(self, uid: int, ip: str, t: datetime) -> bool:
        near_ip = any(abs(t - x) < timedelta(minutes=15) for x in self.fail_ip.get(ip, ()))
        near_user = any(abs(t - x) < timedelta(minutes=90) for x in self.fail_user.get(uid, ()))
        return not (near_ip or near_user)

    def _mistype(self, t: datetime) -> list[Row]:
        rng, p = self.rng, self.pick_human(t)
        if p is None or self._is_quiet(p.id, _after(t, 3)):
            return []
        ip, agent = self.ip[p.id], self.agent[p.id]
        if not self._fail_ok(p.id, ip, t):
            return []
        rows = []
        for _ in range(1 if rng.random() < 0.75 else 2):
            rows.append(login_row(t, p.id, False, ip, agent))
            t += timedelta(seconds=rng.uniform(6, 40))
        rows.append(login_row(t, p.id, True, ip, agent, self.session[p.id]))
        self.fail_ip.setdefault(ip, []).append(t)
        self.fail_user.setdefault(p.id, []).append(t)
        return rows

    def _password_reset(self, t: datetime) -> list[Row]:
        p = self.pick_human(t)
        if p is None:
            return []
        ip, ua = self.ip[p.id], self.agent[p.id]
        common = {"ip_address": ip, "user_agent": ua, "success": True}
        return [
            make_row(
                t,
                p.id,
                "password_reset",
                "user",
                str(p.id),
                "Password reset requested",
                details={"method": "email_link"},
                severity="info",
                category="user_action",
                **common,
            ),
            make_row(
                _after(t, 4),
                p.id,
                "password_reset",
                "user",
                str(p.id),
                "Password reset completed",
                details={"method": "email_link"},
                severity="medium",
                category="authentication",
                **common,
            ),
        ]

    def _budget_exceed(self, t: datetime) -> Row:
        rng = self.rng
        who = self.pick_human(t)
        uid = who.id if who is not None else SVC_CI_ID
        bid = rng.randint(1, len(BUDGETS))
        return budget_row(
            t,
            uid,
            "budget_exceed",
            bid,
            limit_cents=20_000,
            period="monthly",
            spent_cents=20_000 + rng.randint(1, 500),
            model=rng.choice(MODELS),
        )

    def _security(self, t: datetime) -> list[Row]:
        rng = self.rng
        roll = rng.random()
        if roll < 0.4:
            ip = f"192.0.2.{rng.randint(10, 60)}"
            sev = "medium" if rng.random() < 0.7 else "low"
            return [
                security_row(
                    t,
                    None,
                    "invalid_api_key",
                    "Request with invalid API key",
                    sev,
                    ip,
                    key_prefix=f"en_{_hex(rng)[:6]}",
                )
            ]
        if roll < 0.75:
            ci = self.ci
            return [
                security_row(
                    t,
                    ci.id,
                    "rate_limit_exceeded",
                    "Rate limit exceeded",
                    "warning",
                    ci.vpn_ips[0],
                    limit_rpm=600,
                    observed_rpm=rng.randint(610, 900),
                )
            ]
        p = self.pick_human(t)
        if p is None:
            return []
        if roll < 0.97:
            return [
                security_row(
                    t,
                    p.id,
                    "csrf_token_mismatch",
                    "CSRF token mismatch",
                    "low",
                    self.ip[p.id],
                    path="/api/v1/settings",
                )
            ]
        return [
            security_row(
                t,
                p.id,
                "secret_in_prompt",
                "Possible secret sent in a prompt",
                "critical",
                self.ip[p.id],
                detector="regex:aws_key",
            )
        ]

    def _admin_change(self, t: datetime) -> list[Row]:
        admins = [p for p in self.active if p.group == "admin" and not self._is_quiet(p.id, t)]
        target = self.pick_human(t)
        if not admins or target is None:
            return []
        admin = self.rng.choice(admins)
        kind = self.rng.randrange(8)
        return [self._admin_kinds(kind, admin, target, t)]

    def _admin_kinds(self, kind: int, admin: Person, target: Person, t: datetime) -> Row:
        rng, uid, tid = self.rng, admin.id, str(target.id)
        if kind == 0:
            mfa = user_dict(target)
            mfa["profile"] = {**mfa["profile"], "mfa_enabled": True}
            return admin_change_row(
                t,
                uid,
                "update",
                "user",
                tid,
                user_dict(target),
                mfa,
                f"User {target.username} updated",
            )
        if kind == 1:
            new_role = 1 if target.role_id == 2 else 2
            return admin_change_row(
                t,
                uid,
                "role_change",
                "user",
                tid,
                user_dict(target),
                user_dict(target, role_id=new_role),
                f"Role of {target.username} changed to {ROLES[new_role][0]}",
            )
        if kind == 2:
            rpm = rng.choice((60, 90, 120))
            return admin_change_row(
                t,
                uid,
                "update",
                "role",
                "1",
                role_dict(1, rpm=rpm),
                role_dict(1, ["rag:use"], rpm=rpm),
                "Role read_only updated",
            )
        if kind in (3, 4):
            action = "permission_grant" if kind == 3 else "permission_revoke"
            perm = rng.choice(("rag:use", "budgets:view", "modules:view"))
            return permission_row(t, uid, action, target.id, perm)
        if kind == 5:
            key = rng.choice(SETTINGS)
            return make_row(
                t,
                uid,
                "system_config",
                "setting",
                key,
                f"Setting {key} changed",
                old_values={"value": rng.randint(1, 50)},
                new_values={"value": rng.randint(51, 99)},
                severity="medium",
                category="configuration",
                success=True,
                details={},
            )
        if kind == 6:
            action = rng.choice(("module_enable", "module_disable"))
            return module_row(t, uid, action, rng.choice(("cache", "workflow")))
        bid = rng.randint(1, len(BUDGETS))
        return budget_row(t, uid, "budget_update", bid, limit_cents=rng.choice((20_000, 50_000)))

    # -- one day --------------------------------------------------------------------------

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


# ----------------------------------------------------------------------------------------
# generate
# ----------------------------------------------------------------------------------------


def _stream(rows: int, days: int, seed: int, end: datetime, plan: _Plan) -> Iterator[Row]:
    start = end - timedelta(days=days)
    hours = [start + i * _HOUR for i in range(days * 24)]
    hw = [_hour_weight(h) for h in hours]
    total = sum(hw)
    mix = [HUMAN_SHARE * w / total + (1 - HUMAN_SHARE) / len(hours) for w in hw]
    p_human = [HUMAN_SHARE * w / total / m for w, m in zip(hw, mix, strict=True)]
    counts = _apportion(rows - len(plan.rows), mix)
    planted: dict[int, list[Row]] = {}
    for row in plan.rows:
        planted.setdefault((row["created_at"] - start) // timedelta(days=1), []).append(row)
    bg = _Background(random.Random(seed), people(days, end), plan)
    next_id = 1
    for d in range(days):
        cut = slice(d * 24, d * 24 + 24)
        chunk = bg.day_rows(hours[cut], counts[cut], p_human[cut], hw[cut])
        chunk += planted.get(d, [])
        chunk.sort(key=itemgetter("created_at"))
        for row in chunk:
            row["id"] = next_id
            next_id += 1
            yield row


def generate(
    rows: int = DEFAULT_ROWS,
    days: int = DEFAULT_DAYS,
    seed: int = DEFAULT_SEED,
    end: datetime | None = None,
) -> tuple[list[dict], Iterator[dict]]:
    """Returns (user_rows, audit_row_iterator). Deterministic for (rows, days, seed, end).

    ``end``: naive UTC datetime the data ends at (exclusive); default now (UTC) truncated to
    the hour. Audit rows are dicts keyed by ``audit_logs`` column names (including ``id``,
    1..rows, ascending with ``created_at``), JSON columns as dict/list or None, ``created_at``
    naive UTC. Rows are produced one 24-hour chunk at a time (sorted within the chunk), so
    memory stays flat for any ``rows``. User rows are keyed by ``users`` column names; the
    hard-deleted user has no row. See ``stories`` for what is planted.
    """
    if rows < 0 or days < 1:
        raise ValueError("rows must be >= 0 and days >= 1")
    end = resolve_end(end)
    plan = _plan(rows, days, seed, end)
    urng = random.Random(f"enclava-demo-users:{seed}")
    user_rows = [_user_row(p, end, urng) for p in people(days, end) if p.id != HARD_DELETED_ID]
    return user_rows, _stream(rows, days, seed, end, plan)


# ----------------------------------------------------------------------------------------
# Writing
# ----------------------------------------------------------------------------------------

CHUNK_ROWS = 20_000
_JSON_AT = tuple(AUDIT_COLUMNS.index(c) for c in JSON_COLUMNS)
_CREATED_AT = AUDIT_COLUMNS.index("created_at")


def _as_tuple(row: Row, sqlite: bool) -> tuple[Any, ...]:
    """Column values in table order; JSON as ``json.dumps`` text, None as SQL NULL."""
    values = [row[c] for c in AUDIT_COLUMNS]
    for i in _JSON_AT:
        if values[i] is not None:
            values[i] = json.dumps(values[i])
    if sqlite:  # the text format SQLAlchemy's SQLite DateTime type writes and parses
        values[_CREATED_AT] = values[_CREATED_AT].isoformat(" ", "microseconds")
    return tuple(values)


def _reset_tables(conn: sa.Connection, user_rows: list[dict]) -> None:
    """Drop ``audit_logs`` and ``users`` if they exist, create them, insert the users."""
    metadata.drop_all(conn, tables=[audit_logs, users], checkfirst=True)
    metadata.create_all(conn, tables=[users, audit_logs])
    conn.execute(users.insert(), user_rows)


def _chunks(rows: Iterator[Row], sqlite: bool) -> Iterator[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(_as_tuple(row, sqlite))
        if len(chunk) >= CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _load_sqlite(
    conn: sa.Connection, rows: Iterator[Row], total: int, progress: Callable[[int, int], None]
) -> int:
    cols = ", ".join(f'"{c}"' for c in AUDIT_COLUMNS)
    sql = f"INSERT INTO audit_logs ({cols}) VALUES ({', '.join('?' * len(AUDIT_COLUMNS))})"
    cursor = conn.connection.driver_connection.cursor()
    done = 0
    for chunk in _chunks(rows, sqlite=True):
        cursor.executemany(sql, chunk)
        done += len(chunk)
        progress(done, total)
    cursor.close()
    return done


def _drop_user_fk(conn: sa.Connection) -> list[str]:
    """PostgreSQL: drop audit_logs' foreign keys (re-added NOT VALID after loading)."""
    names = conn.execute(
        sa.text(
            "SELECT conname FROM pg_constraint "
            "WHERE conrelid = 'audit_logs'::regclass AND contype = 'f'"
        )
    ).scalars()
    names = list(names)
    for name in names:
        conn.execute(sa.text(f'ALTER TABLE audit_logs DROP CONSTRAINT "{name}"'))
    return names


def _load_postgres(
    conn: sa.Connection, rows: Iterator[Row], total: int, progress: Callable[[int, int], None]
) -> int:
    fks = _drop_user_fk(conn)
    cols = ", ".join(f'"{c}"' for c in AUDIT_COLUMNS)
    done = 0
    with (
        conn.connection.driver_connection.cursor() as cur,
        cur.copy(f"COPY audit_logs ({cols}) FROM STDIN") as copy,
    ):
        for chunk in _chunks(rows, sqlite=False):
            for values in chunk:
                copy.write_row(values)
            done += len(chunk)
            progress(done, total)
    for name in fks:  # NOT VALID: rows of the hard-deleted user stay, new rows are checked
        conn.execute(
            sa.text(
                f'ALTER TABLE audit_logs ADD CONSTRAINT "{name}" FOREIGN KEY (user_id) '
                "REFERENCES users (id) NOT VALID"
            )
        )
    for table in ("audit_logs", "users"):
        conn.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        )
    return done


def write_demo(
    url: str | sa.Engine,
    rows: int = DEFAULT_ROWS,
    days: int = DEFAULT_DAYS,
    seed: int = DEFAULT_SEED,
    end: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write ``generate(rows, days, seed, end)`` to the database at ``url``; return rows written.

    DESTRUCTIVE: drops the tables ``audit_logs`` and ``users`` first if they exist (nothing
    else), then creates them from ``audit.schema`` and loads users and audit rows in one
    transaction. PostgreSQL: ``COPY ... FROM STDIN`` through psycopg, then the id sequences
    are moved past max(id). The foreign key ``audit_logs.user_id -> users.id`` is re-created
    ``NOT VALID``, because the hard-deleted user's rows point at a missing user, as in real
    Enclava data. SQLite: ``executemany`` in chunks with ``synchronous=OFF`` and an in-memory
    journal; JSON stored as JSON text and times in SQLAlchemy's text format.
    ``progress(done, total)`` is called after every chunk of ``CHUNK_ROWS`` rows. A
    ``sa.Engine`` may be passed instead of a URL (it is not disposed).
    """
    engine = url if isinstance(url, sa.Engine) else sa.create_engine(url)
    report = progress or (lambda done, total: None)
    user_rows, audit_rows = generate(rows, days, seed, end)
    try:
        with engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:
                conn.exec_driver_sql("PRAGMA synchronous=OFF")
                conn.exec_driver_sql("PRAGMA journal_mode=MEMORY")
            _reset_tables(conn, user_rows)
            load = _load_sqlite if sqlite else _load_postgres
            written = load(conn, audit_rows, rows, report)
            conn.commit()
    finally:
        if engine is not url:
            engine.dispose()
    if written == 0:
        report(0, 0)
    return written


# ----------------------------------------------------------------------------------------
# Command line
# ----------------------------------------------------------------------------------------


def _parse_end(text: str) -> datetime:
    return resolve_end(datetime.fromisoformat(text))


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m audit.demo",
        description="Create demo Enclava audit data. DROPS the audit_logs and users tables "
        "at --url first if they exist.",
    )
    parser.add_argument("--url", default=DEFAULT_URL, help=f"database URL (default {DEFAULT_URL})")
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="audit rows to write")
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS, help="days of history")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    parser.add_argument(
        "--end",
        type=_parse_end,
        default=None,
        help="ISO time the data ends at, UTC unless an offset is given (default: this hour)",
    )
    return parser.parse_args(argv)


def write_demo_file(
    path: Path,
    rows: int = DEFAULT_ROWS,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Create a demo SQLite file atomically: written aside, then renamed into place, so a
    reader never opens a half-written database and two first starts cannot collide."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        written = write_demo(f"sqlite:///{partial}", rows=rows, progress=progress)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return written


def main(argv: list[str] | None = None) -> int:
    """CLI: ``python -m audit.demo [--url URL] [--rows N] [--days D] [--seed S] [--end ISO]``."""
    args = _arguments(argv)
    if args.url == DEFAULT_URL:
        DEMO_DB_PATH.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    written = write_demo(args.url, args.rows, args.days, args.seed, args.end, ProgressBar())
    elapsed = time.perf_counter() - started
    shown = sa.make_url(args.url).render_as_string(hide_password=True)
    print(f"wrote {written:,} audit rows to {shown} in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
