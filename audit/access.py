"""Who may see what. Off unless an ``[auth]`` section (Streamlit's OIDC sign-in) is
configured; then each signed-in user is an analyst (rows, details, exports), a viewer
(totals and charts, IP addresses and emails masked) or nobody. A dashboard started by the
snapshot command draws the role it was given for the browser job that presents the run's
secret, with or without sign-in. Pure functions."""

from __future__ import annotations

import hmac
import ipaddress
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from typing import Any

from audit.config import environment_with_secrets, read_secrets
from audit.dimensions import DIMENSIONS, REGISTRY, Mask, excluded_values, split_exclusion
from audit.filters import AuditFilter

# Set by the snapshot command for the dashboard it starts: the role its browser job gets,
# and the random secret of that run which the job presents in the SNAPSHOT_COOKIE cookie.
SNAPSHOT_ROLE_ENV = "AUDIT_SNAPSHOT_ROLE"
SNAPSHOT_SECRET_ENV = "AUDIT_SNAPSHOT_SECRET"
SNAPSHOT_COOKIE = "audit_snapshot_secret"
# Shorter is not a per-run random secret but something typed or left over: ignored.
MIN_SNAPSHOT_SECRET_LENGTH = 32


class Role(Enum):
    ANALYST = "analyst"
    VIEWER = "viewer"
    NONE = "none"

    @property
    def sees_rows(self) -> bool:
        return self is Role.ANALYST

    @property
    def masked(self) -> bool:
        return self is not Role.ANALYST


@dataclass(frozen=True)
class AccessPolicy:
    """``enabled`` when sign-in is configured. Entries may be emails or ``@domain``."""

    enabled: bool = False
    analysts: frozenset[str] = frozenset()
    viewers: frozenset[str] = frozenset()
    role_claim: str = ""
    analyst_claim_values: frozenset[str] = frozenset({"audit-analyst"})
    viewer_claim_values: frozenset[str] = frozenset({"audit-viewer"})
    # Both or neither: the role for the request that presents the secret.
    snapshot_role: Role | None = None
    snapshot_secret: str = field(default="", repr=False)


def _set(value: Any) -> frozenset[str]:
    items: Iterable[Any] = value.split(",") if isinstance(value, str) else (value or [])
    return frozenset(str(v).strip().lower() for v in items if str(v).strip())


def load_policy(
    env: Mapping[str, str] | None = None, secrets: Mapping[str, Any] | None = None
) -> AccessPolicy:
    """The policy from ``secrets`` (default: the files Streamlit reads, see
    :func:`audit.config.read_secrets`; the app passes ``st.secrets``)."""
    secrets = read_secrets() if secrets is None else secrets
    env = environment_with_secrets(os.environ if env is None else env, secrets)
    section = (secrets.get("audit", {}) or {}).get("access", {}) or {}

    def pick(name: str, default: Any = None) -> Any:
        return env.get(f"AUDIT_{name.upper()}") or section.get(name, default)

    snapshot_role, snapshot_secret = _snapshot_grant(env)
    return AccessPolicy(
        # As Streamlit: an [auth] table, even an empty one, means sign-in is configured.
        enabled="auth" in secrets,
        analysts=_set(pick("analysts")),
        viewers=_set(pick("viewers")),
        role_claim=str(pick("role_claim", "") or ""),
        analyst_claim_values=_set(pick("analyst_claim_values", ["audit-analyst"])),
        viewer_claim_values=_set(pick("viewer_claim_values", ["audit-viewer"])),
        snapshot_role=snapshot_role,
        snapshot_secret=snapshot_secret,
    )


def _snapshot_grant(env: Mapping[str, str]) -> tuple[Role | None, str]:
    """The snapshot role and its run's secret, or nothing when either is missing."""
    role = env.get(SNAPSHOT_ROLE_ENV, "").strip().lower()
    secret = env.get(SNAPSHOT_SECRET_ENV, "").strip()
    if role not in (Role.ANALYST.value, Role.VIEWER.value):
        return None, ""
    if len(secret) < MIN_SNAPSHOT_SECRET_LENGTH:
        return None, ""
    return Role(role), secret


def _snapshot_role(policy: AccessPolicy, presented_secret: str | None) -> Role | None:
    if policy.snapshot_role is None or not policy.snapshot_secret or not presented_secret:
        return None
    if not hmac.compare_digest(presented_secret.encode(), policy.snapshot_secret.encode()):
        return None
    return policy.snapshot_role


