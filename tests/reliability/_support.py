"""Helpers of the reliability suite: one API key, seeded emulators, fake-time driving."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from stigg_async import AsyncStigg
from stigg_async._cache import EntitlementCacheOptions
from stigg_async._clock import FakeClock
from stigg_async._usage import UsagePipelineOptions
from stigg_async.emulator import Emulator

__all__ = ["SECRET_KEY", "drive", "make_client", "seed"]

#: The key every emulator and client of the suite uses; R6 looks for it everywhere.
SECRET_KEY = "sk-reliability-SECRET-4f1c9a2e7b"


def seed(emu: Emulator, count: int, plan: str = "plan-revvenu-growth") -> list[str]:
    customers = [f"customer-{i:03d}" for i in range(count)]
    for customer in customers:
        emu.state.provision_customer(customer)
        emu.state.provision_subscription(customer, plan, skip_trial=True)
    return customers


def make_client(
    url: str,
    clock: FakeClock,
    *,
    api_key: str = SECRET_KEY,
    entitlements: dict[str, Any] | None = None,
    usage: dict[str, Any] | None = None,
    **kwargs: Any,
) -> AsyncStigg:
    # No poller and no stream unless asked: these runs count requests and settle
    # outcomes at exact points, which a background refresh would race.
    options = {"poll": False, "streaming": False, **(entitlements or {})}
    return AsyncStigg(
        api_key=api_key,
        api_url=url,
        clock=clock,
        entitlements=EntitlementCacheOptions(**options),
        usage=UsagePipelineOptions(**(usage or {})),
        **kwargs,
    )


async def drive(
    clock: FakeClock,
    done: Callable[[], bool],
    *,
    step: float = 0.5,
    limit: float = 36_000.0,
    spins: int = 10,
) -> float:
    """Advance fake time in steps until ``done()``; return the fake seconds it took.

    Between steps the loop runs ``spins`` times (never sleeping), so loopback I/O
    and woken tasks make progress. ``limit`` bounds fake time, not real time.
    """
    spent = 0.0
    while True:
        for _ in range(spins):
            if done():
                return spent
            await asyncio.sleep(0)
        if spent >= limit:
            raise AssertionError(f"not done after {limit} fake seconds")
        clock.advance(step)
        spent += step
