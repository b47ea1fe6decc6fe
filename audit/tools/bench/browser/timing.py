"""One timed view in the browser: from the moment a person acts (opens, reloads, picks a
filter, clicks a bar) until the page is fully drawn by the snapshot command's own rule
(:func:`audit.browser.wait_until_drawn`), and the server's CPU time meanwhile.

The moment the page became drawn is recorded inside the page: a watcher installed in every
document checks the same readiness predicate every 50 ms and keeps the time it last turned
true, so the figure does not include the wait's settle or its polling."""

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


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far (Linux ``/proc/<pid>/stat``, fields 14
    and 15, after the command name, which may hold spaces)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(page: Page, server_pid: int, act: Callable[[], None], timeout: float) -> Sample:
    """Do ``act`` and wait until the page has left its drawn state (a new document, or a
    rerun that started) and is drawn again."""
    cpu_before = cpu_seconds(server_pid)
    started = time.time()
    act()
    page.wait_for_function(f"window.__benchBusyAt >= {started * 1000:.0f}", timeout=BUSY_TIMEOUT_MS)
    wait_until_drawn(page, timeout=timeout)
    drawn_since = page.evaluate("window.__benchDrawnSince")
    cpu = cpu_seconds(server_pid) - cpu_before
    if drawn_since is None:  # redrawn in the instant between the wait and the read
        return Sample(time.time() - started, cpu)
    return Sample(max(0.0, drawn_since / 1000 - started), cpu)