def _listed(email: str, entries: frozenset[str]) -> bool:
    email = email.lower()
    domain = "@" + email.rpartition("@")[2]
    return email in entries or domain in entries


def _claims(user: Mapping[str, Any], claim: str) -> frozenset[str]:
    value = user.get(claim) if claim else None
    if isinstance(value, str):
        return frozenset({value.lower()})
    if isinstance(value, list | tuple):
        return frozenset(str(v).lower() for v in value)
    return frozenset()


def _email_unverified(user: Mapping[str, Any]) -> bool:
    """The provider says the email is not verified (some send the claim as a string)."""
    flag = user.get("email_verified")
    return flag is False or (isinstance(flag, str) and flag.strip().lower() == "false")


def role_for(
    policy: AccessPolicy, user: Mapping[str, Any], presented_secret: str | None = None
) -> Role:
    """The role of a request: the snapshot role when it presents the snapshot run's secret;
    else, with sign-in, the signed-in user's (``user`` as ``st.user`` gives it; analyst
    wins; an email the provider has not verified matches no email or domain rule); without
    sign-in, analyst."""
    snapshot_role = _snapshot_role(policy, presented_secret)
    if snapshot_role is not None:
        return snapshot_role
    if not policy.enabled:
        return Role.ANALYST
    if not user.get("is_logged_in"):
        return Role.NONE
    email = "" if _email_unverified(user) else str(user.get("email") or "")
    claims = _claims(user, policy.role_claim)
    if (email and _listed(email, policy.analysts)) or claims & policy.analyst_claim_values:
        return Role.ANALYST
    if (email and _listed(email, policy.viewers)) or claims & policy.viewer_claim_values:
        return Role.VIEWER
    return Role.NONE


def mask_ip(value: str | None) -> str | None:
    """203.0.113.9 -> 203.0.113.x; an IPv6 address keeps its first three groups."""
    if value is None:
        return None
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return "(hidden)"
    if address.version == 4:
        return ".".join(str(address).split(".")[:3]) + ".x"
    return ":".join(address.exploded.split(":")[:3]) + ":x"


def mask_email(value: str | None) -> str | None:
    """ann@example.com -> @example.com; anything else that names a person -> (hidden)."""
    if value is None:
        return None
    if "@" in value:
        return "@" + value.rpartition("@")[2]
    return "(hidden)"


_IPV4 = re.compile(r"\b(\d{1,3}\.\d{1,3}\.\d{1,3})\.\d{1,3}\b")
_EMAIL = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)*)")  # bob@localhost too
# Something shaped like an IPv6 address; masked only when it parses as one ("10:30:00" is a
# time, not an address).
_IPV6_LIKE = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{1,4})?"
    r"(?![\w:]|\.\d)"
)
SHORTEST_NAME = 2  # shorter usernames would mask every such letter in text


@dataclass(frozen=True)
class Identities:
    """The people the data knows by name (users' emails, usernames and full names), masked
    wherever they appear in text a viewer reads."""

    names: frozenset[str] = frozenset()

    @cached_property
    def pattern(self) -> re.Pattern[str] | None:
        names = sorted((n for n in self.names if len(n) >= SHORTEST_NAME), key=len, reverse=True)
        if not names:
            return None
        alternatives = "|".join(re.escape(n) for n in names)
        return re.compile(rf"(?<![\w.@-])(?:{alternatives})(?![\w@-]|\.\w)", re.IGNORECASE)


NO_IDENTITIES = Identities()


def _mask_ipv6(match: re.Match[str]) -> str:
    text = match.group(0)
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return text
    return mask_ip(text) or ""


def mask_text(value: str | None, identities: Identities = NO_IDENTITIES) -> str | None:
    """Free text (descriptions, sentences of findings) as a viewer may read it: the names of
    known people hidden, emails reduced to their domain, IPv4 and IPv6 addresses masked."""
    if value is None:
        return None
    if identities.pattern is not None:
        value = identities.pattern.sub(lambda m: mask_email(m.group(0)) or "", value)
    value = _EMAIL.sub(r"@\1", value)
    value = _IPV6_LIKE.sub(_mask_ipv6, value)
    return _IPV4.sub(r"\1.x", value)


