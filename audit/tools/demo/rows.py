"""Audit rows as Enclava's writers leave them: every column present, unset ones None."""

from __future__ import annotations

import random
import uuid
from datetime import datetime
from typing import Any

from audit.schema import audit_logs
from audit.tools.demo.catalog import BUDGETS

Row = dict[str, Any]
AUDIT_COLUMNS: tuple[str, ...] = tuple(c.name for c in audit_logs.columns)
_EMPTY = dict.fromkeys(AUDIT_COLUMNS)


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


def random_hex(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def random_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))
