"""Hostile input: URL parameters and search text never raise and never match wrongly.

The filter's parameters are fuzzed through ``AuditFilter.from_params``, with exactly the
keys it reads. Each page's own parameters (and ``now``, which every page reads) are fuzzed
through AppTest over the hostile database, with ``now`` pinned to the hostile fixture's
moment so that its rows are inside the default window: every case asserts what the page
drew from those rows, so it reaches the code it names and could fail. Each crash the
fuzzing found is kept as a regression test (``FIXED_CRASHES``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from audit import queries
from audit.dimensions import BREAKDOWNS
from audit.filters import FILTER_PARAM_NAMES, MAX_TEXT_LENGTH, AuditFilter, escape_like, parse_id
from audit.plans import DEFAULT_BREAKDOWN
from audit.queries import PAGE_SIZES, Cursor, decode_cursor, encode_cursor
from audit.security import THRESHOLD_PARAMS
from audit.timerange import CUSTOM, PRESETS, parse_now
from audit.ui.security import KEY as SECURITY_KEY
from tests.support.apptest import run_page
from tests.support.databases import DemoDatabase
from tests.support.hostile import IMG, SAME_TIME

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
            "²",
            "٣",
        ]
    ),
)
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# Each example runs the app once or twice: fewer of them.
PAGE_FUZZ = settings(FUZZ, max_examples=12)


def _one_of(*values: str) -> st.SearchStrategy[str]:
    return st.sampled_from(values)


# ---------------------------------------------------------------------------------------
# The filter: AuditFilter.from_params, fed only the keys it reads.

TIMEZONES = ("UTC", "Europe/Berlin", "Asia/Kolkata", "America/New_York", "Pacific/Kiritimati")
# Well inside datetime's range (its edges have their own cases in FIXED_CRASHES).
MOMENTS = st.datetimes(
    min_value=datetime(1900, 1, 1),
    max_value=datetime(2200, 1, 1),
    timezones=st.none() | st.sampled_from([UTC, *(ZoneInfo(tz) for tz in TIMEZONES)]),
).map(datetime.isoformat) | _one_of("2026-11-18", "2026-11-18T09:30", "2026-11-19T00:00+05:30")
VALID_FILTER_VALUES: dict[str, st.SearchStrategy[str]] = {
    "range": _one_of(*PRESETS, CUSTOM),
    "from": MOMENTS,
    "to": MOMENTS,
    "tz": _one_of(*TIMEZONES),
    "q": _one_of("tick", "<script>", "%", "_", "evil", "🔥"),
    "exclude": _one_of(
        "action:login",
        "action:same-time",
        "severity:unset",
        "category:uncategorized",
        "outcome:failure",
        "user:1",
        "ip:203.0.113.66",
        "agent:(none)",
        "resource_type:x",
    ),
    "severity": _one_of("unset", "high", "critical", "low", "medium"),
    "raw_severity": _one_of("info", "catastrophic", "(none)"),
    "security": _one_of("yes", "no"),
    "category": _one_of("uncategorized", "weird-category", "security"),
    "action": _one_of("login", "same-time", "odd", "huge"),
    "resource_type": _one_of("x", "r", "**bold**"),
    "outcome": _one_of("success", "failure", "unknown"),
    "user": _one_of("1", "99999", "2147483647"),
    "ip": _one_of("203.0.113.66", "203.0.113.", "203.*", IMG),
    "agent": _one_of("(none)", "\u202eevil\u202d"),
    "tag": _one_of("login", "a"),
    "resource_id": _one_of("42", "abc"),
    "session_id": _one_of("s-1"),
    "request_id": _one_of("r-1"),
    "weekday": _one_of("mon", "wed", "sun"),
    "hour": _one_of("0", "9", "14", "23"),
}
# Keys whose last value wins; every other key keeps all its values.
SINGLE_VALUED = {"range", "from", "to", "tz", "q", "resource_id", "session_id", "request_id"}


def _filter_params(
    keys: Iterable[str], value: Callable[[str], st.SearchStrategy[str]]
) -> st.SearchStrategy[dict[str, list[str]]]:
    chosen = st.lists(st.sampled_from(sorted(keys)), unique=True, max_size=6)
    values = {key: st.lists(value(key), min_size=1, max_size=3) for key in VALID_FILTER_VALUES}
    return chosen.flatmap(lambda keys: st.fixed_dictionaries({k: values[k] for k in keys}))


ANY_FILTER_PARAMS = _filter_params(
    VALID_FILTER_VALUES, lambda key: NASTY | VALID_FILTER_VALUES[key]
)
# The time range's keys interact (range=custom needs from or to, from before to): left out.
VALID_FILTER_PARAMS = _filter_params(
    VALID_FILTER_VALUES.keys() - {"range", "from", "to"}, VALID_FILTER_VALUES.__getitem__
)


def test_the_fuzzed_keys_are_the_filters_own() -> None:
    assert set(VALID_FILTER_VALUES) == FILTER_PARAM_NAMES


@FUZZ
@given(ANY_FILTER_PARAMS)
def test_any_filter_parameters_parse_to_a_filter_that_reads_back_the_same(params: dict) -> None:
    flt, notices = AuditFilter.from_params(params)
    assert all(isinstance(notice, str) and notice for notice in notices)
    assert "\x00" not in flt.text and len(flt.text) <= MAX_TEXT_LENGTH
    assert AuditFilter.from_params(flt.to_params()) == (flt, [])


def _kept(key: str, values: list[str]) -> list[str]:
    return values[-1:] if key in SINGLE_VALUED else list(dict.fromkeys(values))


@FUZZ
@given(VALID_FILTER_PARAMS)
def test_valid_filter_parameters_are_kept_without_notices(params: dict) -> None:
    flt, notices = AuditFilter.from_params(params)
    assert notices == []
    written = flt.to_params()
    assert {key: written[key] for key in params} == {k: _kept(k, v) for k, v in params.items()}


def _rows_in(db: DemoDatabase, flt: AuditFilter) -> int:
    """Rows in the filter's time window, by plain SQL."""
    window = flt.window(db.now)
    conditions, bounds = ["1 = 1"], {}
    if window.start is not None:
        conditions.append("created_at >= :start")
        bounds["start"] = window.start
    if window.end is not None:
        conditions.append("created_at < :end")
        bounds["end"] = window.end
    where = " AND ".join(conditions)
    return int(db.scalar(f"SELECT count(*) FROM audit_logs WHERE {where}", **bounds))


