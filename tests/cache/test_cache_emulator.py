"""The entitlement cache against the in-process emulator (real HTTP on 127.0.0.1).

Time is a FakeClock shared by the emulator and the cache; the only waiting is for
loopback I/O to complete, by yielding to the loop until a condition holds.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from stigg_async._cache import (
    CacheState,
    EntitlementCache,
    EntitlementCacheOptions,
    EntitlementSource,
)
from stigg_async._clock import FakeClock
from stigg_async._facade_entitlements import _EntitlementMethods
from stigg_async._models._enums import AccessDeniedReason as R
from stigg_async._operations import operation
from stigg_async._retry import RetryPolicy
from stigg_async._transport import GraphQLTransport
from stigg_async.emulator import Emulator
from stigg_async.testing import STIGG_EMULATOR_API_KEY

NO_RETRY = RetryPolicy(max_retries=0, deadline=None)
CAMPAIGNS = "feature-02-campaigns"  # basic plan: limit 4 per MONTH


class Client(_EntitlementMethods):
    def __init__(
        self, cache: EntitlementCache, clock: FakeClock, transport: GraphQLTransport
    ) -> None:
        self._entitlements = cache
        self._clock = clock
        self._transport = transport


async def until(condition: Callable[[], bool], spins: int = 200_000) -> None:
    """Yield to the loop (never sleeping) until ``condition()`` holds."""
    for _ in range(spins):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition not reached")


async def run_for(clock: FakeClock, cache: EntitlementCache, seconds: float, step: float) -> None:
    """Advance fake time in steps, letting each poll cycle's real I/O finish."""
    elapsed = 0.0
    while elapsed < seconds:
        await clock.run_for(step, step=step)
        elapsed += step
        await until(lambda: not cache.is_polling or clock.pending_sleepers >= 1)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def emu(clock: FakeClock) -> AsyncIterator[Emulator]:
    async with Emulator(api_key=STIGG_EMULATOR_API_KEY, clock=clock, max_aliases=50) as emulator:
        for customer in ("customer-1", "customer-2"):
            emulator.state.provision_customer(customer)
            emulator.state.provision_subscription(customer, "plan-revvenu-basic")
        yield emulator


@pytest.fixture
async def make_client(emu: Emulator, clock: FakeClock) -> AsyncIterator[Callable[..., Client]]:
    opened: list[tuple[EntitlementCache, GraphQLTransport]] = []

    def make(api_key: str = STIGG_EMULATOR_API_KEY, **options: Any) -> Client:
        options.setdefault("poll", False)
        transport = GraphQLTransport(api_url=emu.url, api_key=api_key, timeout=5)
        cache = EntitlementCache(
            transport=transport,
            retry_policy=NO_RETRY,
            clock=clock,
            options=EntitlementCacheOptions(**options),
        )
        cache.start()
        opened.append((cache, transport))
        return Client(cache, clock, transport)

    yield make
    for cache, transport in opened:
        await cache.aclose()
        await transport.close()


async def test_warm_check_makes_zero_requests(
    make_client: Callable[..., Client], emu: Emulator
) -> None:
    """After the first check, checks are answered locally: the emulator sees nothing."""
    client = make_client()
    first = await client.get_entitlement("customer-1", CAMPAIGNS, requested_usage=1)
    assert (first.is_granted, first.usage_limit) == (True, 4)
    before = emu.counters.total
    for _ in range(1_000):
        result = await client.get_entitlement("customer-1", CAMPAIGNS, requested_usage=1)
    assert result.source is EntitlementSource.FRESH_CACHE
    assert emu.counters.total == before == 1


async def test_thousand_concurrent_cold_checks_make_one_request(
    make_client: Callable[..., Client], emu: Emulator
) -> None:
    """1,000 concurrent checks of one cold customer share exactly one request."""
    client = make_client()
    results = await asyncio.gather(
        *(client.get_entitlement("customer-1", CAMPAIGNS) for _ in range(1_000))
    )
    assert emu.counters.total == 1
    assert all(r.is_granted for r in results)


