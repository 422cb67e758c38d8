"""Fixtures for the shared tier: a real redis-server (session), tiers on a fake clock."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio

from stigg_async._clock import FakeClock
from stigg_async._redis import SharedCacheOptions
from stigg_async._redis._tier import RedisTier
from stigg_async.testing import RedisServerProcess

MakeTier = Callable[..., Awaitable[RedisTier]]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def options(stigg_redis_server: RedisServerProcess) -> SharedCacheOptions:
    """Options with an environment of its own, so tests never see each other's keys."""
    return SharedCacheOptions(
        redis_url=stigg_redis_server.url,
        environment=f"t-{uuid.uuid4().hex[:12]}",
        # Generous: a loaded CI machine must not look like Redis being down.
        operation_timeout=5,
    )


@pytest_asyncio.fixture
async def make_tier(options: SharedCacheOptions, clock: FakeClock) -> AsyncIterator[MakeTier]:
    """Build started tiers (no background loops unless asked); all closed after the test."""
    tiers: list[RedisTier] = []

    async def make(run_loop: bool = False, **overrides: Any) -> RedisTier:
        opts = options
        if overrides:
            fields = {f: getattr(options, f) for f in options.__dataclass_fields__}
            fields.update(overrides)
            opts = SharedCacheOptions(**fields)
        tier = RedisTier(opts, api_key="test-key", clock=clock)
        tiers.append(tier)
        await tier.start(run_loop=run_loop)
        return tier

    yield make
    for tier in tiers:
        await tier.aclose()