# Values a viewer may see, by kind (the dimension registry names each dimension's kind).
_MASKERS: dict[Mask, Callable[[str], str | None]] = {
    Mask.IP: mask_ip,
    Mask.IDENTITY: mask_email,
    Mask.TEXT: mask_text,
    Mask.SCRUB: mask_text,
}
# Row columns (and the user labels joined to them) as a viewer may see them.
ROW_MASKS: dict[str, Mask] = {
    **{d.column: d.mask for d in REGISTRY if d.mask in (Mask.IP, Mask.TEXT)},
    "email": Mask.IDENTITY,
    "username": Mask.IDENTITY,
    "full_name": Mask.IDENTITY,
    "user": Mask.IDENTITY,
    "description": Mask.TEXT,
    "error_message": Mask.TEXT,
    "user_agent": Mask.TEXT,
}


def mask_value(kind: Mask, value: Any) -> Any:
    """One value as a viewer may see it; anything but text passes unchanged."""
    if kind is Mask.NONE or not isinstance(value, str):
        return value
    return _MASKERS[kind](value)


def mask_label(dimension: str, label: Any) -> Any:
    """A dimension's value or label (a top list's bar, a facet option) for a viewer."""
    return mask_value(DIMENSIONS[dimension].mask, label)


def mask_labels(dimension: str, labels: Iterable[Any]) -> list[Any]:
    return [mask_label(dimension, label) for label in labels]


def mask_column(name: str, values: Iterable[Any]) -> list[Any]:
    """A column of rows (``ip_address``, ``user``, ``description``, ...) for a viewer."""
    kind = ROW_MASKS.get(name, Mask.NONE)
    return [mask_value(kind, v) for v in values]


def _replace_word(text: str, old: str, new: str) -> str:
    """``old`` replaced where it stands alone (not inside a longer address, name or word)."""
    return re.sub(rf"(?<![\w.:@-]){re.escape(old)}(?![\w:@-]|\.\w)", new, text)


def mask_sentence(
    text: str, ips: Iterable[str], names: Iterable[str], identities: Identities = NO_IDENTITIES
) -> str:
    """A sentence for a viewer: the addresses and people it is known to name masked (IPv6
    and usernames too, which :func:`mask_text` alone would miss), then any other address
    or email."""
    for ip in sorted(set(ips), key=len, reverse=True):
        text = _replace_word(text, ip, mask_ip(ip) or "")
    for name in sorted(set(names), key=len, reverse=True):
        text = _replace_word(text, name, mask_email(name) or "")
    return mask_text(text, identities) or ""


def mask_filter(flt: AuditFilter) -> AuditFilter:
    """A filter as a viewer may read it in words: masked dimensions' values masked."""
    changes: dict[str, Any] = {}
    for dimension in REGISTRY:
        value = getattr(flt, dimension.field)
        if value and dimension.mask not in (Mask.NONE, Mask.SCRUB):
            masked = mask_labels(dimension.name, dimension.chosen(value))
            changes[dimension.field] = tuple(masked) if dimension.multi else masked[0]
    return flt.with_values(**changes) if changes else flt


def mask_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row as a viewer may see it (also used for exports and snapshots)."""
    return {name: mask_value(ROW_MASKS.get(name, Mask.NONE), v) for name, v in row.items()}


def viewer_may_filter(dimension: str) -> bool:
    """Viewers filter only on dimensions whose values they may see unmasked."""
    return DIMENSIONS[dimension].mask in (Mask.NONE, Mask.SCRUB)


def viewer_filter(flt: AuditFilter) -> tuple[AuditFilter, list[str]]:
    """The filter a viewer may apply: none on masked dimensions (an address, a person, free
    text), no exclusion of them and no search, since counts under such a filter would tell
    the masked values apart. A notice names what was removed."""
    removed = [
        d.title
        for d in REGISTRY
        if not viewer_may_filter(d.name)
        and (getattr(flt, d.field) or excluded_values(flt.excludes, d.name))
    ]
    if flt.text:
        removed.append("Search")
    if not removed:
        return flt, []
    changes: dict[str, Any] = {d.field: d.empty for d in REGISTRY if not viewer_may_filter(d.name)}
    excludes = tuple(e for e in flt.excludes if viewer_may_filter(split_exclusion(e)[0]))
    kept = flt.with_values(**changes, excludes=excludes, text="")
    notice = (
        f"Your role (viewer) cannot filter by {', '.join(removed)}: "
        "those filters were removed. The totals are over every value."
    )
    return kept, [notice]
