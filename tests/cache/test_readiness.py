"""wait_until_ready tells the truth: True only once the API answered with this key."""

from __future__ import annotations

import asyncio

from stigg_async import AsyncStigg, CacheState
from stigg_async._clock import FakeClock
from stigg_async.emulator import Emulator
from stigg_async.emulator._process import free_port
from stigg_async.testing import STIGG_EMULATOR_API_KEY


async def test_ready_only_after_the_api_answered_even_with_nothing_to_load(
    stigg_emulator: Emulator, stigg_emulator_clock: FakeClock
) -> None:
    """With no key in use, readiness comes from an authenticated probe the API answered."""
    async with AsyncStigg(
        api_key=STIGG_EMULATOR_API_KEY, api_url=stigg_emulator.url, clock=stigg_emulator_clock
    ) as stigg:
        before = stigg_emulator.counters.total
        assert await stigg.wait_until_ready(timeout=30)
        assert stigg_emulator.counters.total > before  # the API was asked
        assert stigg.entitlement_status.state is CacheState.VALID


async def test_a_wrong_key_returns_false_at_once_and_status_says_why(
    stigg_emulator: Emulator, stigg_emulator_clock: FakeClock
) -> None:
    """A rejected key ends the wait before the timeout, with the reason in the status."""
    async with AsyncStigg(
        api_key="wrong-key", api_url=stigg_emulator.url, clock=stigg_emulator_clock
    ) as stigg:
        started = stigg_emulator_clock.monotonic()
        assert await stigg.wait_until_ready(timeout=60) is False
        assert stigg_emulator_clock.monotonic() == started  # no fake time passed: not a timeout
        status = stigg.entitlement_status
        assert status.state is CacheState.INTERRUPTED
        assert status.last_error is not None
        assert "StiggAuthenticationError" in status.last_error
        assert "wrong-key" not in repr(status)


async def test_an_unreachable_url_returns_false_on_timeout() -> None:
    """Nothing listening: False when the timeout passes, with a connection error reported."""
    clock = FakeClock()
    url = f"http://127.0.0.1:{free_port()}/graphql"
    async with AsyncStigg(api_key="k", api_url=url, clock=clock) as stigg:
        waiter = asyncio.create_task(stigg.wait_until_ready(timeout=5))
        for _ in range(200):
            await asyncio.sleep(0.01)
            if stigg.entitlement_status.state is CacheState.INTERRUPTED:
                break
        assert not waiter.done()  # not ready, and not given up before the timeout
        clock.advance(5)
        assert await waiter is False
        status = stigg.entitlement_status
        assert status.state is CacheState.INTERRUPTED
        assert status.last_error is not None
        assert "Connection" in status.last_error
