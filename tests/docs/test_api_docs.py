"""docs/api.md is generated from the code and must not go stale."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


async def test_api_reference_is_up_to_date() -> None:
    """scripts/gen_api_docs.py --check passes: the checked-in reference matches the code."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "scripts" / "gen_api_docs.py"),
        "--check",
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()


def test_api_reference_lists_every_public_method() -> None:
    """Each public AsyncStigg method and property has a section in docs/api.md."""
    from stigg_async import AsyncStigg

    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    public = [name for name in dir(AsyncStigg) if not name.startswith("_")]
    assert len(public) > 30
    for name in public:
        assert f"### `{name}`" in text, name


def test_api_reference_summaries_are_whole_sentences() -> None:
    """No summary stops mid-sentence: each ends as a sentence or a clause does."""
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    summaries = re.findall(r"^### `[^`]+`\n\n```text\n.*?\n```\n\n(.+?)\n", text, re.S | re.M)
    assert len(summaries) > 30
    for summary in summaries:
        assert summary.endswith((".", ")", ":", "?", "`")), summary
