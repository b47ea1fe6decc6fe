"""Settings, read once: environment variables first, then the secrets, then documented
defaults. An invalid value raises :class:`ConfigError` naming the setting.

The secrets are read from the files Streamlit reads, in its order, merged its way
(:func:`read_secrets`), so the command-line tools see what the dashboard sees. Inside the
app the same secrets come from ``st.secrets`` instead (:mod:`audit.ui.context`). This
module does not import Streamlit."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEMO_DB_PATH = PROJECT_ROOT / "data" / "demo.sqlite3"
DEMO_DB_URL = f"sqlite:///{DEMO_DB_PATH}"
# Holds a copy of audit data (personal data): created owner-only, in a folder of its own.
DEFAULT_MIRROR_PATH = PROJECT_ROOT / "data" / "mirror" / "audit_logs.duckdb"
AGGREGATE_ENGINES: tuple[str, ...] = ("source", "mirror", "auto", "clickhouse")
ENV_PREFIX = "AUDIT_"
STREAMLIT_FOLDER = ".streamlit"
# The dashboard runs as `streamlit run app.py`: Streamlit also reads the .streamlit folder
# beside the script it runs.
MAIN_SCRIPT = PROJECT_ROOT / "app.py"
# Streamlit's `secrets.files` option as an environment variable (paths separated by
# whitespace); `streamlit run` reads it, and so do the command-line tools.
SECRETS_FILES_ENV = "STREAMLIT_SECRETS_FILES"


class ConfigError(ValueError):
    """A setting has a value the dashboard cannot use."""


@dataclass(frozen=True)
class Settings:
    """Every setting with its default. Env: ``AUDIT_<NAME>``; secrets: ``[audit] <name>``."""

    db_url: str = DEMO_DB_URL
    cache_ttl_seconds: int = 300
    statement_timeout_seconds: float = 15.0
    export_row_cap: int = 1_000_000
    # An export prepared in the browser is held whole in the server's memory until it is
    # downloaded: larger ones are refused there, with the command line to run instead.
    browser_export_row_cap: int = 100_000
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
    # Where overview aggregates run: the source database, the local DuckDB mirror, "auto"
    # (the mirror once the table holds more than mirror_threshold_rows rows), or ClickHouse
    # (only when chosen: "auto" never picks it) at clickhouse_url.
    aggregate_engine: str = "auto"
    clickhouse_url: str = ""
    mirror_path: Path = DEFAULT_MIRROR_PATH
    mirror_threshold_rows: int = 200_000
    # Unusual volume: how far from its baseline a bucket must be (in robust deviations),
    # and how many events it must hold (or, for a drop, its baseline), to be reported.
    anomaly_threshold: float = 5.0
    anomaly_min_count: int = 10

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


def _clickhouse_url(value: Any) -> str:
    url = str(value).strip()
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in ("clickhousedb", "clickhousedb+connect", "chdb"):
        raise ValueError(
            "must be clickhousedb://user:password@host:8123/database or chdb:///path/to/folder"
        )
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


# Settings whose value may hold a password: an error names them but never shows the value
# (one that fails to parse as a URL cannot be told apart into user, password and host).
UNSHOWN_SETTINGS = frozenset({"db_url", "clickhouse_url"})

_PARSERS: dict[str, Callable[[Any], Any]] = {
    "db_url": _db_url,
    "cache_ttl_seconds": _positive_int,
    "statement_timeout_seconds": _positive_float,
    "export_row_cap": _positive_int,
    "browser_export_row_cap": _positive_int,
    "default_timezone": _timezone,
    "business_hours_start": _hour,
    "business_hours_end": _hour,
    "aggregate_engine": _aggregate_engine,
    "clickhouse_url": _clickhouse_url,
    "mirror_path": _file_path,
    "anomaly_threshold": _positive_float,
}


def streamlit_folders(home: Path | None = None, cwd: Path | None = None) -> list[Path]:
    """The ``.streamlit`` folders Streamlit reads, in its order: the user's, the working
    directory's, then the one beside app.py when that is another folder."""
    home = Path.home() if home is None else home
    cwd = Path.cwd() if cwd is None else cwd
    folders = [home / STREAMLIT_FOLDER, cwd / STREAMLIT_FOLDER]
    beside_app = MAIN_SCRIPT.parent / STREAMLIT_FOLDER
    if beside_app not in folders:
        folders.append(beside_app)
    return folders


