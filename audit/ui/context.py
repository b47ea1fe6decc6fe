"""What every page needs first: settings, the read-only database source, the demo database
on first start, and a clear page instead of a traceback when any of it is wrong."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from audit.access import SNAPSHOT_COOKIE, AccessPolicy, Role, load_policy, role_for
from audit.config import DEMO_DB_PATH, ConfigError, Settings, load_settings
from audit.db import (
    FailureKind,
    Health,
    HealthReport,
    Source,
    check_database,
    create_readonly_engine,
    describe_failure,
    hide_secrets,
)
from audit.markers import PROBLEM_MARKER_ID
from audit.timerange import utc_now
from audit.ui.safe import md_escape

HEALTH_RECHECK_SECONDS = 10
RECOVERY_POLL_SECONDS = 5


# Streamlit's error when none of its secrets files exists (unlike one it cannot read).
NO_SECRETS_ERROR_ID = "no-secrets-found"


@dataclass(frozen=True)
class Configuration:
    settings: Settings
    policy: AccessPolicy


def _streamlit_secrets() -> dict[str, Any]:
    """The secrets Streamlit read (``st.secrets``); none when it found no secrets file."""
    try:
        return st.secrets.to_dict()
    except StreamlitSecretNotFoundError as exc:
        if exc.error_id == NO_SECRETS_ERROR_ID:
            return {}
        raise ConfigError(f"The secrets cannot be read: {exc}") from exc
    except (OSError, ValueError) as exc:
        raise ConfigError(f"The secrets cannot be read: {exc}") from exc


def load_configuration() -> Configuration:
    """The app's settings and access policy: the one place the app loads them, from the
    secrets Streamlit itself read, so sign-in and the policy cannot disagree."""
    secrets = _streamlit_secrets()
    return Configuration(load_settings(secrets=secrets), load_policy(secrets=secrets))


@st.cache_resource(show_spinner=False)
def configuration() -> Configuration:
    """:func:`load_configuration`, once per process."""
    return load_configuration()


def _configuration_or_stop() -> Configuration:
    try:
        return configuration()
    except ConfigError as exc:
        st.html(f'<span id="{PROBLEM_MARKER_ID}"></span>')
        st.error("The dashboard's configuration is invalid.", icon=":material/settings:")
        st.text(str(exc))
        st.caption("Fix the value in the environment or in the secrets, then reload.")
        st.stop()


def _settings() -> Settings:
    return configuration().settings


def settings_or_stop() -> Settings:
    return _configuration_or_stop().settings


@st.cache_resource(show_spinner=False)
def _engine(url: str, timeout: float):
    return create_readonly_engine(url, statement_timeout_seconds=timeout)


# Re-checked every few seconds so a database that comes back is noticed without a restart.
@st.cache_resource(ttl=HEALTH_RECHECK_SECONDS, show_spinner=False)
def _health(url: str, timeout: float) -> HealthReport:
    return check_database(_engine(url, timeout))


def _create_demo_database() -> None:
    """Write the demo database on first start, atomically, showing progress."""
    from audit.tools.demo import DEFAULT_ROWS, write_demo_file

    bar = st.progress(0.0, text="Creating the demo database (first start only)…")

    def progress(done: int, total: int) -> None:
        bar.progress(
            min(done / max(total, 1), 1.0), text=f"Creating demo data: {done:,} of {total:,} events"
        )

    write_demo_file(DEMO_DB_PATH, rows=DEFAULT_ROWS, progress=progress)
    bar.empty()


def _show_problem(report: HealthReport) -> None:
    titles = {
        Health.UNREACHABLE: "Database unavailable",
        Health.NO_TABLE: "No audit_logs table",
        Health.MISSING_COLUMNS: "The audit_logs table is incomplete",
        Health.EMPTY: "No audit events yet",
    }
    st.header(titles[report.status])
    _problem_marker()
    st.error(md_escape(report.message), icon=":material/database:")
    st.info(md_escape(report.fix), icon=":material/build:")
    if report.status is Health.UNREACHABLE:
        _wait_for_database()


def _problem_marker() -> None:
    st.html(f'<span id="{PROBLEM_MARKER_ID}"></span>')  # tells report jobs the page failed


RECOVERY_MAX_SECONDS = 60
_RECOVERY_KEY = "database_recovery"  # session state: (next check, current interval)


def _due_for_check() -> bool:
    """Checks back off (5, 10, 20 … 60 s) so that a database that keeps failing right after
    it answers a health check is not hammered by every open tab."""
    now = time.monotonic()
    due, interval = st.session_state.get(_RECOVERY_KEY, (now, RECOVERY_POLL_SECONDS / 2))
    if now < due:
        return False
    interval = min(interval * 2, RECOVERY_MAX_SECONDS)
    st.session_state[_RECOVERY_KEY] = (now + interval, interval)
    return True


def database_recovered() -> None:
    """A page drew completely: the next outage starts its back-off afresh."""
    st.session_state.pop(_RECOVERY_KEY, None)


@st.fragment(run_every=RECOVERY_POLL_SECONDS)
def _wait_for_database() -> None:
    """Polls while the page is open, and redraws the whole page once the database is back."""
    settings = _settings()
    engine = _engine(settings.db_url, settings.statement_timeout_seconds)
    if _due_for_check() and check_database(engine).ok:
        _health.clear()
        st.rerun(scope="app")
    due, _ = st.session_state.get(_RECOVERY_KEY, (time.monotonic(), 0))
    checked = utc_now().strftime("%H:%M:%S UTC")
    wait = max(0, round(due - time.monotonic()))
    st.caption(f"Checked at {checked}; checking again in {wait} seconds.")


def show_query_failure(error: sa.exc.DBAPIError) -> None:
    """A query failed while the page was drawn: say why once, keep the page usable, no
    traceback. Only a database that cannot be reached is waited for; a query the database
    refused (a permission, a value out of range) fails the same way again, so the page
    stops there instead of rerunning."""
    _problem_marker()
    failure = describe_failure(error)
    if failure.kind is FailureKind.TIMEOUT:
        seconds = _settings().statement_timeout_seconds
        st.warning(
            f"A query ran longer than the {seconds:g} s statement timeout and was stopped. "
            "Narrow the time range or the filters, or raise statement_timeout_seconds.",
            icon=":material/timer_off:",
        )
        if st.button("Try again", icon=":material/refresh:"):
            st.rerun()
        return
    settings = _settings()
    if check_database(_engine(settings.db_url, settings.statement_timeout_seconds)).ok:
        st.header("A query failed")
        st.error(md_escape(f"The database refused a query: {failure.reason}"))
        st.info(
            "The database is reachable, so reloading gives the same error. Check that the "
            "dashboard's database role may read audit_logs and users, or change the filters.",
            icon=":material/build:",
        )
        return
    _health.clear()
    st.header("Database unavailable")
    st.error(md_escape(f"A query failed: {failure.reason}"), icon=":material/database:")
    _wait_for_database()


def source_or_stop() -> Source:
    """The database to read, or a page explaining why there is none (then stop)."""
    settings = settings_or_stop()
    if settings.is_demo and not DEMO_DB_PATH.exists():
        _create_demo_database()
    try:
        report = _health(settings.db_url, settings.statement_timeout_seconds)
    except ValueError as exc:  # an unsupported URL
        st.error(md_escape(f"The database URL cannot be used: {hide_secrets(str(exc))}"))
        st.stop()
    if not report.ok:
        _show_problem(report)
        st.stop()
    assert report.source is not None
    return report.source


LOCAL_ADDRESSES = frozenset({"127.0.0.1", "localhost", "::1"})


def _user() -> dict:
    try:
        return st.user.to_dict()
    except Exception:
        return {}


def _sign_in_page(user: dict) -> None:
    st.title("Audit log analytics")
    if not user.get("is_logged_in"):
        st.info("Sign in to see the audit trail.", icon=":material/lock:")
        st.button("Sign in", icon=":material/login:", on_click=st.login, type="primary")
        _problem_marker()
        return
    who = md_escape(str(user.get("email") or user.get("name") or "this account"))
    st.warning(
        f"You are signed in as {who}, but this account has no role on the dashboard. "
        "Ask an administrator to add it to the analysts or viewers.",
        icon=":material/block:",
    )
    st.button("Sign out", icon=":material/logout:", on_click=st.logout)
    _problem_marker()


def _presented_snapshot_secret() -> str | None:
    """The snapshot run's secret, as the report job's browser sends it: in a cookie, never
    in the URL, so no link or text the page draws can carry it."""
    secret = st.context.cookies.get(SNAPSHOT_COOKIE)
    return secret if isinstance(secret, str) else None  # AppTest's session gives a mock


def _warn_when_open_beyond_this_machine() -> None:
    address = str(st.get_option("server.address") or "")
    if address not in LOCAL_ADDRESSES:
        st.warning(
            "No sign-in is configured and this dashboard listens beyond this machine: anyone "
            "who can reach it sees the audit data. Configure an [auth] section (see README).",
            icon=":material/lock_open:",
        )


def role_or_stop() -> Role:
    """The role of this request; a sign-in page (then stop) when there is none. Without
    sign-in configured everyone is an analyst, and a dashboard reachable beyond this
    machine says so on every page. A snapshot job presenting its run's secret gets the
    role the snapshot command started this dashboard with, sign-in or not."""
    policy = _configuration_or_stop().policy
    if not policy.enabled:
        _warn_when_open_beyond_this_machine()
    user = _user() if policy.enabled else {}
    role = role_for(policy, user, _presented_snapshot_secret())
    if role is Role.NONE:
        _sign_in_page(user)
        st.stop()
    return role


def rows_allowed(role: Role) -> bool:
    """Rows, event details, profiles and exports are for analysts; others get a notice."""
    if role.sees_rows:
        return True
    st.info(
        "Your role (viewer) shows totals and charts only; rows, event details and exports "
        "need the analyst role.",
        icon=":material/visibility_off:",
    )
    return False
