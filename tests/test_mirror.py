"""The DuckDB mirror answers every overview and security aggregate exactly as the source
does, on SQLite and PostgreSQL, after its first build and after appends, deletions,
rewrites and late commits; it syncs in bounded steps, is owner-only, and the pages use it
only when the settings say so and the filter allows."""

from __future__ import annotations

import math
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from audit import queries, security
from audit.config import PROJECT_ROOT, ConfigError, Settings, load_settings
from audit.copies import row_fingerprint
from audit.db import Source, check_database, create_readonly_engine
from audit.filters import AuditFilter
from audit.mirror import Mirror
from audit.routing import mirror_can_answer, wants_mirror
from audit.schema import audit_logs
from audit.tools.demo import write_demo
from tests.support.databases import DEMO_END, DEMO_NOW
from tests.support.equality import (
    AFTER_CHANGE,
    DAYS,
    FILTERS,
    PROFILE_FILTERS,
    ROWS,
    SECURITY_FILTERS,
    SEED,
    Writer,
    append,
    assert_same,
    delete,
    rewrite,
)

# ---------------------------------------------------------------------------------------
# A database of our own, with a writer to change it behind the mirror's back


@dataclass
class Scene:
    url: str
    writer: sa.Engine
    source: Source
    mirror: Mirror

    @property
    def writes(self) -> Writer:
        return Writer(self.writer)

    def sync_fully(self) -> None:
        report = self.mirror.sync_step(self.source, budget_seconds=math.inf)
        assert report.caught_up and not report.skipped
        assert self.mirror.ready_for(self.source)

    def execute(self, statement: sa.Executable, rows: list[dict] | None = None) -> None:
        self.writes.execute(statement, rows)

    def select(self, statement: sa.Select) -> list[dict]:
        return self.writes.select(statement)

    def max_id(self) -> int:
        return self.writes.max_id()


@pytest.fixture
def scene(db_url: str, tmp_path: Path) -> Iterator[Scene]:
    write_demo(db_url, rows=ROWS, days=DAYS, seed=SEED, end=DEMO_END)
    writer = sa.create_engine(db_url)
    if writer.dialect.name == "postgresql":  # let rows of the hard-deleted user be copied
        with writer.begin() as conn:
            conn.execute(sa.text("ALTER TABLE audit_logs DROP CONSTRAINT audit_logs_user_id_fkey"))
    reader = create_readonly_engine(db_url)
    report = check_database(reader)
    assert report.source is not None
    mirror = Mirror(tmp_path / "mirror" / "audit.duckdb", chunk_rows=5_000)
    yield Scene(db_url, writer, report.source, mirror)
    mirror.close()
    reader.dispose()
    writer.dispose()


def _append(scene: Scene) -> None:
    append(scene.writes)


def test_equal_to_the_source_after_build_appends_deletions_and_rewrites(scene: Scene) -> None:
    # A transaction that commits late can leave a lower id behind the mirror's last id.
    late = scene.select(sa.select(audit_logs).where(audit_logs.c.id.between(200, 210)))
    scene.execute(audit_logs.delete().where(audit_logs.c.id.between(200, 210)))
    report = scene.mirror.build(scene.source)
    assert report.appended == ROWS - len(late) and scene.mirror.rows() == report.appended
    mirrored = scene.mirror.source_for(scene.source)
    assert mirrored.dialect == "duckdb"
    assert_same(scene.source, mirrored, "after the first build", tuple(FILTERS))

    for change, when in (
        (_append, "after appends"),
        (lambda s: delete(s.writes), "after deletions"),
        (lambda s: rewrite(s.writes), "after rewritten rows"),
        (lambda s: s.execute(audit_logs.insert(), late), "after a late commit"),
    ):
        change(scene)
        scene.sync_fully()
        assert_same(scene.source, mirrored, when, AFTER_CHANGE)


def test_steps_are_bounded_and_a_pass_reaches_every_day(scene: Scene) -> None:
    mirror = Mirror(scene.mirror.path.with_name("small-steps.duckdb"), chunk_rows=1_000)
    seen: list[tuple[int, int]] = []
    first = mirror.sync_step(scene.source, budget_seconds=0, progress=lambda *p: seen.append(p))
    assert (first.appended, first.caught_up, first.rows) == (1_000, False, 1_000)
    assert seen == [(1_000, ROWS)] and first.fraction == pytest.approx(1_000 / ROWS)
    assert not mirror.ready_for(scene.source)
    steps = 1
    while not mirror.ready_for(scene.source):
        assert mirror.sync_step(scene.source, budget_seconds=0).appended <= 1_000
        steps += 1
    assert steps <= ROWS // 1_000 + 1

    day = datetime(2026, 10, 28)
    created = audit_logs.c.created_at
    scene.execute(audit_logs.delete().where(created >= day, created < day + timedelta(days=1)))
    repaired_after = None
    for step in range(1, DAYS + 5):
        report = mirror.sync_step(scene.source, budget_seconds=0)
        assert report.verified == 2  # the newest day and one more slice
        if report.resynced:
            repaired_after = step
            break
    assert repaired_after is not None
    assert queries.kpis(mirror.source_for(scene.source), FILTERS["all time"], DEMO_NOW) == (
        queries.kpis(scene.source, FILTERS["all time"], DEMO_NOW)
    )
    mirror.close()


