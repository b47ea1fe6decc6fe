"""Access control through AppTest's simulated users: viewers see masked totals, analysts
everything, unknown users nothing. The secrets are where Streamlit reads them (the app's
policy comes from ``st.secrets``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from audit.access import SNAPSHOT_ROLE_ENV, SNAPSHOT_SECRET_ENV
from tests.support.apptest import APP, page_text
from tests.support.databases import DemoDatabase
from tests.support.secrets import ANALYST, SECRETS, SIGNED_OUT, STRANGER, VIEWER

WINDOW = {
    "range": "custom",
    "from": "2026-11-13T00:00:00+00:00",
    "to": "2026-11-20T00:00:00+00:00",
    "tz": "UTC",
}
# The provider says so: an email it has not verified may be anyone's.
UNVERIFIED_ANALYST = ANALYST | {"email_verified": False}


Place = Callable[[str, str], None]


@pytest.fixture
def place_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Place]:
    """``place(where, text)`` writes a secrets.toml where Streamlit looks: ``home``
    (~/.streamlit) or ``cwd`` (the working directory's .streamlit)."""
    from streamlit.runtime.secrets import Secrets, secrets_singleton

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setattr(Secrets, "_maybe_install_file_watchers", lambda self: None)
    secrets_singleton._reset()  # Streamlit reads them once per process: read this test's

    def place(where: str, text: str) -> None:
        folder = home if where == "home" else tmp_path / where
        (folder / ".streamlit").mkdir(parents=True, exist_ok=True)
        (folder / ".streamlit" / "secrets.toml").write_text(text)
        if where == "cwd":
            monkeypatch.chdir(folder)

    yield place
    secrets_singleton._reset()


@pytest.fixture
def signed_in_app(demo: DemoDatabase, place_secrets: Place, monkeypatch: pytest.MonkeyPatch):
    place_secrets("home", SECRETS)
    monkeypatch.setenv("AUDIT_DB_URL", demo.url)

    def run(user: dict, page: str = "pages/overview.py", **params: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60)
        at.user = user
        for key, value in (WINDOW | params).items():
            at.query_params[key] = value
        at.run()
        if page != "pages/overview.py":
            at.switch_page(page).run()
        return at

    return run


def _top_users(at: AppTest) -> list[str]:
    import json

    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        if spec["layout"]["title"]["text"] == "Top users":
            return list(spec["data"][0]["y"])
    raise AssertionError("no Top users chart")


def test_analyst_sees_everything(signed_in_app, demo: DemoDatabase) -> None:
    at = signed_in_app(ANALYST)
    assert not at.exception
    assert any(
        "@corp.example.com" in label and not label.startswith("@") for label in _top_users(at)
    )
    at = signed_in_app(ANALYST, "pages/explorer.py")
    assert not at.exception and at.dataframe


def test_viewer_sees_masked_totals_and_no_rows(signed_in_app) -> None:
    at = signed_in_app(VIEWER)
    assert not at.exception
    labels = _top_users(at)
    assert labels and all(
        label.startswith("@") or label.startswith("system") or label == "(hidden)"
        for label in labels
    )
    assert any(m.label == "Events" for m in at.metric)
    for page in ("pages/explorer.py", "pages/event.py"):
        at = signed_in_app(VIEWER, page, id="1")
        assert not at.exception
        assert "viewer" in page_text(at) and not at.dataframe
        assert not any(b.label == "Prepare file" for b in at.button)  # no row export either


def test_unknown_and_signed_out_users_get_nothing(signed_in_app) -> None:
    for user, expected in ((STRANGER, "no role"), (SIGNED_OUT, "Sign in")):
        at = signed_in_app(user)
        assert not at.exception
        assert expected in page_text(at) + " ".join(b.label for b in at.button)
        assert not at.metric and not at.get("plotly_chart")


def test_an_unverified_email_gets_nothing(signed_in_app) -> None:
    at = signed_in_app(UNVERIFIED_ANALYST)
    assert not at.exception
    assert "no role" in page_text(at)
    assert not at.metric and not at.get("plotly_chart")


def test_a_leftover_snapshot_role_gives_a_signed_out_visitor_nothing(
    signed_in_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Left in the environment of the real dashboard, even with a run's secret beside it: a
    # visitor who does not present that secret is not the snapshot job.
    monkeypatch.setenv(SNAPSHOT_ROLE_ENV, "analyst")
    monkeypatch.setenv(SNAPSHOT_SECRET_ENV, "left-over-secret-of-an-earlier-snapshot-run")
    at = signed_in_app(SIGNED_OUT)
    assert not at.exception
    assert "Sign in" in " ".join(b.label for b in at.button)
    assert not at.metric and not at.get("plotly_chart")


@pytest.mark.parametrize("where", ["home", "cwd"])
def test_sign_in_configured_in_any_streamlit_secrets_file_guards_the_rows(
    demo: DemoDatabase, place_secrets: Place, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    place_secrets(where, SECRETS)
    monkeypatch.setenv("AUDIT_DB_URL", demo.url)
    at = AppTest.from_file(APP, default_timeout=60)
    at.user = STRANGER
    for key, value in WINDOW.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    assert "no role" in page_text(at)
    assert not at.metric and not at.get("plotly_chart")


def test_unreadable_secrets_stop_the_app(
    demo: DemoDatabase, place_secrets: Place, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Streamlit cannot tell whether sign-in is configured: serve nothing.
    place_secrets("home", "[auth\nclient_id = 'dashboard'\n")
    monkeypatch.setenv("AUDIT_DB_URL", demo.url)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    assert "configuration is invalid" in page_text(at)
    assert not at.metric and not at.get("plotly_chart")
