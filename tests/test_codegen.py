"""``make codegen``: the committed enums and input models are what the schema generates."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from graphql import GraphQLEnumType, GraphQLInputObjectType, build_schema

from stigg_async._models import _enums, _inputs
from stigg_async._resources import schema_path

ROOT = Path(__file__).resolve().parent.parent


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("codegen", ROOT / "scripts" / "codegen.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["codegen"] = module
    spec.loader.exec_module(module)
    return module


def test_committed_models_match_a_fresh_generation() -> None:
    """_enums.py and _inputs.py are exactly what scripts/codegen.py makes from the schema."""
    fresh = _script().generate(schema_path().read_text(encoding="utf-8"))
    models = ROOT / "stigg_async" / "_models"
    for name, text in fresh.items():
        assert text == (models / name).read_text(encoding="utf-8"), f"run `make codegen` ({name})"


def test_every_schema_enum_and_input_is_generated() -> None:
    """Each enum and input type of the pruned schema has a class of the same name."""
    schema = build_schema(schema_path().read_text(encoding="utf-8"))
    enums = {n for n, t in schema.type_map.items() if isinstance(t, GraphQLEnumType)}
    inputs = {n for n, t in schema.type_map.items() if isinstance(t, GraphQLInputObjectType)}
    assert {n for n in enums if not n.startswith("__")} == set(_enums.__all__)
    assert inputs == set(_inputs.__all__)


@pytest.mark.parametrize(
    ("camel", "snake"),
    [("addressLine1", "address_line1"), ("iLike", "i_like"), ("refId", "ref_id"), ("in", "in")],
)
def test_snake_case_round_trips_to_the_schema_name(camel: str, snake: str) -> None:
    """Field names convert to snake_case the way the camelCase alias generator undoes."""
    from pydantic.alias_generators import to_camel

    assert _script().snake(camel) == snake
    assert to_camel(snake) == camel


def test_check_mode_reports_a_stale_file(tmp_path: Path) -> None:
    """``--check`` fails when the schema has changed since the files were generated."""
    schema = tmp_path / "schema.graphql"
    changed = schema_path().read_text(encoding="utf-8") + "\nenum FreshEnum { ONE }\n"
    schema.write_text(changed, encoding="utf-8")
    assert _script().main(["--schema", str(schema), "--check"]) == 1
    assert _script().main(["--check"]) == 0
