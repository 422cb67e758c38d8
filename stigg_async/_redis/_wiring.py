"""The shared tier as ``AsyncStigg`` uses it: one object for the cache and the facade.

:class:`SharedCache` bundles the tier, its data source and the usage mirror, and
implements the cache's :class:`~stigg_async._cache._shared.SharedTier` hooks and the
fleet-wide ``consume``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from stigg_async._cache._source import Key, StoreSink
from stigg_async._clock import Clock
from stigg_async._redis._messages import ConsumeDecision, Role
from stigg_async._redis._observer import RedisUsageObserver
from stigg_async._redis._options import SharedCacheOptions
from stigg_async._redis._source import RedisSource
from stigg_async._redis._tier import RedisTier, SharedTierStatus
from stigg_async._usage._observer import UsageObserver

__all__ = ["SharedCache"]


class SharedCache:
    """The tier, its data source and the usage mirror of one ``AsyncStigg``."""

    def __init__(self, options: SharedCacheOptions, *, api_key: str, clock: Clock) -> None:
        self.tier = RedisTier(options, api_key=api_key, clock=clock)
        self.source = RedisSource(self.tier, clock=clock)
        self.observer: RedisUsageObserver | None = None

    @property
    def role(self) -> Role:
        """This process's :class:`Role` in the fleet."""
        return self.tier.role

    @property
    def healthy(self) -> bool:
        """True while Redis answers."""
        return self.tier.healthy

    def status(self) -> SharedTierStatus:
        """Role, since when, fence and last Redis error."""
        return self.tier.status()

    def wrap_observer(self, inner: UsageObserver) -> UsageObserver:
        """The usage observer to give the pipeline: ``inner`` plus the Redis mirror."""
        self.observer = RedisUsageObserver(self.tier, inner=inner)
        return self.observer

    async def start(self) -> None:
        """Connect and take a role (never raises on Redis being down)."""
        await self.tier.start()

    async def aclose(self) -> None:
        """Send queued usage changes, hand the lease over, close (the cache closes the source)."""
        if self.observer is not None:
            await self.observer.aclose()
        await self.tier.flush()
        await self.tier.aclose()

    # -- the cache's hooks ---------------------------------------------------------

    def note_fetched(self, key: Key, raw: Mapping[str, Any], started: float) -> None:
        self.tier.note_fetched(key, raw, started)

    def polls_locally(self) -> bool:
        return not self.tier.healthy

    async def load(self, key: Key, sink: StoreSink, fetch: Callable[[], Awaitable[bool]]) -> bool:
        tier = self.tier
        found = (await tier.read_states([key])).get(key)
        if found is not None:
            return sink.upsert_state(key, found.raw, started=found.started)
        if not tier.healthy:
            return await fetch()
        got = await tier.acquire_fill_lock(key)
        if got is None:
            return await fetch()
        if got:
            try:
                ok = await fetch()
                await tier.flush()  # the fetched state (noted by the cache) lands now
                return ok
            finally:
                await tier.release_fill_lock(key)
        await tier.wait_for_fill(key, tier.options.fill_lock_ttl)
        found = (await tier.read_states([key])).get(key)
        if found is not None:
            return sink.upsert_state(key, found.raw, started=found.started)
        return await fetch()

    # -- the facade's consume ------------------------------------------------------

    async def consume(
        self,
        key: Key,
        feature_id: str,
        amount: float,
        idempotency_key: str,
        refresh: Callable[[], Awaitable[Any]],
    ) -> ConsumeDecision | None:
        """Decide in Redis; on a Redis miss refresh the key once (written through) and retry."""
        decision = await self.tier.consume(key, feature_id, amount, idempotency_key)
        if decision is not None and decision.verdict == "miss":
            await refresh()
            await self.tier.flush()
            decision = await self.tier.consume(key, feature_id, amount, idempotency_key)
        if decision is None or decision.verdict == "miss":
            return None
        return decision

    async def flush(self) -> None:
        """Send queued writes now (tests, shutdown)."""
        await asyncio.gather(
            self.tier.flush(), *(() if self.observer is None else (self.observer.flush(),))
        )
