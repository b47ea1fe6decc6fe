"""What is unusual, explained: baselines of volume by action, outcome, user and IP from
the same hour of the week (or weekday) over the four weeks before, anomalies beyond a
robust threshold, first-seen actions and returning users, each in a sentence.
Streamlit-free: the overview, the profiles and ``python -m audit.anomalies`` share it.

- :mod:`.series`: the series and how each is named, keyed and filtered;
- :mod:`.baselines`: the grouped counts (SQL) and the median and MAD (exact, Python);
- :mod:`.rules`: spikes, drops, first-seen and returning, and their grouping;
- :mod:`.explain`: the sentences, the links' filters and the feed's records."""

from audit.anomalies.explain import (
    FEED_KEYS,
    KIND_TITLES,
    events_filter,
    explain,
    feed_record,
    history_note,
    rules_note,
)
from audit.anomalies.rules import (
    DEFAULT_MIN_COUNT,
    DEFAULT_RULES,
    DEFAULT_THRESHOLD,
    Anomaly,
    BandPoint,
    Findings,
    Group,
    Kind,
    Rules,
    find_anomalies,
)
from audit.anomalies.series import Family, Series

__all__ = [
    "DEFAULT_MIN_COUNT",
    "DEFAULT_RULES",
    "DEFAULT_THRESHOLD",
    "FEED_KEYS",
    "KIND_TITLES",
    "Anomaly",
    "BandPoint",
    "Family",
    "Findings",
    "Group",
    "Kind",
    "Rules",
    "Series",
    "events_filter",
    "explain",
    "feed_record",
    "find_anomalies",
    "history_note",
    "rules_note",
]
