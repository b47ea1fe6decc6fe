"""Before/after of a change: one line per changed, added or removed field, nested keys as
dotted paths, list items added and removed shown as such. Pure."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

CHANGED = "changed"
ADDED = "added"
REMOVED = "removed"
ITEM_ADDED = "item added"
ITEM_REMOVED = "item removed"


@dataclass(frozen=True)
class Change:
    path: str
    kind: str
    before: Any = None
    after: Any = None


def _join(prefix: str, key: Any) -> str:
    return f"{prefix}.{key}" if prefix else str(key)


def _key(value: Any) -> str:
    """A hashable, order-stable identity for list items of any JSON type."""
    return json.dumps(value, sort_keys=True, default=str)


def _list_changes(path: str, before: list, after: list) -> list[Change]:
    removed = Counter(_key(v) for v in before) - Counter(_key(v) for v in after)
    added = Counter(_key(v) for v in after) - Counter(_key(v) for v in before)
    return _surplus(path, before, removed, ITEM_REMOVED) + _surplus(path, after, added, ITEM_ADDED)


def _surplus(path: str, items: list, surplus: Counter, kind: str) -> list[Change]:
    """The surplus items, counted from the end: of duplicates, the last ones changed."""
    found = []
    for item in reversed(items):
        if surplus[_key(item)] > 0:
            surplus[_key(item)] -= 1
            found.append(
                Change(
                    path, kind, **({"before": item} if kind == ITEM_REMOVED else {"after": item})
                )
            )
    return found[::-1]


def _dict_changes(path: str, before: dict, after: dict) -> list[Change]:
    changes = []
    for key in [*before, *(k for k in after if k not in before)]:
        child = _join(path, key)
        if key not in after:
            changes.append(Change(child, REMOVED, before=before[key]))
        elif key not in before:
            changes.append(Change(child, ADDED, after=after[key]))
        else:
            changes += diff_values(before[key], after[key], child)
    return changes


def diff_values(before: Any, after: Any, path: str = "") -> list[Change]:
    """Every difference between two JSON values, depth first, in key order."""
    if isinstance(before, dict) and isinstance(after, dict):
        return _dict_changes(path, before, after)
    if isinstance(before, list) and isinstance(after, list):
        return _list_changes(path or "(value)", before, after)
    if before == after and type(before) is type(after):
        return []
    if path == "" and before is None:
        return [Change("(value)", ADDED, after=after)]
    if path == "" and after is None:
        return [Change("(value)", REMOVED, before=before)]
    return [Change(path or "(value)", CHANGED, before, after)]
