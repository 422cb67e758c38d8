"""docs/configuration.md lists every option with the default the code really has."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import re
from pathlib import Path
from typing import Any

import pytest

from stigg_async import (
    AsyncStigg,
    EntitlementAnalyticsOptions,
    EntitlementCacheOptions,
    RetryPolicy,
    UsagePipelineOptions,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def table(section: str) -> dict[str, str]:
    """``option -> default cell`` of the table under the ``## `section` `` heading."""
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"## `{section}`")
    end = text.find("\n## ", start + 1)
    rows = re.findall(r"^\| `(\w+)` \| `([^`]*)` \|", text[start : end if end > 0 else None], re.M)
    return dict(rows)


def code_defaults(obj: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(obj):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(obj):
            if f.default is not dataclasses.MISSING:
                out[f.name] = f.default
            else:
                assert f.default_factory is not dataclasses.MISSING
                out[f.name] = f.default_factory()
        return out
    params = inspect.signature(obj).parameters.values()
    return {p.name: p.default for p in params if p.name != "self"}


@pytest.mark.parametrize(
    ("section", "obj"),
    [
        ("AsyncStigg", AsyncStigg.__init__),
        ("RetryPolicy", RetryPolicy),
        ("EntitlementCacheOptions", EntitlementCacheOptions),
        ("UsagePipelineOptions", UsagePipelineOptions),
        ("EntitlementAnalyticsOptions", EntitlementAnalyticsOptions),
    ],
)
def test_every_option_is_documented_with_its_real_default(section: str, obj: Any) -> None:
    """Each option appears once, in code order, with the code's default."""
    documented = table(section)
    defaults = code_defaults(obj)
    assert list(documented) == list(defaults)
    for name, cell in documented.items():
        assert ast.literal_eval(cell) == defaults[name], f"{section}.{name}"