@FUZZ
@given(ANY_FILTER_PARAMS)
def test_any_filter_parameters_query_the_hostile_rows_without_error(
    hostile: DemoDatabase, params: dict
) -> None:
    flt, _ = AuditFilter.from_params(params)
    window_only = AuditFilter(range=flt.range, start=flt.start, end=flt.end, tz=flt.tz)
    in_window = queries.count_events(hostile.source, window_only, hostile.now)
    assert in_window == _rows_in(hostile, flt)
    matched = queries.count_events(hostile.source, flt, hostile.now)
    assert 0 <= matched <= in_window
    page = queries.page_rows(hostile.source, flt, hostile.now, size=25)
    assert len(page.rows) == min(matched, 25)


def test_the_default_window_holds_the_hostile_rows(hostile: DemoDatabase) -> None:
    """What the fuzzing above and below relies on: with the fixture's ``now``, the default
    range is not empty (else the queries and pages would have nothing to show)."""
    assert _rows_in(hostile, AuditFilter()) > 1000


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


# ---------------------------------------------------------------------------------------
# Pages: their own parameters through AppTest, ``now`` pinned to the hostile rows' week.


def _open_page(
    db: DemoDatabase,
    monkeypatch: pytest.MonkeyPatch,
    page: str,
    *,
    timeout: float = 60,
    **params: str | list[str],
) -> AppTest:
    """``page`` over ``db``, ``now`` pinned to the fixture's (unless given); no exception."""
    url = {"now": _pinned(db)} | params
    at = run_page(page, {"AUDIT_DB_URL": db.url}, monkeypatch, timeout=timeout, **url)
    assert not at.exception, (params, [e.stack_trace for e in at.exception])
    return at