def test_another_source_empties_the_mirror(scene: Scene, tmp_path: Path) -> None:
    scene.mirror.build(scene.source)
    other_url = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    write_demo(other_url, rows=500, days=10, seed=1, end=DEMO_END)
    other = check_database(create_readonly_engine(other_url)).source
    assert other is not None
    assert not scene.mirror.ready_for(other)
    scene.mirror.build(other)
    assert scene.mirror.rows() == 500
    assert scene.mirror.ready_for(other) and not scene.mirror.ready_for(scene.source)
    other.engine.dispose()


def test_the_file_and_its_folder_are_owner_only(scene: Scene) -> None:
    scene.mirror.build(scene.source)
    _append(scene)
    scene.sync_fully()
    path = scene.mirror.path
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    for candidate in (path, path.with_name(path.name + ".wal")):
        if candidate.exists():
            assert stat.S_IMODE(candidate.stat().st_mode) == 0o600, candidate


# ---------------------------------------------------------------------------------------
# Pure pieces


@pytest.mark.parametrize(
    ("flt", "answerable"),
    [
        (AuditFilter(), True),
        (AuditFilter(actions=("login",), severities=("unset",), outcomes=("failure",)), True),
        (AuditFilter(users=(1,), ip="203.0.113.*", excludes=("user:3",)), True),
        (AuditFilter(resource_id="12"), True),
        (AuditFilter(text="invoice"), False),
        (AuditFilter(tags=("login",)), False),
        (AuditFilter(session_id="abc"), False),
        (AuditFilter(request_id="abc"), False),
    ],
)
def test_mirror_answers_only_filters_on_its_columns(flt: AuditFilter, answerable: bool) -> None:
    assert mirror_can_answer(flt) is answerable


@pytest.mark.parametrize(
    ("engine", "rows", "expected"),
    [
        ("source", 10**9, False),
        ("mirror", 0, True),
        ("auto", 200_000, False),
        ("auto", 200_001, True),
    ],
)
def test_engine_setting(engine: str, rows: int, expected: bool) -> None:
    assert wants_mirror(engine, rows, Settings().mirror_threshold_rows) is expected


def test_mirror_settings_are_validated() -> None:
    env = {
        "AUDIT_AGGREGATE_ENGINE": " Mirror ",
        "AUDIT_MIRROR_PATH": "data/elsewhere/m.duckdb",
        "AUDIT_MIRROR_THRESHOLD_ROWS": "5000",
    }
    settings = load_settings(env=env, secrets={})
    assert settings.aggregate_engine == "mirror" and settings.mirror_threshold_rows == 5000
    assert settings.mirror_path == PROJECT_ROOT / "data" / "elsewhere" / "m.duckdb"
    defaults = load_settings(env={}, secrets={})
    assert (defaults.aggregate_engine, defaults.mirror_threshold_rows) == ("auto", 200_000)
    for name, bad in (
        ("AGGREGATE_ENGINE", "fast"),
        ("MIRROR_PATH", ":memory:"),
        ("MIRROR_THRESHOLD_ROWS", "-1"),
    ):
        with pytest.raises(ConfigError, match=name.lower()):
            load_settings(env={f"AUDIT_{name}": bad}, secrets={})


def test_fingerprint_reads_sqlite_text_and_python_values_alike() -> None:
    moment = datetime(2026, 3, 29, 1, 30)
    values = (7, moment, 3, "login", "user", "3", "high", None, True, "192.0.2.1", None)
    as_stored = (7, "2026-03-29 01:30:00.000000", 3, "login", "user", "3", "high", None, 1)
    assert row_fingerprint(*values) == row_fingerprint(*as_stored, "192.0.2.1", None)
    assert row_fingerprint(*values) != row_fingerprint(*values[:6], "info", *values[7:])
    assert 0 <= row_fingerprint(*values) < 2**32


# ---------------------------------------------------------------------------------------
# The pages' side: which engine answers, freshness, refresh


def _page_settings(monkeypatch: pytest.MonkeyPatch, path: Path, **env: str) -> None:
    monkeypatch.setenv("AUDIT_MIRROR_PATH", str(path))
    for name, value in env.items():
        monkeypatch.setenv(f"AUDIT_{name.upper()}", value)


