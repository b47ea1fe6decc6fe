"""What a viewer sees of a finding's sentence: the addresses and users it names masked,
by the one masking policy in :mod:`audit.access`."""

from __future__ import annotations

from collections.abc import Mapping

from audit.access import Identities, mask_sentence
from audit.security import Finding


def masked_summary(finding: Finding, labels: Mapping[int, str], identities: Identities) -> str:
    ips = {*finding.ips, finding.ip} - {None}
    user_ids = {*finding.user_ids, finding.user_id} - {None}
    names = {labels[u] for u in user_ids if labels.get(u)}  # type: ignore[index]
    return mask_sentence(finding.summary, ips, names, identities)  # type: ignore[arg-type]
