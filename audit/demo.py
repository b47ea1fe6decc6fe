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
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from audit.schema import JSON_COLUMNS, audit_logs, metadata, users

DEFAULT_ROWS = 50_000
DEFAULT_DAYS = 90
DEFAULT_SEED = 7

STORY_MIN_DAYS = 7
STORY_MIN_ROWS = 1_000  # fewer rows than this: no stories, only background
OFFICE_UTC_OFFSET = 1
DEFAULT_URL = (
    f"sqlite:///{Path(__file__).resolve().parent.parent / 'data' / 'demo.sqlite3'}"
)

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
MODULES = ("rag", "chatbot", "signal", "zammad", "cache", "workflow")
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
                pid, handle, name, email, role_id, group, weight, office, vpn,
                _agents(pid, group), created, deleted,
            )  # fmt: skip
        )
    return out


def _user_row(p: Person, end: datetime, rng: random.Random) -> Row:
    soft = p.id == SOFT_DELETED_ID
    last = p.deleted_at if p.deleted_at else end - timedelta(minutes=rng.randint(5, 4000))
    return {
        "id": p.id,
        "email": f"deleted_{p.id}_{p.email}" if soft else p.email,
        "username": f"deleted_{p.id}_{p.username}" if soft else p.username,
        "full_name": p.full_name,
        "is_active": not soft,
        "is_superuser": p.is_superuser,
        "role_id": p.role_id,
        "created_at": p.created_at,
        "last_login": max(last, p.created_at),
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
    row.update(
        created_at=t, user_id=user_id, action=action, resource_type=rtype, resource_id=rid
    )
    row["description"] = text
    row.update(kw)
    return row


def login_row(
    t: datetime, uid: int, ok: bool, ip: str, agent: str, session: str | None = None,
    category: str = "security", method: str = "password",
) -> Row:  # fmt: skip
    """A login event as the model's ``create_login_event`` writes it."""
    return make_row(
        t, uid, "login", "user", str(uid),
        f"User login {'successful' if ok else 'failed'}",
        details={"login_method": method, "success": ok}, ip_address=ip, user_agent=agent,
        session_id=session, severity="low" if ok else "medium", category=category,
        success=ok, error_message=None if ok else "Invalid email or password",
        tags=["authentication", "login"], metadata={},
    )  # fmt: skip


def permission_row(t: datetime, uid: int, action: str, target: int, perm: str) -> Row:
    """A permission grant/revoke as ``create_permission_event`` writes it."""
    return make_row(
        t, uid, action, "permission", str(target),
        f"Permission {action}: {perm} for user {target}",
        details={"permission": perm, "target_user_id": target}, severity="high",
        category="security", success=True, tags=["permission", action], metadata={},
    )  # fmt: skip


def budget_row(t: datetime, uid: int | None, action: str, budget_id: int, **details: Any) -> Row:
    """A budget event as ``create_budget_event`` writes it."""
    return make_row(
        t, uid, action, "budget", str(budget_id), f"Budget {action}: {BUDGETS[budget_id]}",
        details=details, severity="medium" if action == "budget_exceed" else "low",
        category="financial", success=True, tags=["budget", action], metadata={},
    )  # fmt: skip


def module_row(t: datetime, uid: int, action: str, module: str, error: str | None = None) -> Row:
    """A module toggle as ``create_module_event`` writes it."""
    return make_row(
        t, uid, action, "module", module, f"Module {action}: {module}",
        details={"module": module, "requested_by": "admin_ui"}, severity="medium",
        category="system", success=error is None, error_message=error,
        tags=["module", action], metadata={},
    )  # fmt: skip


def api_key_row(t: datetime, uid: int, action: str, key_id: int, name: str) -> Row:
    """An API key event as ``create_api_key_event`` writes it."""
    return make_row(
        t, uid, action, "api_key", str(key_id), f"API key {action}: {name}",
        details={"api_key_name": name, "action": action}, severity="medium",
        category="security", success=True, tags=["api_key", action], metadata={},
    )  # fmt: skip


def admin_change_row(
    t: datetime, uid: int, action: str, rtype: str, rid: str, old: Any, new: Any, text: str
) -> Row:
    """The admin user-management writer: category, tags and full before/after dicts."""
    return make_row(
        t, uid, action, rtype, rid, text, details={"changed_by": uid},
        severity="medium" if rtype == "role" or action == "role_change" else "info",
        category="user_management", success=True, tags=["user_management", action],
        metadata={"source": "admin_api"}, old_values=old, new_values=new,
    )  # fmt: skip


def data_change_row(
    t: datetime, uid: int, action: str, rtype: str, rid: str, old: Any, new: Any
) -> Row:
    """A data change as ``create_data_change_event`` writes it."""
    return make_row(
        t, uid, action, rtype, rid, f"{rtype.replace('_', ' ').capitalize()} {rid} {action}d",
        old_values=old, new_values=new, severity="low", category="data", success=True,
        tags=["data_change", action], details={}, metadata={},
    )  # fmt: skip


def security_row(
    t: datetime, uid: int | None, event: str, text: str, severity: str, ip: str | None, **d: Any
) -> Row:
    """A security event as ``create_security_event`` writes it."""
    return make_row(
        t, uid, "security_event", "security", event, text, details=d, ip_address=ip,
        severity=severity, category="security", success=False, tags=["security", event],
        metadata={},
    )  # fmt: skip


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
