"""The analyst's table and the single event in a real browser at 1400 px, over a small
hand-made database: the id shown on an unfiltered page of consecutive ids, the
description on screen, two values of one facet kept with the others still on offer,
every field of a fully populated event in a full-page screenshot, related events as one
timeline, and the selected event beside the table."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Locator, Page

from audit.browser import wait_until_drawn
from audit.schema import audit_logs, metadata, users
from audit.server import running_server

START = datetime(2026, 11, 10, 8, 0)
COUNT = 40
FULL_ID = 20  # the fully populated event
ACTIONS = ("login", "logout", "read", "update", "delete")
FULL = {
    "id": FULL_ID,
    "user_id": 1,
    "action": "password_change",
    "resource_type": "user",
    "resource_id": "user-0001",
    "description": "Password changed after a reset link was opened",
    "details": {"method": "email-link"},
    "ip_address": "203.0.113.77",
    "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
    "session_id": "sess-full-0001",
    "request_id": "req-full-0001",
    "severity": "high",
    "category": "security",
    "success": False,
    "error_message": "Password reuse is not allowed",
    "tags": ["security", "password"],
    "metadata": {"client": "web-portal"},
    "old_values": {"password_set_at": "2026-01-01"},
    "new_values": {"password_set_at": "2026-11-10"},
    "created_at": START + timedelta(minutes=5 * FULL_ID),
}
# Events related to the full one, and why (the rest are not related to it).
RELATED = {
    17: ({"session_id": "sess-full-0001", "user_id": 1}, "same session, same user"),
    19: ({"request_id": "req-full-0001", "user_id": 2}, "same request"),
    21: ({"ip_address": "203.0.113.77", "user_id": 3}, "same IP"),
    30: ({"session_id": "sess-full-0001", "user_id": 1}, "same session"),  # 50 min later
}
SHOWN_VALUES = [
    "failure",
    "Password reuse is not allowed",
    "2026-11-10 10:40:00 Europe/Berlin (UTC+01:00)",
    "ana@example.com",
    "password_change",
    "user-0001",
    "Password changed after a reset link was opened",
    "high",
    "security",
    "203.0.113.77",
    "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
    "sess-full-0001",
    "req-full-0001",
    "security, password",
    "email-link",
    "web-portal",
    "password_set_at",
    "2026-11-10",
]


def _row(i: int) -> dict:
    if i == FULL_ID:
        return FULL
    row = {
        "id": i,
        "user_id": 2 + i % 2,
        "action": ACTIONS[i % len(ACTIONS)],
        "resource_type": "doc",
        "resource_id": f"doc-{i}",
        "description": f"Opened the quarterly report draft number {i} for review",
        "ip_address": f"198.51.100.{i % 4}",
        "success": True,
        "created_at": START + timedelta(minutes=5 * i),
    }
    extra, _ = RELATED.get(i, ({}, ""))
    return row | extra


@pytest.fixture(scope="module")
def analyst_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, sa.Engine]]:
    folder = tmp_path_factory.mktemp("analyst")
    url = f"sqlite:///{folder / 'audit.sqlite3'}"
    writer = sa.create_engine(url)
    metadata.create_all(writer)
    with writer.begin() as conn:
        conn.execute(
            users.insert(),
            [
                {"id": 1, "email": "ana@example.com", "username": "ana"},
                {"id": 2, "email": "ben@example.com", "username": "ben"},
                {"id": 3, "email": "cleo@example.com", "username": "cleo"},
            ],
        )
        for i in range(1, COUNT + 1):  # one by one: each row sets only its own columns
            conn.execute(audit_logs.insert().values(**_row(i)))
    with running_server(url, log_path=folder / "server.log") as base_url:
        yield base_url, writer
    writer.dispose()


def _grid_rows(grid: Locator, timeout: float = 10.0) -> list[list[str]]:
    """The cells of a data grid's rows, header first, as its accessible table holds them
    (the grid is a canvas; the table mirrors what is on screen, filled just after the
    grid is painted)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = grid.evaluate(
            """g => [...g.querySelectorAll('[role=row]')].map(r =>
                [...r.querySelectorAll('[role=columnheader],[role=gridcell]')]
                  .map(c => c.textContent))"""
        )
        if (len(rows) > 1 and all(rows[1])) or time.monotonic() > deadline:
            return rows
        time.sleep(0.2)


def _full_page(page: Page, path: Path) -> str:
    """A full-page screenshot (Streamlit scrolls inside its main block) and its text."""
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 1400, "height": max(1000, height)})
    wait_until_drawn(page)
    page.screenshot(path=str(path), full_page=True)
    return page.locator('[data-testid="stMain"]').inner_text()


