"""Hostile text in a real browser: no script runs, no element is injected, and the
snapshot command renders every page of a hostile database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from playwright.sync_api import Page

from audit.browser import EXCEPTION_SELECTOR, wait_until_drawn
from audit.config import PROJECT_ROOT
from audit.server import running_server
from tests.support.databases import DemoDatabase
from tests.support.hostile import XSS_MARK

PAGES = [
    "?range=all&tz=UTC",
    "explorer?range=all&tz=UTC&selected={login_id}",
    "explorer?range=all&tz=UTC&q=%3Cscript%3E&selected={script_id}",
    "event?id={md_id}&range=all",
    "security?range=all&tz=UTC",
    "ip?ip=203.0.113.66&range=all",
    "?range=all&tz=UTC&report=1",
    "explorer?range=all&report=1&selected={md_id}",
]


def _injected(page: Page) -> list[str]:
    return page.evaluate(
        """(mark) => {
          const found = [];
          if (window[mark] !== undefined) found.push('script ran: ' + window[mark]);
          if (document.querySelector('img[src="x"]')) found.push('img injected');
          for (const a of document.querySelectorAll('a[href]'))
            if (/^\\s*javascript:/i.test(a.getAttribute('href')) || a.href.includes('evil.example'))
              found.push('link injected: ' + a.getAttribute('href'));
          for (const s of document.querySelectorAll('script'))
            if (s.textContent.includes(mark)) found.push('script element injected');
          return found;
        }""",
        XSS_MARK,
    )


def test_hostile_text_stays_text_in_the_browser(hostile: DemoDatabase, page: Page) -> None:
    ids = {
        name: hostile.scalar(f"SELECT min(id) FROM audit_logs WHERE action {cond}")
        for name, cond in {
            "login_id": "= 'login'",
            "script_id": "LIKE '<script>%'",
            "md_id": "= 'md'",
        }.items()
    }
    with running_server(hostile.url) as url:
        for path in PAGES:
            page.goto(f"{url}/{path.format(**ids)}")
            wait_until_drawn(page, timeout=120)
            assert page.locator(EXCEPTION_SELECTOR).count() == 0, path
            assert _injected(page) == [], path


def test_snapshot_of_a_hostile_database(hostile: DemoDatabase, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "audit.snapshot", "--db", hostile.url, "--all",
               "--query", "range=all&tz=Asia/Kolkata", "--out", str(tmp_path), "--timeout", "150"]  # fmt: skip
    result = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "explorer.png",
        "overview.png",
        "security.png",
    ]
