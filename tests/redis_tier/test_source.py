"""The follower data source: published changes applied, resync, the fleet's keys, status."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest_asyncio

from stigg_async._cache._source import SourceState
from stigg_async._clock import FakeClock
from stigg_async._redis._messages import Role
from stigg_async._redis._source import RedisSource
from stigg_async._redis._tier import RedisTier
from tests.redis_tier.conftest import MakeTier
from tests.redis_tier.support import StatusRecorder, StoreSinkRecorder, metered_state

KEY = ("customer-1", None)
FEATURE = "feature-02-campaigns"


async def _until(condition: Callable[[], bool], what: str) -> None:
    """Wait for real I/O (another connection's message) to have its effect, bounded."""
    for _ in range(400):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"timed out waiting for {what}")


_OPEN: list[RedisSource] = []


@pytest_asyncio.fixture(autouse=True)
async def _close_sources() -> AsyncIterator[None]:
    """Every source a test started is closed, even when the test fails."""
    yield
    while _OPEN:
        await _OPEN.pop().aclose()


async def _source(
    tier: RedisTier, clock: FakeClock, sink: StoreSinkRecorder
) -> tuple[RedisSource, StatusRecorder]:
    status = StatusRecorder()
    source = RedisSource(tier, clock=clock)
    _OPEN.append(source)
    source.start(sink, status)
    await _until(lambda: status.last is SourceState.VALID, "the subscription")
    return source, status


async def test_followers_apply_published_states_of_keys_they_use(
    make_tier: MakeTier, clock: FakeClock
) -> None:
    """A leader's write reaches a follower that reads the customer, and not one that does not."""
    leader, follower, other = await make_tier(), await make_tier(), await make_tier()
    reader = StoreSinkRecorder(clock, keys=[KEY])
    bystander = StoreSinkRecorder(clock, keys=[("customer-9", None)])
    sources = [await _source(follower, clock, reader), await _source(other, clock, bystander)]
    await leader.write_state(
        KEY, metered_state("customer-1", limit=9, usage=4), started=clock.monotonic()
    )
    await _until(lambda: KEY in reader.states, "the published state")
    assert reader.states[KEY]["entitlements"][0]["currentUsage"] == 4
    await leader.write_state(
        ("customer-9", None), metered_state("customer-9", limit=1), started=clock.monotonic()
    )
    await _until(lambda: ("customer-9", None) in bystander.states, "the second state")
    assert KEY not in bystander.states
    for source, status in sources:
        await source.aclose()
        assert status.last is SourceState.OFF


async def test_usage_changes_are_published_to_followers(make_tier: MakeTier, clock) -> None:
    """A delivered measurement settled by one process is applied by the others."""
    leader, follower = await make_tier(), await make_tier()
    await leader.write_state(KEY, metered_state("customer-1", limit=9), started=clock.monotonic())
    sink = StoreSinkRecorder(clock, keys=[KEY])
    source, _ = await _source(follower, clock, sink)
    clock.advance(1)
    change = {
        "customerId": "customer-1",
        "featureId": FEATURE,
        "currentUsage": 5,
        "timestamp": clock.now().isoformat(),
    }
    assert await leader.apply_usage(change) is True
    await _until(lambda: bool(sink.usage), "the usage change")
    assert sink.usage[0]["currentUsage"] == 5
    await source.aclose()


async def test_subscribing_reads_the_keys_in_use_from_redis(make_tier: MakeTier, clock) -> None:
    """On (re)subscription the store gets what Redis holds; keys Redis lacks are marked stale."""
    leader, follower = await make_tier(), await make_tier()
    await leader.write_state(
        KEY, metered_state("customer-1", limit=9, usage=2), started=clock.monotonic()
    )
    sink = StoreSinkRecorder(clock, keys=[KEY, ("customer-2", None)])
    source, status = await _source(follower, clock, sink)
    assert sink.states[KEY]["entitlements"][0]["currentUsage"] == 2
    assert sink.stale == [("customer-2", None)]
    assert status.reports[-1][3] == "follower of the fleet"
    await source.aclose()


async def test_the_refresher_refreshes_every_key_the_fleet_uses(make_tier: MakeTier, clock) -> None:
    """Keys announced by followers are refreshed by the leader and written into Redis."""
    leader, follower = await make_tier(), await make_tier()
    fetched: list[tuple[str, str | None]] = []

    async def fetch(key: tuple[str, str | None]) -> dict[str, object]:
        fetched.append(key)
        return metered_state(key[0], limit=3)

    follower_sink = StoreSinkRecorder(clock, keys=[("customer-7", None)])
    follower_source, _ = await _source(follower, clock, follower_sink)
    leader_sink = StoreSinkRecorder(clock, keys=[KEY], fetch=fetch, tier=leader)
    leader_source, status = await _source(leader, clock, leader_sink)
    # A new leader runs a cycle at once (it may be repopulating a restarted Redis).
    await _until(lambda: leader_source.fleet_refreshes >= 1, "the first fleet cycle")
    assert set(fetched) == {KEY, ("customer-7", None)}
    assert await leader_source.refresh_fleet() == 2
    await leader.flush()
    stored = await follower.read_states([("customer-7", None)])
    assert ("customer-7", None) in stored
    await _until(lambda: ("customer-7", None) in follower_sink.states, "the refreshed state")
    assert await follower_source.refresh_fleet() == 0  # followers never refresh for the fleet
    assert status.reports[-1][3] == "leader of the fleet"
    await follower_source.aclose()
    await leader_source.aclose()


async def test_a_miss_is_fetched_once_for_the_fleet(make_tier: MakeTier, clock) -> None:
    """Five processes missing the same key together cause one fetch; all get the answer."""
    tiers = [await make_tier() for _ in range(5)]
    sources = [await _source(t, clock, StoreSinkRecorder(clock)) for t in tiers]
    calls = 0

    async def fetch(key: tuple[str, str | None]) -> dict[str, object]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.02)  # the API's latency: the others must wait, not fetch
        return metered_state(key[0], limit=4)

    states = await asyncio.gather(*(t.fetch_once(KEY, fetch) for t in tiers))
    assert calls == 1
    assert all(s is not None and s.raw["entitlements"][0]["usageLimit"] == 4 for s in states)
    for source, _ in sources:
        await source.aclose()


async def test_role_changes_are_reported(make_tier: MakeTier, clock) -> None:
    """A follower that takes over reports itself as the leader."""
    leader, follower = await make_tier(), await make_tier()
    source, status = await _source(follower, clock, StoreSinkRecorder(clock))
    await leader.aclose()
    assert await follower.tick() is Role.LEADER
    assert status.reports[-1][1] is SourceState.VALID
    assert status.reports[-1][3] == "leader of the fleet"
    await source.aclose()
