"""One timed view in the browser: from the moment a person acts (opens, reloads, picks a
filter, clicks a bar) until the page is fully drawn by the snapshot command's own rule
(:func:`audit.browser.wait_until_drawn`), and the server's CPU time meanwhile.

The moment the page became drawn is recorded inside the page: a watcher installed in every
document checks the same readiness predicate every 50 ms and keeps the time it last turned
true, so the figure does not include the wait's settle or its polling.

CPU time is counted too, for the server process and for Chromium's processes: on a shared
machine it moves less with the load than the seconds do."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from audit.browser import _DRAWN_JS, wait_until_drawn

if TYPE_CHECKING:
    from playwright.sync_api import Page

WATCH_INTERVAL_MS = 50
WATCHER_JS = f"""(() => {{
  const drawn = {_DRAWN_JS};
  window.__benchBusyAt = Date.now();
  window.__benchDrawnSince = null;
  setInterval(() => {{
    const now = Date.now();
    if (!drawn()) {{
      window.__benchBusyAt = now;
      window.__benchDrawnSince = null;
    }} else if (window.__benchDrawnSince === null) {{
      window.__benchDrawnSince = now;
    }}
  }}, {WATCH_INTERVAL_MS});
}})();"""
BUSY_TIMEOUT_MS = 20_000  # an action must make the page leave its drawn state by then


@dataclass(frozen=True)
class Sample:
    seconds: float  # until fully drawn
    server_cpu: float  # the server process's user + system CPU seconds meanwhile
    browser_cpu: float = 0.0  # Chromium's processes' CPU seconds meanwhile


def _stat(pid: int) -> tuple[str, list[str]]:
    """A process's command name and the fields after it (``/proc/<pid>/stat``; the name
    may hold spaces and parentheses)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    head, tail = text.rsplit(")", 1)
    return head.split("(", 1)[1], tail.split()


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far (fields 14 and 15 of its stat)."""
    fields = _stat(pid)[1]
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children() -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int(_stat(int(entry.name))[1][1])
            except (OSError, IndexError, ValueError):
                continue
            found.setdefault(parent, []).append(int(entry.name))
    return found


def browser_cpu() -> dict[int, float]:
    """CPU seconds so far of every Chromium process this process started (through
    Playwright's driver), by process id."""
    children, found, queue = _children(), {}, [os.getpid()]
    while queue:
        pid = queue.pop()
        queue += children.get(pid, [])
        try:
            name = _stat(pid)[0]
            if "chrom" in name:
                found[pid] = cpu_seconds(pid)
        except (OSError, IndexError, ValueError):
            continue
    return found


def cpu_since(before: dict[int, float]) -> float:
    """Chromium's CPU seconds since ``before`` (a process started since counts whole; one
    that ended is lost, which is why contexts are closed after their views are read)."""
    return sum(now - before.get(pid, 0.0) for pid, now in browser_cpu().items())


def timed(page: Page, server_pid: int, act: Callable[[], None], timeout: float) -> Sample:
    """Do ``act`` and wait until the page has left its drawn state (a new document, or a
    rerun that started) and is drawn again."""
    cpu_before, browser_before = cpu_seconds(server_pid), browser_cpu()
    started = time.time()
    act()
    page.wait_for_function(f"window.__benchBusyAt >= {started * 1000:.0f}", timeout=BUSY_TIMEOUT_MS)
    wait_until_drawn(page, timeout=timeout)
    drawn_since = page.evaluate("window.__benchDrawnSince")
    cpu = cpu_seconds(server_pid) - cpu_before
    in_browser = cpu_since(browser_before)
    if drawn_since is None:  # redrawn in the instant between the wait and the read
        return Sample(time.time() - started, cpu, in_browser)
    return Sample(max(0.0, drawn_since / 1000 - started), cpu, in_browser)
