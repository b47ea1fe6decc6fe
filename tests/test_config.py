"""Settings: environment first, then the secrets, then defaults; bad values named. The
secrets come from the files Streamlit reads, in its order, merged its way: each case is
checked against what Streamlit itself resolves for the same home, working directory and
app folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from audit import config
from audit.access import load_policy
from audit.config import (
    DEMO_DB_URL,
    SECRETS_FILES_ENV,
    ConfigError,
    Settings,
    load_settings,
    read_secrets,
    secrets_files,
)

AUTH = """
[auth]
redirect_uri = "http://localhost:8501/oauth2callback"
cookie_secret = "test-only-secret"
client_id = "dashboard"
client_secret = "test-only"
server_metadata_url = "https://idp.invalid/.well-known/openid-configuration"
"""


@dataclass(frozen=True)
class Places:
    """A fake home, working directory and folder of app.py, each with its .streamlit."""

    home: Path
    cwd: Path
    app: Path

    def write(self, folder: Path, name: str, text: str) -> Path:
        path = folder / ".streamlit" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def secrets_file(self, folder: Path) -> Path:
        return folder / ".streamlit" / "secrets.toml"


@pytest.fixture
def places(tmp_path: Path) -> Iterator[Places]:
    from streamlit import config as streamlit_config

    here = Places(tmp_path / "home", tmp_path / "cwd", tmp_path / "app")
    for folder in (here.home, here.cwd, here.app):
        folder.mkdir()
    (here.app / "app.py").write_text("")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(here.home))
        patch.chdir(here.cwd)
        patch.delenv(SECRETS_FILES_ENV, raising=False)
        patch.setattr(config, "MAIN_SCRIPT", here.app / "app.py")
        patch.setattr(streamlit_config, "_main_script_path", None)
        yield here
    # Streamlit's options were parsed for the fake places: parse this machine's again.
    streamlit_config.get_config_options(force_reparse=True)


@dataclass(frozen=True)
class StreamlitView:
    files: list[Path]
    secrets: dict[str, Any] | None  # None: Streamlit found no secrets file
    environ: dict[str, str]


def streamlit_run(places: Places) -> StreamlitView:
    """What ``streamlit run app.py`` in ``places.cwd`` resolves: the command line parsed
    by Streamlit (its environment variables included) and its config and secrets read by
    Streamlit; no server is started."""
    from streamlit import config as streamlit_config
    from streamlit.errors import StreamlitSecretNotFoundError
    from streamlit.runtime.secrets import Secrets
    from streamlit.web import bootstrap, cli

    seen: list[StreamlitView] = []

    def start_instead_of_serving(file: str, args: Any = None, flag_options: Any = None) -> None:
        streamlit_config._main_script_path = os.path.abspath(file)
        bootstrap.load_config_options(flag_options=flag_options or {})
        files = [places.cwd / f for f in streamlit_config.get_option("secrets.files")]
        try:
            secrets = Secrets().to_dict()
        except StreamlitSecretNotFoundError:
            secrets = None
        seen.append(StreamlitView(files, secrets, dict(os.environ)))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cli, "_main_run", start_instead_of_serving)
        patch.setattr(Secrets, "_maybe_install_file_watchers", lambda self: None)
        cli.main(["run", str(places.app / "app.py")], standalone_mode=False)
    return seen[0]


def test_secrets_files_are_streamlits_in_its_order(places: Places) -> None:
    expected = [places.secrets_file(f) for f in (places.home, places.cwd, places.app)]
    assert secrets_files() == expected
    assert streamlit_run(places).files == expected


def test_app_folder_is_not_read_twice_when_it_is_the_working_directory(
    places: Places, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(places.app)
    assert secrets_files() == [places.secrets_file(places.home), places.secrets_file(places.app)]


@pytest.mark.parametrize("where", ["home", "cwd", "app"])
def test_each_secrets_file_is_found_and_sign_in_turns_the_policy_on(
    places: Places, where: str
) -> None:
    places.write(getattr(places, where), "secrets.toml", AUTH)
    assert read_secrets() == streamlit_run(places).secrets
    assert read_secrets()["auth"]["client_id"] == "dashboard"
    assert load_policy(env={}).enabled


def test_later_files_replace_whole_top_level_tables(places: Places) -> None:
    places.write(
        places.home,
        "secrets.toml",
        AUTH + "[audit]\ncache_ttl_seconds = 10\nexport_row_cap = 5\n"
        '[audit.access]\nanalysts = ["ann@corp.example"]\n',
    )
    places.write(places.cwd, "secrets.toml", "[audit]\ncache_ttl_seconds = 20\n")
    places.write(places.app, "secrets.toml", '[connections.audit]\nurl = "postgresql://h/app"\n')
    secrets = read_secrets()
    assert secrets == streamlit_run(places).secrets
    # The working directory's [audit] replaced the home's whole, [audit.access] included.
    assert secrets["audit"] == {"cache_ttl_seconds": 20}
    settings = load_settings(env={})
    assert (settings.cache_ttl_seconds, settings.export_row_cap) == (20, Settings.export_row_cap)
    assert settings.db_url == "postgresql://h/app"
    policy = load_policy(env={})
    assert policy.enabled and not policy.analysts


def test_no_secrets_file_means_no_secrets(places: Places) -> None:
    assert read_secrets() == {}
    assert streamlit_run(places).secrets is None
    assert load_settings(env={}) == Settings() and not load_policy(env={}).enabled


def test_secrets_files_option_in_config_toml(places: Places) -> None:
    places.write(places.home, "secrets.toml", AUTH)  # not read: the option replaces the list
    places.write(places.home, "config.toml", '[secrets]\nfiles = ["ignored.toml"]\n')
    elsewhere = places.home / "elsewhere.toml"
    elsewhere.write_text('[audit]\ncache_ttl_seconds = 30\n[other]\nkey = "elsewhere"\n')
    places.write(
        places.cwd,
        "config.toml",
        f'[server]\nheadless = true\n[secrets]\nfiles = ["{elsewhere}", "local/more.toml"]\n',
    )
    more = places.cwd / "local" / "more.toml"
    more.parent.mkdir()
    more.write_text(AUTH + '[other]\nkey = "more"\n')
    view = streamlit_run(places)
    assert secrets_files() == view.files == [elsewhere, more]
    assert read_secrets() == view.secrets
    assert read_secrets()["other"] == {"key": "more"} and load_policy(env={}).enabled
    assert load_settings(env={}).cache_ttl_seconds == 30


def test_secrets_files_option_in_the_app_folders_config_toml(places: Places) -> None:
    named = places.home / "named.toml"
    named.write_text(AUTH)
    places.write(places.cwd, "config.toml", '[secrets]\nfiles = ["ignored.toml"]\n')
    places.write(places.app, "config.toml", f'[secrets]\nfiles = ["{named}"]\n')
    assert secrets_files() == streamlit_run(places).files == [named]
    assert load_policy(env={}).enabled


def test_secrets_files_option_in_the_environment(
    places: Places, monkeypatch: pytest.MonkeyPatch
) -> None:
    places.write(places.cwd, "config.toml", '[secrets]\nfiles = ["ignored.toml"]\n')
    named = places.home / "named.toml"
    named.write_text(AUTH)
    monkeypatch.setenv(SECRETS_FILES_ENV, f"  {named}   missing.toml ")
    view = streamlit_run(places)
    assert secrets_files() == view.files == [named, places.cwd / "missing.toml"]
    assert read_secrets() == view.secrets and load_policy(env={}).enabled


def test_secrets_folder_kubernetes_style(places: Places, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = places.home / "mounted"
    for secret, values in {
        "auth": {"client_id": "dashboard", "client_secret": "test-only"},
        "token": {"value": " one line \n"},
    }.items():
        (folder / secret).mkdir(parents=True)
        for name, text in values.items():
            (folder / secret / name).write_text(text)
    monkeypatch.setenv(SECRETS_FILES_ENV, str(folder))
    assert read_secrets() == streamlit_run(places).secrets
    assert read_secrets()["token"] == "one line" and load_policy(env={}).enabled


def test_a_path_that_is_neither_toml_nor_folder_is_refused(
    places: Places, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRETS_FILES_ENV, str(places.home / "missing-folder"))
    with pytest.raises(ConfigError, match=r"neither a \.toml file nor a folder"):
        read_secrets()
    assert streamlit_run(places).secrets is None  # Streamlit cannot load them either


def test_top_level_secrets_act_as_environment_variables(
    places: Places, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDIT_CACHE_TTL_SECONDS", "1")  # restored after Streamlit's parse
    places.write(places.cwd, "secrets.toml", "AUDIT_CACHE_TTL_SECONDS = 60\n")
    assert streamlit_run(places).environ["AUDIT_CACHE_TTL_SECONDS"] == "60"
    monkeypatch.setenv("AUDIT_CACHE_TTL_SECONDS", "1")
    assert load_settings().cache_ttl_seconds == 60


def test_defaults_point_at_the_embedded_demo_database() -> None:
    settings = load_settings(env={}, secrets={})
    assert settings == Settings()
    assert settings.db_url == DEMO_DB_URL and settings.is_demo
    assert settings.export_row_cap == 1_000_000


def test_environment_wins_over_secrets(tmp_path: Path) -> None:
    secrets_file = tmp_path / "secrets.toml"
    secrets_file.write_text(
        '[connections.audit]\nurl = "postgresql+psycopg://a@h/secrets"\n'
        '[audit]\ncache_ttl_seconds = 60\ndefault_timezone = "Europe/Berlin"\n'
    )
    secrets = read_secrets([secrets_file])
    settings = load_settings(env={"AUDIT_DB_URL": "postgresql+psycopg://a@h/env"}, secrets=secrets)
    assert settings.db_url == "postgresql+psycopg://a@h/env"
    assert settings.cache_ttl_seconds == 60
    assert settings.default_timezone == "Europe/Berlin"
    from_secrets = load_settings(env={}, secrets=secrets)
    assert from_secrets.db_url == "postgresql+psycopg://a@h/secrets"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"AUDIT_CACHE_TTL_SECONDS": "soon"}, "cache_ttl_seconds"),
        ({"AUDIT_EXPORT_ROW_CAP": "-5"}, "export_row_cap"),
        ({"AUDIT_DEFAULT_TIMEZONE": "Mars/Base"}, "default_timezone"),
        ({"AUDIT_DB_URL": "just-a-host"}, "db_url"),
        ({"AUDIT_BUSINESS_HOURS_START": "30"}, "business_hours_start"),
        ({"AUDIT_BUSINESS_HOURS_START": "19"}, "business_hours_start"),
    ],
)
def test_invalid_values_name_the_setting(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load_settings(env=env, secrets={})


def test_broken_secrets_file_is_reported(tmp_path: Path) -> None:
    broken = tmp_path / "secrets.toml"
    broken.write_text("[audit\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        read_secrets([broken])


def test_the_app_loads_its_settings_and_policy_in_one_place() -> None:
    import ast

    readers = ("load_settings", "load_policy", "read_secrets")
    calls = sorted(
        f"{path.name}: {node.func.id}"
        for path in (config.PROJECT_ROOT / "audit" / "ui").glob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        if node.func.id in readers
    )
    assert calls == ["context.py: load_policy", "context.py: load_settings"]
