"""``import stigg_async`` defers what a program has not asked for (speed: make bench B6)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import stigg_async

HEAVY = ["aiohttp", "gql", "graphql", "pydantic", "tenacity", "cachetools"]
OPTIONAL = [
    "stigg_async.emulator",
    "stigg_async.testing",
    "stigg_async.integrations",
    "fastapi",
    "openfeature",
    "yaml",
]


def loaded_after(code: str) -> set[str]:
    """The modules of interest present in ``sys.modules`` after running ``code`` afresh."""
    probe = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps([m for m in {HEAVY + OPTIONAL!r} if m in sys.modules]))"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", probe], capture_output=True, text=True, check=True
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_importing_the_package_loads_no_dependency() -> None:
    """``import stigg_async`` alone imports neither HTTP, GraphQL nor model libraries."""
    assert loaded_after("import stigg_async") == set()


def test_importing_the_client_loads_what_a_check_needs_and_nothing_optional() -> None:
    """``from stigg_async import AsyncStigg`` brings the HTTP stack, never the extras."""
    loaded = loaded_after("from stigg_async import AsyncStigg")
    assert {"aiohttp", "gql", "graphql"} <= loaded
    assert not loaded & set(OPTIONAL)


def test_names_resolve_on_first_access_and_stay() -> None:
    """A public name is the defining module's object, cached on the package after first use."""
    from stigg_async._errors import StiggError

    assert stigg_async.StiggError is StiggError
    assert "StiggError" in vars(stigg_async)
    assert set(stigg_async.__all__) <= set(dir(stigg_async))


def test_unknown_names_raise_attribute_error() -> None:
    """A misspelt name fails like any missing attribute (so hasattr and getattr work)."""
    with pytest.raises(AttributeError, match="NoSuchThing"):
        _ = stigg_async.NoSuchThing  # type: ignore[attr-defined]
    assert not hasattr(stigg_async, "NoSuchThing")


def test_star_import_still_gives_every_public_name() -> None:
    """``from stigg_async import *`` binds every name of ``__all__``."""
    namespace: dict[str, object] = {}
    exec("from stigg_async import *", namespace)
    assert set(stigg_async.__all__) <= set(namespace)


def test_type_checkers_see_every_lazy_name_where_it_is_loaded_from() -> None:
    """The ``TYPE_CHECKING`` imports, the lazy table and ``__all__`` name the same things.

    A public name added to only one of them would be missing for mypy users, or fail
    on first access; this says which.
    """
    tree = ast.parse(Path(stigg_async.__file__).read_text(encoding="utf-8"))
    typed: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for statement in node.body:
                assert isinstance(statement, ast.ImportFrom)
                for alias in statement.names:
                    typed[alias.asname or alias.name] = str(statement.module)
    lazy = dict(stigg_async._LAZY)
    assert typed == lazy
    assert set(stigg_async.__all__) == set(lazy) | {"__version__"}