@pytest.mark.parametrize(
    ("env", "uses_mirror"),
    [
        ({"aggregate_engine": "mirror"}, True),
        ({"aggregate_engine": "source"}, False),
        ({"aggregate_engine": "auto"}, False),  # 12,000 rows, below the default threshold
        ({"aggregate_engine": "auto", "mirror_threshold_rows": "10000"}, True),
    ],
)
def test_pages_route_aggregates_by_the_setting(
    scene: Scene, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], uses_mirror: bool
) -> None:
    from audit.ui import data

    scene.mirror.close()
    _page_settings(monkeypatch, scene.mirror.path, **env)
    router = data.router()
    assert router.aggregate(scene.source, AuditFilter()).target is scene.source  # not built
    if uses_mirror:
        data.refresh(scene.source)  # one bounded step: 12,000 rows fit in it
        data.refresh(scene.source)
    route = router.aggregate(scene.source, AuditFilter())
    assert route.target.dialect == ("duckdb" if uses_mirror else scene.source.dialect)
    assert route.engine == ("mirror" if uses_mirror else "source")
    assert router.aggregate(scene.source, AuditFilter(text="login")).target is scene.source
    flt = FILTERS["30 days in Kolkata"]
    expected = queries.kpis(scene.source, flt, DEMO_NOW)
    assert data.kpis(scene.source, flt, DEMO_NOW) == expected


def test_freshness_text() -> None:
    from audit.routing import freshness_text

    as_of = datetime(2026, 11, 20, 12, 3, 55)
    assert freshness_text(as_of, datetime(2026, 11, 20, 23, 0, tzinfo=UTC)) == (
        "data as of 12:03:55 UTC"
    )
    assert freshness_text(as_of, datetime(2026, 11, 21, 0, 1, tzinfo=UTC)) == (
        "data as of 2026-11-20 12:03:55 UTC"
    )


def test_the_page_builds_the_mirror_states_its_freshness_and_refresh_syncs_it(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    from audit.ui import data

    scene.mirror.close()
    monkeypatch.setenv("AUDIT_DB_URL", scene.url)
    _page_settings(monkeypatch, scene.mirror.path, aggregate_engine="mirror")
    app = AppTest.from_file(str(Path(__file__).parent.parent / "app.py"), default_timeout=60)
    app.query_params["range"] = "all"
    app.run()
    assert not app.exception
    captions = [c.value for c in app.sidebar.caption]
    assert any("local mirror, data as of" in text for text in captions), captions
    assert _events(app) == f"{ROWS:,}"

    _append(scene)
    app.run()
    assert _events(app) == f"{ROWS:,}"  # cached, and the mirror is not stale yet
    # What the Refresh button does (AppTest does not deliver clicks on the sidebar's
    # buttons to this app: its Permalink button does not react there either).
    data.refresh(scene.source)
    app.run()
    assert not app.exception
    assert _events(app) == f"{ROWS + 1_500:,}"


def _events(app: Any) -> str:
    return next(m for m in app.metric if m.label == "Events").value


def test_the_command_line_builds_a_mirror_ahead_of_time(
    scene: Scene, capsys: pytest.CaptureFixture[str]
) -> None:
    from audit import mirror as mirror_module

    scene.mirror.close()
    path = scene.mirror.path.with_name("ahead.duckdb")
    assert mirror_module.main(["--url", scene.url, "--path", str(path)]) == 0
    assert f"{ROWS:,} rows" in capsys.readouterr().out
    built = Mirror(path)
    assert built.ready_for(scene.source) and built.rows() == ROWS
    built.close()


def row_lists(source: Source, ids_from: Source | None) -> dict[str, pd.DataFrame]:
    now, th, out = DEMO_NOW, security.Thresholds(), {}
    for name, flt in SECURITY_FILTERS.items():
        out[f"high / {name}"] = security.high_security_events(source, flt, now, 20, ids_from)
        out[f"lifecycle / {name}"] = security.lifecycle(source, flt, now, th, 20, ids_from)
    for name, flt in PROFILE_FILTERS.items():
        out[f"latest / {name}"] = security.latest_events(source, flt, now, 20, ids_from)
    return out


def test_row_lists_found_through_a_lagging_mirror_equal_the_sources(scene: Scene) -> None:
    scene.mirror.build(scene.source)
    mirrored_up_to = scene.max_id()
    _append(scene)  # not mirrored yet: the source must supply the newer rows itself
    delete(scene.writes)
    expected = row_lists(scene.source, None)
    got = row_lists(scene.source, scene.mirror.source_for(scene.source))
    ids = pd.concat([frame["id"] for frame in expected.values()])
    assert (ids > mirrored_up_to).any() and (ids <= mirrored_up_to).any()  # both kinds shown
    for name, frame in expected.items():
        assert not frame.empty, name
        pd.testing.assert_frame_equal(got[name], frame, obj=name)
