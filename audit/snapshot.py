"""Screenshots of dashboard pages for scheduled reports; never a half-drawn page.

    python -m audit.snapshot --all --query 'range=7d&tz=Europe/Berlin' --out reports/

Without ``--url`` it starts its own dashboard over ``--db`` (default: the configured
database) on a free port, and stops it afterwards; ``--role`` is drawn by that dashboard
only (for the browser job that presents this run's random secret), and checked on every
page. It exits non-zero, writes no image, and says why when a page shows an error, is
not drawn in time, draws another role, or the database is down."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from secrets import token_urlsafe
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode

import sqlalchemy as sa

from audit.access import SNAPSHOT_COOKIE, SNAPSHOT_ROLE_ENV, SNAPSHOT_SECRET_ENV
from audit.browser import PageNotReady, launch, wait_until_drawn
from audit.config import ConfigError, load_settings
from audit.db import check_database, create_readonly_engine, hide_secrets
from audit.filters import AuditFilter
from audit.markers import COMPLETE_MARKER_ID, ROLE_ATTRIBUTE
from audit.server import ServerError, running_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

PAGES: dict[str, str] = {
    "overview": "",
    "explorer": "explorer",
    "security": "security",
    "event": "event",
    "ip": "ip",
    "user": "user",
}
ALL_PAGES: tuple[str, ...] = ("overview", "explorer", "security")
# What the pages that show one thing read, and from which --query keys (first found wins):
# the event page its id= (or the explorer's selected=), the user profile a users.id in id=
# (or a single user= of the filter), the IP profile the filter's ip=.
PAGE_KEYS: dict[str, tuple[str, tuple[str, ...]]] = {
    "event": ("id", ("id", "selected")),
    "user": ("id", ("id", "user")),
    "ip": ("ip", ("ip",)),
}
FORMATS = ("png", "pdf")


class SnapshotError(RuntimeError):
    """Why no image was written."""


class RoleNotDrawn(SnapshotError):
    """The page was drawn for another role than --role."""


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m audit.snapshot", description=__doc__.split("\n")[0]
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--url", help="base URL of a running dashboard, e.g. http://127.0.0.1:8501")
    where.add_argument("--db", help="database URL for a dashboard started just for this run")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--page", action="append", choices=sorted(PAGES), help="page to capture (repeatable)"
    )
    which.add_argument(
        "--all",
        action="store_true",
        help=f"capture {', '.join(ALL_PAGES)}, and event, user and ip when the query names one",
    )
    parser.add_argument(
        "--query", default="", help="filter query string, e.g. 'range=7d&tz=Europe/Berlin'"
    )
    parser.add_argument("--out", default=".", type=Path, help="folder for the images (default: .)")
    parser.add_argument("--format", default="png", choices=FORMATS)
    parser.add_argument("--width", default=1400, type=int, help="page width in CSS pixels")
    parser.add_argument(
        "--scale", default=1.0, type=float, help="device scale factor (2 for sharp images)"
    )
    parser.add_argument(
        "--timeout", default=90.0, type=float, help="seconds a page may take to draw"
    )
    parser.add_argument(
        "--role",
        choices=("viewer", "analyst"),
        help="the role the dashboard started for this run draws, with or without sign-in "
        "(a browser job cannot sign in); viewer masks IPs and emails. Not with --url",
    )
    return parser.parse_args(argv)


def report_query(query: str) -> tuple[str, str]:
    """The query string with ``report=1``, and the report's timezone. Raises SnapshotError
    on any parameter the dashboard would ignore: a report must show what was asked."""
    params = parse_qs(query.lstrip("?"), keep_blank_values=True)
    flt, notices = AuditFilter.from_params(params)
    if notices:
        raise SnapshotError("invalid --query: " + " ".join(notices))
    params["report"] = ["1"]
    return urlencode(params, doseq=True), flt.tz


def page_query(name: str, query: str) -> str | None:
    """The query a page is captured with: for a page that shows one thing, its key set from
    the --query; ``None`` when the query names no such thing."""
    if name not in PAGE_KEYS:
        return query
    params = parse_qs(query, keep_blank_values=True)
    key, sources = PAGE_KEYS[name]
    for source in sources:
        values = [v for v in params.get(source, []) if v]
        if len(values) == 1:
            return urlencode(params | {key: values}, doseq=True)
    return None


def pages_to_capture(args: argparse.Namespace, query: str) -> dict[str, str]:
    """Page name -> query. ``--all``: the three pages, and every page of one thing that the
    query names; ``--page`` of one thing without its key is refused."""
    if args.all:
        names = [*ALL_PAGES, *PAGE_KEYS]
        captured = {name: page_query(name, query) for name in names}
        return {name: q for name, q in captured.items() if q is not None}
    chosen = {}
    for name in dict.fromkeys(args.page):
        page = page_query(name, query)
        if page is None:
            keys = " or ".join(f"{k}=" for k in PAGE_KEYS[name][1])
            raise SnapshotError(f"page {name!r} needs {keys} in --query")
        chosen[name] = page
    return chosen


def _check_database(db_url: str | None) -> str:
    try:
        url = db_url or load_settings().db_url
    except ConfigError as exc:
        raise SnapshotError(str(exc)) from exc
    try:
        engine = create_readonly_engine(url)
    except (ValueError, sa.exc.ArgumentError) as exc:
        raise SnapshotError(f"the database URL cannot be used: {exc}") from exc
    try:
        health = check_database(engine)
    finally:
        engine.dispose()
    if not health.ok:
        raise SnapshotError(f"{health.message} {health.fix}")
    return url


def _refuse_role_for_running_dashboard(args: argparse.Namespace) -> None:
    if args.url and args.role:
        raise SnapshotError(
            "--role needs a dashboard this command starts (--db, or the configured database): "
            "a running dashboard (--url) draws its own users' roles and cannot be made to draw "
            "another for this job. Drop --url, or drop --role."
        )


@dataclass(frozen=True)
class Dashboard:
    """Where the pages are, and the run's secret the browser job presents (with --role)."""

    base_url: str
    secret: str | None = None


