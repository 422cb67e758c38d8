"""Pending usage mirrored into Redis, so every process counts the fleet's usage in flight.

:class:`RedisUsageObserver` wraps the store's own observer (the local count stays
exact within the process) and queues each item's acceptance and settlement for the
tier, in order, sent in pipelined batches by one task. The tier counts an item once
per idempotency key (so an item ``consume`` already counted is not counted again) and
removes it exactly once, whichever process delivers it. While Redis is unreachable
nothing is queued; an item never counted in Redis is never removed from it either.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Mapping
from typing import Any

from stigg_async._redis._tier import RedisTier
from stigg_async._usage._items import UsageRecord
from stigg_async._usage._observer import UsageObserver, UsageOutcome

__all__ = ["RedisUsageObserver"]

logger = logging.getLogger("stigg_async")

_MAX_QUEUED = 100_000


class RedisUsageObserver:
    """A ``UsageObserver`` that tells ``inner`` (the store) and mirrors into the tier.

    Example:
        >>> observer = RedisUsageObserver(tier, inner=store_observer)  # doctest: +SKIP
        >>> pipeline = UsagePipeline(..., observer=observer)  # doctest: +SKIP
    """

    def __init__(self, tier: RedisTier, inner: UsageObserver | None = None) -> None:
        self.tier = tier
        self.inner = inner
        self._queue: deque[tuple[UsageRecord, str | None, Mapping[str, Any] | None]] = deque()
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # One sender at a time: items must reach Redis in the order they happened
        # (two answers of one batch can carry the same timestamp).
        self._sending = asyncio.Lock()
        #: Items not mirrored because the queue was full (approximate, never lost locally).
        self.dropped = 0

    def usage_accepted(self, record: UsageRecord) -> None:
        """Count ``record`` locally, then (queued) in the fleet's pending usage."""
        if self.inner is not None:
            self.inner.usage_accepted(record)
        if record.update_behavior == "DELTA":
            self._put(record, None, None)

    def usage_settled(
        self,
        record: UsageRecord,
        outcome: UsageOutcome,
        measurement: Mapping[str, Any] | None = None,
    ) -> None:
        """Settle ``record`` locally, then (queued) in Redis."""
        if self.inner is not None:
            self.inner.usage_settled(record, outcome, measurement)
        self._put(record, str(outcome), measurement)

    def _put(
        self, record: UsageRecord, outcome: str | None, measurement: Mapping[str, Any] | None
    ) -> None:
        if not self.tier.healthy:
            return
        if len(self._queue) >= _MAX_QUEUED:
            self.dropped += 1
            return
        self._queue.append((record, outcome, measurement))
        self._ready.set()
        if self._task is None:
            with contextlib.suppress(RuntimeError):  # no running loop: flush() sends later
                self._task = asyncio.get_running_loop().create_task(
                    self._drain(), name="stigg-redis-usage"
                )

    async def flush(self) -> None:
        """Send everything queued, in order."""
        async with self._sending:
            while self._queue:
                record, outcome, measurement = self._queue.popleft()
                if outcome is None:
                    await self.tier.track(record)
                else:
                    await self.tier.settle(record, outcome, measurement)

    async def _drain(self) -> None:
        while True:
            try:
                await self._ready.wait()
                self._ready.clear()
                await self.flush()
            except asyncio.CancelledError:
                raise
            except Exception:  # the mirror must never die
                logger.exception("shared cache: usage mirror failed")

    async def aclose(self) -> None:
        """Send what is queued (best effort) and stop."""
        with contextlib.suppress(Exception):
            await self.flush()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
