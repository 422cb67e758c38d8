"""Docstring examples that need a live client (``# doctest: +SKIP``) run against the emulator.

pytest's ``--doctest-modules`` (in ``make test``) runs the examples that need nothing;
the ones marked ``+SKIP`` use top-level ``await`` and an open client, which doctest
cannot give them. Here each such docstring's examples run as one snippet, with the
module's globals, ``stigg`` (an open ``AsyncStigg``) and ``emulator`` in scope, against
a fresh emulator seeded as for the docs (see ``snippets.py``). Output lines are
illustrative and not compared; an example fails when it raises or makes the SDK log
an error. A docstring whose examples are fragments says why in ``FRAGMENTS``.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from dataclasses import dataclass
from typing import Any

import pytest

import stigg_async
from tests.docs.snippets import run_snippet

#: Docstrings whose examples are not programs, with the reason.
FRAGMENTS = {
    "stigg_async._cache._core.EntitlementCache.restart_after_fork": "needs a forked child",
    "stigg_async._client.AsyncStigg.restart_after_fork": "needs a forked child",
    "stigg_async._cache._evaluator.evaluate": "internal; needs a snapshot built by the cache",
    "stigg_async._facade_entitlements._EntitlementMethods.get_entitlement": (
        "calls the reader's own send_campaign()"
    ),
    "stigg_async.integrations.fastapi": "declares routes of an app defined elsewhere",
    "stigg_async.integrations.fastapi.StiggUsageMiddleware": "uses the reader's app",
    "stigg_async.integrations.fastapi.get_stigg": "uses the reader's app",
    "stigg_async.integrations.fastapi.stigg_lifespan": "declares an app",
    "stigg_async.integrations.fastapi.from_header": "declares a route dependency",
    "stigg_async.integrations.fastapi.require_entitlement": "declares a route dependency",
    "stigg_async.integrations.fastapi.track_usage_after": "declares a route dependency",
    "stigg_async.integrations.openfeature.StiggProvider.track": (
        "uses the OpenFeature client of the module example"
    ),
}


@dataclass(frozen=True)
class Example:
    name: str
    code: str
    globs: dict[str, Any]


def skipped_examples() -> list[Example]:
    """Every docstring in the package with a ``+SKIP`` example, its examples as one program."""
    finder = doctest.DocTestFinder()
    modules = [stigg_async]
    for info in pkgutil.walk_packages(stigg_async.__path__, "stigg_async."):
        if not info.name.endswith("__main__"):
            modules.append(importlib.import_module(info.name))
    found: dict[str, Example] = {}
    for module in modules:
        for test in finder.find(module):
            if test.name in found or not any(e.options.get(doctest.SKIP) for e in test.examples):
                continue
            code = "".join(example.source for example in test.examples)
            found[test.name] = Example(test.name, code, dict(test.globs))
    return sorted(found.values(), key=lambda e: e.name)


EXAMPLES = skipped_examples()


def test_the_collector_finds_the_client_examples() -> None:
    """The examples of the facade's methods are found (a broken finder would test nothing)."""
    names = {e.name for e in EXAMPLES}
    assert "stigg_async._facade_customers._CustomerMethods.provision_customer" in names
    assert len(EXAMPLES) > 40
    assert set(FRAGMENTS) <= names, set(FRAGMENTS) - names


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
async def test_docstring_example_runs_against_the_emulator(example: Example) -> None:
    """The docstring's examples run without error (or it says why they cannot)."""
    if example.name in FRAGMENTS:
        pytest.skip(f"fragment: {FRAGMENTS[example.name]}")
    await run_snippet(example.code, label=example.name, scope=example.globs)
