"""A small smoke run of ``python -m audit.tools.bench`` (not a timing test: it checks that every
measurement runs and is reported), and the pieces of its report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from audit import queries
from audit.db import check_database, create_readonly_engine
from audit.tools.bench import parameters
from audit.tools.bench.naive import naive_load, naive_overview
from audit.tools.bench.report import replace_section, rerender
from audit.tools.demo import write_demo
from tests.support.databases import DEMO_END

ROOT = Path(__file__).resolve().parent.parent


def test_quick_run_measures_everything_and_writes_the_reports(tmp_path: Path) -> None:
    out, results = tmp_path / "performance.md", tmp_path / "performance.json"
    out.write_text("# Performance\n\nHand-written text stays.\n\n## Measured results\n")
    command = [
        sys.executable,
        "-m",
        "audit.tools.bench",
        "--quick",
        "--workdir",
        str(tmp_path),
        "--out",
        str(out),
        "--json",
        str(results),
    ]
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]

    run = json.loads(results.read_text())[f"sqlite-{parameters.QUICK_ROWS}-quick"]
    names = {(r["name"], r["engine"], r["indexes"]) for r in run["results"]}
    for engine in ("source", "mirror"):
        assert ("overview", engine, None if engine == "mirror" else False) in names
    assert ("overview, naive (read_sql + pandas)", "naive", None) in names
    assert ("overview", "source", True) in names  # the same again with the indexes
    for name in parameters.EXPLORER_FILTERS:
        assert (f"explorer first page: {name}", "source", False) in names
    expected = {
        "free-text search, first page",
        "security page",
        parameters.MIRROR_SECURITY,
        parameters.CACHED_OVERVIEW,
        "CSV export, every row",
        "mirror: first build",
        f"mirror: sync of {parameters.SYNC_ROWS:,} new rows (one step)",
        "dashboard process, every page",
    }
    assert expected <= {name for name, _, _ in names}
    assert any(name.startswith("explorer page 201 (after 200") for name, _, _ in names)
    for name in parameters.ANOMALY_FILTERS:  # the Unusual section's baselines, both engines
        assert {(f"unusual (baselines): {name}", e) for e in ("source", "mirror")} <= {
            (n, e) for n, e, _ in names
        }
    for row in run["results"]:
        assert row["cold_s"] >= 0 and (row["peak_growth_mb"] is None or row["peak_growth_mb"] > -50)
    assert run["machine"]["cpus"] and run["machine"]["database"].startswith("SQLite")
    sync = next(r for r in run["results"] if r["name"].startswith("mirror: sync"))
    assert sync["appended"] == parameters.SYNC_ROWS and sync["caught_up"]

    report = out.read_text()
    assert report.startswith("# Performance\n\nHand-written text stays.")
    assert "| Measurement | Engine | Indexes | Cold (s) |" in report
    assert "| Target | Measured | Met |" in report
    assert "overview from the mirror, cold ≤ 1 s" in report
    rerender(out, results)  # the Markdown again from the JSON: the same section
    assert out.read_text() == report


def test_a_rerun_replaces_only_its_own_section() -> None:
    text = "# P\n\nIntro.\n\n## Measured results\n"
    text = replace_section(text, "postgresql-1000000", "### PG 1M\nold\n")
    text = replace_section(text, "sqlite-1000000", "### SQLite 1M\n")
    text = replace_section(text, "postgresql-1000000", "### PG 1M\nnew\n")
    assert text.count("### PG 1M") == 1 and "new" in text and "old" not in text
    assert "### SQLite 1M" in text and text.startswith("# P\n\nIntro.")
    assert text.index("### PG 1M") < text.index("### SQLite 1M")  # kept in order of first run


@pytest.fixture
def small_sqlite(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'small.sqlite3'}"
    write_demo(url, rows=3_000, days=30, seed=4, end=DEMO_END)
    return url


def test_the_naive_way_computes_the_same_overview_numbers(small_sqlite: str) -> None:
    frame, users = naive_load(small_sqlite)
    naive = naive_overview(frame, users, "UTC")["kpis"]
    source = check_database(create_readonly_engine(small_sqlite)).source
    assert source is not None
    kpis = queries.kpis(source, parameters.WHOLE_RANGE, parameters.BENCH_NOW).current
    assert naive == {
        "events": kpis["Events"],
        "failed": kpis["Failed"],
        "security": kpis["Security events"],
        "high": kpis["High & critical"],
        "users": kpis["Active users"],
        "ips": kpis["Distinct IPs"],
    }
    source.engine.dispose()
