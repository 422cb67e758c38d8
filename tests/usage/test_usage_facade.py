"""The facade's buffered usage methods, end to end against the emulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from stigg_async._client import AsyncStigg
from stigg_async._clock import FakeClock
from stigg_async._errors import StiggClientStateError, StiggValidationError
from stigg_async._models import UsageUpdateBehavior
from stigg_async._usage import UsagePipelineOptions
from stigg_async.emulator import Emulator
from tests.usage.fakes import drive


@pytest.fixture
async def stigg_emulator() -> AsyncIterator[Emulator]:
    async with Emulator(api_key="test-key", clock=FakeClock()) as emulator:
        yield emulator


@pytest.mark.filterwarnings("error::ResourceWarning")
async def test_tracked_usage_and_events_land_once_through_the_client(
    stigg_emulator: Emulator,
) -> None:
    """track_usage / track_event / flush on AsyncStigg deliver to the emulator exactly."""
    state = stigg_emulator.state
    state.provision_customer("customer-1")
    state.provision_subscription("customer-1", "plan-revvenu-growth", skip_trial=True)
    clock = FakeClock()
    stigg = AsyncStigg(
        api_key="test-key",
        api_url=stigg_emulator.url,
        clock=clock,
        usage=UsagePipelineOptions(flush_interval=5),
    )
    before = {t for t in asyncio.all_tasks() if t is not asyncio.current_task()}
    await stigg.open()
    assert stigg.track_usage("customer-1", "feature-02-campaigns", 3)
    assert stigg.track_usage(
        "customer-1", "feature-02-campaigns", 10, update_behavior=UsageUpdateBehavior.SET
    )
    assert await stigg.track_usage_async("customer-1", "feature-02-campaigns", 2)
    assert stigg.track_event("customer-1", "user_login", dimensions={"user_id": "u-1"})
    assert await stigg.track_event_async("customer-1", "user_login", dimensions={"user_id": "u-2"})
    with pytest.raises(StiggValidationError):
        stigg.track_usage("customer-1", "", 1)
    assert await drive(clock, stigg.flush(), step=0.05, limit=1_000_000)
    assert state.usage_total("customer-1", "feature-02-campaigns") == 12
    assert state.usage_total("customer-1", "feature-07-active-users") == 2
    stats = stigg.usage_stats
    assert (stats.enqueued, stats.sent, stats.pending) == (5, 5, 0)
    await drive(clock, stigg.aclose(), step=0.05, limit=1_000_000)
    with pytest.raises(StiggClientStateError):
        stigg.track_usage("customer-1", "feature-02-campaigns", 1)
    await asyncio.sleep(0)
    assert {t for t in asyncio.all_tasks() if t is not asyncio.current_task()} == before


async def test_delivered_usage_is_written_through_to_the_entitlement_cache(
    stigg_emulator: Emulator,
) -> None:
    """After a flush the cached entitlement shows the new usage without another fetch."""
    state = stigg_emulator.state
    state.provision_customer("customer-1")
    state.provision_subscription("customer-1", "plan-revvenu-basic", skip_trial=True)
    clock = FakeClock()
    stigg = AsyncStigg(api_key="test-key", api_url=stigg_emulator.url, clock=clock)
    try:
        await stigg.open()
        first = await drive(
            clock, stigg.get_entitlement("customer-1", "feature-02-campaigns"), step=0.01
        )
        assert first.current_usage == 0
        fetches = stigg_emulator.counters.root_field("cachedEntitlements")
        stigg.track_usage("customer-1", "feature-02-campaigns", 3)
        assert await drive(clock, stigg.flush(), step=0.01)
        second = await stigg.get_entitlement("customer-1", "feature-02-campaigns")
        assert second.current_usage == 3
        assert stigg_emulator.counters.root_field("cachedEntitlements") == fetches
    finally:
        await drive(clock, stigg.aclose(), step=0.01)
