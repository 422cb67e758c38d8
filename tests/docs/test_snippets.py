"""Every Python snippet of the README and docs/ runs against the emulator (see snippets.py)."""

from __future__ import annotations

import pytest

from stigg_async import StiggError
from tests.docs.snippets import Snippet, all_snippets, run_script, run_snippet

SNIPPETS = all_snippets()


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[s.id for s in SNIPPETS])
async def test_snippet(snippet: Snippet) -> None:
    """The snippet runs without error, twice against the same emulator (or says why not)."""
    if snippet.mode == "no-run":
        assert snippet.no_run_reason, f"{snippet.id}: 'no-run' needs a reason after a colon"
        pytest.skip(f"not runnable: {snippet.no_run_reason}")
    if snippet.mode == "script":
        await run_script(snippet.code, times=2)
    else:
        await run_snippet(snippet.code, label=snippet.id, times=2)


def test_there_are_runnable_snippets_in_readme_and_docs() -> None:
    """The collector finds snippets (a broken fence regex would silently test nothing)."""
    runnable = {s.path.name for s in SNIPPETS if s.mode != "no-run"}
    assert {"README.md", "quickstart.md", "integrations.md", "errors.md"} <= runnable


def test_every_fence_info_is_known() -> None:
    """A typo in a fence info string must not turn a snippet into a silent no-op."""
    for snippet in SNIPPETS:
        assert snippet.info in ("", "script") or snippet.info.startswith("no-run:"), snippet.id


async def test_a_failing_assert_fails_the_snippet() -> None:
    """The runner reports a snippet whose assertion is wrong."""
    code = 'r = await stigg.get_entitlement("customer-1", "feature-04-analytics")\n'
    with pytest.raises(AssertionError):
        await run_snippet(code + "assert r.is_granted\n")
    await run_snippet(code + "assert not r.is_granted\n")


async def test_an_sdk_error_fails_the_snippet() -> None:
    """A snippet calling the API wrongly fails."""
    with pytest.raises(StiggError):
        await run_snippet('await stigg.get_subscription("no-such-subscription")\n')


async def test_an_sdk_error_log_fails_the_snippet() -> None:
    """A snippet with a wrong API key fails even though checks never raise."""
    code = (
        "from stigg_async import AsyncStigg\n"
        'async with AsyncStigg(api_key="...") as other:\n'
        '    await other.get_entitlement("customer-1", "feature-02-campaigns")\n'
    )
    with pytest.raises(AssertionError, match="log errors"):
        await run_snippet(code)


async def test_a_failing_script_fails() -> None:
    """A complete-program snippet that exits non-zero fails."""
    with pytest.raises(AssertionError):
        await run_script("raise SystemExit(3)")
