"""The browser benchmark's figures: per view and scenario the median seconds until drawn,
their spread, the ratio to the floor page measured in the same run, and the server's CPU
per view; the issue's targets against them; as JSON and as a Markdown section of
``docs/performance.md``."""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from audit.tools.bench.browser.run import Options, Run
from audit.tools.bench.browser.scenarios import SCENARIO_TITLES, SCENARIOS
from audit.tools.bench.browser.timing import Sample
from audit.tools.bench.browser.views import FLOOR, PAGES, Data
from audit.tools.bench.report import replace_section

HEADING = "## Measured in the browser"
SECTION_PREFIX = "browser-bench"
FLOOR_REFERENCE = {"first": "first", "fresh": "fresh"}  # every other scenario: the reload
TARGET_PAGES = ("overview", "explorer", "security")
CPU_LIMIT_S = 0.5


def reference(scenario: str) -> str:
    """The floor's scenario a view's scenario is compared with (its own when the floor's
    reload was not timed)."""
    return FLOOR_REFERENCE.get(scenario, "reload")


@dataclass(frozen=True)
class Figure:
    view: str
    scenario: str
    median_s: float
    min_s: float
    max_s: float
    cpu_s: float  # the server's, median
    ratio: float | None  # to the floor's reference scenario, same run
    n: int
    browser_cpu_s: float = 0.0  # Chromium's, median
    cpu_ratio: float | None = None  # server + browser CPU, to the floor's reference


def _total_cpu(sample: Sample) -> float:
    return sample.server_cpu + sample.browser_cpu


def _ratio(value: float, base: float | None) -> float | None:
    return value / base if base else None


def figures(run: Run) -> list[Figure]:
    floor = run.samples.get(FLOOR, {})
    floor_s = {s: statistics.median(x.seconds for x in v) for s, v in floor.items()}
    floor_cpu = {s: statistics.median(map(_total_cpu, v)) for s, v in floor.items()}
    found = []
    for view, by_scenario in run.samples.items():
        for scenario in SCENARIOS:
            samples = by_scenario.get(scenario)
            if not samples:
                continue
            seconds = [s.seconds for s in samples]
            median = statistics.median(seconds)
            base = reference(scenario) if reference(scenario) in floor else scenario
            found.append(
                Figure(
                    view,
                    scenario,
                    median,
                    min(seconds),
                    max(seconds),
                    statistics.median(s.server_cpu for s in samples),
                    _ratio(median, floor_s.get(base)),
                    len(samples),
                    statistics.median(s.browser_cpu for s in samples),
                    _ratio(statistics.median(map(_total_cpu, samples)), floor_cpu.get(base)),
                )
            )
    return found


@dataclass(frozen=True)
class Target:
    label: str
    scenario: str
    limit: float
    scales: tuple[str, ...]
    pages: tuple[str, ...] = TARGET_PAGES
    cpu: bool = False  # a limit on the server's CPU seconds per view, not a ratio


TARGETS = (
    Target("reload ≤ 1.3× the floor's reload", "reload", 1.3, ("demo", "1M")),
    Target("next minute ≤ 1.3× the floor's reload", "next minute", 1.3, ("demo", "1M")),
    Target("filter change ≤ 1.3× the floor's reload", "filter", 1.3, ("demo", "1M")),
    Target("fresh context ≤ 1.2× the floor's fresh", "fresh", 1.2, ("demo", "1M", "10M")),
    Target("reload ≤ 2× the floor's reload (mirror)", "reload", 2.0, ("10M",)),
    Target("server CPU per view ≤ 0.5 s (worst scenario)", "", CPU_LIMIT_S, ("demo",), PAGES, True),
)


def scale(rows: int) -> str:
    """Which of the issue's sizes a database stands for: the demo (50,000 rows), 1M, 10M."""
    if rows < 300_000:
        return "demo"
    return "1M" if rows < 5_000_000 else "10M"


@dataclass(frozen=True)
class Check:
    target: str
    page: str
    measured: list[float | None]  # one per run
    limit: float
    cpu: bool

    @property
    def met(self) -> bool | None:
        """Met when it holds in every run that measured it (the project's rule: three runs
        judge a target, each must hold)."""
        known = [m for m in self.measured if m is not None]
        return all(m <= self.limit for m in known) if known else None


def checks(runs: list[Run], rows: int) -> list[Check]:
    per_run = [{(f.view, f.scenario): f for f in figures(run)} for run in runs]
    found = []
    for target in TARGETS:
        if scale(rows) not in target.scales:
            continue
        for page in target.pages:
            measured = [_measured(target, page, by_key) for by_key in per_run]
            if any(m is not None for m in measured):
                found.append(Check(target.label, page, measured, target.limit, target.cpu))
    return found


def _measured(target: Target, page: str, by_key: dict[tuple[str, str], Figure]) -> float | None:
    if target.cpu:
        cpus = [f.cpu_s for (view, s), f in by_key.items() if view == page and s != "first"]
        return max(cpus) if cpus else None
    figure = by_key.get((page, target.scenario))
    return figure.ratio if figure else None


def _times(ratio: float | None) -> str:
    return "–" if ratio is None else f"{ratio:.2f}×"


