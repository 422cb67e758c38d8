"""Find the fenced Python snippets of the README and docs/, and run one against an emulator.

Fence info strings:

* ```` ```python ````: top-level ``await`` code, run inside an event loop with ``stigg``
  (an open ``AsyncStigg`` bound to the emulator) and ``emulator`` (the in-process
  ``Emulator``) in scope; ``STIGG_API_URL`` / ``STIGG_SERVER_API_KEY`` point at the
  emulator, so ``AsyncStigg()`` works too. The emulator starts with ``customer-1`` on
  ``plan-revvenu-basic`` and ``customer-2`` on ``plan-revvenu-essentials``
  (subscription ``subscription-1``).
* ```` ```python script ````: a complete program, run as ``python -c`` in a subprocess
  with those environment variables.
* ```` ```python no-run: <reason> ````: shown, not run (the reason is required).

A snippet fails when it raises (``assert`` statements check results), exits non-zero,
or makes the SDK log an error.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import logging
import os
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stigg_async import AsyncStigg
from stigg_async.emulator import Emulator, SystemClock

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "sk-docs-secret-93b1f7"
FENCE = re.compile(r"^```python(?P<info>[^\n]*)\n(?P<body>.*?)^```[ \t]*$", re.S | re.M)


@dataclass(frozen=True)
class Snippet:
    path: Path
    line: int
    info: str
    code: str

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    @property
    def mode(self) -> str:
        if self.info.startswith("no-run"):
            return "no-run"
        return "script" if self.info == "script" else "run"

    @property
    def no_run_reason(self) -> str:
        return self.info.partition(":")[2].strip()


def documents() -> list[Path]:
    """The README and every Markdown file under docs/."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def snippets_in(path: Path) -> Iterator[Snippet]:
    text = path.read_text(encoding="utf-8")
    for match in FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        yield Snippet(path, line, match.group("info").strip(), match.group("body"))


def all_snippets() -> list[Snippet]:
    return [s for doc in documents() for s in snippets_in(doc)]


def seed(emulator: Emulator) -> None:
    state = emulator.state
    state.provision_customer("customer-1", email="billing@acme.test")
    state.provision_subscription("customer-1", "plan-revvenu-basic")
    state.provision_customer("customer-2", payment_method_id="pm_card_visa")
    state.provision_subscription(
        "customer-2", "plan-revvenu-essentials", unit_quantity=5, subscription_id="subscription-1"
    )


class _ErrorRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == "stigg_async" or record.name.startswith("stigg_async."):
            self.records.append(record)


async def run_snippet(
    code: str,
    *,
    label: str = "<snippet>",
    times: int = 1,
    scope: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Run top-level-await ``code`` against a fresh seeded emulator; return its namespace.

    With ``times=2`` it runs again against the same emulator (with a new client), as a
    reader trying a snippet twice would. ``scope`` adds names (a docstring example
    runs with its module's globals).
    """
    errors = _ErrorRecords()
    # On the root logger, so a snippet inspecting the stigg_async logger sees it untouched.
    logger = logging.getLogger()
    logger.addHandler(errors)
    saved = {k: os.environ.get(k) for k in ("STIGG_API_URL", "STIGG_SERVER_API_KEY")}
    try:
        async with Emulator(api_key=API_KEY, clock=SystemClock()) as emulator:
            seed(emulator)
            os.environ["STIGG_API_URL"] = emulator.url
            os.environ["STIGG_SERVER_API_KEY"] = API_KEY
            compiled = compile(
                code, label, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True
            )
            for _ in range(times):
                async with AsyncStigg(api_key=API_KEY, api_url=emulator.url) as stigg:
                    namespace: dict[str, Any] = {
                        **(scope or {}),
                        "__name__": "__snippet__",
                        "stigg": stigg,
                        "emulator": emulator,
                        "emu": emulator,
                    }
                    result = eval(compiled, namespace)
                    if inspect.iscoroutine(result):
                        await result
    finally:
        logger.removeHandler(errors)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    if errors.records:
        messages = "\n".join(r.getMessage() for r in errors.records)
        raise AssertionError(f"the snippet made the SDK log errors:\n{messages}")
    return namespace


async def run_script(code: str, *, times: int = 1) -> str:
    """Run a complete program in a subprocess against a fresh seeded emulator; its stdout.

    With ``times=2`` the program runs twice in a row against the same emulator; the
    last run's output is returned.
    """
    out = b""
    async with Emulator(api_key=API_KEY, clock=SystemClock()) as emulator:
        seed(emulator)
        env = {**os.environ, "STIGG_API_URL": emulator.url, "STIGG_SERVER_API_KEY": API_KEY}
        for _ in range(times):
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                code,
                env=env,
                cwd=ROOT,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            out, err = await asyncio.wait_for(proc.communicate(), 120)
            if proc.returncode != 0:
                raise AssertionError(f"the script failed:\n{out.decode()}\n{err.decode()}")
    return out.decode()
