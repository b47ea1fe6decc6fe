"""What a viewer sees of rows and findings: users, IP addresses and free text masked."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pandas as pd

from audit.access import mask_email, mask_ip, mask_text
from audit.security import Finding

# What a viewer sees of a rows frame's columns: access.mask_row's fields and resource ids.
ROW_MASKS: dict[str, Callable[[str], str | None]] = {
    "user": mask_email,
    "email": mask_email,
    "username": mask_email,
    "ip_address": mask_ip,
    "description": mask_text,
    "error_message": mask_text,
    "user_agent": mask_text,
    "resource_id": mask_text,
}


def masked_values(values: Iterable[Any], mask: Callable[[str], str | None]) -> list[Any]:
    """``values`` with ``mask`` applied to the strings among them."""
    return [mask(v) if isinstance(v, str) else v for v in values]


def masked_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """A rows frame as a viewer may see it: users, IP addresses and free text masked."""
    shown = frame.copy()
    for name, mask in ROW_MASKS.items():
        if name in shown.columns:
            shown[name] = pd.Series(
                masked_values(shown[name], mask), index=shown.index, dtype=object
            )
    return shown


def _replace_word(text: str, old: str, new: str) -> str:
    """``old`` replaced where it stands alone (not inside a longer address, name or word)."""
    return re.sub(rf"(?<![\w.:@-]){re.escape(old)}(?![\w:@-]|\.\w)", new, text)


def masked_summary(finding: Finding, labels: Mapping[int, str]) -> str:
    """A finding's sentence for a viewer: the addresses and users it names masked (IPv6
    and usernames too, which :func:`mask_text` alone would miss)."""
    text = finding.summary
    ips = {*finding.ips, finding.ip} - {None}
    for ip in sorted(ips, key=len, reverse=True):  # type: ignore[arg-type]
        text = _replace_word(text, ip, mask_ip(ip) or "")
    user_ids = {*finding.user_ids, finding.user_id} - {None}
    names = {labels[u] for u in user_ids if labels.get(u)}  # type: ignore[index]
    for name in sorted(names, key=len, reverse=True):
        text = _replace_word(text, name, mask_email(name) or "")
    return mask_text(text) or ""
