"""Run the dashboard (or another Streamlit script) as a subprocess on a free local port, for
snapshots, browser tests and the browser benchmark."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from audit.config import PROJECT_ROOT

APP_PATH = PROJECT_ROOT / "app.py"


class ServerError(RuntimeError):
    """The dashboard server did not start."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _healthy(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
            return response.read().strip() == b"ok"
    except OSError:
        return False


def _command(script: Path, port: int) -> list[str]:
    """``streamlit run SCRIPT`` on ``port``, local only. Tables get no download or copy
    button whatever the environment says (a flag wins over ``STREAMLIT_CLIENT_*``): the
    one export path is the logged, formula-safe one."""
    return [
        sys.executable, "-m", "streamlit", "run", str(script),
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--client.disableDataExport", "true",
    ]  # fmt: skip


@dataclass(frozen=True)
class StreamlitServer:
    base_url: str
    pid: int  # the server process: its CPU time is read from /proc by the benchmark


@contextmanager
def streamlit_server(
    script: Path = APP_PATH,
    env: Mapping[str, str] | None = None,
    startup_timeout: float = 60.0,
    log_path: Path | None = None,
) -> Iterator[StreamlitServer]:
    """Start ``streamlit run script`` in the project's folder (its settings and
    ``.streamlit/config.toml`` apply); yield it once healthy; stop it afterwards, whatever
    happens."""
    port = free_port()
    child_env = dict(os.environ) | dict(env or {})
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(
        _command(script, port),
        cwd=PROJECT_ROOT,
        env=child_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_timeout
        while not _healthy(base_url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise ServerError(f"streamlit run {script.name} did not start on port {port}")
            time.sleep(0.2)
        yield StreamlitServer(base_url, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log_path:
            log.close()  # type: ignore[union-attr]


@contextmanager
def running_server(
    db_url: str | None = None,
    env: Mapping[str, str] | None = None,
    startup_timeout: float = 60.0,
    log_path: Path | None = None,
) -> Iterator[str]:
    """Start the dashboard over ``db_url`` (default: the configured database); yield its
    base URL; stop it afterwards, whatever happens."""
    settings = dict(env or {}) | ({"AUDIT_DB_URL": db_url} if db_url else {})
    with streamlit_server(APP_PATH, settings, startup_timeout, log_path) as server:
        yield server.base_url
