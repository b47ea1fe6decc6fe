"""The Explorer's table and filters in AppTest: the id as a column whatever the ids, the
columns kept in the URL, facets that count as if their own filter were not set, a custom
range with a time of day, the short download label; over small hand-made databases."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
import sqlalchemy as sa

from audit import plans
from audit.dimensions import DIMENSIONS
from audit.filters import AuditFilter
from audit.schema import audit_logs, metadata
from tests.support.apptest import run_page

START = datetime(2026, 11, 10, 8, 0)
ACTIONS = ("login", "logout", "read", "update")


def _write(url: str, count: int = 12) -> None:
    """``count`` events with consecutive ids 1..count, five minutes apart."""
    writer = sa.create_engine(url)
    metadata.create_all(writer)
    with writer.begin() as conn:
        conn.execute(
            audit_logs.insert(),
            [
                {
                    "id": i,
                    "action": ACTIONS[i % len(ACTIONS)],
                    "resource_type": "doc",
                    "description": f"Event number {i}",
                    "ip_address": f"203.0.113.{i % 3}",
                    "success": i % 2 == 0,
                    "created_at": START + timedelta(minutes=5 * i),
                }
                for i in range(1, count + 1)
            ],
        )
    writer.dispose()


def _explorer(url: str, monkeypatch: pytest.MonkeyPatch, **params: str):
    at = run_page("pages/explorer.py", {"AUDIT_DB_URL": url}, monkeypatch, range="all", **params)
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_id_is_a_column_even_when_the_ids_are_consecutive(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(db_url)
    table = _explorer(db_url, monkeypatch).dataframe[0]
    assert table.value.columns[0] == "id"  # a column, shown first, not a hidden index
    assert list(table.value["id"]) == list(range(12, 0, -1))
    assert list(table.value.columns)[1:] == [
        "time", "outcome", "severity", "user", "action", "resource", "description", "ip",
    ]  # fmt: skip
    assert table.value["outcome"].iloc[0] == ["success"]  # a badge, not a checkbox


def test_chosen_columns_come_from_the_url_in_the_table_order(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(db_url)
    at = _explorer(db_url, monkeypatch, columns="description,time,error,bogus")
    assert list(at.dataframe[0].value.columns) == ["id", "time", "description", "error"]
    assert any("bogus" in w.value for w in at.warning)


def test_facets_count_as_if_their_own_filter_were_not_set(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(db_url)
    flt = AuditFilter(actions=("login",), excludes=("action:read", "outcome:failure"))
    counted = plans.facet_filter(flt, DIMENSIONS["action"])
    assert counted.actions == () and counted.excludes == ("outcome:failure",)
    at = _explorer(db_url, monkeypatch, action=["login", "logout"], exclude="ip:203.0.113.2")
    keep = at.multiselect(key="explorer.facet.action.keep")
    assert keep.value == ["login", "logout"]
    # Every action stays on offer, counted without the action filter (the IP one applies).
    assert keep.options == ["login · 2", "logout · 2", "read · 2", "update · 2"]
    assert "Rows 1 to 4 of 4" in " ".join(c.value for c in at.caption)
    leave = at.multiselect(key="explorer.facet.ip.leave")
    assert leave.value == ["203.0.113.2"]
    assert "203.0.113.2 · 2" in leave.options  # its own exclusion does not hide it


def test_two_ips_are_kept_at_once_and_typed_patterns_match_like_the_search(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(db_url)
    at = _explorer(db_url, monkeypatch)
    at.multiselect(key="explorer.facet.ip.keep").set_value(["203.0.113.0", "203.0.113.1"]).run()
    assert at.query_params["ip"] == ["203.0.113.0", "203.0.113.1"]
    assert len(at.dataframe[0].value) == 8
    at = _explorer(db_url, monkeypatch, ip="203.0.113.*", q="number 1*")
    assert sorted(at.dataframe[0].value["id"]) == [1, 10, 11, 12]


def test_a_custom_range_carries_a_time_of_day(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(db_url)
    at = run_page(
        "pages/explorer.py",
        {"AUDIT_DB_URL": db_url},
        monkeypatch,
        range="custom",
        tz="UTC",
        **{"from": "2026-11-10T08:00:00+00:00", "to": "2026-11-10T09:00:30+00:00"},
    )
    assert at.sidebar.time_input(key="filterbar.to.time").value.isoformat() == "09:00:00"
    assert len(at.dataframe[0].value) == 12
    at.sidebar.time_input(key="filterbar.from.time").set_value(time(8, 21)).run()
    assert at.query_params["from"] == "2026-11-10T08:21:00+00:00"
    assert at.query_params["to"] == "2026-11-10T09:00:30+00:00"  # untouched: kept exactly
    assert sorted(at.dataframe[0].value["id"]) == list(range(5, 13))


def test_the_download_button_has_a_short_label(
    db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    _write(db_url)
    monkeypatch.setenv("AUDIT_EXPORT_LOG", str(tmp_path / "exports.jsonl"))
    at = _explorer(db_url, monkeypatch)
    next(b for b in at.button if b.label == "Prepare file").click().run()
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download CSV"]
