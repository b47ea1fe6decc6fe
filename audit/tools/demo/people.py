"""The accounts: admins, analysts, ordinary users, two service accounts, a soft-deleted
and a hard-deleted user (whose audit rows point at no ``users`` row), two people hired
inside the range; each with an office IP, VPN IPs and browsers of their own."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from audit.tools.demo.catalog import BROWSERS, CLI_AGENTS, DOMAINS, ROLE_PERMISSIONS, ROLES
from audit.tools.demo.clock import HOUR, OFFICE_UTC_OFFSET, floor_day, resolve_end
from audit.tools.demo.defaults import DEFAULT_DAYS
from audit.tools.demo.rows import Row

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
        created = floor_day(start + span * frac) + day9
        return min(created, end - HOUR), None
    created = start - timedelta(days=30 + (pid * 37) % 500, minutes=pid * 11)
    deleted = {HARD_DELETED_ID: 0.45, SOFT_DELETED_ID: 0.7}.get(pid)
    if deleted is None:
        return created, None
    gone = floor_day(start + span * deleted) + day9 + timedelta(hours=2)
    return created, min(gone, end - HOUR)


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
        day = floor_day(end) - timedelta(days=rng.randint(0, 2))
        last = day + timedelta(hours=rng.randint(7, 16), minutes=rng.randint(0, 59))
        last = last if last < end else last - timedelta(days=1)
    return max(last, p.created_at)


def user_row(p: Person, end: datetime, rng: random.Random) -> Row:
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
