"""The snapshot command: complete, non-blank images of every page, in the report's
timezone, the same image for the same URL, and no image when the database is down."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image
from playwright.sync_api import Page

from audit.browser import wait_until_drawn
from audit.config import PROJECT_ROOT
from audit.server import running_server
from audit.snapshot import ALL_PAGES, main
from audit.vocab import HIGH_SEVERITIES, SECURITY_ACTIONS
from tests.support.secrets import SECRETS

WINDOW = (
    "range=custom&from=2026-11-13T00:00:00%2B01:00&to=2026-11-20T00:00:00%2B01:00&tz=Europe/Berlin"
)
NOW = "now=2026-11-20T12:00:00%2B00:00"
UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:1/none"


def snapshot(*args: str) -> subprocess.CompletedProcess:
    """The command as a cron job runs it (its own process: Playwright's sync API cannot
    nest inside the test's browser)."""
    command = [sys.executable, "-m", "audit.snapshot", *args]
    return subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)


def _is_blank(image: Image.Image) -> bool:
    extrema = image.convert("L").getextrema()
    return extrema[0] == extrema[1]


def _content_height(page: Page, url: str) -> int:
    page.goto(url)
    wait_until_drawn(page)
    return int(page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight"))


def test_every_page_snapshot_is_complete_and_not_blank(
    app_url: str, tmp_path: Path, page: Page
) -> None:
    result = snapshot("--url", app_url, "--all", "--query", WINDOW, "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    printed = result.stdout
    for name in ALL_PAGES:
        image_path = tmp_path / f"{name}.png"
        assert str(image_path) in printed
        image = Image.open(image_path)
        assert image.width == 1400
        assert not _is_blank(image)
        # the image covers the whole page, not just the first screen
        path = "" if name == "overview" else name
        height = _content_height(page, f"{app_url}/{path}?{WINDOW}&report=1")
        assert height > 1000 and image.height >= height
        # content reaches the bottom part of the image (not a tall empty canvas)
        bottom = image.crop((0, image.height * 3 // 4, image.width, image.height))
        assert not _is_blank(bottom) or name == "explorer"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.png" for n in ALL_PAGES)


def test_same_url_same_image(app_url: str, tmp_path: Path) -> None:
    digests = []
    for run in ("a", "b"):
        out = tmp_path / run
        result = snapshot(
            "--url", app_url, "--page", "overview", "--query", f"{WINDOW}&{NOW}", "--out", str(out)
        )
        assert result.returncode == 0, result.stderr
        digests.append(hashlib.sha256((out / "overview.png").read_bytes()).hexdigest())
    assert digests[0] == digests[1]


def test_report_kpis_equal_sql_and_name_the_timezone(
    app_url: str, page: Page, e2e_writer: sa.Engine
) -> None:
    page.goto(f"{app_url}/?{WINDOW}&report=1")
    wait_until_drawn(page)
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert (
        "Europe/Berlin" in text and "2026-11-13 00:00 to 2026-11-20 00:00 (Europe/Berlin)" in text
    )
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    where = "created_at >= '2026-11-12 23:00' AND created_at < '2026-11-19 23:00'"
    actions = ", ".join(f"'{a}'" for a in sorted(SECURITY_ACTIONS))
    highs = ", ".join(f"'{s}'" for s in HIGH_SEVERITIES)
    with e2e_writer.connect() as conn:
        row = conn.execute(
            sa.text(
                f"SELECT count(*), sum(CASE WHEN success IS FALSE THEN 1 ELSE 0 END), "
                f"sum(CASE WHEN action IN ({actions}) OR category = 'security' THEN 1 ELSE 0 END), "
                f"sum(CASE WHEN severity IN ({highs}) THEN 1 ELSE 0 END), "
                f"count(DISTINCT user_id), count(DISTINCT ip_address) FROM audit_logs WHERE {where}"
            )
        ).one()
    events, failed, security, high, users, ips = (int(v) for v in row)
    expected = {
        "Events": f"{events:,}",
        "Failed": f"{failed:,}",
        "Failure rate": f"{failed / events:.1%}",
        "Security events": f"{security:,}",
        "High & critical": f"{high:,}",
        "Active users": f"{users:,}",
        "Distinct IPs": f"{ips:,}",
    }
    for label, value in expected.items():
        metric = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
        assert metric.locator('[data-testid="stMetricValue"]').inner_text().strip() == value, label


def test_no_image_when_the_database_is_down(tmp_path: Path) -> None:
    result = snapshot("--db", UNREACHABLE, "--all", "--out", str(tmp_path))
    assert result.returncode != 0
    assert "cannot be reached" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_no_image_when_a_running_dashboard_lost_its_database(tmp_path: Path) -> None:
    with running_server(UNREACHABLE) as url:
        result = snapshot(
            "--url", url, "--page", "overview", "--out", str(tmp_path), "--timeout", "30"
        )
    assert result.returncode == 1
    assert "the page reports a problem" in result.stderr and "cannot be reached" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("query", ["range=forever", "tz=Mars/Base", "from=yesterday"])
def test_invalid_query_is_refused(query: str, tmp_path: Path, capsys) -> None:
    assert main(["--db", UNREACHABLE, "--all", "--query", query, "--out", str(tmp_path)]) == 1
    assert "invalid --query" in capsys.readouterr().err
    assert not tmp_path.exists() or list(tmp_path.iterdir()) == []


def test_with_sign_in_a_snapshot_needs_a_role_and_a_viewer_sees_masked_data(
    e2e_db: str, tmp_path: Path, page: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    import re

    secrets = tmp_path / "secrets.toml"
    secrets.write_text(SECRETS)  # sign-in on: a browser job cannot sign in, it needs --role
    monkeypatch.setenv("STREAMLIT_SECRETS_FILES", str(secrets))  # read by `streamlit run`
    refused = snapshot(
        "--db", e2e_db, "--page", "overview", "--query", WINDOW, "--out", str(tmp_path / "a")
    )
    assert refused.returncode == 1 and "Sign in" in refused.stderr
    done = snapshot(
        "--db",
        e2e_db,
        "--role",
        "viewer",
        "--page",
        "overview",
        "--query",
        WINDOW,
        "--out",
        str(tmp_path / "b"),
    )
    assert done.returncode == 0, done.stderr
    with running_server(e2e_db, env={"AUDIT_SNAPSHOT_ROLE": "viewer"}) as url:
        page.goto(f"{url}/?{WINDOW}&report=1")
        wait_until_drawn(page)
        text = page.locator('[data-testid="stMain"]').inner_text()
    assert "@corp.example.com" in text  # the top users, by domain
    assert not re.search(r"[\w.+-]+@corp\.example\.com", text)
