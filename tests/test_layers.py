"""The dashboard does not depend on the operational tools in ``audit/tools``: nothing in
``audit/`` outside it, nor ``app.py`` or ``pages/``, imports ``audit.tools``, except the one
start-up call that creates the embedded demo database. Checked on the source with ``ast``,
so imports inside functions count too."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS = "audit.tools"
# The dashboard writes its embedded demo database on first start (_create_demo_database).
ALLOWED = {("audit/ui/context.py", "audit.tools.demo")}


def _package(path: Path, root: Path) -> str:
    """The dotted name of the package ``path`` belongs to, relative imports' anchor."""
    return ".".join(path.relative_to(root).parent.parts)


def _absolute(node: ast.ImportFrom, path: Path, root: Path) -> str:
    if node.level == 0:
        return node.module or ""
    base = _package(path, root).split(".")
    base = base[: len(base) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


def imported_modules(path: Path, root: Path = ROOT) -> Iterator[str]:
    """Every module ``path`` imports, anywhere in the file, as an absolute dotted name
    (``from a import b`` yields both ``a`` and ``a.b``: ``b`` may be a module)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node, path, root)
            yield module
            yield from (f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and _is_dynamic_import(node):
            yield node.args[0].value


def _is_dynamic_import(call: ast.Call) -> bool:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return (
        name in ("import_module", "__import__")
        and bool(call.args)
        and isinstance(call.args[0], ast.Constant)
        and isinstance(call.args[0].value, str)
    )


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _allowed(path: str, module: str) -> bool:
    return any(path == where and _within(module, what) for where, what in ALLOWED)


def dashboard_files() -> list[Path]:
    tools = ROOT / "audit" / "tools"
    audit = [p for p in (ROOT / "audit").rglob("*.py") if not p.is_relative_to(tools)]
    return sorted([*audit, ROOT / "app.py", *(ROOT / "pages").glob("*.py")])


def test_the_dashboard_does_not_import_the_tools() -> None:
    found = {
        (path.relative_to(ROOT).as_posix(), module)
        for path in dashboard_files()
        for module in imported_modules(path)
        if _within(module, TOOLS)
    }
    forbidden = sorted(item for item in found if not _allowed(*item))
    assert not forbidden, f"the dashboard imports {TOOLS}: {forbidden}"


def test_the_check_sees_every_kind_of_import(tmp_path: Path) -> None:
    scanned = dashboard_files()
    assert ROOT / "app.py" in scanned and ROOT / "audit" / "ui" / "context.py" in scanned
    assert not any(path.is_relative_to(ROOT / "audit" / "tools") for path in scanned)
    package = tmp_path / "audit" / "ui"
    package.mkdir(parents=True)
    sample = package / "page.py"
    sample.write_text(
        "import os\n"
        "def later():\n"
        "    from audit.tools.demo import write_demo\n"
        "    from ..tools import bench\n"
        "    from . import widgets\n"
        "    importlib.import_module('audit.tools.indexes')\n"
    )
    modules = set(imported_modules(sample, root=tmp_path))
    assert {"os", "audit.tools.demo", "audit.tools.bench", "audit.ui.widgets"} <= modules
    assert "audit.tools.indexes" in modules
    assert _allowed("audit/ui/context.py", "audit.tools.demo.write_demo_file")
    assert not _allowed("audit/mirror.py", "audit.tools.demo")
    assert not _allowed("audit/ui/context.py", "audit.tools.bench")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _top_level_imports(path: Path) -> set[str]:
    """Modules imported when ``path`` is imported: top-level statements only (not inside
    functions, nor under ``if TYPE_CHECKING``), as absolute names."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node, path, ROOT)
            found |= {module, *(f"{module}.{alias.name}" for alias in node.names)}
    return found


def _import_graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in (ROOT / "audit").rglob("*.py")}
    return {
        name: {m for m in _top_level_imports(path) if m in files and m != name}
        for name, path in files.items()
    }


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    visiting: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> list[str] | None:
        if name in visiting:
            return [*visiting[visiting.index(name) :], name]
        if name in done:
            return None
        visiting.append(name)
        for target in sorted(graph[name]):
            # A package imports its own modules, and they may import each other through it.
            if target.startswith(name + "."):
                continue
            found = visit(target)
            if found:
                return found
        visiting.pop()
        done.add(name)
        return None

    for name in sorted(graph):
        found = visit(name)
        if found:
            return found
    return None


def test_no_import_cycles_between_modules() -> None:
    assert _cycle(_import_graph()) is None, f"import cycle: {_cycle(_import_graph())}"


def test_the_cycle_check_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_only_the_ui_imports_streamlit_and_no_ui_module_imports_the_browser_driver() -> None:
    ui = ROOT / "audit" / "ui"
    for path in dashboard_files():
        modules = set(imported_modules(path))
        where = path.relative_to(ROOT).as_posix()
        if path.is_relative_to(ui):
            assert not any(_within(m, "audit.browser") for m in modules), where
            assert not any(_within(m, "playwright") for m in modules), where
        elif path.is_relative_to(ROOT / "audit"):
            assert not any(_within(m, "streamlit") for m in modules), where


def _dotted(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_test_or_conftest(path: Path) -> bool:
    return path.name.startswith("test_") or path.name == "conftest.py"


def imports_of_test_modules(root: Path = ROOT) -> list[tuple[str, str]]:
    """(file, module) for every import, anywhere in a file under ``tests/``, of a test
    module or a conftest: what tests share lives in ``tests/support``."""
    files = sorted((root / "tests").rglob("*.py"))
    forbidden = {_dotted(path, root) for path in files if _is_test_or_conftest(path)}
    return sorted(
        {
            (path.relative_to(root).as_posix(), module)
            for path in files
            for module in imported_modules(path, root)
            if module in forbidden
        }
    )


def test_no_test_module_imports_another_test_module_or_a_conftest() -> None:
    found = imports_of_test_modules()
    assert not found, f"import shared helpers from tests.support instead: {found}"


def test_the_test_import_check_sees_every_kind_of_import(tmp_path: Path) -> None:
    files = {
        "tests/__init__.py": "",
        "tests/conftest.py": "",
        "tests/test_a.py": "HELPER = 1\n",
        "tests/test_b.py": "def later():\n    from .test_a import HELPER\n",
        "tests/test_c.py": "from tests.support.shared import HELPER\n",
        "tests/support/__init__.py": "",
        "tests/support/shared.py": "from tests.conftest import x\n",
        "tests/e2e/__init__.py": "",
        "tests/e2e/test_d.py": "from tests import test_a\nimport tests.e2e.conftest\n",
        "tests/e2e/conftest.py": "",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert imports_of_test_modules(tmp_path) == [
        ("tests/e2e/test_d.py", "tests.e2e.conftest"),
        ("tests/e2e/test_d.py", "tests.test_a"),
        ("tests/support/shared.py", "tests.conftest"),
        ("tests/test_b.py", "tests.test_a"),
    ]