async def test_unknown_customer_is_denied_with_the_servers_reason(
    make_client: Callable[..., Client],
) -> None:
    """entitlementsState's customer-level reason reaches the check."""
    client = make_client()
    result = await client.get_entitlement("nobody", CAMPAIGNS)
    assert result.is_granted is False
    assert result.access_denied_reason in (R.CUSTOMER_NOT_FOUND, R.NO_ACTIVE_SUBSCRIPTION)


async def test_reported_usage_flips_the_check_locally_and_rolls_over(
    make_client: Callable[..., Client], emu: Emulator, clock: FakeClock
) -> None:
    """A reportUsage answer written through denies past the limit; a new period resets it."""
    client = make_client(ttl=10**8)
    assert (await client.get_entitlement("customer-1", CAMPAIGNS, requested_usage=4)).is_granted
    transport = client._transport
    data = await transport.execute(
        operation("ReportUsage"),
        {"input": {"customerId": "customer-1", "featureId": CAMPAIGNS, "value": 4}},
    )
    requests = emu.counters.total
    client._entitlements.apply_measurements([data["reportUsage"]])
    denied = await client.get_entitlement("customer-1", CAMPAIGNS, requested_usage=1)
    assert (denied.is_granted, denied.current_usage) == (False, 4)
    assert denied.access_denied_reason is R.REQUESTED_USAGE_EXCEEDING_LIMIT
    assert emu.counters.total == requests  # decided locally
    end = denied.usage_period_end or denied.next_reset_date
    assert end is not None
    clock.advance((end - clock.now()).total_seconds() + 1)
    rolled = await client.get_entitlement("customer-1", CAMPAIGNS, requested_usage=1)
    assert (rolled.is_granted, rolled.current_usage) == (True, 0)
    assert emu.counters.total == requests


async def test_outage_serves_stale_and_poller_recovers_within_one_interval(
    make_client: Callable[..., Client], emu: Emulator, clock: FakeClock
) -> None:
    """While the emulator is down checks answer stale; after it, one interval restores them."""
    client = make_client(poll=True, poll_interval=30, ttl=60, error_backoff=1)
    cache = client._entitlements
    await client.prefetch(["customer-1", "customer-2"])
    await emu.pause()
    await run_for(clock, cache, 120, step=1)
    assert client.entitlement_status.state is CacheState.INTERRUPTED
    for _ in range(100):
        result = await client.get_entitlement("customer-1", CAMPAIGNS, requested_usage=1)
        assert (result.source, result.is_granted) == (EntitlementSource.STALE_CACHE, True)
    await emu.resume()
    await run_for(clock, cache, 33, step=1)
    assert client.entitlement_status.state is CacheState.VALID
    fresh = await client.get_entitlement("customer-1", CAMPAIGNS)
    assert fresh.source is EntitlementSource.FRESH_CACHE


async def test_rejected_api_key_keeps_requests_bounded(
    make_client: Callable[..., Client], emu: Emulator, clock: FakeClock
) -> None:
    """With a wrong key the poller makes about one attempt per auth_error_interval."""
    client = make_client(api_key="wrong-key", poll=True, poll_interval=30, auth_error_interval=300)
    cache = client._entitlements
    for i in range(20):
        result = await client.get_entitlement(f"customer-{i}", CAMPAIGNS)
        assert result.source is EntitlementSource.FALLBACK
    await run_for(clock, cache, 1_800, step=10)
    attempts = emu.counters.total + emu.counters.unauthorized
    assert attempts <= 1 + 1_800 / 300 + 1
    status = client.entitlement_status
    assert status.state is CacheState.INTERRUPTED
    assert status.reason is not None
    assert "401" in status.reason
    assert "wrong-key" not in repr(status)


async def test_alias_limit_halves_the_batch_against_the_emulator(
    make_client: Callable[..., Client], emu: Emulator
) -> None:
    """The emulator's alias limit answers 400 GraphQLAliasesLimitExceeded; batches halve."""
    emu.max_aliases = 4
    client = make_client(batch_size=16)
    summary = await client.prefetch([f"c{i}" for i in range(20)])
    assert (summary.loaded, summary.failed) == (20, ())
    assert client.entitlement_stats.batch_size == 4