def _pinned(db: DemoDatabase) -> str:
    return db.now.isoformat()


def _notices(at: AppTest) -> str:
    """The page's warnings as plain text (they are markdown-escaped)."""
    return " ".join(w.value for w in at.warning).replace("\\", "")


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _week(db: DemoDatabase, now: datetime | None = None) -> dict[str, datetime]:
    """The default range's bounds (the 7 days before ``now``, the fixture's unless given)
    as SQL parameters ``s`` and ``e``, naive UTC like ``created_at``."""
    end = (now or db.now).astimezone(UTC).replace(tzinfo=None)
    return {"s": end - timedelta(days=7), "e": end}


IN_WEEK = "created_at >= :s AND created_at < :e"


def _count_in_week(
    db: DemoDatabase, condition: str = "1 = 1", *, now: datetime | None = None, **params: object
) -> int:
    """Rows in the default range meeting ``condition``."""
    sql = f"SELECT count(*) FROM audit_logs WHERE {IN_WEEK} AND {condition}"
    return int(db.scalar(sql, **_week(db, now), **params))


def _event_ids(db: DemoDatabase) -> set[int]:
    return {row.id for row in db.rows("SELECT id FROM audit_logs")}


def _is_id_text(text: str) -> bool:
    """What the pages take for an id: ASCII digits within the 32-bit id columns."""
    return parse_id(text) is not None


def _shown_rows(at: AppTest) -> int:
    """Rows of the Explorer's table (the page's first dataframe), 0 when it drew none."""
    return len(at.dataframe[0].value) if at.dataframe else 0


def _detail_headers(at: AppTest) -> list[str]:
    return [h.value for h in at.subheader if h.value.startswith("Event ")]


CURSORS = st.builds(
    lambda moment, row_id: encode_cursor(Cursor(moment, row_id)),
    st.sampled_from([SAME_TIME, datetime(2026, 11, 18, 10), None]),
    st.integers(0, 1100),
)
EXPLORER_PARAMS = st.fixed_dictionaries(
    {},
    optional={
        "size": NASTY | _one_of(*map(str, PAGE_SIZES), "050", "7"),
        "after": NASTY | CURSORS,
        "before": NASTY | CURSORS,
        "order": NASTY | _one_of("newest", "oldest"),
        "selected": NASTY | st.integers(0, 1100).map(str) | _one_of("2147483647", "0005"),
    },
)


def _expected_page_size(size: str | None) -> int:
    if size and _is_id_text(size) and int(size) in PAGE_SIZES:
        return int(size)
    return 50


def _check_selected(at: AppTest, db: DemoDatabase, selected: str | None) -> None:
    """The selected event is shown in full (the URL names it, even on a page past the last
    row): ``selected`` is an event's id, or else a notice that there is none; nothing for a
    non-id."""
    if not selected or not _is_id_text(selected):
        event("explorer: no event selected")
        assert _detail_headers(at) == []
    elif int(selected) in _event_ids(db):
        event("explorer: an event shown in full")
        assert _detail_headers(at) == [f"Event {int(selected)}"]
    else:
        event("explorer: no such event")
        assert f"There is no event with id {int(selected)}" in _notices(at)


@PAGE_FUZZ
@given(EXPLORER_PARAMS)
def test_explorer_parameters_page_through_the_hostile_rows(
    hostile: DemoDatabase, monkeypatch: pytest.MonkeyPatch, params: dict
) -> None:
    at = _open_page(hostile, monkeypatch, "pages/explorer.py", **params)
    total = _count_in_week(hostile)
    assert any(f"of {total:,}" in caption.value for caption in at.caption), "no pager"
    cursors = [decode_cursor(params[name]) for name in ("after", "before") if name in params]
    if not any(cursors):  # the first page
        event("explorer: first page")
        assert _shown_rows(at) == min(_expected_page_size(params.get("size")), total)
    _check_selected(at, hostile, params.get("selected"))


