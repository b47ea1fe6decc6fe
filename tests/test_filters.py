"""AuditFilter: URL round trip, tolerant parsing, and SQL with bound parameters only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql, sqlite

from audit.dimensions import wildcard_like
from audit.filters import AuditFilter, escape_like, where_clause
from audit.timerange import CUSTOM, PRESETS, TimeWindow
from audit.vocab import LEVEL_ORDER

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
ZONES = ["UTC", "Europe/Berlin", "Asia/Kolkata", "America/New_York", "Australia/Lord_Howe"]

texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=40,
)
word_lists = st.lists(texts.filter(bool), max_size=4, unique=True).map(tuple)
moments = st.datetimes(
    min_value=datetime(1971, 1, 1),
    max_value=datetime(2099, 1, 1),
    timezones=st.sampled_from([ZoneInfo(z) for z in ZONES]),
)


@st.composite
def filters(draw: st.DrawFn) -> AuditFilter:
    range_ = draw(st.sampled_from([*PRESETS, CUSTOM]))
    start = end = None
    if range_ == CUSTOM:
        start = draw(st.one_of(st.none(), moments))
        end = draw(st.one_of(st.none(), moments))
        if start is None and end is None:
            start = draw(moments)
        if start and end:
            start, end = min(start, end), max(start, end)
            if start == end:
                end = start + timedelta(seconds=1)
    return AuditFilter(
        range=range_,
        start=start,
        end=end,
        tz=draw(st.sampled_from(ZONES)),
        actions=draw(word_lists),
        resource_types=draw(word_lists),
        severities=tuple(draw(st.lists(st.sampled_from(LEVEL_ORDER), unique=True))),
        raw_severities=draw(word_lists),
        categories=draw(word_lists),
        outcomes=tuple(
            draw(st.lists(st.sampled_from(["success", "failure", "unknown"]), unique=True))
        ),
        users=tuple(draw(st.lists(st.integers(0, 10**9), unique=True, max_size=3))),
        tags=draw(word_lists),
        excludes=tuple(
            draw(
                st.lists(
                    st.one_of(
                        st.tuples(
                            st.sampled_from(["action", "raw_severity", "ip", "category"]), texts
                        ),
                        st.tuples(st.just("severity"), st.sampled_from(LEVEL_ORDER)),
                        st.tuples(st.just("user"), st.integers(0, 10**6).map(str)),
                        st.tuples(st.just("outcome"), st.sampled_from(["success", "failure"])),
                    ).map(lambda pair: f"{pair[0]}:{pair[1]}"),
                    unique=True,
                    max_size=3,
                )
            )
        ),
        ip=draw(texts),
        resource_id=draw(texts),
        session_id=draw(texts),
        request_id=draw(texts),
        text=draw(texts),
    )


@settings(max_examples=300, deadline=None)
@given(filters())
def test_query_params_round_trip_is_lossless(flt: AuditFilter) -> None:
    parsed, notices = AuditFilter.from_params(flt.to_params())
    assert notices == []
    assert parsed == flt


def test_defaults_when_no_parameters() -> None:
    parsed, notices = AuditFilter.from_params({}, default_tz="Europe/Berlin")
    assert parsed == AuditFilter(tz="Europe/Berlin")
    assert notices == []


def test_invalid_parameters_are_ignored_with_a_notice() -> None:
    params = {
        "range": "5y",
        "tz": "Mars/Olympus",
        "outcome": ["success", "maybe"],
        "user": ["12", "x"],
        "q": "abc\x00def",
    }
    parsed, notices = AuditFilter.from_params(params)
    assert parsed.range == "7d"
    assert parsed.tz == "UTC"
    assert parsed.outcomes == ("success",)
    assert parsed.users == (12,)
    assert parsed.text == "abcdef"
    assert len(notices) == 5
    assert any("Mars/Olympus" in n for n in notices)
    assert any("'5y'" in n for n in notices)


def test_malformed_dates_and_reversed_range_fall_back_to_default() -> None:
    parsed, notices = AuditFilter.from_params({"from": "yesterday", "to": "2026-13-45"})
    assert parsed.range == "7d" and parsed.start is None
    assert len(notices) == 2
    parsed, notices = AuditFilter.from_params({"from": "2026-11-02", "to": "2026-11-01"})
    assert parsed.range == "7d"
    assert "start is not before its end" in notices[0]


def test_naive_dates_in_url_are_in_the_filter_timezone() -> None:
    parsed, _ = AuditFilter.from_params(
        {"tz": "Asia/Kolkata", "from": "2026-11-01T00:00", "to": "2026-11-02T00:00"}
    )
    assert parsed.window(NOW) == TimeWindow(
        datetime(2026, 10, 31, 18, 30), datetime(2026, 11, 1, 18, 30)
    )


def test_presets_are_relative_to_now_and_pinning_makes_them_absolute() -> None:
    flt = AuditFilter(range="24h", tz="Europe/Berlin")
    assert flt.window(NOW) == TimeWindow(datetime(2026, 11, 26, 12), datetime(2026, 11, 27, 12))
    pinned = flt.pinned(NOW)
    assert pinned.range == CUSTOM
    assert pinned.window(NOW + timedelta(days=3)) == flt.window(NOW)
    assert pinned.to_params()["from"] == ["2026-11-26T13:00:00+01:00"]
    assert AuditFilter(range="all").window(NOW) == TimeWindow(None, None)


def test_previous_window_has_equal_length() -> None:
    window = AuditFilter(range="7d").window(NOW)
    previous = window.previous()
    assert previous is not None
    assert previous.end == window.start and previous.span == window.span


def test_escape_like_makes_wildcards_literal() -> None:
    assert escape_like("50%_a\\b") == "50\\%\\_a\\\\b"


def test_star_is_the_one_wildcard_in_search_and_ip() -> None:
    assert wildcard_like("192.0.2.*") == "192.0.2.%"
    assert wildcard_like("50%_*\\") == "50\\%\\_%\\\\"
    for dialect in ("sqlite", "postgresql"):
        search = _compiled(AuditFilter(text="192.0.2.*"), dialect)
        ip = _compiled(AuditFilter(ip="192.0.2.*"), dialect)
        assert "%192.0.2.%%" in search.params.values()
        assert "192.0.2.%" in ip.params.values()
        exact = _compiled(AuditFilter(ip="192.0.2."), dialect)
        assert "192.0.2." in exact.params.values() and " LIKE " not in str(exact).upper()


def test_one_value_of_a_multi_dimension_becomes_a_tuple() -> None:
    assert AuditFilter(ip="203.0.113.9").ip == ("203.0.113.9",)
    assert AuditFilter(ip=("a", "b")).to_params()["ip"] == ["a", "b"]
    assert AuditFilter(ip="").ip == ()
    parsed, notices = AuditFilter.from_params({"ip": ["10.0.0.1", "192.0.2.*"]})
    assert parsed.ip == ("10.0.0.1", "192.0.2.*") and notices == []


def _compiled(flt: AuditFilter, dialect: str) -> sa.engine.Compiled:
    clause = where_clause(flt, NOW, dialect)
    module = postgresql if dialect == "postgresql" else sqlite
    return clause.compile(dialect=module.dialect())


def test_user_values_only_ever_reach_sql_as_bound_parameters() -> None:
    evil = "x'; DROP TABLE audit_logs; --"
    flt = AuditFilter(
        actions=(evil,),
        raw_severities=(evil,),
        tags=(evil,),
        ip=evil,
        resource_id=evil,
        session_id=evil,
        request_id=evil,
        text=evil,
    )
    for dialect in ("sqlite", "postgresql"):
        compiled = _compiled(flt, dialect)
        assert "DROP TABLE" not in str(compiled)
        assert evil in compiled.params.values() or any(
            evil in str(v) for v in compiled.params.values()
        )
