"""Settings, read once: environment variables first, then ``.streamlit/secrets.toml``,
then documented defaults. An invalid value raises :class:`ConfigError` naming the setting."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEMO_DB_PATH = PROJECT_ROOT / "data" / "demo.sqlite3"
DEMO_DB_URL = f"sqlite:///{DEMO_DB_PATH}"
# Holds a copy of audit data (personal data): created owner-only, in a folder of its own.
DEFAULT_MIRROR_PATH = PROJECT_ROOT / "data" / "mirror" / "audit_logs.duckdb"
AGGREGATE_ENGINES: tuple[str, ...] = ("source", "mirror", "auto")
SECRETS_FILE_ENV = "AUDIT_SECRETS_FILE"
ENV_PREFIX = "AUDIT_"


class ConfigError(ValueError):
    """A setting has a value the dashboard cannot use."""


@dataclass(frozen=True)
class Settings:
    """Every setting with its default. Env: ``AUDIT_<NAME>``; secrets: ``[audit] <name>``."""

    db_url: str = DEMO_DB_URL
    cache_ttl_seconds: int = 300
    statement_timeout_seconds: float = 15.0
    export_row_cap: int = 1_000_000
    default_timezone: str = "UTC"
    bruteforce_failures: int = 5
    bruteforce_window_minutes: int = 10
    spray_min_users: int = 5
    spray_window_minutes: int = 15
    takeover_failures: int = 5
    takeover_window_minutes: int = 30
    multi_ip_min: int = 3
    business_hours_start: int = 8
    business_hours_end: int = 18
    # Where overview aggregates run: the source database, the local DuckDB mirror, or "auto"
    # (the mirror once the table holds more than mirror_threshold_rows rows).
    aggregate_engine: str = "auto"
    mirror_path: Path = DEFAULT_MIRROR_PATH
    mirror_threshold_rows: int = 200_000

    @property
    def is_demo(self) -> bool:
        return self.db_url == DEMO_DB_URL


def _positive_int(value: Any) -> int:
    number = int(str(value).strip())
    if number <= 0:
        raise ValueError("must be a positive whole number")
    return number


def _positive_float(value: Any) -> float:
    number = float(str(value).strip())
    if not number > 0:
        raise ValueError("must be a positive number")
    return number


def _hour(value: Any) -> int:
    number = int(str(value).strip())
    if not 0 <= number <= 24:
        raise ValueError("must be an hour from 0 to 24")
    return number


def _timezone(value: Any) -> str:
    name = str(value).strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown timezone {name!r} (use an IANA name such as Europe/Berlin)"
        ) from exc
    return name


def _db_url(value: Any) -> str:
    url = str(value).strip()
    if "://" not in url:
        raise ValueError("must be a SQLAlchemy URL such as postgresql+psycopg://user@host/db")
    return url


def _aggregate_engine(value: Any) -> str:
    name = str(value).strip().lower()
    if name not in AGGREGATE_ENGINES:
        raise ValueError("must be one of " + ", ".join(AGGREGATE_ENGINES))
    return name


def _file_path(value: Any) -> Path:
    text = str(value).strip()
    if not text or text == ":memory:":
        raise ValueError("must be a file path such as /var/lib/audit-dashboard/mirror.duckdb")
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = PROJECT_ROOT / path
    if path.is_dir():
        raise ValueError("must be a file path, not a folder")
    return path


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "db_url": _db_url,
    "cache_ttl_seconds": _positive_int,
    "statement_timeout_seconds": _positive_float,
    "export_row_cap": _positive_int,
    "default_timezone": _timezone,
    "business_hours_start": _hour,
    "business_hours_end": _hour,
    "aggregate_engine": _aggregate_engine,
    "mirror_path": _file_path,
}


def read_secrets(path: Path | None = None) -> dict[str, Any]:
    """The secrets file as a dict; missing file means no secrets."""
    if path is None:
        path = Path(os.environ.get(SECRETS_FILE_ENV, PROJECT_ROOT / ".streamlit" / "secrets.toml"))
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc


def _raw_values(env: Mapping[str, str], secrets: Mapping[str, Any]) -> dict[str, tuple[Any, str]]:
    """Raw value and its source for each setting that is set somewhere."""
    found: dict[str, tuple[Any, str]] = {}
    audit_section = secrets.get("audit", {}) or {}
    connection = (secrets.get("connections", {}) or {}).get("audit", {}) or {}
    for field in fields(Settings):
        env_name = ENV_PREFIX + ("DB_URL" if field.name == "db_url" else field.name.upper())
        if env.get(env_name, "").strip():
            found[field.name] = (env[env_name], f"environment variable {env_name}")
        elif field.name == "db_url" and connection.get("url"):
            found[field.name] = (
                connection["url"],
                "[connections.audit] url in secrets.toml",
            )
        elif field.name in audit_section:
            found[field.name] = (
                audit_section[field.name],
                f"[audit] {field.name} in secrets.toml",
            )
    return found


def load_settings(
    env: Mapping[str, str] | None = None, secrets: Mapping[str, Any] | None = None
) -> Settings:
    env = os.environ if env is None else env
    secrets = read_secrets() if secrets is None else secrets
    values: dict[str, Any] = {}
    for name, (raw, source) in _raw_values(env, secrets).items():
        parse = _PARSERS.get(name, _positive_int)
        try:
            values[name] = parse(raw)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"Setting {name} ({source}) = {raw!r} is invalid: {exc}") from exc
    settings = Settings(**values)
    if settings.business_hours_start >= settings.business_hours_end:
        raise ConfigError(
            "Settings business_hours_start and business_hours_end: the start must be before the end"
        )
    return settings
