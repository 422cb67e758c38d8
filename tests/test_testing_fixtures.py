"""The pytest fixtures shipped for users in stigg_async.testing."""

from __future__ import annotations

from stigg_async import AsyncStigg, EntitlementSource
from stigg_async.testing import Emulator, FakeClock


async def test_stigg_client_is_bound_to_the_emulator(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """The client fixture talks to the emulator fixture; a warm check makes no request."""
    stigg_emulator.state.provision_customer("c-fixture")
    stigg_emulator.state.provision_subscription("c-fixture", "plan-revvenu-basic")
    first = await stigg_client.get_entitlement(
        "c-fixture", "feature-02-campaigns", requested_usage=1
    )
    before = stigg_emulator.counters.total
    second = await stigg_client.get_entitlement(
        "c-fixture", "feature-02-campaigns", requested_usage=1
    )
    assert first.is_granted
    assert first.source is EntitlementSource.NETWORK
    assert second.source is EntitlementSource.FRESH_CACHE
    assert stigg_emulator.counters.total == before


async def test_fixtures_share_one_fake_clock(
    stigg_client: AsyncStigg, stigg_emulator: Emulator, stigg_emulator_clock: FakeClock
) -> None:
    """Client and emulator see the same fake time."""
    assert stigg_emulator.clock is stigg_emulator_clock
    assert stigg_client._clock is stigg_emulator_clock