def _run_cell(figure: Figure | None) -> str:
    if figure is None:
        return "–"
    spread = f" ({figure.min_s:.2f}–{figure.max_s:.2f})" if figure.n > 1 else ""
    return (
        f"{figure.median_s:.2f}{spread}, **{_times(figure.ratio)}**; "
        f"CPU {figure.cpu_s:.2f}+{figure.browser_cpu_s:.1f}, {_times(figure.cpu_ratio)}"
    )


def _check_cell(check: Check, value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.2f} s" if check.cpu else f"{value:.2f}×"


def markdown(key: str, data: Data, options: Options, runs: list[Run]) -> str:
    per_run = [{(f.view, f.scenario): f for f in figures(run)} for run in runs]
    header = [f"Run {i + 1}" for i in range(len(runs))]
    lines = [
        f"### Browser: {data.dialect}, {data.rows:,} rows ({scale(data.rows)}){_settings(options)}",
        "",
        _conditions(data, options, runs),
        "",
        "Each cell: median seconds until fully drawn (min–max over the repetitions) and, in "
        "bold, its ratio to the floor page in the same run (a view's first opening and fresh "
        "context against the floor's; every other scenario against the floor's reload); then "
        "the median CPU seconds of the server + of Chromium per view, and the ratio of their "
        "sum to the floor's (CPU moves less with the machine's load than seconds do).",
        "",
        "| View | Scenario | " + " | ".join(header) + " |",
        "|---|---|" + "---|" * len(runs),
    ]
    views = [FLOOR, *(v for v in PAGES if any(v == k[0] for r in per_run for k in r))]
    for view in views:
        for scenario in SCENARIOS:
            cells = [by_key.get((view, scenario)) for by_key in per_run]
            if any(cells):
                row = " | ".join(_run_cell(c) for c in cells)
                lines.append(f"| {view} | {SCENARIO_TITLES[scenario]} | {row} |")
    lines += _errors(runs)
    lines += [
        "",
        "| Target | View | " + " | ".join(header) + " | Met |",
        "|---|---|" + "---|" * (len(runs) + 1),
    ]
    for check in checks(runs, data.rows):
        values = " | ".join(_check_cell(check, m) for m in check.measured)
        met = {True: "yes", False: "**no**", None: "–"}[check.met]
        lines.append(f"| {check.target} | {check.page} | {values} | {met} |")
    return "\n".join(lines) + "\n"


def _on_off(on: bool) -> str:
    return "on" if on else "off"


def _settings(options: Options) -> str:
    notes = [f"aggregate engine {options.aggregate_engine}"] if options.aggregate_engine else []
    notes += ["websocket compression on"] if options.websocket_compression else []
    return f", {', '.join(notes)}" if notes else ""


def _conditions(data: Data, options: Options, runs: list[Run]) -> str:
    loads = "; ".join(
        f"run {i + 1} at {r.started}, load average {r.load_at_start} at start and "
        f"{r.load_at_end} at end"
        for i, r in enumerate(runs)
    )
    minute = (
        "waited for the next whole minute"
        if options.wait_minute
        else "`now` pinned where the dashboard's clock puts it a minute later (the same "
        "5-minute step, no real wait)"
    )
    engine = options.aggregate_engine or "the dashboard's setting"
    return (
        f"{len(runs)} run(s) of {options.repeat} repetition(s), views pinned to "
        f"now={data.now:%Y-%m-%dT%H:%M}Z (the end of the newest event's 5-minute step); "
        f"next minute: "
        f"{minute}; aggregate engine: {engine}; websocket compression "
        f"{_on_off(options.websocket_compression)}. {loads}."
    )


def _errors(runs: list[Run]) -> list[str]:
    lines = []
    for i, run in enumerate(runs):
        for view, by_scenario in run.errors.items():
            for scenario, error in by_scenario.items():
                lines.append(f"- run {i + 1}, {view}, {scenario}: failed: {error}")
    return ["", *lines] if lines else []


def run_json(run: Run) -> dict[str, Any]:
    return {
        "started": run.started,
        "load_at_start": run.load_at_start,
        "load_at_end": run.load_at_end,
        "figures": [asdict(f) for f in figures(run)],
        "samples": {
            view: {s: [asdict(x) for x in samples] for s, samples in by.items()}
            for view, by in run.samples.items()
        },
        "errors": run.errors,
    }


def write(
    key: str, data: Data, options: Options, runs: list[Run], md_path: Path, json_path: Path
) -> str:
    """Store the runs under ``key`` (replacing an earlier invocation's) and return the
    Markdown section written."""
    stored = json.loads(json_path.read_text()) if json_path.exists() else {}
    stored[key] = {
        "database": {"dialect": data.dialect, "rows": data.rows, "now": data.now.isoformat()},
        "options": asdict(options),
        "runs": [run_json(run) for run in runs],
        "checks": [asdict(c) | {"met": c.met} for c in checks(runs, data.rows)],
    }
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(stored, indent=1, sort_keys=True, default=str) + "\n")
    section = markdown(key, data, options, runs)
    text = md_path.read_text() if md_path.exists() else "# Performance\n"
    md_path.write_text(replace_section(text, key, section, SECTION_PREFIX, HEADING))
    return section
