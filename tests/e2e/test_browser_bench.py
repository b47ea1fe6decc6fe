"""A smoke run of the browser benchmark on a tiny database (one repetition, the overview,
its first opening and a fresh context): it must run through and report ratios for the
floor and the page. Not a timing test: no figure is compared with a limit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from audit.config import PROJECT_ROOT
from audit.tools.demo import write_demo
from tests.support.databases import DEMO_END


def test_a_smoke_run_reports_ratios_for_the_floor_and_the_page(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tiny.sqlite3'}"
    write_demo(url, rows=2_000, days=30, seed=5, end=DEMO_END)
    out, results = tmp_path / "performance.md", tmp_path / "browser.json"
    out.write_text("# Performance\n\nHand-written text stays.\n")
    command = [
        sys.executable, "-m", "audit.tools.bench", "--browser", "--url", url,
        "--repeat", "1", "--pages", "overview", "--scenarios", "first,fresh",
        "--aggregate-engine", "source", "--workdir", str(tmp_path / "work"),
        "--out", str(out), "--json", str(results),
    ]  # fmt: skip
    env = os.environ | {"PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run(
        command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=150
    )
    assert done.returncode == 0, done.stderr[-3000:]

    (stored,) = json.loads(results.read_text()).values()  # one database, one set of settings
    (run,) = stored["runs"]
    assert not run["errors"]
    ratios = {(f["view"], f["scenario"]): f["ratio"] for f in run["figures"]}
    assert set(ratios) == {(v, s) for v in ("floor", "overview") for s in ("first", "fresh")}
    assert ratios["floor", "fresh"] == 1.0
    assert all(r is not None and r > 0 for r in ratios.values())
    assert all(f["cpu_s"] >= 0 for f in run["figures"])
    assert len(run["load_at_start"]) == 3 and len(run["load_at_end"]) == 3
    assert {c["target"] for c in stored["checks"]} >= {"fresh context ≤ 1.2× the floor's fresh"}

    report = out.read_text()
    assert report.startswith("# Performance\n\nHand-written text stays.")
    assert "## Measured in the browser" in report
    assert (
        "| overview | fresh browser context |" in report
        and "| Target | View | Run 1 | Met |" in report
    )
