"""``make schema``: the pruned schema is current and reproducible from file or endpoint."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from graphql import build_schema

from stigg_async._operations import load_operations
from stigg_async._resources import schema_path
from stigg_async.testing import Emulator

ROOT = Path(__file__).resolve().parent.parent
FULL_SCHEMA = ROOT.parent / "shared" / "reference" / "stigg-schema.graphql"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "prune_schema", ROOT / "scripts" / "prune_schema.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["prune_schema"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(
    not FULL_SCHEMA.is_file(), reason="the full reference schema is not beside the repo"
)
def test_committed_schema_matches_a_fresh_prune_of_the_full_schema() -> None:
    """operations/schema.graphql is exactly what the script makes from the full schema."""
    fresh = _script().prune(build_schema(FULL_SCHEMA.read_text(encoding="utf-8")))
    assert fresh == schema_path().read_text(encoding="utf-8"), "run `make schema`"


def test_pruned_schema_has_every_root_field_the_documents_use() -> None:
    """Each document's root field exists on the matching root type of the pruned schema."""
    schema = build_schema(schema_path().read_text(encoding="utf-8"))
    assert schema.query_type is not None
    assert schema.mutation_type is not None
    for op in load_operations().values():
        root = schema.query_type if op.kind == "query" else schema.mutation_type
        assert op.root_field in root.fields, op.name
    script = _script()
    assert set(script.QUERY_FIELDS) == set(schema.query_type.fields)
    assert set(script.MUTATION_FIELDS) == set(schema.mutation_type.fields)
    assert schema.subscription_type is not None
    assert set(script.SUBSCRIPTION_FIELDS) == set(schema.subscription_type.fields)


async def test_prune_from_a_live_endpoint_introspection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Introspecting a running endpoint (the emulator) reproduces the committed schema."""
    script = _script()
    async with Emulator(api_key="introspect-key") as emu:
        monkeypatch.setenv("PRUNE_TEST_KEY", "introspect-key")
        full = await script._introspect(emu.url, "introspect-key")
    text = script.prune(full)
    assert text == schema_path().read_text(encoding="utf-8")


def test_introspection_key_comes_from_the_environment_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the key variable set, the script refuses instead of sending no key."""
    monkeypatch.delenv("NO_SUCH_KEY_VAR", raising=False)
    with pytest.raises(SystemExit, match="NO_SUCH_KEY_VAR"):
        _script().main(["--url", "http://127.0.0.1:9/graphql", "--api-key-env", "NO_SUCH_KEY_VAR"])
