"""The snapshot command: complete, non-blank images of every page, in the report's
timezone, the same image for the same URL, and no image when the database is down."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image, ImageChops
from playwright.sync_api import Page

from audit.access import SNAPSHOT_ROLE_ENV, SNAPSHOT_SECRET_ENV
from audit.browser import PageNotReady, wait_until_drawn
from audit.config import PROJECT_ROOT
from audit.server import running_server
from audit.snapshot import ALL_PAGES, drawn_role, main, snapshot_cookie
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


def _largest_pixel_difference(first: Path, second: Path) -> int:
    """0 for identical images; Chromium's rasteriser may shift a rounded corner's
    anti-aliasing by one level between runs, which no reader can see."""
    a, b = Image.open(first).convert("L"), Image.open(second).convert("L")
    assert a.size == b.size
    return ImageChops.difference(a, b).getextrema()[1]


QUARTER = (
    "range=custom&from=2026-08-22T00:00:00%2B00:00&to=2026-11-20T12:00:00%2B00:00&tz=Europe/Berlin"
)
SECURITY_REPORT_MAX_PX = 2000  # two screens; 16,305 px before its lists were capped


def test_the_security_report_of_a_quarter_stays_short(app_url: str, tmp_path: Path) -> None:
    """Its lists are capped ("… and N more" with a link), so 90 days of incidents and
    changes read in two screens at 1400 px, not sixteen."""
    result = snapshot(
        "--url", app_url, "--page", "security", "--query", QUARTER, "--out", str(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    image = Image.open(tmp_path / "security.png")
    assert image.width == 1400 and 1500 < image.height <= SECURITY_REPORT_MAX_PX


def test_same_url_same_image(app_url: str, tmp_path: Path) -> None:
    images = []
    for run in ("a", "b"):
        out = tmp_path / run
        result = snapshot(
            "--url", app_url, "--page", "overview", "--query", f"{WINDOW}&{NOW}", "--out", str(out)
        )
        assert result.returncode == 0, result.stderr
        images.append(out / "overview.png")
    # Any changed text, number or mark differs by far more than a few levels.
    assert _largest_pixel_difference(*images) <= 8


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


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


FULL_EMAIL = re.compile(r"[\w.+-]+@corp\.example\.com")
# An address, not a version such as Chrome/125.0.0.0 in a user agent.
FULL_IPV4 = re.compile(r"(?<![\w./])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")
MASKED_IPV4 = re.compile(r"(?<![\w./])(?:\d{1,3}\.){3}x\b")
NO_SIGN_IN = SECRETS[SECRETS.index("[audit.access]") :]  # the roles, without [auth]


def _use_secrets(text: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The secrets every dashboard started from here reads, whatever the machine has."""
    secrets = folder / "secrets.toml"
    secrets.write_text(text)
    monkeypatch.setenv("STREAMLIT_SECRETS_FILES", str(secrets))  # read by `streamlit run`


@pytest.mark.parametrize("sign_in", [True, False], ids=["sign-in", "no sign-in"])
def test_a_viewer_snapshot_is_masked_with_or_without_sign_in(
    e2e_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sign_in: bool
) -> None:
    _use_secrets(SECRETS if sign_in else NO_SIGN_IN, tmp_path, monkeypatch)
    common = ("--db", e2e_db, "--query", WINDOW, "--format", "pdf")
    if sign_in:  # a browser job cannot sign in: without --role no report
        refused = snapshot(*common, "--page", "overview", "--out", str(tmp_path / "refused"))
        assert refused.returncode == 1 and "Sign in" in refused.stderr
    pages = ("--page", "overview", "--page", "security")
    done = snapshot(*common, *pages, "--role", "viewer", "--out", str(tmp_path / "viewer"))
    assert done.returncode == 0, done.stderr
    text = _pdf_text(tmp_path / "viewer" / "overview.pdf")
    text += _pdf_text(tmp_path / "viewer" / "security.pdf")
    assert "@corp.example.com" in text and MASKED_IPV4.search(text)  # users, findings' IPs
    assert not FULL_EMAIL.search(text), FULL_EMAIL.findall(text)
    assert not FULL_IPV4.search(text), FULL_IPV4.findall(text)


def test_a_running_dashboard_cannot_be_given_a_role(app_url: str, tmp_path: Path) -> None:
    # The command cannot make a server it did not start draw a role: no silent analyst report.
    for role in ("viewer", "analyst"):
        result = snapshot(
            "--url", app_url, "--role", role, "--page", "overview", "--out", str(tmp_path)
        )
        assert result.returncode == 1
        assert "--role" in result.stderr and "--url" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_snapshot_role_is_drawn_only_for_the_run_secret(
    e2e_db: str, tmp_path: Path, page: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use_secrets(SECRETS, tmp_path, monkeypatch)
    secret = "the-secret-of-this-run-0123456789abcdef"
    env = {SNAPSHOT_ROLE_ENV: "viewer", SNAPSHOT_SECRET_ENV: secret}
    with running_server(e2e_db, env=env) as url:
        report = f"{url}/?{WINDOW}&report=1"
        for presented in (None, "not-the-secret-of-this-run-0123456789"):
            if presented:
                page.context.add_cookies([snapshot_cookie(url, presented)])
            page.goto(report)
            with pytest.raises(PageNotReady, match="Sign in"):
                wait_until_drawn(page)
        page.context.clear_cookies()
        page.context.add_cookies([snapshot_cookie(url, secret)])
        page.goto(report)
        wait_until_drawn(page)
        assert drawn_role(page) == "viewer"
        text = page.locator('[data-testid="stMain"]').inner_text()
        links = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    assert secret not in text and not any(secret in link for link in links)
