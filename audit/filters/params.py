"""URL query parameters to an :class:`AuditFilter`: every dimension of the registry, the
time range and timezone, exclusions and the search text. Bad values are dropped, each
with a notice, never an exception."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from audit.dimensions import (
    DIMENSIONS,
    INT32_MAX,
    REGISTRY,
    Dimension,
    Match,
    split_exclusion,
)
from audit.filters.model import AuditFilter, Params
from audit.timerange import CUSTOM, DEFAULT_PRESET, PRESETS, is_valid_timezone
from audit.vocab import LEVEL_OF, LEVEL_ORDER, OUTCOMES

MAX_TEXT_LENGTH = 1000
FILTER_PARAM_NAMES: frozenset[str] = frozenset(
    {"range", "from", "to", "tz", "exclude", "q", *(d.param for d in REGISTRY)}
)


def parse_filter(params: Params, default_tz: str = "UTC") -> tuple[AuditFilter, list[str]]:
    return _Parser(params, default_tz).parse()


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _dedupe(values: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(dict.fromkeys(v for v in values if v != ""))


def _clean_text(value: str) -> str:
    return value.replace("\x00", "")


def _id_problem(what: str) -> str:
    return f"not a {what} (a whole number up to {INT32_MAX:,})"


@dataclass
class _Parser:
    params: Params
    default_tz: str
    notices: list[str] = field(default_factory=list)

    def first(self, key: str) -> str | None:
        values = _as_list(self.params.get(key))
        return values[-1] if values else None

    def text(self, key: str) -> str:
        raw = self.first(key) or ""
        value = _clean_text(raw)
        if value != raw:
            self.notices.append(f"Removed NUL characters from the {key!r} parameter.")
        if len(value) > MAX_TEXT_LENGTH:
            self.notices.append(f"The {key!r} parameter was cut to {MAX_TEXT_LENGTH} characters.")
            value = value[:MAX_TEXT_LENGTH]
        return value

    def timezone(self) -> str:
        tz = self.first("tz")
        if tz is None or tz == "":
            return self.default_tz
        if is_valid_timezone(tz):
            return tz
        self.notices.append(f"Unknown timezone {tz[:60]!r} in the URL; showing {self.default_tz}.")
        return self.default_tz

    def moment(self, key: str, tz: str) -> datetime | None:
        raw = self.first(key)
        if not raw:
            return None
        try:
            moment = datetime.fromisoformat(raw.strip())
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=ZoneInfo(tz))
            moment.astimezone(UTC)
            moment.astimezone(ZoneInfo(tz))  # shown in the display zone: must fit there too
        except (ValueError, OverflowError):
            self.notices.append(
                f"Ignored {key}={raw[:60]!r}: not a date and time (use 2026-11-27T08:00)."
            )
            return None
        return moment

    def time_range(self, tz: str) -> tuple[str, datetime | None, datetime | None]:
        preset = self.first("range")
        start, end = self.moment("from", tz), self.moment("to", tz)
        if preset == CUSTOM or (preset is None and (start or end)):
            if start and end and start >= end:
                self.notices.append("Ignored the custom range: its start is not before its end.")
                return DEFAULT_PRESET, None, None
            if start or end:
                return CUSTOM, start, end
            self.notices.append("A custom range needs 'from' or 'to'; showing the default range.")
            return DEFAULT_PRESET, None, None
        if preset is None or preset in PRESETS:
            return preset or DEFAULT_PRESET, None, None
        self.notices.append(f"Unknown range {preset[:60]!r}; showing {DEFAULT_PRESET}.")
        return DEFAULT_PRESET, None, None

    def strings(self, key: str) -> tuple[str, ...]:
        values = [_clean_text(v)[:MAX_TEXT_LENGTH] for v in _as_list(self.params.get(key))]
        return _dedupe(values)

    def checked(self, key: str, is_valid: Callable[[str], bool], what: str) -> tuple[str, ...]:
        kept = []
        for value in self.strings(key):
            if is_valid(value):
                kept.append(value)
            else:
                self.notices.append(f"Ignored {key}={value[:60]!r}: {what}.")
        return tuple(kept)

    def dimension(self, dimension: Dimension) -> tuple[Any, ...] | str:
        key = dimension.param
        if not dimension.multi:
            return self.text(key)
        if dimension.integer:
            problem = _id_problem("user id") + f", or {dimension.null_label}"
            kept = self.checked(key, lambda v: dimension.typed(v) is not None, problem)
            return _dedupe(dimension.typed(v) for v in kept)
        if dimension.match is Match.OUTCOME:
            return self.checked(key, OUTCOMES.__contains__, "use " + ", ".join(OUTCOMES))
        if dimension.match is Match.LEVEL:
            return self.levels(key)
        if dimension.local:
            kept = self.checked(key, lambda v: dimension.typed(v) is not None, dimension.hint)
            return _dedupe(dimension.typed(v) for v in kept)
        return self.strings(key)

    def levels(self, key: str) -> tuple[str, ...]:
        """Severity levels; a raw synonym (error, warning, info) counts at its level."""
        kept = []
        for value in self.strings(key):
            level = value if value in LEVEL_ORDER else LEVEL_OF.get(value)
            if level is None:
                self.notices.append(
                    f"Ignored {key}={value[:60]!r}: use " + ", ".join(LEVEL_ORDER) + "."
                )
            elif level != value:
                self.notices.append(
                    f"{key}={value} counts at the {level} level: showing {level}; "
                    f"raw_severity={value} shows {value} alone."
                )
            if level is not None:
                kept.append(level)
        return _dedupe(kept)

    def parse(self) -> tuple[AuditFilter, list[str]]:
        tz = self.timezone()
        range_, start, end = self.time_range(tz)
        excludes = self.checked("exclude", is_exclusion, "use dimension:value, e.g. action:login")
        result = AuditFilter(
            range=range_,
            start=start,
            end=end,
            tz=tz,
            excludes=excludes,
            text=self.text("q"),
            **{d.field: self.dimension(d) for d in REGISTRY},
        )
        return result, self.notices


def is_exclusion(item: str) -> bool:
    """``dimension:value`` for an excludable dimension, with a value it can hold."""
    name, value = split_exclusion(item)
    dimension = DIMENSIONS.get(name)
    if dimension is None or not dimension.excludable or ":" not in item:
        return False
    return dimension.typed(value) is not None
