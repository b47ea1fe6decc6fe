"""ClickHouse (its own engine, in-process through chdb) answers every overview and security
aggregate exactly as the source does, on SQLite and PostgreSQL, after its first sync and
after appends, deletions, rewrites and late commits; its sync is bounded and repairs what
changed; the dashboard reads it read-only, only when chosen, and never for times it cannot
hold. The client layer (clickhouse-connect's dialect) is the one a server is reached by."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from audit import queries, security
from audit.clickhouse import ClickHouse
from audit.clickhouse.engine import engine_url
from audit.config import ConfigError, Settings, load_settings
from audit.db import Source, check_database, create_readonly_engine
from audit.dialect import CLICKHOUSE, json_list_contains
from audit.dimensions import pattern_clause
from audit.filters import AuditFilter
from audit.mirror import Mirror
from audit.routing import Call, Router
from audit.schema import audit_logs
from audit.security.incidents import find_incidents
from audit.tools.demo import write_demo
from tests.support.databases import DEMO_END, DEMO_NOW, chdb_url
from tests.support.equality import (
    AFTER_CHANGE,
    DAYS,
    FILTERS,
    ROWS,
    SECURITY_FILTERS,
    SEED,
    Writer,
    append,
    assert_same,
    delete,
    rewrite,
)


@dataclass
class Scene:
    url: str
    writes: Writer
    source: Source
    clickhouse_url: str
    store: ClickHouse  # the sync command's (writable)

    def sync_fully(self) -> None:
        report = self.store.sync_step(self.source, budget_seconds=math.inf)
        assert report.caught_up
        assert self.store.ready_for(self.source)

    def reader(self) -> ClickHouse:
        return ClickHouse(self.clickhouse_url)


def _scene(db_url: str, chdb_folder: Path, chunk_rows: int) -> Iterator[Scene]:
    write_demo(db_url, rows=ROWS, days=DAYS, seed=SEED, end=DEMO_END)
    writer = sa.create_engine(db_url)
    if writer.dialect.name == "postgresql":  # let rows of the hard-deleted user be copied
        with writer.begin() as conn:
            conn.execute(sa.text("ALTER TABLE audit_logs DROP CONSTRAINT audit_logs_user_id_fkey"))
    reader = create_readonly_engine(db_url)
    report = check_database(reader)
    assert report.source is not None
    url = chdb_url(chdb_folder)
    store = ClickHouse(url, writable=True, chunk_rows=chunk_rows)
    yield Scene(db_url, Writer(writer), report.source, url, store)
    store.close()
    reader.dispose()
    writer.dispose()


@pytest.fixture
def scene(db_url: str, chdb_folder: Path) -> Iterator[Scene]:
    yield from _scene(db_url, chdb_folder, chunk_rows=5_000)


@pytest.fixture
def sqlite_scene(tmp_path: Path, chdb_folder: Path) -> Iterator[Scene]:
    yield from _scene(f"sqlite:///{tmp_path / 'audit.sqlite3'}", chdb_folder, chunk_rows=1_000)


def test_equal_to_the_source_after_sync_appends_deletions_and_rewrites(scene: Scene) -> None:
    # A transaction that commits late can leave a lower id behind the copy's last id.
    late = scene.writes.select(sa.select(audit_logs).where(audit_logs.c.id.between(200, 210)))
    scene.writes.execute(audit_logs.delete().where(audit_logs.c.id.between(200, 210)))
    report = scene.store.sync_step(scene.source)
    assert report.appended == ROWS - len(late) and scene.store.rows() == report.appended
    reader = scene.reader()
    copied = reader.source_for(scene.source)
    assert copied.dialect == CLICKHOUSE
    assert_same(scene.source, copied, "after the first sync", tuple(FILTERS))

    # Appends are found by id; what only the verification finds (deletions, rewrites, a
    # late commit below the last id copied) is checked together, to keep the test short.
    append(scene.writes)
    scene.sync_fully()
    assert_same(scene.source, copied, "after appends", AFTER_CHANGE)
    delete(scene.writes)
    rewrite(scene.writes)
    scene.writes.execute(audit_logs.insert(), late)
    scene.sync_fully()
    assert_same(scene.source, copied, "after deletions, rewrites and a late commit", AFTER_CHANGE)
    reader.close()


def test_steps_are_bounded_and_a_pass_repairs_every_day(sqlite_scene: Scene) -> None:
    scene, store = sqlite_scene, sqlite_scene.store
    first = store.sync_step(scene.source, budget_seconds=0)
    assert (first.appended, first.caught_up, first.rows) == (1_000, False, 1_000)
    assert not store.ready_for(scene.source)
    steps = 1
    while not store.ready_for(scene.source):
        assert store.sync_step(scene.source, budget_seconds=0).appended <= 1_000
        steps += 1
    assert steps <= ROWS // 1_000 + 1

    day = datetime(2026, 10, 28)
    created = audit_logs.c.created_at
    scene.writes.execute(audit_logs.delete().where(created >= day, created < day + timedelta(1)))
    for _ in range(DAYS + 5):
        report = store.sync_step(scene.source, budget_seconds=0)
        assert report.verified == 2  # the newest day and one more slice
        if report.resynced:
            assert report.resynced == ["2026-10-28"]
            break
    else:
        pytest.fail("the deleted day was never repaired")
    everything = FILTERS["all time"]
    copied = store.source_for(scene.source)
    assert queries.kpis(copied, everything, DEMO_NOW) == queries.kpis(
        scene.source, everything, DEMO_NOW
    )
    assert store.sync_step(scene.source).resynced == []  # a whole pass: nothing else differs


def test_the_dashboard_reads_clickhouse_only_when_chosen_and_only_read_only(
    sqlite_scene: Scene,
) -> None:
    scene = sqlite_scene
    chosen = Router(Settings(aggregate_engine="clickhouse", clickhouse_url=scene.clickhouse_url))
    everything = AuditFilter(range="all")
    assert chosen.aggregate(scene.source, everything).engine == "source"  # not synced yet
    scene.sync_fully()
    route = chosen.aggregate(scene.source, everything)
    assert route.engine == "clickhouse" and route.target.dialect == CLICKHOUSE
    assert chosen.aggregate(scene.source, AuditFilter(text="login")).engine == "source"
    assert chosen.aggregate(scene.source, AuditFilter(tags=("login",))).engine == "source"
    kpis = queries.kpis(route.target, everything, DEMO_NOW)
    assert kpis == queries.kpis(scene.source, everything, DEMO_NOW)
    incidents = chosen.route(
        Call(find_incidents, everything, (security.Thresholds(),)), scene.source
    )
    assert incidents.engine == "clickhouse" and incidents.kwargs == {"rows_from": scene.source}
    for engine in ("auto", "mirror", "source"):
        other = Router(Settings(aggregate_engine=engine, clickhouse_url=scene.clickhouse_url))
        assert other.clickhouse() is None
        assert other.aggregate(scene.source, everything).engine != "clickhouse"

    reader = chosen.clickhouse()
    assert reader is not None
    with pytest.raises(sa.exc.DatabaseError, match="readonly"), reader.engine.connect() as conn:
        conn.exec_driver_sql("TRUNCATE TABLE audit_logs_rows")
    assert reader.rows() == ROWS

    # A new sync gives a new cache key; the page's freshness comes from its state.
    state = chosen.clickhouse_state(scene.source)
    assert state is not None and state.as_of is not None
    append(scene.writes)
    scene.sync_fully()
    assert chosen.aggregate(scene.source, everything).key != route.key


def test_times_clickhouse_cannot_hold_send_the_dashboard_to_the_source(
    sqlite_scene: Scene,
) -> None:
    scene = sqlite_scene
    router = Router(Settings(aggregate_engine="clickhouse", clickhouse_url=scene.clickhouse_url))
    next_id = scene.writes.max_id() + 1
    base = {"action": "x", "resource_type": "x", "description": "far off"}
    far_off = [
        base | {"id": next_id, "created_at": datetime(1899, 12, 31, 23, 59)},
        base | {"id": next_id + 1, "created_at": datetime(2300, 1, 1)},
        base | {"id": next_id + 2, "created_at": None},  # no time: copied, as NULL
    ]
    scene.writes.execute(audit_logs.insert(), far_off)
    scene.store.sync_step(scene.source)
    state = scene.store.state()
    assert state is not None and state.built and state.unheld == 2
    assert scene.store.rows() == ROWS + 1
    assert not scene.store.ready_for(scene.source)
    assert router.aggregate(scene.source, AuditFilter(range="all")).engine == "source"

    scene.writes.execute(audit_logs.delete().where(audit_logs.c.id.in_([next_id, next_id + 1])))
    scene.sync_fully()
    assert router.aggregate(scene.source, AuditFilter(range="all")).engine == "clickhouse"
    copied = scene.store.source_for(scene.source)
    for name in ("all time", "exclusions, IP prefix, unset severity"):
        flt = FILTERS[name]
        assert queries.kpis(copied, flt, DEMO_NOW) == queries.kpis(scene.source, flt, DEMO_NOW)


def test_the_command_line_syncs(scene: Scene, capsys: pytest.CaptureFixture[str]) -> None:
    from audit.clickhouse.__main__ import main

    assert main(["sync", "--db", scene.url, "--clickhouse", scene.clickhouse_url]) == 0
    assert f"{ROWS:,} rows, {ROWS:,} appended" in capsys.readouterr().out
    assert scene.store.ready_for(scene.source)


# ---------------------------------------------------------------------------------------
# The client layer, on the engine


@pytest.fixture
def engine(chdb_folder: Path) -> Iterator[sa.Engine]:
    store = ClickHouse(chdb_url(chdb_folder), writable=True)
    yield store.engine
    store.close()


def test_like_escapes_and_times_are_exact_on_the_engine(engine: sa.Engine) -> None:
    values = sa.select(
        sa.func.arrayJoin(["a_c", "abc", "a%c", "ab%c", "a\\c"]).label("v")
    ).subquery()
    cases = {"a_c": ["a_c"], "a%*": ["a%c"], "a*c": ["a%c", "a\\c", "a_c", "ab%c", "abc"]}
    with engine.connect() as conn:
        for pattern, expected in cases.items():
            query = sa.select(values.c.v).where(pattern_clause(values.c.v, pattern))
            assert sorted(conn.execute(query).scalars()) == expected, pattern
        moment = sa.func.toDateTime64("2026-01-01 10:00:00.500000", 6, "UTC")
        bound = sa.literal(datetime(2026, 1, 1, 10, 0, 0, 600_000), sa.DateTime)
        assert conn.execute(sa.select(moment < bound)).scalar() == 1  # microseconds kept


@pytest.mark.parametrize(
    ("text", "holds_a", "holds_1"),
    [
        ('["a", 1]', True, False),
        ("[1, 2]", False, False),
        ('["1"]', False, True),
        ('"a"', False, False),
        ('{"a": 1}', False, False),
        ("not json", False, False),
        ('[["a"]]', False, False),
    ],
)
def test_json_list_membership_on_the_engine(
    engine: sa.Engine, text: str, holds_a: bool, holds_1: bool
) -> None:
    column = sa.cast(sa.literal(text, sa.String), sa.String)
    statement = sa.select(
        json_list_contains(column, CLICKHOUSE, "a"), json_list_contains(column, CLICKHOUSE, "1")
    )
    with engine.connect() as conn:
        assert tuple(bool(v) for v in conn.execute(statement).one()) == (holds_a, holds_1)


def test_server_and_in_process_urls_become_one_dialect(tmp_path: Path) -> None:
    server = engine_url("clickhousedb://reader:s3cret@ch.internal:8123/audit", {"readonly": "2"})
    assert (server.drivername, server.host, server.port, server.database) == (
        "clickhousedb+audit",
        "ch.internal",
        8123,
        "audit",
    )
    assert server.query["readonly"] == "2" and server.query["join_use_nulls"] == "1"
    local = engine_url(f"chdb://{tmp_path}?database=other", {})
    assert local.drivername == "clickhousedb+audit" and local.database == "other"
    assert local.query["interface"] == "chdb" and local.query["path"] == str(tmp_path)


def test_clickhouse_settings_are_validated() -> None:
    env = {"AUDIT_AGGREGATE_ENGINE": "ClickHouse", "AUDIT_CLICKHOUSE_URL": "chdb:///var/ch"}
    settings = load_settings(env=env, secrets={})
    assert (settings.aggregate_engine, settings.clickhouse_url) == ("clickhouse", "chdb:///var/ch")
    secrets = {"audit": {"aggregate_engine": "clickhouse", "clickhouse_url": "chdb:///x"}}
    assert load_settings(env={}, secrets=secrets).clickhouse_url == "chdb:///x"
    with pytest.raises(ConfigError, match="needs clickhouse_url"):
        load_settings(env={"AUDIT_AGGREGATE_ENGINE": "clickhouse"}, secrets={})
    bad = {"AUDIT_CLICKHOUSE_URL": "http://user:hunter2@ch:8123"}
    with pytest.raises(ConfigError, match="clickhouse_url") as raised:
        load_settings(env=bad, secrets={})
    assert "hunter2" not in str(raised.value)


def test_the_page_states_clickhouse_freshness(
    sqlite_scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    scene = sqlite_scene
    monkeypatch.setenv("AUDIT_DB_URL", scene.url)
    monkeypatch.setenv("AUDIT_AGGREGATE_ENGINE", "clickhouse")
    monkeypatch.setenv("AUDIT_CLICKHOUSE_URL", scene.clickhouse_url)
    app = AppTest.from_file(str(Path(__file__).parent.parent / "app.py"), default_timeout=60)
    app.query_params["range"] = "all"
    app.run()
    assert not app.exception
    captions = [c.value for c in app.sidebar.caption]
    assert any("ClickHouse holds no copy of this database yet" in c for c in captions), captions

    scene.sync_fully()
    app.run()
    assert not app.exception
    captions = [c.value for c in app.sidebar.caption]
    assert any("Charts and counts from ClickHouse, data as of" in c for c in captions), captions
    assert next(m for m in app.metric if m.label == "Events").value == f"{ROWS:,}"


def test_incidents_from_clickhouse_equal_the_mirrors(sqlite_scene: Scene, tmp_path: Path) -> None:
    """Incident chains on a copy tie steps by IP alone (neither holds session ids): the two
    copies give the same incidents."""
    scene = sqlite_scene
    scene.sync_fully()
    mirror = Mirror(tmp_path / "mirror" / "audit.duckdb")
    mirror.build(scene.source)
    th = security.Thresholds()
    for name, flt in SECURITY_FILTERS.items():
        from_mirror = find_incidents(mirror.source_for(scene.source), flt, DEMO_NOW, th)
        from_clickhouse = find_incidents(scene.store.source_for(scene.source), flt, DEMO_NOW, th)
        assert from_clickhouse.incidents, name
        assert from_clickhouse == from_mirror, name
        # as the dashboard runs it: the incidents' events read from the source
        copy = scene.store.source_for(scene.source)
        with_source_rows = find_incidents(copy, flt, DEMO_NOW, th, rows_from=scene.source)
        assert with_source_rows == from_mirror, name
    mirror.close()