def snapshot_cookie(base_url: str, secret: str) -> dict[str, Any]:
    """The cookie in which the browser job presents the run's secret: sent to the
    dashboard only, never part of a URL, so no link or text of the page can show it."""
    return {
        "name": SNAPSHOT_COOKIE,
        "value": secret,
        "url": base_url,
        "httpOnly": True,
        "sameSite": "Strict",
    }


@contextmanager
def _dashboard(args: argparse.Namespace) -> Iterator[Dashboard]:
    if args.url:
        yield Dashboard(args.url.rstrip("/"))
        return
    secret = token_urlsafe(32) if args.role else None  # new for every run
    # Set even when empty, so a leftover in this command's environment never reaches it.
    env = {SNAPSHOT_ROLE_ENV: args.role or "", SNAPSHOT_SECRET_ENV: secret or ""}
    try:
        with running_server(_check_database(args.db), env=env) as base_url:
            yield Dashboard(base_url, secret)
    except ServerError as exc:
        raise SnapshotError(str(exc)) from exc


def _new_context(
    browser: Browser, dashboard: Dashboard, tz: str, args: argparse.Namespace
) -> BrowserContext:
    context = browser.new_context(
        viewport={"width": args.width, "height": 1000},
        device_scale_factor=args.scale,
        timezone_id=tz,
        locale="en-US",
    )
    if dashboard.secret:
        context.add_cookies([snapshot_cookie(dashboard.base_url, dashboard.secret)])
    return context


def drawn_role(page: Page) -> str | None:
    """The role the drawn page says it was drawn for (on its completion marker)."""
    return page.get_attribute(f"#{COMPLETE_MARKER_ID}", ROLE_ATTRIBUTE)


def _check_role(page: Page, wanted: str | None) -> None:
    drawn = drawn_role(page)
    if wanted and drawn != wanted:
        raise RoleNotDrawn(f"the page was drawn for the role {drawn!r}, not {wanted!r}")


def _capture(page: Page, url: str, target: Path, args: argparse.Namespace) -> None:
    page.goto(url)
    wait_until_drawn(page, timeout=args.timeout)
    _check_role(page, args.role)
    height = int(page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight"))
    page.set_viewport_size({"width": args.width, "height": max(height, 200)})
    wait_until_drawn(page, timeout=args.timeout)
    partial = target.with_name(f".partial-{target.name}")
    if args.format == "pdf":
        page.emulate_media(media="screen")
        page.pdf(
            path=str(partial), width=f"{args.width}px", height=f"{height}px", print_background=True
        )
    else:
        page.screenshot(path=str(partial), full_page=False, animations="disabled")
    partial.replace(target)


def take_snapshots(args: argparse.Namespace) -> list[Path]:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    _refuse_role_for_running_dashboard(args)
    query, tz = report_query(args.query)
    pages = pages_to_capture(args, query)
    args.out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with _dashboard(args) as dashboard, sync_playwright() as playwright:
        try:
            browser = launch(playwright)
        except PlaywrightError as exc:
            raise SnapshotError(f"cannot start Chromium at /usr/bin/chromium: {exc}") from exc
        try:
            for name, page_params in pages.items():
                context = _new_context(browser, dashboard, tz, args)
                target = args.out / f"{name}.{args.format}"
                started = time.perf_counter()
                url = f"{dashboard.base_url}/{PAGES[name]}?{page_params}"
                try:
                    _capture(context.new_page(), url, target, args)
                except (PageNotReady, RoleNotDrawn, PlaywrightError) as exc:
                    raise SnapshotError(f"page {name!r}: {exc}") from exc
                finally:
                    context.close()
                print(f"{target}  ({time.perf_counter() - started:.1f} s)")
                written.append(target)
        finally:
            browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    try:
        take_snapshots(args)
    except SnapshotError as exc:
        print(f"snapshot failed: {hide_secrets(str(exc))}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
