"""Security detections that explain themselves, and the facts behind per-IP and per-user
profiles.

One idea per module:

- :mod:`.thresholds`: the detection thresholds and their URL codec;
- :mod:`.findings`: the :class:`Finding` type, rule names, risks, shared summary helpers;
- :mod:`.labels`: how findings name users;
- :mod:`.logins` and :mod:`.windows`: the login attempts the window rules read, and the
  sliding windows they run;
- the rules: :mod:`.guessing` (brute force, spraying), :mod:`.account_takeover`,
  :mod:`.many_ips`, :mod:`.first_seen_ip`, :mod:`.privileged` (off hours, lifecycle);
- :mod:`.detection`: every rule at once, and what each looks for;
- :mod:`.newest`, :mod:`.aggregates`, :mod:`.profiles`: the security page's counts and
  lists, and the profiles' facts;
- :mod:`.links` and :mod:`.frames`: links to other pages, and tables for display.

The names below are the package's public interface: ``from audit import security`` then
``security.detect(...)``. The UI's cached calls look functions up here by name."""

from audit.security.account_takeover import takeover, takeover_candidates, takeover_successes
from audit.security.aggregates import (
    FailureSummary,
    count_high_security_events,
    failure_summary,
    high_security_events,
    login_failures_filter,
)
from audit.security.detection import detect, rule_description
from audit.security.findings import (
    BRUTE_FORCE,
    HIGH,
    LOW,
    MEDIUM,
    MULTI_IP,
    NEW_IP,
    OFF_HOURS,
    RULE_TITLES,
    SPRAYING,
    TAKEOVER,
    Detections,
    Finding,
)
from audit.security.frames import findings_frame, with_event_links
from audit.security.labels import user_labels
from audit.security.links import (
    IP_LINK_TEXT,
    event_url,
    explorer_url,
    ip_params,
    ip_url,
    page_url,
    user_params,
    user_url,
)
from audit.security.logins import Attempt, Attempts, failed_logins
from audit.security.privileged import LIST_LIMIT, business_hours_text, is_off_hours, lifecycle
from audit.security.profiles import (
    Account,
    EntitySummary,
    account,
    entity_summary,
    ever_seen,
    latest_events,
    top_user_agents,
    user_profile_filter,
)
from audit.security.thresholds import (
    THRESHOLD_PARAMS,
    ThresholdParam,
    Thresholds,
    thresholds_from_params,
    thresholds_to_params,
    with_valid_hours,
)
from audit.security.windows import bursts

__all__ = [
    "BRUTE_FORCE",
    "HIGH",
    "IP_LINK_TEXT",
    "LIST_LIMIT",
    "LOW",
    "MEDIUM",
    "MULTI_IP",
    "NEW_IP",
    "OFF_HOURS",
    "RULE_TITLES",
    "SPRAYING",
    "TAKEOVER",
    "THRESHOLD_PARAMS",
    "Account",
    "Attempt",
    "Attempts",
    "Detections",
    "EntitySummary",
    "FailureSummary",
    "Finding",
    "ThresholdParam",
    "Thresholds",
    "account",
    "bursts",
    "business_hours_text",
    "count_high_security_events",
    "detect",
    "entity_summary",
    "event_url",
    "ever_seen",
    "explorer_url",
    "failed_logins",
    "failure_summary",
    "findings_frame",
    "high_security_events",
    "ip_params",
    "ip_url",
    "is_off_hours",
    "latest_events",
    "lifecycle",
    "login_failures_filter",
    "page_url",
    "rule_description",
    "takeover",
    "takeover_candidates",
    "takeover_successes",
    "thresholds_from_params",
    "thresholds_to_params",
    "top_user_agents",
    "user_labels",
    "user_params",
    "user_profile_filter",
    "user_url",
    "with_event_links",
    "with_valid_hours",
]