def _configured_secrets_files(folders: Sequence[Path]) -> list[str] | None:
    """``[secrets] files`` as the config.toml files in ``folders`` set it: a later file
    replaces the list of an earlier one. ``None`` when none sets it."""
    configured: list[str] | None = None
    for config_file in (folder / "config.toml" for folder in folders):
        if not config_file.is_file():
            continue
        try:
            options = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError:
            continue  # Streamlit logs the error and ignores the whole file
        section = options.get("secrets")
        if not isinstance(section, dict) or "files" not in section:
            continue
        files = section["files"]
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            raise ConfigError(f"[secrets] files in {config_file} must be a list of paths")
        configured = files
    return configured


def secrets_files(
    env: Mapping[str, str] | None = None, home: Path | None = None, cwd: Path | None = None
) -> list[Path]:
    """Where Streamlit looks for secrets, in the order it reads them: its ``secrets.files``
    option (environment variable, else the last config.toml setting it), else
    ``secrets.toml`` in each of :func:`streamlit_folders`. A ``--secrets.files`` flag given
    to ``streamlit run`` is not seen here."""
    env = os.environ if env is None else env
    cwd = Path.cwd() if cwd is None else cwd
    folders = streamlit_folders(home, cwd)
    named = env.get(SECRETS_FILES_ENV, "").split() or _configured_secrets_files(folders)
    if named is None:
        return [folder / "secrets.toml" for folder in folders]
    # As Streamlit: relative to the working directory, and "~" is not expanded.
    return [cwd / entry for entry in named]


def _read_toml_secrets(path: Path) -> tuple[dict[str, Any], bool]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, False
    try:
        return tomllib.loads(text), True
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc


def _read_secrets_folder(folder: Path) -> tuple[dict[str, Any], bool]:
    """Kubernetes-style secrets: a sub-folder per secret holding a file per value; a
    sub-folder with a single file is that file's text."""
    secrets: dict[str, Any] = {}
    found = False
    for secret in folder.iterdir():
        if not secret.is_dir():
            raise ConfigError(f"{secret}: a secrets folder may hold only folders, one per secret")
        values = {
            item.name: item.read_text(encoding="utf-8").strip()
            for item in secret.iterdir()
            if not item.is_dir()
        }
        found = found or bool(values)
        secrets[secret.name] = next(iter(values.values())) if len(values) == 1 else values
    return secrets, found


def _read_secrets_path(path: Path) -> tuple[dict[str, Any], bool]:
    """One entry of ``secrets.files``: its secrets, and whether it held any file."""
    try:
        if str(path).endswith(".toml"):
            return _read_toml_secrets(path)
        if path.is_dir():
            return _read_secrets_folder(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} cannot be read: {exc}") from exc
    raise ConfigError(f"Secrets path {path} is neither a .toml file nor a folder")


def read_secrets(files: Sequence[Path] | None = None) -> dict[str, Any]:
    """The secrets as Streamlit merges them: ``files`` (default :func:`secrets_files`) read
    in order, missing ``.toml`` files skipped, each file's top-level keys replacing those
    of earlier files whole (a later ``[audit]`` table replaces an earlier one, including
    its ``[audit.access]``; tables are not merged key by key)."""
    merged: dict[str, Any] = {}
    found_any = False
    for path in secrets_files() if files is None else files:
        secrets, found = _read_secrets_path(path)
        merged.update(secrets)
        found_any = found_any or found
    return merged if found_any else {}


def environment_with_secrets(env: Mapping[str, str], secrets: Mapping[str, Any]) -> dict[str, str]:
    """The environment the app runs with: Streamlit copies each top-level string or number
    secret into ``os.environ``, over a variable of the same name."""
    promoted = {
        key: str(value) for key, value in secrets.items() if type(value) in (str, int, float)
    }
    return {**env, **promoted}


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
    secrets = read_secrets() if secrets is None else secrets
    env = environment_with_secrets(os.environ if env is None else env, secrets)
    values: dict[str, Any] = {}
    for name, (raw, source) in _raw_values(env, secrets).items():
        parse = _PARSERS.get(name, _positive_int)
        try:
            values[name] = parse(raw)
        except (TypeError, ValueError) as exc:
            shown = "" if name in UNSHOWN_SETTINGS else f" = {raw!r}"
            raise ConfigError(f"Setting {name} ({source}){shown} is invalid: {exc}") from exc
    settings = Settings(**values)
    if settings.aggregate_engine == "clickhouse" and not settings.clickhouse_url:
        raise ConfigError(
            "Setting aggregate_engine = clickhouse needs clickhouse_url "
            "(AUDIT_CLICKHOUSE_URL or [audit] clickhouse_url in secrets.toml)"
        )
    if settings.business_hours_start >= settings.business_hours_end:
        raise ConfigError(
            "Settings business_hours_start and business_hours_end: the start must be before the end"
        )
    return settings
