"""Fixtures: a cache over a fake transport with a fake clock, and a tiny facade host."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from stigg_async._cache import EntitlementCache, EntitlementCacheOptions
from stigg_async._clock import FakeClock
from stigg_async._facade_entitlements import _EntitlementMethods
from stigg_async._retry import RetryPolicy
from tests.cache.fakes import FakeTransport

NO_RETRY = RetryPolicy(max_retries=0, deadline=None)


class Host(_EntitlementMethods):
    """The smallest facade: what AsyncStigg gives the mixin."""

    def __init__(self, cache: EntitlementCache, clock: FakeClock) -> None:
        self._entitlements = cache
        self._clock = clock
        self._bind_fast_paths()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def transport() -> FakeTransport:
    return FakeTransport()


MakeHost = Callable[..., Host]


@pytest.fixture
async def make_host(clock: FakeClock, transport: FakeTransport) -> AsyncIterator[MakeHost]:
    caches: list[EntitlementCache] = []

    def make(
        retry: RetryPolicy = NO_RETRY, start: bool = True, clock: Any = clock, **options: Any
    ) -> Host:
        options.setdefault("poll", False)
        cache = EntitlementCache(
            transport=transport,  # type: ignore[arg-type]
            retry_policy=retry,
            clock=clock,
            options=EntitlementCacheOptions(**options),
        )
        caches.append(cache)
        if start:
            cache.start()
        return Host(cache, clock)

    yield make
    for cache in caches:
        await cache.aclose()
