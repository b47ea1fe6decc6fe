"""The name of an export file, saying what it holds in brief: the page, the time range in
the display timezone and the filters, e.g.
``audit-explorer_2026-11-13_2026-11-20_severity-high_user-10.csv``.

- The range's bounds are local dates, with the time of day (``T1200``, ``T063015``) only when
  a bound is not at midnight; the end is exclusive, as on the pages. ``all-time``,
  ``from-<start>`` and ``until-<end>`` for open ranges.
- Each filter is ``<URL parameter>-<values>``: at most :data:`MAX_VALUES` values joined by
  ``+`` (then ``+N-more``), exclusions as ``not-<parameter>-<value>``, the search as
  ``search-<text>``; each value cut to :data:`MAX_VALUE_LENGTH` characters.
- Only ``A-Z a-z 0-9 . _ - +`` appear (accents dropped, ``*`` becomes ``x``, any other run
  of characters ``-``), no part starts with ``.`` or ``-``, and the whole name has at most
  :data:`MAX_NAME_LENGTH` characters: filters that do not fit are counted in
  ``_N-more-filters``.
- For a masked role, filters on values it may not see (people, addresses, free text) are
  left out, as :func:`audit.access.viewer_filter` leaves them out of a viewer's filter.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from audit.access import viewer_may_filter
from audit.dimensions import REGISTRY, split_exclusion
from audit.export.formats import require_format
from audit.filters import AuditFilter
from audit.timerange import local_moment

MAX_NAME_LENGTH = 150
MAX_VALUE_LENGTH = 20
MAX_VALUES = 3
NO_SAFE_CHARACTERS = "other"  # a value with no letter or digit to keep
_UNSAFE = re.compile(r"[^A-Za-z0-9.]+")


def export_filename(
    flt: AuditFilter, now: datetime, fmt: str, *, page: str = "explorer", masked: bool = False
) -> str:
    """The file name for the events of ``flt`` (relative ranges end at ``now``) as ``fmt``."""
    suffix = "." + require_format(fmt).extension
    head = [f"audit-{safe_word(page, MAX_VALUE_LENGTH)}", *range_words(flt, now)]
    return _bounded(head, filter_words(flt, masked), MAX_NAME_LENGTH - len(suffix)) + suffix


def safe_word(text: str, limit: int) -> str:
    """``text`` in safe characters, at most ``limit`` long, starting with neither ``.``
    nor ``-``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    word = _UNSAFE.sub("-", ascii_text.replace("*", "x")).strip("-.")
    return word[:limit].rstrip("-.") or NO_SAFE_CHARACTERS


def range_words(flt: AuditFilter, now: datetime) -> list[str]:
    window = flt.window(now)
    zone = ZoneInfo(flt.tz)
    start = None if window.start is None else _stamp(window.start, zone)
    end = None if window.end is None else _stamp(window.end, zone)
    if start is None:
        return ["all-time"] if end is None else [f"until-{end}"]
    return [f"from-{start}"] if end is None else [start, end]


def _stamp(naive_utc: datetime, zone: ZoneInfo) -> str:
    """A local date, with the time of day unless it is midnight."""
    local = local_moment(naive_utc.replace(tzinfo=UTC), zone)
    day = f"{local.year:04d}-{local.month:02d}-{local.day:02d}"
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        return day
    seconds = f"{local.second:02d}" if local.second else ""
    return f"{day}T{local.hour:02d}{local.minute:02d}{seconds}"


def filter_words(flt: AuditFilter, masked: bool) -> list[str]:
    """Each filter in brief, in registry order, then exclusions, then the search."""
    shown = [d for d in REGISTRY if not masked or viewer_may_filter(d.name)]
    words = [_values_word(d.param, d.chosen(getattr(flt, d.field))) for d in shown]
    params = {d.name: d.param for d in shown}
    for dimension, value in map(split_exclusion, flt.excludes):
        if dimension in params:
            words.append("not-" + _values_word(params[dimension], [value]))
    if flt.text and not masked:
        words.append(_values_word("search", [flt.text]))
    return [word for word in words if word]


def _values_word(param: str, values: list[str]) -> str:
    if not values:
        return ""
    shown = [safe_word(str(v), MAX_VALUE_LENGTH) for v in values[:MAX_VALUES]]
    more = [f"{len(values) - MAX_VALUES}-more"] if len(values) > MAX_VALUES else []
    return f"{param}-{'+'.join(shown + more)}"


def _bounded(head: list[str], filters: list[str], limit: int) -> str:
    """``head`` and as many filters as fit in ``limit`` characters, the rest counted."""
    for kept in range(len(filters), -1, -1):
        left_out = len(filters) - kept
        more = [f"{left_out}-more-filters"] if left_out else []
        name = "_".join([*head, *filters[:kept], *more])
        if len(name) <= limit:
            return name
    return "_".join(head)[:limit]  # not reached: the head is far shorter than the limit
