"""Where the benchmarks run: the emulator on 127.0.0.1, in-process or as a subprocess."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

from stigg_async import AsyncStigg
from stigg_async._cache import EntitlementCacheOptions
from stigg_async.emulator import Emulator

__all__ = [
    "API_KEY",
    "BOOLEAN_FEATURE",
    "METERED_FEATURE",
    "PLAN",
    "client",
    "emulator",
    "emulator_process",
    "seed",
]

API_KEY = "bench-key"
PLAN = "plan-revvenu-essentials"  # five features: 2 metered, 1 boolean, 1 config, 1 unmetered
BOOLEAN_FEATURE = "feature-04-analytics"
METERED_FEATURE = "feature-02-campaigns"  # limit 12 per month on this plan


def seed(emu: Emulator, customers: int, prefix: str = "customer") -> list[str]:
    """Provision ``customers`` customers on :data:`PLAN` through the in-process state."""
    ids = [f"{prefix}-{i:05d}" for i in range(customers)]
    for customer in ids:
        emu.state.provision_customer(customer)
        emu.state.provision_subscription(customer, PLAN)
    return ids


@contextlib.asynccontextmanager
async def emulator(**kwargs: Any) -> AsyncIterator[Emulator]:
    """An in-process emulator (real HTTP on 127.0.0.1, same event loop as the client)."""
    async with Emulator(api_key=API_KEY, **kwargs) as emu:
        yield emu


def client(url: str, **entitlement_options: Any) -> AsyncStigg:
    """A client with the poller off unless asked: benchmarks drive refreshes themselves."""
    entitlement_options.setdefault("poll", False)
    entitlement_options.setdefault("max_entries", 50_000)
    entitlement_options.setdefault("streaming", False)  # B8 turns it on where it measures it
    return AsyncStigg(
        api_key=API_KEY,
        api_url=url,
        entitlements=EntitlementCacheOptions(**entitlement_options),
    )


@contextlib.contextmanager
def emulator_process() -> Iterator[str]:
    """The emulator as its own process (its own core); yields its GraphQL URL.

    The network benchmark uses it so that the server's time neither hides in nor
    inflates the client's: the loop being measured runs only client code.
    """
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stigg_async.emulator",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--api-key",
            API_KEY,
            "--log-level",
            "ERROR",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if "listening on " not in line:
            err = proc.stderr.read() if proc.stderr else ""
            raise RuntimeError(f"the emulator did not start: {line!r} {err[-2000:]}")
        yield line.rsplit("listening on ", 1)[1].strip()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


async def yield_loop(times: int = 3) -> None:
    for _ in range(times):
        await asyncio.sleep(0)
