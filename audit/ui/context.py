"""What every page needs first: settings, the read-only database source, the demo database
on first start, and a clear page instead of a traceback when any of it is wrong."""

from __future__ import annotations

import streamlit as st

from audit.browser import PROBLEM_MARKER_ID
from audit.config import DEMO_DB_PATH, ConfigError, Settings, load_settings
from audit.db import Health, HealthReport, Source, check_database, create_readonly_engine

HEALTH_RECHECK_SECONDS = 10


@st.cache_resource(show_spinner=False)
def _settings() -> Settings:
    return load_settings()


def settings_or_stop() -> Settings:
    try:
        return _settings()
    except ConfigError as exc:
        st.html(f'<span id="{PROBLEM_MARKER_ID}"></span>')
        st.error("The dashboard's configuration is invalid.", icon=":material/settings:")
        st.text(str(exc))
        st.caption("Fix the value in the environment or in .streamlit/secrets.toml, then reload.")
        st.stop()


@st.cache_resource(show_spinner=False)
def _engine(url: str, timeout: float):
    return create_readonly_engine(url, statement_timeout_seconds=timeout)


# Re-checked every few seconds so a database that comes back is noticed without a restart.
@st.cache_resource(ttl=HEALTH_RECHECK_SECONDS, show_spinner=False)
def _health(url: str, timeout: float) -> HealthReport:
    return check_database(_engine(url, timeout))


def _create_demo_database() -> None:
    """Write the demo database on first start, atomically, showing progress."""
    from audit.demo import DEFAULT_ROWS, write_demo_file

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
    st.html(f'<span id="{PROBLEM_MARKER_ID}"></span>')  # tells report jobs the page failed
    st.error(report.message, icon=":material/database:")
    st.info(report.fix, icon=":material/build:")
    if report.status is Health.UNREACHABLE:
        st.caption(f"The dashboard checks again every {HEALTH_RECHECK_SECONDS} seconds.")
        if st.button("Try again", icon=":material/refresh:"):
            _health.clear()
            st.rerun()


def source_or_stop() -> Source:
    """The database to read, or a page explaining why there is none (then stop)."""
    settings = settings_or_stop()
    if settings.is_demo and not DEMO_DB_PATH.exists():
        _create_demo_database()
    try:
        report = _health(settings.db_url, settings.statement_timeout_seconds)
    except ValueError as exc:  # an unsupported URL
        st.error(f"The database URL cannot be used: {exc}")
        st.stop()
    if not report.ok:
        _show_problem(report)
        st.stop()
    assert report.source is not None
    return report.source
