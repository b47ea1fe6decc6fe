"""Hostile input: URL parameters and search text never raise and never match wrongly."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit import queries
from audit.filters import FILTER_PARAM_NAMES, AuditFilter, escape_like
from tests.support.apptest import run_page
from tests.support.databases import DemoDatabase

NASTY = st.one_of(
    st.text(max_size=50),
    st.sampled_from(
        [
            "%",
            "_",
            "'",
            '"',
            "\\",
            "\x00",
            "%_%",
            "' OR 1=1 --",
            "a" * 10_000,
            "2026-13-45",
            "-1",
            "1e309",
        ]
    ),
)
PARAM_NAMES = st.sampled_from(
    sorted(FILTER_PARAM_NAMES | {"size", "after", "before", "selected", "id", "now"})
)
PARAMS = st.dictionaries(PARAM_NAMES, st.lists(NASTY, min_size=1, max_size=3), max_size=6)
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(PARAMS)
def test_any_parameters_parse_and_query_without_error(hostile: DemoDatabase, params: dict) -> None:
    flt, notices = AuditFilter.from_params(params)
    assert isinstance(notices, list)
    assert "\x00" not in flt.text and len(flt.text) <= 1000
    assert queries.count_events(hostile.source, flt, hostile.now) >= 0


SEARCHABLE_SQL = """
SELECT a.description, a.error_message, a.resource_id, a.ip_address, a.user_agent,
       CAST(a.details AS TEXT), CAST(a.metadata AS TEXT), u.email, u.username
FROM audit_logs a LEFT JOIN users u ON u.id = a.user_id
"""
NEEDLES = st.text(alphabet=st.sampled_from(list("ab%_\\'\"<>[]( )x-1")), min_size=1, max_size=4)


@FUZZ
@given(NEEDLES)
def test_search_matches_exactly_the_rows_containing_the_text(
    hostile: DemoDatabase, needle: str
) -> None:
    # Per field, not across the joined text: a match may not span two fields.
    expected = 0
    for row in hostile.rows(SEARCHABLE_SQL):
        if any(isinstance(v, str) and needle.lower() in v.lower() for v in row):
            expected += 1
    flt = AuditFilter(range="all", text=needle)
    assert queries.count_events(hostile.source, flt, hostile.now) == expected


def test_escape_like_round_trip() -> None:
    assert escape_like("%_\\") == "\\%\\_\\\\"


@pytest.mark.parametrize(
    "params",
    [
        {"size": "-1"},
        {"size": "10" * 20},
        {"after": "-5_-5"},
        {"before": "x" * 10_000},
        {"selected": "-3"},
        {"selected": "9" * 40},
        {"now": "tomorrow"},
        {"tz": "../../etc/passwd"},
        {"q": "\x00" * 5},
        {"exclude": "nonsense"},
        {"from": "9999-12-31T23:59:59+14:00", "to": "0001-01-01T00:00:00-12:00"},
    ],
)
def test_bad_explorer_parameters_show_notices_not_errors(
    hostile: DemoDatabase, params: dict, monkeypatch
) -> None:
    at = run_page("pages/explorer.py", {"AUDIT_DB_URL": hostile.url}, monkeypatch, **params)
    assert not at.exception, [e.value for e in at.exception]
