"""Screenshots of dashboard pages for scheduled reports; never a half-drawn page.

    python -m audit.snapshot --all --query 'range=7d&tz=Europe/Berlin' --out reports/

Without ``--url`` it starts its own dashboard over ``--db`` (default: the configured
database) on a free port, and stops it afterwards. It exits non-zero, writes no image,
and says why when a page shows an error, is not drawn in time, or the database is down."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import sqlalchemy as sa

from audit.access import SNAPSHOT_ROLE_ENV
from audit.browser import PageNotReady, launch, wait_until_drawn
from audit.config import ConfigError, load_settings
from audit.db import check_database, create_readonly_engine, hide_secrets
from audit.filters import AuditFilter
from audit.server import ServerError, running_server

PAGES: dict[str, str] = {
    "overview": "",
    "explorer": "explorer",
    "security": "security",
    "event": "event",
    "ip": "ip",
    "user": "user",
}
ALL_PAGES: tuple[str, ...] = ("overview", "explorer", "security")
FORMATS = ("png", "pdf")


class SnapshotError(RuntimeError):
    """Why no image was written."""


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
    which.add_argument("--all", action="store_true", help=f"capture {', '.join(ALL_PAGES)}")
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
        help="when sign-in is configured: the role the dashboard started for this run shows "
        "(a browser job cannot sign in); viewer masks IPs and emails",
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


@contextmanager
def _dashboard(args: argparse.Namespace) -> Iterator[str]:
    if args.url:
        yield args.url.rstrip("/")
        return
    try:
        env = {SNAPSHOT_ROLE_ENV: args.role} if args.role else {}
        with running_server(_check_database(args.db), env=env) as base_url:
            yield base_url
    except ServerError as exc:
        raise SnapshotError(str(exc)) from exc


def _capture(page, url: str, target: Path, args: argparse.Namespace) -> None:
    page.goto(url)
    wait_until_drawn(page, timeout=args.timeout)
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

    query, tz = report_query(args.query)
    names = list(ALL_PAGES) if args.all else list(dict.fromkeys(args.page))
    args.out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with _dashboard(args) as base_url, sync_playwright() as playwright:
        try:
            browser = launch(playwright)
        except PlaywrightError as exc:
            raise SnapshotError(f"cannot start Chromium at /usr/bin/chromium: {exc}") from exc
        try:
            for name in names:
                context = browser.new_context(
                    viewport={"width": args.width, "height": 1000},
                    device_scale_factor=args.scale,
                    timezone_id=tz,
                    locale="en-US",
                )
                target = args.out / f"{name}.{args.format}"
                started = time.perf_counter()
                try:
                    _capture(context.new_page(), f"{base_url}/{PAGES[name]}?{query}", target, args)
                except (PageNotReady, PlaywrightError) as exc:
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
