"""The databases the benchmark builds (demo data in SQLite and PostgreSQL) or is given."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from audit.db import create_readonly_engine
from audit.tools.bench.parameters import BENCH_DAYS, BENCH_END, BENCH_SEED, PG_URL_ENVS, SMALL_ROWS


@dataclass
class Target:
    dialect: str
    url: str
    rows: int
    own: bool  # built by the benchmark: it may add rows and indexes
    small_url: str | None = None  # the 10,000-row database of the same kind

    @property
    def key(self) -> str:
        return f"{self.dialect}-{self.rows}"


def _table_rows(url: str) -> int | None:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("audit_logs"):
                return None
            return int(conn.exec_driver_sql("SELECT count(*) FROM audit_logs").scalar())
    finally:
        engine.dispose()


def _ensure_demo(url: str, rows: int, fresh: bool) -> None:
    """Write the demo rows unless the database already holds exactly them."""
    from audit.progress import ProgressBar
    from audit.tools.demo import write_demo

    if not fresh and _table_rows(url) == rows:
        return
    shown = sa.make_url(url).render_as_string(hide_password=True)
    print(f"writing {rows:,} demo rows to {shown}", file=sys.stderr)
    write_demo(url, rows, BENCH_DAYS, BENCH_SEED, BENCH_END, ProgressBar())
    if url.startswith("postgresql"):
        autocommit(url, "VACUUM ANALYZE audit_logs", "VACUUM ANALYZE users")


def autocommit(url: str, *statements: str) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    engine.dispose()


def _pg_database(server_url: str, name: str) -> str:
    server = sa.make_url(server_url)
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).first()
        if exists is None:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


def build_targets(args: argparse.Namespace, workdir: Path) -> list[Target]:
    if args.url:
        return [_given_target(url) for url in args.url]
    targets = []
    if "sqlite" in args.dialects:
        url = f"sqlite:///{workdir / f'bench-{args.rows}.sqlite3'}"
        small = f"sqlite:///{workdir / f'bench-{SMALL_ROWS}.sqlite3'}"
        targets.append(Target("sqlite", url, args.rows, True, small))
    pg_server = args.pg_url or next((os.environ[e] for e in PG_URL_ENVS if e in os.environ), None)
    if "postgresql" in args.dialects and pg_server:
        url = _pg_database(pg_server, f"audit_bench_{args.rows}")
        small = _pg_database(pg_server, f"audit_bench_{SMALL_ROWS}")
        targets.append(Target("postgresql", url, args.rows, True, small))
    elif "postgresql" in args.dialects:
        print("no PostgreSQL server given (--pg-url): PostgreSQL skipped", file=sys.stderr)
    for target in targets:
        _ensure_demo(target.url, target.rows, args.fresh)
        if target.small_url and not args.quick:
            _ensure_demo(target.small_url, SMALL_ROWS, args.fresh)
    return targets


def _given_target(url: str) -> Target:
    engine = create_readonly_engine(url)
    dialect = engine.dialect.name
    with engine.connect() as conn:
        rows = int(conn.exec_driver_sql("SELECT count(*) FROM audit_logs").scalar())
    engine.dispose()
    return Target(dialect, url, rows, own=False)
