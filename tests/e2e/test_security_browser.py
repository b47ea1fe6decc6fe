"""The security page in a real browser: an incident's finding link lands on the Explorer
with exactly the finding's events, a profile opens from it, thresholds stay in the URL."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlparse

import sqlalchemy as sa
from playwright.sync_api import Page

from audit import queries, security
from audit.browser import wait_until_drawn
from audit.db import check_database
from audit.filters import AuditFilter
from audit.timerange import CUSTOM
from tests.support.databases import DEMO_NOW

WEEK = AuditFilter(range=CUSTOM, start=DEMO_NOW - timedelta(days=7), end=DEMO_NOW, tz="UTC")
ROW_HEIGHT = 35  # Streamlit's default dataframe row (and header) height in pixels


def _params(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def _security_url(app_url: str, **extra: str) -> str:
    return f"{app_url}/security?{urlencode(WEEK.to_params() | extra, doseq=True)}"


def _expected_findings(writer: sa.Engine) -> list[security.Finding]:
    source = check_database(writer).source
    assert source is not None
    found = security.detect(source, WEEK, DEMO_NOW, security.Thresholds())
    return list(found.by_rule()[security.BRUTE_FORCE])


def test_a_finding_link_opens_the_explorer_on_exactly_its_events(
    app_url: str, page: Page, e2e_writer: sa.Engine
) -> None:
    findings = _expected_findings(e2e_writer)
    page.goto(_security_url(app_url, rule="brute_force"))
    wait_until_drawn(page)
    page.get_by_role("button", name="Investigate").first.click()
    page.wait_for_url("**incident=**")
    wait_until_drawn(page)
    shown = [
        f
        for f in findings
        if page.get_by_role("link", name=f"Open its {f.events} events in the Explorer").count()
    ]
    assert shown, "the incident shows a brute-force finding's events link"
    finding = shown[0]
    profile = page.get_by_role("link", name=f"IP {finding.ip}").first.get_attribute("href")
    link = page.get_by_role("link", name=f"Open its {finding.events} events in the Explorer")
    link.last.click()
    page.wait_for_url("**/explorer?**")
    wait_until_drawn(page)
    assert page.get_by_role("heading", name="Explorer").is_visible()
    shown_filter, notices = AuditFilter.from_params(_params(page))
    assert not notices
    source = check_database(e2e_writer).source
    assert source is not None
    assert queries.count_events(source, shown_filter, DEMO_NOW) == finding.events
    assert _count_by_hand(e2e_writer, finding) == finding.events

    assert profile is not None and "ip?" in profile
    page.goto(f"{app_url}/{profile.rsplit('/', 1)[-1]}")
    page.wait_for_url("**/ip?**")
    wait_until_drawn(page)
    assert _params(page)["from"] == WEEK.to_params()["from"]


def _count_by_hand(writer: sa.Engine, finding: security.Finding) -> int:
    with writer.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT count(*) FROM audit_logs WHERE ip_address = :ip AND action = 'login' "
                "AND success IS FALSE AND created_at BETWEEN :first AND :last"
            ),
            {"ip": finding.ip, "first": finding.first_seen, "last": finding.last_seen},
        ).scalar_one()


def test_thresholds_stay_in_the_url(app_url: str, page: Page) -> None:
    page.goto(_security_url(app_url, bf_n="41"))
    wait_until_drawn(page)
    rule_chip = page.get_by_role("button", name="Brute force", exact=True)
    assert rule_chip.count() == 0  # no brute force at 41 failures
    page.get_by_text("Detection thresholds").click()
    field = page.get_by_label("Brute force: failed logins")
    field.fill("15")
    field.press("Enter")
    page.wait_for_url("**bf_n=15**")
    wait_until_drawn(page)
    assert rule_chip.count() == 1
    timezone = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').nth(1)
    timezone.click()
    page.keyboard.type("Europe/Berlin")
    page.keyboard.press("Enter")
    page.wait_for_url("**tz=Europe%2FBerlin**")
    wait_until_drawn(page)
    assert _params(page)["bf_n"] == ["15"] and _params(page)["range"] == ["custom"]
