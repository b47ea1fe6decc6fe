"""The detection thresholds: settings with defaults, overridable per page through the URL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import timedelta
from typing import NamedTuple

from audit.config import Settings
from audit.dimensions import parse_whole_number
from audit.filters import Params


@dataclass(frozen=True)
class Thresholds:
    """The detection thresholds in force; defaults are the settings' defaults."""

    bruteforce_failures: int = Settings.bruteforce_failures
    bruteforce_window_minutes: int = Settings.bruteforce_window_minutes
    spray_min_users: int = Settings.spray_min_users
    spray_window_minutes: int = Settings.spray_window_minutes
    takeover_failures: int = Settings.takeover_failures
    takeover_window_minutes: int = Settings.takeover_window_minutes
    multi_ip_min: int = Settings.multi_ip_min
    new_ip_lookback_days: int = 30  # a page/URL threshold only, not a setting
    business_hours_start: int = Settings.business_hours_start
    business_hours_end: int = Settings.business_hours_end

    @classmethod
    def from_settings(cls, settings: Settings) -> Thresholds:
        names = {f.name for f in fields(cls)}
        return cls(
            **{f.name: getattr(settings, f.name) for f in fields(settings) if f.name in names}
        )

    def minutes(self, name: str) -> timedelta:
        return timedelta(minutes=getattr(self, name))


class ThresholdParam(NamedTuple):
    field: str
    label: str
    low: int
    high: int


# URL parameter name -> threshold; none of them is a filter parameter.
THRESHOLD_PARAMS: dict[str, ThresholdParam] = {
    "bf_n": ThresholdParam("bruteforce_failures", "Brute force: failed logins", 1, 100_000),
    "bf_w": ThresholdParam(
        "bruteforce_window_minutes", "Brute force: window (minutes)", 1, 100_000
    ),
    "sp_n": ThresholdParam("spray_min_users", "Spraying: distinct users", 1, 100_000),
    "sp_w": ThresholdParam("spray_window_minutes", "Spraying: window (minutes)", 1, 100_000),
    "to_n": ThresholdParam("takeover_failures", "Takeover: failures before", 1, 100_000),
    "to_w": ThresholdParam("takeover_window_minutes", "Takeover: window (minutes)", 1, 100_000),
    "ip_n": ThresholdParam("multi_ip_min", "Many IPs: distinct IPs", 1, 100_000),
    "new_d": ThresholdParam("new_ip_lookback_days", "New IP: lookback (days)", 1, 365),
    "bh_from": ThresholdParam("business_hours_start", "Business hours: from", 0, 23),
    "bh_to": ThresholdParam("business_hours_end", "Business hours: to", 1, 24),
}


def _param_value(raw: str | Sequence[str] | None) -> str | None:
    if raw is None or isinstance(raw, str):
        return raw
    return raw[-1] if raw else None


def thresholds_from_params(params: Params, defaults: Thresholds) -> tuple[Thresholds, list[str]]:
    """Thresholds from the URL over the defaults; a bad value is ignored with a notice."""
    values: dict[str, int] = {}
    notices: list[str] = []
    for key, spec in THRESHOLD_PARAMS.items():
        raw = _param_value(params.get(key))
        if raw is None or raw == "":
            continue
        value = parse_whole_number(raw, spec.low, spec.high)
        if value is not None:
            values[spec.field] = value
        else:
            notices.append(
                f"Ignored {key}={raw[:40]!r}: use a whole number from {spec.low} to {spec.high}."
            )
    chosen, hours_ok = with_valid_hours(replace(defaults, **values), defaults)
    if not hours_ok:
        notices.append("Ignored the business hours in the URL: the start must be before the end.")
    return chosen, notices


def with_valid_hours(chosen: Thresholds, defaults: Thresholds) -> tuple[Thresholds, bool]:
    """``chosen`` with the default business hours when its own do not start before they
    end; and whether its own were kept."""
    if chosen.business_hours_start < chosen.business_hours_end:
        return chosen, True
    hours = {
        "business_hours_start": defaults.business_hours_start,
        "business_hours_end": defaults.business_hours_end,
    }
    return replace(chosen, **hours), False


def thresholds_to_params(thresholds: Thresholds, defaults: Thresholds) -> dict[str, list[str]]:
    """Only the thresholds that differ from the defaults."""
    return {
        key: [str(getattr(thresholds, spec.field))]
        for key, spec in THRESHOLD_PARAMS.items()
        if getattr(thresholds, spec.field) != getattr(defaults, spec.field)
    }
