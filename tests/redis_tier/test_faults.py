"""Redis down, frozen or restarted: nothing raises, the role says so, the fleet rejoins."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from stigg_async._cache._source import SourceState
from stigg_async._clock import FakeClock
from stigg_async._redis import SharedCacheOptions
from stigg_async._redis._messages import Role
from stigg_async._redis._source import RedisSource
from stigg_async._redis._tier import RedisTier
from stigg_async.testing import RedisServerProcess
from tests.redis_tier.support import StatusRecorder, StoreSinkRecorder, metered_state

KEY = ("customer-1", None)
FEATURE = "feature-02-campaigns"


@pytest.fixture
def server() -> Iterator[RedisServerProcess]:
    """A server of this test's own: these tests kill and freeze it."""
    with RedisServerProcess() as server:
        yield server


@pytest_asyncio.fixture
async def tier(server: RedisServerProcess, clock: FakeClock) -> AsyncIterator[RedisTier]:
    options = SharedCacheOptions(
        redis_url=server.url, environment=uuid.uuid4().hex[:8], operation_timeout=0.2
    )
    tier = RedisTier(options, api_key="k", clock=clock)
    await tier.start(run_loop=False)
    yield tier
    await tier.aclose()


async def _everything_answers_without_raising(tier: RedisTier) -> None:
    assert await tier.read_states([KEY]) == {}
    assert await tier.consume(KEY, FEATURE, 1, "idem") is None
    assert await tier.write_state(KEY, metered_state("c", limit=1), started=0.0) is None
    assert await tier.fleet_keys() is None
    assert await tier.announce([KEY]) is False


async def test_killed_redis_turns_the_process_standalone_and_nothing_raises(
    tier: RedisTier, server: RedisServerProcess, clock: FakeClock
) -> None:
    """With Redis gone every call answers 'nothing known' and the role is STANDALONE."""
    await tier.write_state(KEY, metered_state("customer-1", limit=5), started=clock.monotonic())
    server.kill()
    assert await tier.tick() is Role.STANDALONE
    assert tier.status().last_error is not None
    await _everything_answers_without_raising(tier)


async def test_frozen_redis_is_detected_within_the_operation_timeout(
    tier: RedisTier, server: RedisServerProcess
) -> None:
    """A hung server (as behind a partition) makes calls time out, not hang."""
    server.pause()
    try:
        assert await tier.consume(KEY, FEATURE, 1, "idem") is None
        assert tier.role is Role.STANDALONE
    finally:
        server.resume()
    assert await tier.tick() in (Role.LEADER, Role.FOLLOWER)


async def test_restarted_redis_is_rejoined_and_repopulated(
    tier: RedisTier, server: RedisServerProcess, clock: FakeClock
) -> None:
    """After a restart (empty Redis) the tier leads again and the refresher refills it."""
    fetched: list[tuple[str, str | None]] = []

    async def fetch(key: tuple[str, str | None]) -> dict[str, object]:
        fetched.append(key)
        return metered_state(key[0], limit=5)

    sink = StoreSinkRecorder(clock, keys=[KEY], fetch=fetch, tier=tier)
    status = StatusRecorder()
    source = RedisSource(tier, clock=clock)
    try:
        source.start(sink, status)
        server.kill()
        assert await tier.tick() is Role.STANDALONE
        assert status.last is SourceState.INTERRUPTED
        assert "polls the API on its own" in (status.reports[-1][3] or "")
        server.start()  # same port, no data
        assert await tier.tick() is Role.LEADER
        assert tier.fence == 1  # a fresh Redis: the fencing counter starts again
        await source.announce()
        assert await source.refresh_fleet() == 1
        await tier.flush()
        assert KEY in await tier.read_states([KEY])
        decision = await tier.consume(KEY, FEATURE, 5, "after-restart")
        assert decision is not None
        assert decision.verdict == "grant"
    finally:
        await source.aclose()
