"""End to end: AsyncStigg with streaming on (the default) against the emulator on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from stigg_async import AsyncStigg, EntitlementCacheOptions, EntitlementSource
from stigg_async._cache._source import SourceState
from stigg_async.emulator import Emulator, FakeClock
from stigg_async.testing import STIGG_EMULATOR_API_KEY

KEY = STIGG_EMULATOR_API_KEY
REPORT = """
mutation ($input: ReportUsageInput!) { reportUsage(input: $input) { currentUsage } }
"""
GRANT = """
mutation ($input: GrantPromotionalEntitlementsInput!) {
  grantPromotionalEntitlements(input: $input) { id }
}
"""


async def until(predicate: Callable[[], bool], *, turns: int = 200_000) -> None:
    """Let the loop run (sockets included) until ``predicate()`` holds; fail if it never does."""
    for _ in range(turns):
        if predicate():
            return
        await asyncio.sleep(0)
    raise AssertionError("the condition never came true")


def stream_state(stigg: AsyncStigg) -> SourceState | None:
    return stigg.entitlement_status.sources.get("stream")


@pytest.fixture
def customer(stigg_emulator: Emulator) -> Emulator:
    stigg_emulator.state.provision_customer("c-1")
    stigg_emulator.state.provision_subscription("c-1", "plan-revvenu-basic")
    return stigg_emulator


@pytest.fixture
async def other_client() -> AsyncIterator[aiohttp.ClientSession]:
    """Another service changing things through the API (plain HTTP)."""
    async with aiohttp.ClientSession() as session:
        yield session


async def _post(
    session: aiohttp.ClientSession, emu: Emulator, query: str, variables: dict[str, Any]
) -> None:
    async with session.post(
        emu.url, json={"query": query, "variables": variables}, headers={"X-API-KEY": KEY}
    ) as response:
        body = await response.json()
    assert response.status == 200, body
    assert not body.get("errors"), body


async def _warm(stigg: AsyncStigg, emu: Emulator) -> None:
    """Wait until the stream is up (nothing cached yet: no refresh follows), then cache c-1."""
    await until(lambda: stream_state(stigg) is SourceState.VALID)
    assert emu.stream.subscribers() == 4
    await stigg.get_entitlement("c-1", "feature-02-campaigns")


async def test_a_change_by_another_client_reaches_warm_checks_without_a_request(
    customer: Emulator, stigg_client: AsyncStigg, other_client: aiohttp.ClientSession
) -> None:
    """Usage reported and a promotion granted elsewhere: the next warm checks see both."""
    await _warm(stigg_client, customer)
    denied = await stigg_client.get_entitlement("c-1", "feature-03-custom-domain")
    assert not denied.is_granted
    changes: list[frozenset[str]] = []
    stigg_client.add_entitlement_listener(lambda change: changes.append(change.feature_ids))
    own_requests = customer.counters.total

    await _post(
        other_client,
        customer,
        REPORT,
        {"input": {"customerId": "c-1", "featureId": "feature-02-campaigns", "value": 3}},
    )
    await until(lambda: any("feature-02-campaigns" in c for c in changes))
    usage = await stigg_client.get_entitlement("c-1", "feature-02-campaigns", requested_usage=1)
    assert usage.current_usage == 3
    assert usage.is_granted  # 3 + 1 <= 4
    assert (
        await stigg_client.get_entitlement("c-1", "feature-02-campaigns", requested_usage=2)
    ).is_granted is False

    await _post(
        other_client,
        customer,
        GRANT,
        {
            "input": {
                "customerId": "c-1",
                "promotionalEntitlements": [
                    {"featureId": "feature-03-custom-domain", "period": "ONE_MONTH"}
                ],
            }
        },
    )
    await until(lambda: any("feature-03-custom-domain" in c for c in changes))
    granted = await stigg_client.get_entitlement("c-1", "feature-03-custom-domain")
    assert granted.is_granted
    assert granted.source is EntitlementSource.FRESH_CACHE
    # Only the other client's two requests reached the server: our checks stayed local.
    assert customer.counters.total == own_requests + 2


async def test_reconnect_loses_no_change_made_while_disconnected(
    customer: Emulator, stigg_client: AsyncStigg, stigg_emulator_clock: FakeClock
) -> None:
    """Socket dropped, a grant lands meanwhile: after the reconnect one batched refresh has it."""
    await _warm(stigg_client, customer)
    customer.stream.drop_connections()
    await until(lambda: stream_state(stigg_client) is SourceState.INTERRUPTED)
    customer.state.grant_promotion("c-1", "feature-03-custom-domain")
    stale = await stigg_client.get_entitlement("c-1", "feature-03-custom-domain")
    assert not stale.is_granted  # nobody could tell us yet; the cache was not emptied
    assert stale.source is EntitlementSource.FRESH_CACHE
    before = customer.counters.total
    await until(lambda: stigg_emulator_clock.pending_sleepers >= 1)
    stigg_emulator_clock.advance(1.0)  # past the first (jittered, <= 0.5 s) backoff
    await until(lambda: stream_state(stigg_client) is SourceState.VALID)
    await until(lambda: customer.counters.total > before)
    await until(lambda: stigg_client.peek_entitlement("c-1", "feature-03-custom-domain").is_granted)
    assert customer.counters.total == before + 1  # one batch: every key in use, one request
    assert customer.stream.counters.connections == 2


async def test_a_refused_upgrade_degrades_to_polling_and_says_so(
    customer: Emulator, stigg_emulator_clock: FakeClock
) -> None:
    """HTTP 405 on the upgrade: stream OFF in the status, the poller keeps the cache valid."""
    customer.stream.faults.refuse_status = 405
    async with AsyncStigg(api_key=KEY, api_url=customer.url, clock=stigg_emulator_clock) as stigg:
        result = await stigg.get_entitlement("c-1", "feature-02-campaigns")
        assert result.is_granted
        await until(lambda: stream_state(stigg) is SourceState.OFF)
        status = stigg.entitlement_status
        assert status.sources["poller"] is SourceState.VALID
        assert status.is_healthy
        assert customer.stream.counters.refused == 1


async def test_streaming_off_opens_no_socket(
    customer: Emulator, stigg_emulator_clock: FakeClock
) -> None:
    """streaming=False: no websocket, no stream in the status; the poller alone."""
    async with AsyncStigg(
        api_key=KEY,
        api_url=customer.url,
        clock=stigg_emulator_clock,
        entitlements=EntitlementCacheOptions(streaming=False),
    ) as stigg:
        assert (await stigg.get_entitlement("c-1", "feature-02-campaigns")).is_granted
        assert "stream" not in stigg.entitlement_status.sources
    assert customer.stream.counters.connections == 0


async def test_closing_the_client_closes_the_stream(
    customer: Emulator, stigg_emulator_clock: FakeClock
) -> None:
    """aclose(): the server sees the socket go, and no stream task is left."""
    stigg = AsyncStigg(api_key=KEY, api_url=customer.url, clock=stigg_emulator_clock)
    async with stigg:
        await _warm(stigg, customer)
    names = {t.get_name() for t in asyncio.all_tasks()}
    assert not {
        n for n in names if n.startswith("stigg-stream") or n == "stigg-entitlements-stream"
    }
    await until(lambda: customer.stream.stats()["openConnections"] == 0)


async def test_the_poller_relaxes_while_streaming_and_takes_over_when_the_stream_stops(
    customer: Emulator, stigg_client: AsyncStigg, stigg_emulator_clock: FakeClock
) -> None:
    """Stream up: no poll for a normal interval. Stream gone: a poll within one interval."""
    clock = stigg_emulator_clock
    await _warm(stigg_client, customer)
    polled = customer.counters.total
    clock.advance(34)  # past the first (normal) interval: a cycle, which sees the stream up
    await until(lambda: customer.counters.total > polled)
    await until(lambda: clock.pending_sleepers >= 1)
    quiet = customer.counters.total
    clock.advance(34)  # a normal interval later: still relaxed, no request
    for _ in range(2_000):
        await asyncio.sleep(0)
    assert customer.counters.total == quiet
    customer.stream.faults.refuse_status = 503
    customer.stream.drop_connections()
    await until(lambda: stream_state(stigg_client) is not SourceState.VALID)
    clock.advance(31)  # the next step of the safety sleep: the poller takes over
    await until(lambda: customer.counters.total > quiet)
    assert stigg_client.entitlement_status.sources["poller"] is SourceState.VALID


async def test_a_credit_grant_elsewhere_reaches_the_local_credit_check(
    customer: Emulator, stigg_client: AsyncStigg
) -> None:
    """creditBalanceUpdated (pushed on every ledger change) refreshes the cached balance."""
    await _warm(stigg_client, customer)
    before = await stigg_client.get_credit_entitlement("c-1", "currency-ai-credits")
    assert not before.is_granted  # no credits yet
    customer.state.credits.create_grant("c-1", "currency-ai-credits", 50)  # another service
    for _ in range(20_000):  # a push, then a refresh over loopback: a few loop turns
        after = await stigg_client.get_credit_entitlement("c-1", "currency-ai-credits")
        if after.balance == 50:
            break
        await asyncio.sleep(0)
    assert (after.balance, after.is_granted, after.source) == (
        50,
        True,
        EntitlementSource.FRESH_CACHE,
    )
