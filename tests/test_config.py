"""Settings: environment first, then secrets.toml, then defaults; bad values named."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit import config
from audit.config import DEMO_DB_URL, ConfigError, Settings, load_settings, read_secrets


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
    secrets = read_secrets(secrets_file)
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
        read_secrets(broken)


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
