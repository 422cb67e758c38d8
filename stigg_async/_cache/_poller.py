"""The background poller and the batched refresh it (and prefetch) run on.

One cycle: sweep idle keys, then refresh every key still in use in batches of
``batch_size`` aliases, at most ``max_concurrent_batches`` requests at a time. The
first batch goes alone: if it fails as a whole (outage, rejected key) the cycle stops
there, so a failing API costs one request per cycle, not one per batch.

Schedule: ``poll_interval`` with jitter; after a failed cycle ``error_backoff``
doubling up to ``poll_interval`` (so recovery is noticed within one interval); while
the API key is rejected, one attempt per ``auth_error_interval``. The loop catches
everything but cancellation: it never dies from an exception.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from stigg_async._cache._fetcher import BATCH_OPERATION, BatchOutcome, fetch_batch
from stigg_async._cache._status import CacheState, describe_error
from stigg_async._errors import StiggAuthenticationError, StiggError
from stigg_async._retry import RetryPolicy, run_with_retries

if TYPE_CHECKING:
    from stigg_async._cache._core import EntitlementCache

__all__ = ["ALIASES_LIMIT_CODE", "_Poller"]

logger = logging.getLogger("stigg_async")

ALIASES_LIMIT_CODE = "GraphQLAliasesLimitExceeded"

Key = tuple[str, "str | None"]


def _is_alias_limit(exc: StiggError) -> bool:
    # Arrives as HTTP 400 (StiggHTTPError) or HTTP 200 with errors (StiggGraphQLError);
    # both expose the server's code as ``.code``.
    return getattr(exc, "code", None) == ALIASES_LIMIT_CODE


class _Poller:
    """Refreshes keys in batches for the cache; runs the periodic loop."""

    def __init__(self, cache: EntitlementCache) -> None:
        self._cache = cache
        options = cache.options
        self.batch_size = options.batch_size
        self._semaphore: asyncio.Semaphore | None = None
        self._failed_cycles = 0

    # -- batches -------------------------------------------------------------------

    async def refresh(
        self, keys: Sequence[Key], policy: RetryPolicy | None
    ) -> tuple[int, list[Key], StiggError | None]:
        """Refresh ``keys`` now. Never raises a StiggError.

        Returns ``(loaded, failed keys, first whole-request error or None)``. The first
        batch is sent alone; if it fails as a whole, the rest are marked failed without
        a request (they would fail the same way).
        """
        keys = list(dict.fromkeys(keys))  # dedupe, keep order
        if not keys:
            return 0, [], None
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self._cache.options.max_concurrent_batches)
        failed: list[Key] = []
        first, rest = keys[: self.batch_size], keys[self.batch_size :]
        loaded, error = await self._batch(first, policy, failed)
        if error is not None:
            self._cache._fail(rest, error, whole_request=True)
            return loaded, failed + rest, error
        size = self.batch_size  # may have halved during the first batch
        chunks = [rest[i : i + size] for i in range(0, len(rest), size)]
        results = await asyncio.gather(*(self._batch(c, policy, failed) for c in chunks))
        error = next((e for _, e in results if e is not None), None)
        return loaded + sum(n for n, _ in results), failed, error

    async def _batch(
        self, keys: list[Key], policy: RetryPolicy | None, failed: list[Key]
    ) -> tuple[int, StiggError | None]:
        """One request for ``keys`` (split when the server refuses that many aliases).

        Returns ``(loaded, error)``; ``error`` is set when the request failed as a whole.
        """
        cache = self._cache
        health = cache._health
        assert self._semaphore is not None
        if not cache._auth_allows(cache._monotonic()):
            cache._fail(keys, None, whole_request=False)
            failed.extend(keys)
            return 0, None
        async with self._semaphore:
            started = cache._monotonic()
            health.requests += 1
            health.batch_sizes[len(keys)] += 1

            async def send() -> BatchOutcome:
                return await fetch_batch(cache._transport, keys)

            try:
                if policy is None:
                    outcome = await send()
                else:
                    outcome = await run_with_retries(
                        send, policy=policy, clock=cache._clock, operation=BATCH_OPERATION
                    )
            except StiggError as exc:
                health.failures += 1
                if _is_alias_limit(exc) and len(keys) > 1:
                    return await self._halve(keys, policy, failed)
                cache._fail(keys, exc, whole_request=True)
                failed.extend(keys)
                return 0, exc
        loaded = 0
        for key, raw in outcome.items():
            if cache._ingest(key, raw, started):
                loaded += 1
            else:
                failed.append(key)
        health.refreshes += loaded
        cache._succeeded()
        return loaded, None

    async def _halve(
        self, keys: list[Key], policy: RetryPolicy | None, failed: list[Key]
    ) -> tuple[int, StiggError | None]:
        new_size = max(1, min(self.batch_size, len(keys) // 2))
        if new_size < self.batch_size:
            logger.warning(
                "stigg_async: the API refused %d aliases per request (%s); "
                "entitlement batches now use %d",
                len(keys),
                ALIASES_LIMIT_CODE,
                new_size,
            )
            self.batch_size = new_size
        half = len(keys) // 2
        first = await self._batch(keys[:half], policy, failed)
        if first[1] is not None:
            self._cache._fail(keys[half:], first[1], whole_request=True)
            failed.extend(keys[half:])
            return first
        second = await self._batch(keys[half:], policy, failed)
        return first[0] + second[0], second[1]

    # -- the loop ------------------------------------------------------------------

    async def run(self) -> None:
        """Poll until cancelled. The first cycle runs at once."""
        cache = self._cache
        clock = cache._clock
        options = cache.options
        while True:
            ok = False
            try:
                ok = await self.cycle()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the poller must outlive any bug or bad answer
                cache._health.failures += 1
                cache._health.last_error = describe_error(exc)
                logger.exception("stigg_async: entitlement poll cycle failed; continuing")
            now = cache._monotonic()
            if not cache._auth_allows(now):
                delay = cache._auth_until - now
            elif ok:
                self._failed_cycles = 0
                delay = options.poll_interval * (1 + options.poll_jitter * (2 * clock.random() - 1))
            else:
                self._failed_cycles += 1
                base = min(
                    options.poll_interval,
                    options.error_backoff * 2.0 ** min(self._failed_cycles - 1, 30),
                )
                delay = base * (1 - 0.5 * options.poll_jitter * clock.random())
            await clock.sleep(max(delay, 0.0))

    async def cycle(self) -> bool:
        """One refresh of every key in use; True when no request failed as a whole."""
        cache = self._cache
        keys, dropped = cache._store.sweep(cache._monotonic(), cache.options.idle_timeout)
        cache._health.evictions += len(dropped)
        if not keys:
            if cache._health.state is CacheState.INITIALIZING:
                cache._succeeded()  # nothing to load yet: ready
            return True
        _, _, error = await self.refresh(keys, None)
        return error is None

    @staticmethod
    def auth_reason(exc: StiggAuthenticationError, interval: float) -> str:
        return (
            f"the API key was rejected (HTTP {exc.status}); entitlements are served from "
            f"the cache or fallbacks and refreshes are retried every {interval:g}s"
        )
