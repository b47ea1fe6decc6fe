"""The dashboard process rendering every page (Streamlit's AppTest), for its peak memory."""

from __future__ import annotations

from typing import Any

from audit.config import PROJECT_ROOT
from audit.tools.bench.parameters import STATEMENT_TIMEOUT
from audit.tools.bench.process import environment


def render_every_page(spec: dict[str, Any]) -> dict[str, Any]:
    settings = {
        "AUDIT_DB_URL": spec["url"],
        "AUDIT_MIRROR_PATH": spec["mirror"],
        "AUDIT_AGGREGATE_ENGINE": spec.get("aggregate_engine", "auto"),
        "AUDIT_STATEMENT_TIMEOUT_SECONDS": str(int(STATEMENT_TIMEOUT)),
    }
    with environment(**settings):
        return _render_pages()


def _render_pages() -> dict[str, Any]:
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=STATEMENT_TIMEOUT)
    app.query_params["range"] = "all"
    app.run()
    errors = [str(e.value) for e in app.exception]
    for page in ("pages/explorer.py", "pages/security.py"):
        app.switch_page(page).run()
        errors += [str(e.value) for e in app.exception]
    app.query_params["id"] = "1"
    app.switch_page("pages/event.py").run()
    errors += [str(e.value) for e in app.exception]
    if errors:
        raise RuntimeError("a page failed: " + "; ".join(errors)[:2000])
    return {"pages": 4}
