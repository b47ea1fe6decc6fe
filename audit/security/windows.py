"""Sliding windows over sorted times, the core of the brute-force and spraying rules.

- "At least N within W minutes" means N events whose first and last are at most W minutes
  apart: the window is closed, so a burst spanning exactly W minutes fires and one
  spanning W minutes and one second does not.
- A burst is the union of every W-minute window that satisfies the rule, windows that share
  a moment merged: every event of the key (IP or user) between its first and last moment
  belongs to it, which is why a time range selects it exactly."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from datetime import datetime, timedelta
from typing import NamedTuple


class Burst(NamedTuple):
    first: int  # index of the first event
    last: int  # index of the last event
    peak: int  # the most events (or distinct keys) found in one window


def bursts(
    times: Sequence[datetime],
    window: timedelta,
    threshold: int,
    keys: Sequence[Hashable | None] | None = None,
) -> list[Burst]:
    """Runs of ``times`` (sorted) covered by windows ``[t, t + window]`` that hold at least
    ``threshold`` events, or ``threshold`` distinct non-None ``keys`` when given. Windows
    sharing a moment merge, so no event between a burst's first and last is left out."""
    found: list[Burst] = []
    present: Counter[Hashable] = Counter()
    end = -1  # index of the last event inside the current window
    for start, moment in enumerate(times):
        while end + 1 < len(times) and times[end + 1] - moment <= window:
            end += 1
            if keys is not None and keys[end] is not None:
                present[keys[end]] += 1
        measure = end - start + 1 if keys is None else len(present)
        if measure >= threshold:
            if found and moment <= times[found[-1].last]:
                previous = found[-1]
                found[-1] = Burst(previous.first, end, max(previous.peak, measure))
            else:
                found.append(Burst(start, end, measure))
        if keys is not None and keys[start] is not None:
            present[keys[start]] -= 1
            if not present[keys[start]]:
                del present[keys[start]]
    return found