# Within a few years of the hostile rows, so that pages show rows (ranges far from ``now``
# have their own cases in FIXED_CRASHES).
NEAR_MOMENTS = st.datetimes(
    min_value=datetime(2020, 1, 1),
    max_value=datetime(2032, 1, 1),
    timezones=st.none() | st.sampled_from([UTC, *(ZoneInfo(tz) for tz in TIMEZONES)]),
).map(datetime.isoformat) | _one_of("2026-11-18", "2026-11-18T09:30", "2026-11-19T00:00+05:30")
PAGE_FILTER_PARAMS = _filter_params(
    VALID_FILTER_VALUES,
    lambda key: NASTY | (NEAR_MOMENTS if key in ("from", "to") else VALID_FILTER_VALUES[key]),
)


@PAGE_FUZZ
@given(PAGE_FILTER_PARAMS)
def test_any_filter_parameters_give_the_explorer_the_filters_rows(
    hostile: DemoDatabase, monkeypatch: pytest.MonkeyPatch, params: dict
) -> None:
    at = _open_page(hostile, monkeypatch, "pages/explorer.py", **params)
    flt, _ = AuditFilter.from_params(params)
    total = queries.count_events(hostile.source, flt, hostile.now)
    assert any(f"of {total:,}" in caption.value for caption in at.caption), "no pager"
    assert _shown_rows(at) == min(50, total)


@pytest.mark.parametrize(
    ("params", "notice"),
    [
        ({"size": "-1"}, "Page size '-1' is not one of"),
        ({"size": "10" * 20}, "Page size '1010"),
        ({"after": "-5_-5"}, "Ignored after='-5_-5': not a page position"),
        ({"before": "x" * 10_000}, "Ignored before='xxxx"),
        ({"selected": "-3"}, ""),
        ({"now": "tomorrow", "range": "all"}, "Ignored now='tomorrow'"),
        # The filter's own notices show on the first run, which then writes the cleaned
        # filter to the URL: the Explorer, opened next, has only its rows to show.
        ({"tz": "../../etc/passwd"}, ""),
        ({"q": "\x00" * 5}, ""),
        ({"exclude": "nonsense"}, ""),
        ({"from": "9999-12-31T23:59:59+14:00", "to": "0001-01-01T00:00:00-12:00"}, ""),
    ],
)
def test_bad_explorer_parameters_show_a_notice_and_the_rows(
    hostile: DemoDatabase, monkeypatch: pytest.MonkeyPatch, params: dict, notice: str
) -> None:
    at = _open_page(hostile, monkeypatch, "pages/explorer.py", **params)
    assert notice in _notices(at)
    assert _shown_rows(at) == 50
    assert _detail_headers(at) == []


