"""``AuditFilter``: every filter a page can apply, as one frozen value. Its dimension fields
(``actions``, ``users``, ``ip``, ...) come from the registry in :mod:`audit.dimensions`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from audit.dimensions import BY_FIELD, DIMENSIONS, REGISTRY
from audit.timerange import (
    CUSTOM,
    DEFAULT_PRESET,
    PRESETS,
    TimeWindow,
    local_moment,
    to_naive_utc,
)

Params = Mapping[str, str | Sequence[str]]


@dataclass(frozen=True, init=False)
class AuditFilter:
    """What to show. ``range`` is a preset key or ``custom`` (then ``start``/``end``, aware
    datetimes, either may be open). Each dimension of the registry is a keyword argument
    and an attribute by its ``field`` name (``AuditFilter(actions=("login",)).actions``);
    empty tuples and strings mean "no constraint"."""

    range: str
    start: datetime | None
    end: datetime | None
    tz: str
    excludes: tuple[str, ...]
    text: str
    # (field, value) of every dimension that is set, in registry order
    selections: tuple[tuple[str, Any], ...]

    def __init__(
        self,
        range: str = DEFAULT_PRESET,
        start: datetime | None = None,
        end: datetime | None = None,
        tz: str = "UTC",
        excludes: tuple[str, ...] = (),
        text: str = "",
        **dimensions: Any,
    ) -> None:
        unknown = set(dimensions) - set(BY_FIELD)
        if unknown:
            raise TypeError(f"AuditFilter has no dimension {sorted(unknown)}")
        # Bounds held in UTC: equality then means the same instant, whatever the zone.
        values = {
            "range": range,
            "start": start.astimezone(UTC) if start is not None else None,
            "end": end.astimezone(UTC) if end is not None else None,
            "tz": tz,
            "excludes": tuple(excludes),
            "text": text,
            "selections": tuple(
                (d.field, _frozen(dimensions[d.field], d.multi))
                for d in REGISTRY
                if dimensions.get(d.field)
            ),
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        dimension = BY_FIELD.get(name)
        if dimension is None:
            raise AttributeError(name)
        return dict(self.selections).get(name, dimension.empty)

    def selected(self, dimension_name: str) -> tuple[Any, ...] | str:
        """The value chosen for a dimension, by its registry name (``"action"``)."""
        return getattr(self, DIMENSIONS[dimension_name].field)

    def _fields(self) -> dict[str, Any]:
        return {
            "range": self.range,
            "start": self.start,
            "end": self.end,
            "tz": self.tz,
            "excludes": self.excludes,
            "text": self.text,
            **dict(self.selections),
        }

    def with_values(self, **changes: Any) -> AuditFilter:
        return AuditFilter(**(self._fields() | changes))

    def window(self, now: datetime) -> TimeWindow:
        """The time range as naive UTC bounds, relative to the aware ``now``."""
        if self.range == CUSTOM:
            return TimeWindow(
                to_naive_utc(self.start) if self.start else None,
                to_naive_utc(self.end) if self.end else None,
            )
        length = PRESETS.get(self.range)
        if length is None:
            return TimeWindow(None, None)
        end = to_naive_utc(now)
        return TimeWindow(end - length, end)

    def pinned(self, now: datetime) -> AuditFilter:
        """The same events tomorrow: a relative range turned into absolute bounds."""
        if self.range == CUSTOM or PRESETS.get(self.range) is None:
            return self
        bounds = self.window(now)
        start = bounds.start.replace(tzinfo=UTC)  # type: ignore[union-attr]
        end = bounds.end.replace(tzinfo=UTC)  # type: ignore[union-attr]
        return self.with_values(range=CUSTOM, start=start, end=end)

    def to_params(self) -> dict[str, list[str]]:
        """Query parameters; each value a list (repeated keys). Empty fields are left out."""
        params: dict[str, list[str]] = {"tz": [self.tz], "range": [self.range]}
        if self.range == CUSTOM:
            zone = ZoneInfo(self.tz)
            if self.start is not None:
                params["from"] = [local_moment(to_naive_utc(self.start), zone).isoformat()]
            if self.end is not None:
                params["to"] = [local_moment(to_naive_utc(self.end), zone).isoformat()]
        for dimension in REGISTRY:
            chosen = dimension.chosen(getattr(self, dimension.field))
            if chosen:
                params[dimension.param] = chosen
        if self.excludes:
            params["exclude"] = list(self.excludes)
        if self.text:
            params["q"] = [self.text]
        return params

    @classmethod
    def from_params(cls, params: Params, default_tz: str = "UTC") -> tuple[AuditFilter, list[str]]:
        """Parse query parameters. Invalid values are dropped, each with a notice."""
        from audit.filters.params import parse_filter  # the parser builds AuditFilters

        return parse_filter(params, default_tz)


def _frozen(value: Any, multi: bool) -> Any:
    """A dimension's value as the filter holds it: a tuple for a dimension of several
    values (one value given alone becomes a tuple of one), else the value itself."""
    if isinstance(value, list | tuple):
        return tuple(value)
    return (value,) if multi else value
