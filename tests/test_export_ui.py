"""The Explorer's export panel: the count shown, the file prepared, the export logged."""

from __future__ import annotations

import dataclasses
import io
import os
import shlex
import subprocess
import sys
import tempfile
import urllib.parse
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from audit.config import PROJECT_ROOT
from audit.export import FORMATS
from audit.export.log import read_log
from audit.filters import AuditFilter
from audit.ui.safe import md_escape
from tests.support.apptest import run_page
from tests.support.databases import DemoDatabase

WINDOW = {
    "range": "custom",
    "from": "2026-11-13T00:00:00+00:00",
    "to": "2026-11-20T00:00:00+00:00",
    "tz": "UTC",
}
LOGINS = (
    "SELECT count(*) FROM audit_logs WHERE created_at >= '2026-11-13' "
    "AND created_at < '2026-11-20' AND action = 'login'"
)


@pytest.fixture
def offered(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What each download button drawn is given as its ``data``."""
    given: list[Any] = []
    draw = st.download_button

    def spy(label: str, data: Any, *args: Any, **kwargs: Any) -> bool:
        given.append(data)
        return draw(label, data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", spy)
    return given


def _bytes_held(values: Iterable[Any]) -> int:
    """How many bytes of file content the values hold, looking inside containers."""
    held = 0
    for value in values:
        if isinstance(value, bytes | bytearray | memoryview):
            held += len(value)
        elif isinstance(value, dict):
            held += _bytes_held(value.values())
        elif isinstance(value, list | tuple | set | frozenset):
            held += _bytes_held(value)
        elif dataclasses.is_dataclass(value):
            held += _bytes_held(vars(value).values())
    return held


def _session_bytes(at: AppTest) -> int:
    return _bytes_held(at.session_state.to_dict().values())


def test_export_is_prepared_counted_and_logged(
    demo: DemoDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, offered: list[Any]
) -> None:
    log = tmp_path / "exports.jsonl"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    env = {"AUDIT_DB_URL": demo.url, "AUDIT_EXPORT_LOG": str(log)}
    at = run_page("pages/explorer.py", env, monkeypatch, action="login", **WINDOW)
    assert not at.exception
    total = demo.scalar(LOGINS)
    assert any(f"All {total:,} matching rows" in c.value for c in at.caption), [
        c.value for c in at.caption
    ]
    next(b for b in at.button if b.label == "Prepare file").click().run()
    assert not at.exception
    name = "audit-explorer_2026-11-13_2026-11-20_action-login.csv"
    assert any(f"{total:,} rows written to {md_escape(name)}" in c.value for c in at.caption), (
        [c.value for c in at.caption],
        [e.value for e in at.error],
        [w.value for w in at.warning],
    )
    (content,) = offered
    assert content.decode("utf-8-sig").count("\r\n") == total + 1  # header and rows
    assert list(scratch.iterdir()) == []  # no copy of the rows is left on disk
    entries = read_log(log)
    assert len(entries) == 1
    assert entries[0]["rows"] == total and entries[0]["format"] == "csv"
    assert entries[0]["file"] == name
    assert entries[0]["filter"]["action"] == ["login"]
    assert oct(log.stat().st_mode & 0o777) == "0o600"


def test_export_over_the_cap_is_refused(
    demo: DemoDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {
        "AUDIT_DB_URL": demo.url,
        "AUDIT_EXPORT_LOG": str(tmp_path / "x.jsonl"),
        "AUDIT_EXPORT_ROW_CAP": "10",
    }
    at = run_page("pages/explorer.py", env, monkeypatch, **WINDOW)
    assert not at.exception
    assert at.error and "10" in at.error[0].value
    assert not any(b.label == "Prepare file" for b in at.button)


def test_a_prepared_export_is_not_kept_in_the_session(
    demo: DemoDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, offered: list[Any]
) -> None:
    """The file is in the download button of the run that prepared it, not in session
    state; the rerun a download starts draws no button, so Streamlit releases the bytes."""
    env = {"AUDIT_DB_URL": demo.url, "AUDIT_EXPORT_LOG": str(tmp_path / "log.jsonl")}
    at = run_page("pages/explorer.py", env, monkeypatch, action="login", **WINDOW)
    next(b for b in at.button if b.label == "Prepare file").click().run()
    assert not at.exception
    (content,) = offered
    assert len(content) > 10_000
    assert _session_bytes(at) == 0
    (download,) = at.download_button
    download.click().run()
    assert not at.exception
    assert list(at.download_button) == []
    assert _session_bytes(at) == 0
    assert any(
        md_escape("Downloaded audit-explorer_2026-11-13_2026-11-20_action-login.csv") in c.value
        for c in at.caption
    )
    assert len(offered) == 1  # the file was not offered again


def test_an_excel_export_holds_times_in_the_chosen_timezone(
    demo: DemoDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, offered: list[Any]
) -> None:
    env = {"AUDIT_DB_URL": demo.url, "AUDIT_EXPORT_LOG": str(tmp_path / "log.jsonl")}
    berlin = WINDOW | {"tz": "Europe/Berlin"}
    at = run_page("pages/explorer.py", env, monkeypatch, action="login", **berlin)
    at.radio(key="export.fmt").set_value("xlsx").run()
    next(b for b in at.button if b.label == "Prepare file").click().run()
    assert not at.exception
    (content,) = offered
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    header, first = sheet.iter_rows(max_row=2, values_only=True)
    assert header[1] == "created_at (Europe/Berlin)" and isinstance(first[1], datetime)
    assert [b.proto.label for b in at.get("download_button")] == ["Download Excel"]
    name = "audit-explorer_2026-11-13T0100_2026-11-20T0100_action-login.xlsx"  # Berlin's hours
    assert any(md_escape(name) in c.value for c in at.caption)


def test_export_over_the_browser_cap_points_to_the_command_line(
    demo: DemoDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    total = demo.scalar(LOGINS)
    env = {
        "AUDIT_DB_URL": demo.url,
        "AUDIT_EXPORT_LOG": str(tmp_path / "x.jsonl"),
        "AUDIT_BROWSER_EXPORT_ROW_CAP": str(total - 1),
    }
    at = run_page("pages/explorer.py", env, monkeypatch, action="login", **WINDOW)
    assert not at.exception
    (error,) = at.error
    assert md_escape(f"{total:,} events, more than the browser's limit of {total - 1:,} rows") in (
        error.value
    )
    assert "browser\\_export\\_row\\_cap" in error.value  # the setting, markdown-escaped
    assert not any(b.label == "Prepare file" for b in at.button)
    (code,) = at.code
    words = shlex.split(code.value)
    assert words[:3] == ["python", "-m", "audit.export"]
    assert words[words.index("--format") + 1] in FORMATS
    query = urllib.parse.parse_qs(words[words.index("--query") + 1])
    flt, notices = AuditFilter.from_params(query, "UTC")
    assert notices == [] and flt.actions == ("login",)
    assert flt.to_params()["from"] == [WINDOW["from"]] and flt.to_params()["to"] == [WINDOW["to"]]


def test_the_project_config_turns_the_tables_own_download_off(tmp_path: Path) -> None:
    """A table's toolbar offers no "Download as CSV" (nor copy): that export is neither
    logged nor formula-safe, and viewers would have it. Streamlit reads the project's
    config as ``streamlit run`` does (no user config: HOME is empty)."""
    script = "from streamlit import config; print(config.get_option('client.disableDataExport'))"
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        env=env | {"HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "True"
