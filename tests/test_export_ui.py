"""The Explorer's export panel: the count shown, the file prepared, the export logged."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from audit.export.log import read_log
from tests.support.apptest import run_page
from tests.support.databases import DemoDatabase

WINDOW = {
    "range": "custom",
    "from": "2026-11-13T00:00:00+00:00",
    "to": "2026-11-20T00:00:00+00:00",
    "tz": "UTC",
}


def test_export_is_prepared_counted_and_logged(
    demo: DemoDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "exports.jsonl"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    env = {"AUDIT_DB_URL": demo.url, "AUDIT_EXPORT_LOG": str(log)}
    at = run_page("pages/explorer.py", env, monkeypatch, action="login", **WINDOW)
    assert not at.exception
    total = demo.scalar(
        "SELECT count(*) FROM audit_logs WHERE created_at >= '2026-11-13' AND created_at < '2026-11-20' AND action = 'login'"
    )
    assert any(f"All {total:,} matching rows" in c.value for c in at.caption), [
        c.value for c in at.caption
    ]
    next(b for b in at.button if b.label == "Prepare file").click().run()
    assert not at.exception
    assert any(f"{total:,} rows written" in c.value for c in at.caption), (
        [c.value for c in at.caption],
        [e.value for e in at.error],
        [w.value for w in at.warning],
    )
    content = at.session_state["export.ready"][1]
    assert content.decode("utf-8-sig").count("\r\n") == total + 1  # header and rows
    assert list(scratch.iterdir()) == []  # no copy of the rows is left on disk
    entries = read_log(log)
    assert len(entries) == 1
    assert entries[0]["rows"] == total and entries[0]["format"] == "csv"
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
