"""The one request path for entitlement fetches: batches, halving, retries, auth pacing.

Misses, explicit refreshes, prefetch, the poller and the stream's catch-up all fetch
through :class:`Refresher`. It sends keys in batches of ``batch_size`` aliases (at
most ``max_concurrent_batches`` requests at a time) through the shared retry engine
(``run_with_retries``), and hands every answer to callbacks the cache gives it. The
first batch goes alone: if it fails as a whole (outage, rejected key) the rest are
marked failed without a request, so a failing API costs one request, not one per batch.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from stigg_async._cache._fetcher import BATCH_OPERATION, BatchOutcome, fetch_batch
from stigg_async._clock import Clock
from stigg_async._errors import StiggAuthenticationError, StiggError
from stigg_async._retry import RetryPolicy, run_with_retries
from stigg_async._transport import GraphQLTransport

__all__ = ["ALIASES_LIMIT_CODE", "PROBE_OPERATION", "RefreshOutcome", "Refresher"]

logger = logging.getLogger("stigg_async")

ALIASES_LIMIT_CODE = "GraphQLAliasesLimitExceeded"
PROBE_OPERATION = "StiggAsyncProbe"
_PROBE_DOCUMENT = f"query {PROBE_OPERATION} {{ __typename }}"

Key = tuple[str, "str | None"]


def _is_alias_limit(exc: StiggError) -> bool:
    # Arrives as HTTP 400 (StiggHTTPError) or HTTP 200 with errors (StiggGraphQLError);
    # both expose the server's code as ``.code``.
    return getattr(exc, "code", None) == ALIASES_LIMIT_CODE


@dataclass(frozen=True, slots=True)
class RefreshOutcome:
    """What one :meth:`Refresher.refresh` achieved."""

    loaded: int
    failed: tuple[Key, ...]
    error: StiggError | None  # the first whole-request failure, if any


class Refresher:
    """Fetches keys in batches and reports each outcome through callbacks.

    Args:
        transport: the client's transport (replaceable after a fork).
        clock: the injectable clock.
        batch_size, max_concurrent_batches: batching (the size halves on refusal).
        auth_error_interval: seconds between attempts while the key is rejected.
        on_state: ``(key, raw entitlementsState, started) -> bool``, False if unusable.
        on_failed: ``(keys, error or None, whole_request)`` for keys not loaded.
        on_answered: called after any request the API answered with this key.
    """

    def __init__(
        self,
        *,
        transport: GraphQLTransport,
        clock: Clock,
        batch_size: int,
        max_concurrent_batches: int,
        auth_error_interval: float,
        on_state: Callable[[Key, Mapping[str, Any], float], bool],
        on_failed: Callable[[Sequence[Key], StiggError | None, bool], None],
        on_answered: Callable[[], None],
    ) -> None:
        self._transport = transport
        self._clock = clock
        self.batch_size = batch_size
        self._max_concurrent = max_concurrent_batches
        self._auth_interval = auth_error_interval
        self._on_state = on_state
        self._on_failed = on_failed
        self._on_answered = on_answered
        self._semaphore: asyncio.Semaphore | None = None
        self.auth_until = -math.inf
        self._auth_error: StiggError | None = None
        self.requests = 0
        self.failures = 0
        self.batch_sizes: dict[int, int] = {}

    def use_transport(self, transport: GraphQLTransport) -> None:
        """Send through ``transport`` from now on (a forked child's new session)."""
        self._transport = transport
        self._semaphore = None

    def auth_allows(self, now: float) -> bool:
        """False while a rejected key paces requests (one per ``auth_error_interval``)."""
        return now >= self.auth_until

    def _note_error(self, exc: StiggError) -> None:
        self.failures += 1
        if isinstance(exc, StiggAuthenticationError):
            self.auth_until = self._clock.monotonic() + self._auth_interval
            self._auth_error = exc

    def _answered(self) -> None:
        self.auth_until = -math.inf
        self._on_answered()

    async def probe(self, policy: RetryPolicy | None) -> StiggError | None:
        """A cheap authenticated request; the error, or ``None`` when the API answered."""
        if not self.auth_allows(self._clock.monotonic()):
            return self._auth_error  # rejected recently: do not ask again yet
        self.requests += 1

        async def send() -> Any:
            return await self._transport.execute_text(_PROBE_DOCUMENT, None, PROBE_OPERATION)

        try:
            if policy is None:
                await send()
            else:
                await run_with_retries(
                    send, policy=policy, clock=self._clock, operation=PROBE_OPERATION
                )
        except StiggError as exc:
            self._note_error(exc)
            self._on_failed((), exc, True)
            return exc
        self._answered()
        return None

    async def refresh(self, keys: Sequence[Key], policy: RetryPolicy | None) -> RefreshOutcome:
        """Fetch ``keys`` now. Never raises a StiggError."""
        keys = list(dict.fromkeys(keys))  # dedupe, keep order
        if not keys:
            return RefreshOutcome(0, (), None)
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self._max_concurrent)
        failed: list[Key] = []
        first, rest = keys[: self.batch_size], keys[self.batch_size :]
        loaded, error = await self._batch(first, policy, failed)
        if error is not None:
            if rest:
                self._on_failed(rest, error, True)
            return RefreshOutcome(loaded, (*failed, *rest), error)
        size = self.batch_size  # may have halved during the first batch
        chunks = [rest[i : i + size] for i in range(0, len(rest), size)]
        results = await asyncio.gather(*(self._batch(c, policy, failed) for c in chunks))
        error = next((e for _, e in results if e is not None), None)
        return RefreshOutcome(loaded + sum(n for n, _ in results), tuple(failed), error)

    async def _batch(
        self, keys: list[Key], policy: RetryPolicy | None, failed: list[Key]
    ) -> tuple[int, StiggError | None]:
        """One request for ``keys`` (split when the server refuses that many aliases)."""
        assert self._semaphore is not None
        if not self.auth_allows(self._clock.monotonic()):
            self._on_failed(keys, None, False)
            failed.extend(keys)
            return 0, None
        async with self._semaphore:
            started = self._clock.monotonic()
            self.requests += 1
            self.batch_sizes[len(keys)] = self.batch_sizes.get(len(keys), 0) + 1
            transport = self._transport

            async def send() -> BatchOutcome:
                return await fetch_batch(transport, keys)

            try:
                if policy is None:
                    outcome = await send()
                else:
                    outcome = await run_with_retries(
                        send, policy=policy, clock=self._clock, operation=BATCH_OPERATION
                    )
            except StiggError as exc:
                self._note_error(exc)
                if _is_alias_limit(exc) and len(keys) > 1:
                    return await self._halve(keys, policy, failed)
                self._on_failed(keys, exc, True)
                failed.extend(keys)
                return 0, exc
        loaded = 0
        for key, raw in outcome.items():
            if isinstance(raw, StiggError):
                self._on_failed([key], raw, False)
                failed.append(key)
            elif self._on_state(key, raw, started):
                loaded += 1
            else:
                failed.append(key)
        self._answered()
        return loaded, None

    async def _halve(
        self, keys: list[Key], policy: RetryPolicy | None, failed: list[Key]
    ) -> tuple[int, StiggError | None]:
        new_size = max(1, min(self.batch_size, len(keys) // 2))
        if new_size < self.batch_size:
            logger.warning(
                "the API refused %d aliases per request (%s); entitlement batches now use %d",
                len(keys),
                ALIASES_LIMIT_CODE,
                new_size,
            )
            self.batch_size = new_size
        half = len(keys) // 2
        first = await self._batch(keys[:half], policy, failed)
        if first[1] is not None:
            self._on_failed(keys[half:], first[1], True)
            failed.extend(keys[half:])
            return first
        second = await self._batch(keys[half:], policy, failed)
        return first[0] + second[0], second[1]