def test_the_selected_event_is_shown_in_full(
    hostile: DemoDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    login = hostile.scalar("SELECT id FROM audit_logs WHERE action = 'login'")
    at = _open_page(hostile, monkeypatch, "pages/explorer.py", selected=str(login))
    assert _shown_rows(at) == 50
    assert _detail_headers(at) == [f"Event {login}"]


EVENT_IDS = NASTY | st.integers(0, 1100).map(str) | _one_of("2147483647", "0005", " 5")


@PAGE_FUZZ
@given(EVENT_IDS)
def test_event_page_shows_the_event_or_says_why_not(
    hostile: DemoDatabase, monkeypatch: pytest.MonkeyPatch, event_id: str
) -> None:
    at = _open_page(hostile, monkeypatch, "pages/event.py", id=event_id)
    if not _is_id_text(event_id):
        event("event page: not an id")
        assert "Give the event's id in the URL" in _notices(at)
    elif int(event_id) in _event_ids(hostile):
        event("event page: the event")
        assert _detail_headers(at) == [f"Event {int(event_id)}"]
    else:
        event("event page: no such event")
        assert f"There is no event with id {int(event_id)}" in _notices(at)


def _user_id_of(text: str) -> int | None:
    """The user page's reading of its ``id``: ASCII digits, spaces around allowed."""
    return parse_id(text)


@PAGE_FUZZ
@given(NASTY | _one_of("1", "99999", "0", " 1 ", "2147483648", "9" * 18))
def test_user_page_counts_the_users_events(
    hostile: DemoDatabase, monkeypatch: pytest.MonkeyPatch, user: str
) -> None:
    at = _open_page(hostile, monkeypatch, "pages/user.py", id=user)
    user_id = _user_id_of(user)
    if user_id is None:
        assert any("Open a user from the Security page" in i.value for i in at.info)
    else:
        expected = _count_in_week(hostile, "user_id = :u", u=user_id)
        event(f"user page: {'some' if expected else 'no'} events")
        assert _metric(at, "Events in range") == f"{expected:,}"


def _ip_matches(address: str | None, pattern: str, db: DemoDatabase) -> bool:
    """The IP filter: the whole address, ``*`` matching any characters (SQLite's LIKE
    ignores the case of ASCII letters, PostgreSQL's does not)."""
    if address is None:
        return False
    if "*" not in pattern:
        return address == pattern
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    flags = re.IGNORECASE if db.kind == "sqlite" else 0
    return re.fullmatch(regex, address, flags | re.DOTALL) is not None


def _ip_count_in_week(db: DemoDatabase, patterns: tuple[str, ...]) -> int:
    rows = db.rows(f"SELECT ip_address FROM audit_logs WHERE {IN_WEEK}", **_week(db))
    return sum(any(_ip_matches(row.ip_address, p, db) for p in patterns) for row in rows)


@PAGE_FUZZ
@given(NASTY | _one_of("203.0.113.66", "203.0.113.", "203.*", "*", IMG, "10.0.0.1"))
def test_ip_page_counts_the_addresses_events(
    hostile: DemoDatabase, monkeypatch: pytest.MonkeyPatch, ip: str
) -> None:
    at = _open_page(hostile, monkeypatch, "pages/ip.py", ip=ip)
    patterns = AuditFilter.from_params({"ip": ip})[0].ip  # as the filter reads it
    if not patterns:
        assert any("Open an IP from the Security page" in i.value for i in at.info)
    else:
        expected = _ip_count_in_week(hostile, patterns)
        event(f"ip page: {'some' if expected else 'no'} events")
        assert _metric(at, "Events in range") == f"{expected:,}"


@PAGE_FUZZ
@given(NASTY | _one_of(*BREAKDOWNS))
def test_overview_breakdown_is_the_urls_or_the_default(
    hostile: DemoDatabase, monkeypatch: pytest.MonkeyPatch, breakdown: str
) -> None:
    at = _open_page(hostile, monkeypatch, "pages/overview.py", breakdown=breakdown)
    assert _metric(at, "Events") == f"{_count_in_week(hostile):,}"
    valid = breakdown in BREAKDOWNS and breakdown != "severity"  # severity has its own chart
    assert at.session_state["overview.breakdown"] == (breakdown if valid else DEFAULT_BREAKDOWN)


def _threshold_values() -> st.SearchStrategy[dict[str, str]]:
    def value(low: int, high: int) -> st.SearchStrategy[str]:
        return NASTY | st.integers(low - 1, high + 1).map(str) | st.just(f" {low} ")

    return st.fixed_dictionaries(
        {}, optional={key: value(spec.low, spec.high) for key, spec in THRESHOLD_PARAMS.items()}
    )


def _threshold_of(key: str, raw: str) -> int | None:
    """A threshold parameter's value when it is valid: a whole number within its bounds."""
    spec, text = THRESHOLD_PARAMS[key], raw.strip()
    return int(text) if _is_id_text(text) and spec.low <= int(text) <= spec.high else None


BUSINESS_HOURS = {"bh_from", "bh_to"}  # valid alone, but only kept when from < to


@PAGE_FUZZ
@given(_threshold_values())
def test_security_thresholds_from_the_url_are_used_or_named(
    hostile: DemoDatabase, monkeypatch: pytest.MonkeyPatch, params: dict
) -> None:
    at = _open_page(hostile, monkeypatch, "pages/security.py", **params)
    failed = _count_in_week(hostile, "action = 'login' AND success = :f", f=False)
    assert _metric(at, "Failed logins") == f"{failed:,}"
    for key, raw in params.items():
        value = _threshold_of(key, raw)
        if value is None and raw != "":
            event("security: a threshold ignored")
            assert f"Ignored {key}=" in _notices(at)
        elif value is not None and key not in BUSINESS_HOURS:
            event("security: a threshold used")
            assert at.number_input(key=f"{SECURITY_KEY}threshold.{key}").value == value


def _parsed_now(text: str) -> datetime | None:
    """``now`` as the pages read it: an ISO moment (UTC when it names no zone) between the
    years 1900 and 9000."""
    return parse_now(text)


# Always tried: moments whose week holds hostile rows, some exactly at its edges (the
# window is [now - 7 days, now): the 1,000 rows at 09:30 are in it or not by a microsecond).
@PAGE_FUZZ
@given(NASTY | MOMENTS)
@example(now="2026-11-18T09:30:00")
@example(now="2026-11-18T09:30:00.000001")
@example(now="2026-11-25T09:30:00+00:00")
@example(now="2026-11-25T09:30:00.000001+00:00")
@example(now="2026-11-18T15:00:00+05:30")
def test_now_pins_the_window_the_pages_count(
    hostile: DemoDatabase, monkeypatch: pytest.MonkeyPatch, now: str
) -> None:
    at = _open_page(hostile, monkeypatch, "pages/overview.py", now=now)
    moment = _parsed_now(now)
    if not now:  # as if not given: the clock's now
        assert "Ignored now=" not in _notices(at)
    elif moment is None:
        assert "Ignored now=" in _notices(at)
    else:
        expected = _count_in_week(hostile, now=moment)
        event(f"now: a moment with {'some' if expected else 'no'} events")
        assert "Ignored now=" not in _notices(at)
        assert _metric(at, "Events") == f"{expected:,}"


# ---------------------------------------------------------------------------------------
# Crashes the fuzzing found and that are fixed: each input now draws its page.
FIXED_CRASHES = [
    pytest.param(
        "pages/overview.py", {"to": "2000-01-01T00:00:00+00:00"}, id="to-alone-20-years-before-now"
    ),
    pytest.param(
        "pages/overview.py",
        {"from": "2050-01-01T00:00:00+00:00"},
        id="from-alone-20-years-after-now",
    ),
    pytest.param("pages/explorer.py", {"size": "²"}, id="explorer-size-superscript-two"),
    pytest.param("pages/explorer.py", {"selected": "²"}, id="explorer-selected-superscript-two"),
    pytest.param(
        "pages/explorer.py",
        {"selected": "9999999999999999999"},
        id="explorer-selected-over-64-bits",
    ),
    pytest.param("pages/event.py", {"id": "9999999999999999999"}, id="event-id-over-64-bits"),
    pytest.param("pages/event.py", {"id": "2147483648"}, id="event-id-over-32-bits"),
    pytest.param("pages/user.py", {"id": "2147483648"}, id="user-id-over-32-bits"),
    pytest.param(
        "pages/overview.py",
        {"from": "0001-01-01T00:00:00+00:00", "tz": "America/New_York"},
        id="from-year-one-west-of-utc",
    ),
    pytest.param("pages/overview.py", {"now": "0001-01-01T00:00:00+00:00"}, id="now-year-one"),
    pytest.param(
        "pages/overview.py", {"now": "9999-12-31T23:59:59-14:00"}, id="now-past-year-9999"
    ),
]


@pytest.mark.parametrize(("page", "params"), FIXED_CRASHES)
def test_fixed_crashes_draw_their_page(
    hostile: DemoDatabase, monkeypatch: pytest.MonkeyPatch, page: str, params: dict[str, str]
) -> None:
    _open_page(hostile, monkeypatch, page, timeout=30, **params)


def test_a_filter_ending_at_year_9999_in_kiritimati_is_a_notice() -> None:
    params = {"to": "9999-12-31T23:59:59+00:00", "tz": "Pacific/Kiritimati"}
    flt, notices = AuditFilter.from_params(params)
    assert notices and flt.end is None  # past year 9999 in that zone: not a moment it can show
    assert AuditFilter.from_params(flt.to_params()) == (flt, [])
