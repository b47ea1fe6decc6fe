"""Incidents and detections are served from the cache as the very object cached, not a copy
unpickled on every read (most of the security page's script time at scale). That is safe
only while they are deeply immutable, which these tests hold; other results stay copies."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

import pytest

from audit import plans
from audit.config import load_settings
from audit.filters import AuditFilter
from audit.security import Thresholds
from audit.ui import data
from tests.support.databases import DemoDatabase

LEAVES = (str, int, float, bool, bytes, datetime, date, timedelta, Enum, type(None))
WHOLE_DEMO = {"range": ["all"], "tz": ["Europe/Berlin"]}


def _mutable_parts(value: Any, path: str = "result") -> list[str]:
    """Where ``value`` holds something that could change in place (a list, a dict, a set,
    a dataclass that is not frozen, any other object), by path."""
    if isinstance(value, LEAVES):
        return []
    if isinstance(value, tuple | frozenset):
        return [p for i, item in enumerate(value) for p in _mutable_parts(item, f"{path}[{i}]")]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if not type(value).__dataclass_params__.frozen:  # type: ignore[attr-defined]
            return [path]
        return [
            p
            for f in dataclasses.fields(value)
            for p in _mutable_parts(getattr(value, f.name), f"{path}.{f.name}")
        ]
    return [f"{path} ({type(value).__name__})"]


@pytest.fixture
def plan(monkeypatch: pytest.MonkeyPatch) -> plans.SecurityPlan:
    monkeypatch.setenv("AUDIT_AGGREGATE_ENGINE", "source")
    flt, notices = AuditFilter.from_params(WHOLE_DEMO)
    assert not notices
    return plans.security_plan(flt, Thresholds.from_settings(load_settings()))


def test_incidents_and_detections_are_deeply_immutable(
    demo: DemoDatabase, plan: plans.SecurityPlan
) -> None:
    for call in (plan.incidents, plan.detections):
        assert call.name in data.SHARED_RESULTS
        result = data.fetch(call, demo.source, demo.now)
        assert _mutable_parts(result) == []


def test_the_incidents_of_a_view_are_one_object_and_a_frame_is_a_copy(
    demo: DemoDatabase, plan: plans.SecurityPlan
) -> None:
    first = data.fetch(plan.incidents, demo.source, demo.now)
    assert first.incidents  # the demo has incidents: the read below shares something real
    assert data.fetch(plan.incidents, demo.source, demo.now) is first
    frame = data.fetch(plan.lifecycle, demo.source, demo.now)
    again = data.fetch(plan.lifecycle, demo.source, demo.now)
    assert again is not frame and again.equals(frame)


def test_the_check_finds_what_could_change() -> None:
    @dataclasses.dataclass
    class Loose:
        items: list[int]

    @dataclasses.dataclass(frozen=True)
    class Holder:
        inner: tuple[Any, ...]

    assert _mutable_parts(Holder((1, "a", Loose([1])))) == ["result.inner[2]"]
    assert _mutable_parts(Holder(([1],))) == ["result.inner[0] (list)"]
    assert _mutable_parts(Holder((frozenset({1}), None, datetime(2026, 1, 1)))) == []
