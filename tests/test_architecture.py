"""The package's shape: no import cycles, data sources that know only their interface."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "stigg_async"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(path: Path) -> set[str]:
    """Modules imported at import time (not under TYPE_CHECKING, not inside functions)."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                visit(node.orelse)
                continue
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module.startswith("stigg_async"):
                    found.add(node.module)
                    for alias in node.names:  # "from stigg_async import _fork"
                        found.add(f"{node.module}.{alias.name}")
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("stigg_async"))
            elif isinstance(node, (ast.If, ast.Try)):
                visit(node.body)
                visit(getattr(node, "orelse", []))
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)

    visit(tree.body)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {
        name: {m for m in _runtime_imports(path) if m in modules and m != name}
        for name, path in modules.items()
    }


def test_no_import_cycles() -> None:
    """No module imports itself back through others at import time."""
    graph = _graph()
    # A package importing its own submodules (its public surface) is not a cycle.
    edges = {
        name: {m for m in deps if not m.startswith(name + ".")} for name, deps in graph.items()
    }
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(edges[node]):
            if state.get(dep) == 1:
                cycle = [*stack[stack.index(dep) :], dep]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if dep not in state:
                visit(dep)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)


@pytest.mark.parametrize(
    "module",
    [
        "stigg_async._cache._poller",
        "stigg_async._cache._refresher",
        "stigg_async._cache._store",
        "stigg_async._cache._fastpath",
        "stigg_async._cache._live",
    ],
)
def test_cache_parts_do_not_import_the_cache_core_or_the_facade(module: str) -> None:
    """Store, request path and data sources meet the core only through interfaces."""
    path = PACKAGE.parent / (module.replace(".", "/") + ".py")
    imports = _runtime_imports(path)
    forbidden = {"stigg_async._cache._core", "stigg_async._client"}
    assert not imports & forbidden
    assert not any(m.startswith("stigg_async._facade") for m in imports)
