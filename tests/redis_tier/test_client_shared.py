"""AsyncStigg(redis_url=...) against the emulator and a real Redis: clients sharing one cache.

Several clients in one test stand for several processes (each has its own tier,
connections and cache); tests/redis_tier/test_fleet_processes.py runs real processes.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest_asyncio

from stigg_async import AsyncStigg, EntitlementCacheOptions, EntitlementSource
from stigg_async._clock import FakeClock
from stigg_async._redis import SharedCacheOptions
from stigg_async._redis._messages import Role
from stigg_async.emulator import Emulator
from stigg_async.testing import STIGG_EMULATOR_API_KEY, RedisServerProcess

CAMPAIGNS = "feature-02-campaigns"
TEMPLATES = "feature-01-templates"

MakeClient = Callable[..., Awaitable[AsyncStigg]]


@pytest_asyncio.fixture
async def make_client(
    stigg_emulator: Emulator,
    stigg_emulator_clock: FakeClock,
    stigg_redis_server: RedisServerProcess,
) -> AsyncIterator[MakeClient]:
    """Open clients sharing one environment in Redis; all closed after the test."""
    env = f"c-{uuid.uuid4().hex[:10]}"
    clients: list[AsyncStigg] = []

    async def make(url: str | None = None) -> AsyncStigg:
        client = AsyncStigg(
            api_key=STIGG_EMULATOR_API_KEY,
            api_url=stigg_emulator.url,
            clock=stigg_emulator_clock,
            redis_url=url or stigg_redis_server.url,
            shared_cache=SharedCacheOptions(environment=env, operation_timeout=5),
            entitlements=EntitlementCacheOptions(poll=False),
        )
        clients.append(client)
        return await client.open()

    yield make
    for client in clients:
        await client.aclose()


def _customer(emulator: Emulator, plan: str = "plan-revvenu-basic") -> str:
    customer = f"customer-{uuid.uuid4().hex[:8]}"
    emulator.state.provision_customer(customer)
    emulator.state.provision_subscription(customer, plan)
    return customer


def _fetches(emulator: Emulator) -> int:
    return emulator.counters.root_field("entitlementsState")


async def test_one_client_leads_and_the_others_follow(make_client: MakeClient) -> None:
    """The first client holds the lease; its status and the others' say so."""
    first, second = await make_client(), await make_client()
    assert first.shared_cache_status is not None
    assert first.shared_cache_status.role is Role.LEADER
    assert second.shared_cache_status is not None
    assert second.shared_cache_status.role is Role.FOLLOWER
    assert "redis" in second.entitlement_status.sources


async def test_a_customer_is_fetched_once_for_the_fleet(
    make_client: MakeClient, stigg_emulator: Emulator
) -> None:
    """Three clients missing one customer cause one API fetch; all answer from its data."""
    clients = [await make_client() for _ in range(3)]
    customer = _customer(stigg_emulator)
    before = _fetches(stigg_emulator)
    results = await asyncio.gather(*(c.get_entitlement(customer, TEMPLATES) for c in clients))
    assert all(r.is_granted for r in results), results
    assert _fetches(stigg_emulator) - before == 1
    # Later readers find it in Redis too.
    late = await make_client()
    assert (await late.get_entitlement(customer, CAMPAIGNS)).usage_limit == 4
    assert _fetches(stigg_emulator) - before == 1


async def test_consume_holds_the_limit_across_clients(
    make_client: MakeClient, stigg_emulator: Emulator
) -> None:
    """Concurrent consumes spread over 4 clients grant exactly the limit (4), then deny."""
    clients = [await make_client() for _ in range(4)]
    customer = _customer(stigg_emulator)
    for client in clients:  # every process has the customer cached locally
        assert (await client.get_entitlement(customer, CAMPAIGNS)).usage_limit == 4
    results = await asyncio.gather(
        *(clients[i % 4].consume(customer, CAMPAIGNS) for i in range(20))
    )
    granted = [r for r in results if r.is_granted]
    assert len(granted) == 4
    assert all(r.idempotency_key for r in granted)
    denied = [r for r in results if not r.is_granted]
    assert {str(r.access_denied_reason) for r in denied} == {"RequestedUsageExceedingLimit"}
    # Delivered, the usage reaches Stigg exactly once per grant.
    for client in clients:
        await client.flush()
    assert stigg_emulator.state.usage_total(customer, CAMPAIGNS, None) == 4


async def test_a_refresher_change_reaches_the_followers(
    make_client: MakeClient, stigg_emulator: Emulator
) -> None:
    """An explicit refresh in one client is published and applied by another."""
    first, second = await make_client(), await make_client()
    customer = _customer(stigg_emulator)
    await first.get_entitlement(customer, CAMPAIGNS)
    await second.get_entitlement(customer, CAMPAIGNS)
    stigg_emulator.state.provision_subscription(customer, "plan-revvenu-essentials")
    await first.refresh_entitlements(customer)
    for _ in range(400):
        if (await second.get_entitlement(customer, CAMPAIGNS)).usage_limit != 4:
            break
        await asyncio.sleep(0.005)  # the change travels through Redis's pub/sub
    assert (await second.get_entitlement(customer, CAMPAIGNS)).usage_limit == 12


async def test_redis_down_keeps_every_check_answering(
    stigg_emulator: Emulator, stigg_emulator_clock: FakeClock
) -> None:
    """With its Redis killed a client still checks and consumes (locally), and says so."""
    with RedisServerProcess() as server:
        client = AsyncStigg(
            api_key=STIGG_EMULATOR_API_KEY,
            api_url=stigg_emulator.url,
            clock=stigg_emulator_clock,
            redis_url=server.url,
            shared_cache=SharedCacheOptions(environment="down", operation_timeout=0.2),
            entitlements=EntitlementCacheOptions(poll=False),
        )
        async with client:
            customer = _customer(stigg_emulator)
            assert (await client.get_entitlement(customer, TEMPLATES)).is_granted
            server.kill()
            other = _customer(stigg_emulator)
            fresh = await client.get_entitlement(other, TEMPLATES)
            assert fresh.is_granted
            assert fresh.source is EntitlementSource.NETWORK
            results = [await client.consume(customer, CAMPAIGNS) for _ in range(6)]
            assert sum(r.is_granted for r in results) == 4  # exact within the process
            assert client.shared_cache_status is not None
            assert client.shared_cache_status.role is Role.STANDALONE
            assert str(client.entitlement_status.sources["redis"]) == "interrupted"


async def test_usage_delivered_by_a_closed_client_still_counts_for_the_next(
    make_client: MakeClient, stigg_emulator: Emulator
) -> None:
    """One client consumes the whole limit and closes (delivering); the next is denied."""
    customer = _customer(stigg_emulator)
    first = await make_client()
    assert sum([(await first.consume(customer, CAMPAIGNS)).is_granted for _ in range(4)]) == 4
    await first.aclose()
    second = await make_client()
    denied = await second.consume(customer, CAMPAIGNS)
    assert not denied.is_granted
    assert denied.current_usage == 4