def test_unfiltered_first_page_shows_the_id_and_the_description(
    analyst_app: tuple[str, sa.Engine], page: Page
) -> None:
    base_url, _ = analyst_app
    page.goto(f"{base_url}/explorer?range=all&tz=UTC")
    wait_until_drawn(page)
    rows = _grid_rows(page.locator('[data-testid="stDataFrame"]').first)
    header, first = rows[0], rows[1]
    assert header[:2] == ["ID", "Time (UTC)"]
    assert first[0] == str(COUNT)  # consecutive ids, no filter: still shown
    assert [r[0] for r in rows[1:6]] == [str(i) for i in range(COUNT, COUNT - 5, -1)]
    assert "Description" in header  # on screen at 1400 px, not scrolled away
    described = first[header.index("Description")]
    assert described.startswith("Opened the quarterly report draft number 40")


def _open_facet(page: Page, title: str) -> Locator:
    """The facet's "Keep only" select, its pop-up opened if it was not."""
    body = page.locator('[data-testid="stPopoverBody"]')
    if not body.is_visible():
        facet = page.locator('[data-testid="stPopover"]').filter(has_text=title).first
        facet.locator("button").first.click()
        body.wait_for()
    return body.locator('[data-testid="stMultiSelect"]').first


def _keep(page: Page, value: str) -> None:
    _open_facet(page, "Action").click()
    page.keyboard.type(value)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**action={value}**")
    wait_until_drawn(page)


def test_two_values_of_one_facet_and_the_others_still_offered(
    analyst_app: tuple[str, sa.Engine], page: Page
) -> None:
    base_url, writer = analyst_app
    page.goto(f"{base_url}/explorer?range=all&tz=UTC")
    wait_until_drawn(page)
    _keep(page, "login")
    _keep(page, "logout")
    assert parse_qs(urlparse(page.url).query)["action"] == ["login", "logout"]
    with writer.connect() as conn:
        counts = dict(
            conn.execute(sa.text("SELECT action, count(*) FROM audit_logs GROUP BY action")).all()
        )
    _open_facet(page, "Action").click()
    offered = page.locator('[role="option"]').all_inner_texts()
    for action in ("read", "update", "delete", "password_change"):
        assert f"{action} · {counts[action]}" in offered, offered
    chosen = counts["login"] + counts["logout"]
    assert page.get_by_text(f"Rows 1 to {chosen} of {chosen}").first.is_visible()


def test_every_field_of_a_full_event_is_in_the_full_page_screenshot(
    analyst_app: tuple[str, sa.Engine], page: Page, tmp_path: Path
) -> None:
    base_url, _ = analyst_app
    for path in (f"event?id={FULL_ID}", f"explorer?range=all&selected={FULL_ID}"):
        page.set_viewport_size({"width": 1400, "height": 1000})
        page.goto(f"{base_url}/{path}&tz=Europe/Berlin")
        wait_until_drawn(page)
        text = _full_page(page, tmp_path / "event.png")
        missing = [value for value in SHOWN_VALUES if value not in text]
        assert not missing, (path, missing)
        assert "{}" not in text


def test_related_events_are_one_timeline_saying_why(
    analyst_app: tuple[str, sa.Engine], page: Page
) -> None:
    base_url, _ = analyst_app
    page.goto(f"{base_url}/event?id={FULL_ID}&tz=UTC")
    wait_until_drawn(page)
    grid = page.locator('[data-testid="stDataFrame"]').last
    rows = _grid_rows(grid)
    header, body = rows[0], rows[1:]
    why = header.index("Why related")
    ids = [int(r[0].split("id=")[1].split("&")[0]) for r in body]
    assert ids == sorted(ids) and len(ids) == len(set(ids))  # one timeline, each event once
    reasons = dict(zip(ids, (r[why] for r in body), strict=True))
    assert reasons[FULL_ID].endswith("this event")  # marked in its place
    for event_id, (_, reason) in RELATED.items():
        assert reasons[event_id] == reason, (event_id, reasons)
    assert set(ids) == {FULL_ID, *RELATED}  # nothing else shares its keys


def test_the_selected_event_is_beside_the_table(
    analyst_app: tuple[str, sa.Engine], page: Page
) -> None:
    base_url, _ = analyst_app
    page.goto(f"{base_url}/explorer?range=all&tz=UTC")
    wait_until_drawn(page)
    grid = page.locator('[data-testid="stDataFrame"]').first
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # the first row's selection box
    heading = page.get_by_role("heading", name=f"Event {COUNT}")
    heading.wait_for(timeout=30_000)
    wait_until_drawn(page)
    time.sleep(0.3)
    table, title = grid.bounding_box(), heading.bounding_box()
    assert table is not None and title is not None
    assert title["x"] >= table["x"] + table["width"]  # to the right of the table
    assert title["y"] < table["y"] + table["height"] / 2  # level with its top, not below
    assert parse_qs(urlparse(page.url).query)["selected"] == [str(COUNT)]
    page.get_by_role("button", name="Close").click()
    page.wait_for_url(lambda url: "selected=" not in url)
    wait_until_drawn(page)
    ticked = grid.evaluate("g => g.querySelectorAll('[role=row][aria-selected=true]').length")
    assert ticked == 0 and heading.count() == 0  # closed, and the row no longer ticked


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, timezone_id="UTC")
    tab = context.new_page()
    yield tab
    context.close()
