"""Links to the Explorer, the event detail page and the profiles: relative URLs, so they
work under any base path."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import urlencode

from audit.filters import AuditFilter

IP_LINK_TEXT = r"^ip\?ip=([^&]*)"  # LinkColumn display_text: the address itself


def _query(pairs: Sequence[tuple[str, str]]) -> str:
    return urlencode(pairs, safe=":")  # IPv6 addresses stay readable


def _pairs(params: Mapping[str, Sequence[str]]) -> list[tuple[str, str]]:
    return [(key, value) for key, values in params.items() for value in values]


def explorer_url(flt: AuditFilter) -> str:
    return "explorer?" + _query(_pairs(flt.to_params()))


def ip_params(
    ip: str, flt: AuditFilter, extra: Mapping[str, Sequence[str]] | None = None
) -> dict[str, list[str]]:
    """Query parameters of an IP's profile: ``ip`` first, so a link can show it."""
    return {"ip": [ip]} | flt.with_values(ip="").to_params() | dict(extra or {})


def user_params(
    user_id: int, flt: AuditFilter, extra: Mapping[str, Sequence[str]] | None = None
) -> dict[str, list[str]]:
    """Query parameters of a user's profile (``id``; ``user`` is the users filter)."""
    return {"id": [str(user_id)]} | flt.with_values(users=()).to_params() | dict(extra or {})


def ip_url(ip: str, flt: AuditFilter, extra: Mapping[str, Sequence[str]] | None = None) -> str:
    return "ip?" + _query(_pairs(ip_params(ip, flt, extra)))


def user_url(
    user_id: int, flt: AuditFilter, extra: Mapping[str, Sequence[str]] | None = None
) -> str:
    return "user?" + _query(_pairs(user_params(user_id, flt, extra)))


def event_url(event_id: int, flt: AuditFilter) -> str:
    return "event?" + _query([("id", str(event_id)), *_pairs(flt.to_params())])


def page_url(page: str, params: Mapping[str, Sequence[str]]) -> str:
    """A page of the dashboard with these query parameters, e.g. ``security?range=7d``."""
    return f"{page}?" + _query(_pairs(params))
