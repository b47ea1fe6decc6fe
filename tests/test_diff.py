"""The before/after table of a change."""

from __future__ import annotations

from audit.diff import ADDED, CHANGED, ITEM_ADDED, ITEM_REMOVED, REMOVED, Change, diff_values


def test_nested_dicts_as_dotted_paths() -> None:
    before = {"email": "a@x", "profile": {"name": "Ann", "team": {"id": 1}}, "old": True}
    after = {"email": "b@x", "profile": {"name": "Ann", "team": {"id": 2}, "title": "Lead"}}
    assert diff_values(before, after) == [
        Change("email", CHANGED, "a@x", "b@x"),
        Change("profile.team.id", CHANGED, 1, 2),
        Change("profile.title", ADDED, after="Lead"),
        Change("old", REMOVED, before=True),
    ]


def test_list_items_added_and_removed() -> None:
    before = {"permissions": ["read", "write", "read"]}
    after = {"permissions": ["read", "admin"]}
    assert diff_values(before, after) == [
        Change("permissions", ITEM_REMOVED, before="write"),
        Change("permissions", ITEM_REMOVED, before="read"),
        Change("permissions", ITEM_ADDED, after="admin"),
    ]


def test_lists_of_objects_and_reordering() -> None:
    assert diff_values({"l": [{"a": 1}, {"b": 2}]}, {"l": [{"b": 2}, {"a": 1}]}) == []
    assert diff_values({"l": [{"a": 1}]}, {"l": [{"a": 2}]}) == [
        Change("l", ITEM_REMOVED, before={"a": 1}),
        Change("l", ITEM_ADDED, after={"a": 2}),
    ]


def test_type_changes_and_missing_sides() -> None:
    assert diff_values({"n": 1}, {"n": "1"}) == [Change("n", CHANGED, 1, "1")]
    assert diff_values({"n": 1}, {"n": True}) == [Change("n", CHANGED, 1, True)]
    assert diff_values(None, {"a": 1}) == [Change("(value)", ADDED, after={"a": 1})]
    assert diff_values({"a": 1}, None) == [Change("(value)", REMOVED, before={"a": 1})]
    assert diff_values(None, None) == []
    assert diff_values("old text", "new text") == [
        Change("(value)", CHANGED, "old text", "new text")
    ]
    assert diff_values({"a": {"b": 1}}, {"a": [1]}) == [Change("a", CHANGED, {"b": 1}, [1])]
