"""``EntitlementCache``: the store, its data sources and status, and the slow path.

Three parts meet here (DESIGN section 10):

* the **store** (``_store``) owns the snapshots, the pending usage and the fast path
  the facade calls for warm checks;
* **data sources** feed it through the :class:`StoreSink` methods below: the poller
  (``_poller``) now, the stream and the shared tier later (``add_source``);
* the **status** (``_status._Health``) is what the sources report to.

This class answers what the fast path cannot (misses, stale data, fallbacks) with
single-flight fetches through the one request path (``_refresher``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import logging
import math
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from stigg_async import _fork
from stigg_async._cache._credits import (
    CREDIT_PREFIX,
    CachedCreditEntitlement,
    CreditEntitlementResult,
    decide_credit,
    parse_credit_entitlement,
)
from stigg_async._cache._evaluator import evaluate, evaluate_fallback, fallback_entitlement
from stigg_async._cache._model import (
    CachedEntitlement,
    EntitlementResult,
    EntitlementsChange,
    EntitlementSource,
    EntitlementsResult,
    _Snapshot,
    _Stamp,
    parse_state,
)
from stigg_async._cache._options import EntitlementCacheOptions
from stigg_async._cache._poller import Poller
from stigg_async._cache._refresher import Refresher
from stigg_async._cache._shared import SharedTier
from stigg_async._cache._source import DataSource, SourceState
from stigg_async._cache._status import (
    CacheState,
    EntitlementCacheStats,
    EntitlementCacheStatus,
    _Health,
    describe_error,
)
from stigg_async._cache._store import EntitlementStore
from stigg_async._clock import Clock
from stigg_async._errors import (
    StiggAuthenticationError,
    StiggClientStateError,
    StiggError,
    StiggResponseError,
)
from stigg_async._models._enums import AccessDeniedReason
from stigg_async._retry import RetryPolicy
from stigg_async._transport import GraphQLTransport

__all__ = ["EntitlementCache", "EntitlementListener", "PrefetchSummary"]

logger = logging.getLogger("stigg_async")

Key = tuple[str, "str | None"]

#: A listener gets one :class:`EntitlementsChange` per changed key; it may be async.
EntitlementListener = Callable[[EntitlementsChange], "Awaitable[None] | None"]

_FRESH = EntitlementSource.FRESH_CACHE
_STALE = EntitlementSource.STALE_CACHE
_NETWORK = EntitlementSource.NETWORK
_POLLER = "poller"


@dataclasses.dataclass(frozen=True, slots=True)
class PrefetchSummary:
    """What :meth:`EntitlementCache.prefetch` achieved.

    Attributes:
        loaded: keys now cached with data fetched by this call.
        failed: keys that could not be fetched (served from fallbacks until they are).
    """

    loaded: int
    failed: tuple[Key, ...]


class EntitlementCache:
    """Entitlement snapshots per ``(customer_id, resource_id)``, kept fresh by data sources.

    Built and owned by ``AsyncStigg``; users reach it through the client's
    entitlement methods. Standalone use (tests, tools)::

        cache = EntitlementCache(transport=t, retry_policy=RetryPolicy(), clock=SystemClock())
        cache.start()                      # inside the running loop
        result = await cache.get("customer-1", "feature-01-templates")
        await cache.aclose()
    """

    def __init__(
        self,
        *,
        transport: GraphQLTransport,
        retry_policy: RetryPolicy,
        clock: Clock,
        options: EntitlementCacheOptions | None = None,
    ) -> None:
        self.options = options = options or EntitlementCacheOptions()
        self._clock = clock
        self._monotonic: Callable[[], float] = clock.monotonic
        self._retry = retry_policy
        # Misses wait for the network at most ``fetch_deadline`` over all retries.
        deadline = min(retry_policy.deadline or math.inf, options.fetch_deadline)
        self._miss_policy = dataclasses.replace(retry_policy, deadline=deadline)
        self._health = _Health(clock.now)
        #: The store: snapshots, pending usage and the fast path (``store.fast_check``).
        self.store = EntitlementStore(
            max_entries=options.max_entries,
            monotonic=clock.monotonic,
            wall=clock.now,
            on_evict=self._evicted,
            on_change=self._emit,
            # Optional in the Clock protocol: without it warm checks read the clock.
            call_at=getattr(clock, "call_at", None),
        )
        self._refresher = Refresher(
            transport=transport,
            clock=clock,
            batch_size=options.batch_size,
            max_concurrent_batches=options.max_concurrent_batches,
            auth_error_interval=options.auth_error_interval,
            on_state=self._on_state,
            on_failed=self._on_failed,
            on_answered=self._on_answered,
        )
        self._poller = Poller(
            refresher=self._refresher,
            options=options,
            clock=clock,
            relaxed=self._push_healthy,
            suspended=self._fleet_polls,
        )
        self._shared: SharedTier | None = None
        self._sources: list[DataSource] = []
        self._inflight: dict[Key, asyncio.Task[_Snapshot | None]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._listeners: list[EntitlementListener] = []
        self._fallbacks: dict[str, CachedEntitlement] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready: asyncio.Event | None = None
        self._closed = False
        self._forked = False
        _fork.register(self)

    # -- life cycle ----------------------------------------------------------------

    @property
    def is_started(self) -> bool:
        """True between :meth:`start` and :meth:`aclose`."""
        return self._loop is not None and not self._closed

    @property
    def is_polling(self) -> bool:
        """True while the poller's task runs."""
        return self._poller.is_running

    def add_source(self, source: DataSource) -> None:
        """Feed the store from ``source`` too (started with the cache; closed with it)."""
        self._sources.append(source)
        if self._loop is not None and not self._closed and not self._forked:
            source.start(self, self._health)

    def use_shared_tier(self, shared: SharedTier, source: DataSource) -> None:
        """Share snapshots with other processes through ``shared`` (Redis), fed by ``source``.

        Every state fetched is handed to the tier; a miss asks the tier first (one
        fetch for the fleet); the poller pauses while the tier is healthy.
        """
        self._shared = shared
        self.add_source(source)

    def _fleet_polls(self) -> bool:
        """True while a healthy shared tier polls for this process (its refresher)."""
        shared = self._shared
        return shared is not None and not shared.polls_locally()

    def start(self) -> None:
        """Bind to the running loop and start the data sources (idempotent; in the loop)."""
        if self._closed:
            raise StiggClientStateError("the entitlement cache is closed")
        if self._forked:
            raise StiggClientStateError(_FORK_MESSAGE)
        if self._loop is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._ready = asyncio.Event()
        if self._health.answered or self._health.state is CacheState.INTERRUPTED:
            self._ready.set()
        if self.options.poll:
            self._poller.start(self, self._health)
        for source in self._sources:
            source.start(self, self._health)
        watch = self._loop.create_task(self._watch_loop(), name="stigg-entitlements-loop-watch")
        self._tasks.add(watch)
        watch.add_done_callback(self._tasks.discard)

    async def _watch_loop(self) -> None:
        """Wait for the loop's end: a loop that ends with the cache open runs no timer.

        ``asyncio.run`` cancels every task as it ends. The live index's timers die
        with the loop, so the store serves through its clock-checked path from then
        on (fresh data until the ttl, as if timers never existed).
        """
        try:
            await asyncio.get_running_loop().create_future()
        except asyncio.CancelledError:
            if not self._closed:
                self.store.stop_timers()
            raise

    async def aclose(self) -> None:
        """Stop the data sources and every fetch; leave no task behind. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._health.close()
        _fork.unregister(self)
        if not self._forked:
            await self._poller.aclose()
            for source in self._sources:
                try:
                    await source.aclose()
                except Exception:
                    logger.exception("closing an entitlement data source failed")
            tasks = [*self._tasks, *self._inflight.values()]
            for task in tasks:
                task.cancel()
            current = asyncio.current_task()
            await asyncio.gather(*(t for t in tasks if t is not current), return_exceptions=True)
        self._tasks.clear()
        self._inflight.clear()
        if self._ready is not None:
            self._ready.set()  # wake waiters; they see CLOSED
        self.store.clear()

    def on_fork_in_child(self) -> None:
        """In a forked child: the parent's loop, tasks and sockets do not exist here.

        The store parks its data, so every check reaches :meth:`_guard` and says so,
        instead of answering forever from a cache nobody refreshes.
        """
        self._forked = True
        self.store.park()

    def restart_after_fork(self, transport: GraphQLTransport | None = None) -> None:
        """In a forked child, forget the parent's tasks and start the data sources here.

        Call inside the child's running loop. Pass a new ``transport`` (the parent's
        HTTP session cannot be used in the child). Cached data is kept and served with
        its true age.

        Example:
            >>> cache.restart_after_fork(transport=new_transport)  # doctest: +SKIP
        """
        if not self._forked:
            return
        if transport is not None:
            self._refresher.use_transport(transport)
        self._forked = False
        self.store.unpark()
        # The parent's tasks belong to a loop that does not run here: drop, not cancel.
        self._inflight = {}
        self._tasks = set()
        self._poller.forget_task()
        for source in self._sources:
            restart = getattr(source, "forget_after_fork", None)
            if callable(restart):
                restart()
        self._loop = None
        self._health.enter(CacheState.INITIALIZING, "restarted after fork")
        if not self._closed:
            _fork.register(self)
            self.start()

    def _guard(self) -> None:
        """Raise if this cache cannot fetch here (closed, forked child, other loop)."""
        if self._forked:
            raise StiggClientStateError(_FORK_MESSAGE)
        if self._closed:
            raise StiggClientStateError("the Stigg client is closed; create a new one")
        loop = self._loop
        if loop is None:
            raise StiggClientStateError(
                "the entitlement cache is not started; open the client first "
                "(async with AsyncStigg(...) as stigg)"
            )
        if asyncio.get_running_loop() is not loop:
            raise StiggClientStateError(
                "the Stigg client is bound to the event loop it was opened in and cannot "
                "be used from another one; create one client per event loop"
            )

    # -- reads (the slow path: what the store's fast path did not answer) ----------

    async def get(
        self,
        customer_id: str,
        feature_id: str,
        resource_id: str | None = None,
        requested_usage: float | None = None,
    ) -> EntitlementResult:
        """Check one feature (arguments already validated). Never raises for API failures.

        The answer is computed after any wait, so concurrent callers that waited for
        one fetch each see the usage the others tracked meanwhile.
        """
        key = (customer_id, resource_id)
        resolved = await self._resolve(key)
        if resolved is None:
            result = self._fallback(key, feature_id, requested_usage)
        else:
            source, snapshot = resolved
            result = evaluate(snapshot, feature_id, requested_usage, self._monotonic(), source)
        record = self.store.check_observer
        if record is not None:
            record(customer_id, resource_id, feature_id, requested_usage, result)
        return result

    async def get_all(self, customer_id: str, resource_id: str | None = None) -> EntitlementsResult:
        """Every entitlement of one key (arguments already validated)."""
        key = (customer_id, resource_id)
        resolved = await self._resolve(key)
        if resolved is None:
            return self._all_fallback(key)
        return self._all(resolved[1], resolved[0])

    async def _resolve(self, key: Key) -> tuple[EntitlementSource, _Snapshot] | None:
        """The snapshot a check should answer from, and its source label."""
        self._guard()
        health = self._health
        now = self._monotonic()
        snap = self.store.get(key)
        if snap is not None:
            snap.used = True
            if now < snap.fresh_until:
                health.hits += 1
                return _FRESH, snap
            # Stale. While the API is healthy, wait for a refresh; while it is failing,
            # answer at once from what we have (the poller keeps trying).
            if health.state is not CacheState.INTERRUPTED and self._may_fetch(key, now):
                fresh = await self._load(key)
                if fresh is not None:
                    health.network_answers += 1
                    return _NETWORK, fresh
            snap = self.store.get(key) or snap
            now = self._monotonic()
            if now < snap.fresh_until:  # refreshed meanwhile by someone else
                health.hits += 1
                return _FRESH, snap
            if now < snap.stale_until:
                health.stale_hits += 1
                return _STALE, snap
            health.fallbacks += 1
            return None
        health.misses += 1
        if self._may_fetch(key, now):
            fresh = await self._load(key)
            if fresh is not None:
                health.network_answers += 1
                return _NETWORK, fresh
        else:
            self.store.want(key, now)  # the poller will try it
        health.fallbacks += 1
        return None

    def peek(
        self,
        customer_id: str,
        feature_id: str,
        resource_id: str | None = None,
        requested_usage: float | None = None,
    ) -> EntitlementResult:
        """Answer from memory only (cache or fallback); never waits for the network.

        On a miss or a stale entry it schedules a background fetch (when called from
        the cache's loop, or from another thread while that loop runs).
        """
        key = (customer_id, resource_id)
        snap = self.store.get(key)
        now = self._monotonic()
        health = self._health
        if snap is not None and not self._forked:
            snap.used = True
            if now < snap.fresh_until:
                health.hits += 1
                return evaluate(snap, feature_id, requested_usage, now, _FRESH)
            self._schedule(key)
            if now < snap.stale_until:
                health.stale_hits += 1
                return evaluate(snap, feature_id, requested_usage, now, _STALE)
        else:
            if self._forked or self._closed:
                self._guard()
            health.misses += 1
            self._schedule(key)
        health.fallbacks += 1
        return self._fallback(key, feature_id, requested_usage)

    def _schedule(self, key: Key) -> None:
        """Start a background fetch of ``key`` if allowed; safe from any thread."""
        loop = self._loop
        if loop is None or self._closed or self._forked:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._schedule_here(key)
        elif running is None and loop.is_running():
            loop.call_soon_threadsafe(self._schedule_here, key)
        else:
            raise StiggClientStateError(
                "the Stigg client is bound to the event loop it was opened in and cannot "
                "be used from another one; create one client per event loop"
            )

    def _schedule_here(self, key: Key) -> None:
        now = self._monotonic()
        if key in self._inflight or not self._may_fetch(key, now):
            self.store.want(key, now)
            return
        if self._health.state is CacheState.INTERRUPTED and self.store.get(key) is not None:
            return  # the poller is already retrying it with backoff
        self._start_fetch(key)

    def _may_fetch(self, key: Key, now: float) -> bool:
        return self._refresher.auth_allows(now) and self.store.may_fetch(key, now)

    async def _load(self, key: Key, direct: bool = False) -> _Snapshot | None:
        """Fetch ``key`` once for every concurrent caller (single-flight).

        ``direct``: from the API even when a shared tier could answer (explicit refresh).
        """
        task = self._inflight.get(key) or self._start_fetch(key, direct)
        # shield: one caller giving up (cancelled) must not cancel everyone's fetch.
        return await asyncio.shield(task)

    def _start_fetch(self, key: Key, direct: bool = False) -> asyncio.Task[_Snapshot | None]:
        assert self._loop is not None
        task = self._loop.create_task(self._fetch_one(key, direct), name="stigg-entitlements-fetch")
        self._inflight[key] = task
        task.add_done_callback(lambda _t: self._inflight.pop(key, None))
        return task

    async def _fetch_one(self, key: Key, direct: bool = False) -> _Snapshot | None:
        shared = self._shared
        if shared is None or direct:
            return await self._fetch_direct(key)
        try:
            loaded = await shared.load(key, self, lambda: self._fetch_ok(key))
        except asyncio.CancelledError:
            raise
        except Exception:  # the shared tier must never break a check
            logger.exception("shared entitlement load failed")
            loaded = False
        snap = self.store.get(key) if loaded else None
        if snap is None or self._monotonic() >= snap.fresh_until:
            # Redis held nothing usable (or only what we had): ask the API ourselves.
            return await self._fetch_direct(key)
        return snap

    async def _fetch_ok(self, key: Key) -> bool:
        return await self._fetch_direct(key) is not None

    async def _fetch_direct(self, key: Key) -> _Snapshot | None:
        try:
            outcome = await self._refresher.refresh([key], self._miss_policy)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # never leave waiters with an exception
            self._health.failures += 1
            self._health.last_error = describe_error(exc)
            logger.exception("entitlement fetch failed")
            return None
        return None if outcome.failed else self.store.get(key)

    # -- answers -------------------------------------------------------------------

    def _fallback(
        self, key: Key, feature_id: str, requested_usage: float | None
    ) -> EntitlementResult:
        ent = self._fallbacks.get(feature_id)
        if ent is None:
            ent = fallback_entitlement(feature_id, self.options.fallbacks.get(feature_id))
            if len(self._fallbacks) < 10_000:  # arbitrary ids must not grow this forever
                self._fallbacks[feature_id] = ent
        stamp = _Stamp(self._monotonic(), self._monotonic)
        pending = self.store.pending_usage(key, feature_id)
        return evaluate_fallback(ent, requested_usage, stamp, pending)

    def _all(self, snap: _Snapshot, source: EntitlementSource) -> EntitlementsResult:
        now = self._monotonic()
        results = (
            {}
            if snap.denial is not None
            else {fid: evaluate(snap, fid, None, now, source) for fid in snap.checks}
        )
        return EntitlementsResult(
            snap.customer_id, snap.resource_id, snap.denial, results, source, snap
        )

    def _all_fallback(self, key: Key) -> EntitlementsResult:
        results = {fid: self._fallback(key, fid, None) for fid in self.options.fallbacks}
        stamp = _Stamp(self._monotonic(), self._monotonic)
        return EntitlementsResult(key[0], key[1], None, results, EntitlementSource.FALLBACK, stamp)

    # -- explicit refreshes and warm-up --------------------------------------------

    async def refresh(self, customer_id: str, resource_id: str | None = None) -> EntitlementsResult:
        """Fetch one key now (ignoring freshness and remembered failures)."""
        self._guard()
        key = (customer_id, resource_id)
        self.store.forgive(key)
        fresh = await self._load(key, direct=True)
        if fresh is not None:
            self._health.network_answers += 1
            return self._all(fresh, _NETWORK)
        snap = self.store.get(key)
        if snap is not None and self._monotonic() < snap.stale_until:
            return self._all(snap, _STALE)
        return self._all_fallback(key)

    async def refresh_customer(self, customer_id: str) -> None:
        """Refetch every cached key of ``customer_id`` now. Never raises.

        The facade calls this after an operation that changes a customer's
        entitlements (``stigg_async._refreshes``).
        """
        try:
            if self._closed or self._forked or self._loop is None:
                return
            keys = self.store.keys_of(customer_id)
            if not keys:
                return
            for key in keys:
                self.store.forgive(key)
            await self._refresher.refresh(keys, self._retry)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("refreshing a customer's entitlements failed")

    async def prefetch(self, keys: Iterable[Key]) -> PrefetchSummary:
        """Load ``keys`` in batches (warm-up). Never raises for API failures."""
        self._guard()
        wanted = list(dict.fromkeys(keys))
        outcome = await self._refresher.refresh(wanted, self._retry)
        return PrefetchSummary(loaded=outcome.loaded, failed=outcome.failed)

    async def wait_until_ready(self, timeout: float | None = None) -> bool:
        """Wait until the API answered a request with this key; False on timeout or close.

        Returns early (False) when the key is rejected: ``status`` then says why.
        Never raises.
        """
        if self._health.is_valid():
            return True
        if self._closed or self._ready is None:
            return False
        if not self.options.poll and not self._health.answered:
            # Nobody else will ask the API: probe once now.
            self._start_probe()
        waiter = asyncio.ensure_future(self._ready.wait())
        sleeper = None
        try:
            if timeout is None:
                await waiter
            else:
                sleeper = asyncio.ensure_future(self._clock.sleep(max(0.0, timeout)))
                await asyncio.wait({waiter, sleeper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for fut in (waiter, sleeper):
                if fut is not None and not fut.done():
                    fut.cancel()
        return self._health.is_valid()

    def _start_probe(self) -> None:
        if self._loop is None:
            return
        task = self._loop.create_task(self._refresher.probe(self._miss_policy))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- what the refresher reports ------------------------------------------------

    def _on_state(self, key: Key, raw: Mapping[str, Any], started: float) -> bool:
        stored = self.upsert_state(key, raw, started=started)
        if stored and self._shared is not None:
            self._shared.note_fetched(key, raw, started)
        return stored

    def _on_failed(self, keys: Sequence[Key], exc: StiggError | None, whole_request: bool) -> None:
        now = self._monotonic()
        self.store.fail(keys, now + self.options.negative_ttl, now)
        if exc is None:
            return
        health = self._health
        health.last_error = describe_error(exc)
        if isinstance(exc, StiggAuthenticationError):
            interval = self.options.auth_error_interval
            health.report(
                _POLLER, SourceState.INTERRUPTED, error=exc, reason=_auth_reason(exc, interval)
            )
            if self._ready is not None:
                self._ready.set()  # waiters learn at once that the key is rejected
        elif whole_request:
            health.report(
                _POLLER,
                SourceState.INTERRUPTED,
                error=exc,
                reason="refreshing entitlements failed; serving cached data and retrying",
            )

    def _on_answered(self) -> None:
        self._health.report(_POLLER, SourceState.VALID)
        if self._ready is not None:
            self._ready.set()

    def _push_healthy(self) -> bool:
        """True while a source other than the poller (the stream) delivers."""
        return any(
            state is SourceState.VALID
            for name, state in self._health.sources.items()
            if name != _POLLER
        )

    def _evicted(self, key: Key) -> None:
        self._health.evictions += 1

    async def poll_once(self) -> bool:
        """Run one poll cycle now (every key in use); True when no request failed."""
        self._guard()
        return await self._poller.cycle(self, self._health)

    # -- the StoreSink: what data sources may read and feed ------------------------

    def keys_in_use(self) -> list[Key]:
        """Every key cached or wanted; idle keys are dropped on the way."""
        keys, dropped = self.store.sweep(self._monotonic(), self.options.idle_timeout)
        self._health.evictions += len(dropped)
        return keys

    def has_customer(self, customer_id: str) -> bool:
        """True when a key of ``customer_id`` is cached (O(1))."""
        return self.store.has_customer(customer_id)

    def keys_of(self, customer_id: str) -> list[Key]:
        """The cached or wanted keys of one customer (all resources)."""
        return self.store.keys_of(customer_id)

    def upsert_state(self, key: Key, raw: Mapping[str, Any], *, started: float) -> bool:
        """Store a full ``entitlementsState`` for ``key`` fetched at ``started``."""
        try:
            denial, ents = parse_state(raw, key)
        except StiggResponseError as exc:
            self._on_failed([key], exc, False)
            return False
        if self._closed or self._forked:
            return False
        try:
            credits = _parse_credits(raw)
        except StiggResponseError as exc:
            self._on_failed([key], exc, False)
            return False
        options = self.options
        ttl = options.ttl if denial is None else min(options.ttl, options.denial_ttl)
        old, new = self.store.upsert(
            key,
            denial,
            ents,
            started=started,
            ttl=ttl,
            stale_window=options.stale_window,
            credits=credits,
        )
        self._health.refreshes += 1
        if self._listeners:
            self._notify_refresh(key, old, new)
        return True

    def apply_usage(self, change: Mapping[str, Any]) -> bool:
        """Make a usage answer or push the new base of its entitlement. Never raises."""
        try:
            return self.store.apply_usage(change)
        except Exception:
            logger.debug("ignoring a malformed usage answer", exc_info=True)
            return False

    def apply_credit(self, key: Key, answer: Mapping[str, Any]) -> None:
        """Write a ``consumeCredits`` answer's balance into the cached currency. Never raises."""
        try:
            self.store.apply_credit(key, answer)
        except Exception:
            logger.debug("ignoring a malformed credit answer", exc_info=True)

    async def get_credit(
        self,
        customer_id: str,
        currency_id: str,
        resource_id: str | None = None,
        requested: float = 0.0,
    ) -> CreditEntitlementResult:
        """Check spending ``requested`` credits, locally (arguments already validated).

        Pending consumption (sent, not yet acknowledged) counts against the balance.
        Never raises for API failures.
        """
        key = (customer_id, resource_id)
        resolved = await self._resolve(key)
        pending = self.store.pending_usage(key, CREDIT_PREFIX + currency_id)
        if resolved is None:
            return CreditEntitlementResult(
                customer_id, resource_id, currency_id, False, _UNKNOWN_REASON, requested,
                0.0, pending, None, None, EntitlementSource.FALLBACK, None,
            )  # fmt: skip
        source, snap = resolved
        ent = snap.credits.get(currency_id)
        if snap.denial is not None or ent is None:
            reason = snap.denial or _NO_CREDITS
            return CreditEntitlementResult(
                customer_id, resource_id, currency_id, False, reason, requested,
                0.0, pending, None, None, source, None,
            )  # fmt: skip
        decision = decide_credit(ent, pending, requested, self._clock.now())
        return CreditEntitlementResult(
            customer_id, resource_id, currency_id, decision.is_granted,
            decision.access_denied_reason, requested, ent.current_usage, pending,
            ent.usage_limit, decision.balance, source, ent,
        )  # fmt: skip

    def apply_measurements(self, measurements: Iterable[Mapping[str, Any]]) -> None:
        """Apply usage reports' answers (a list of ``UsageMeasurementFragment``)."""
        try:
            for measurement in measurements:
                self.apply_usage(measurement)
        except Exception:
            logger.debug("ignoring malformed usage answers", exc_info=True)

    def mark_stale(self, keys: Iterable[Key]) -> None:
        """Treat ``keys`` as needing a refresh (served labelled stale until then)."""
        self.store.mark_stale(keys)

    async def refresh_keys(self, keys: Sequence[Key]) -> None:
        """Fetch ``keys`` now in batches through the one request path. Never raises."""
        if self._closed or self._forked or self._loop is None:
            return
        await self._refresher.refresh(keys, self._retry)

    # -- listeners -----------------------------------------------------------------

    def add_listener(self, callback: EntitlementListener) -> Callable[[], None]:
        """Call ``callback(change)`` whenever a key's entitlements change; returns a remover."""
        if not callable(callback):
            raise TypeError("callback must be callable")
        self._listeners.append(callback)

        def remove() -> None:
            if callback in self._listeners:
                self._listeners.remove(callback)

        return remove

    def _notify_refresh(self, key: Key, old: _Snapshot | None, new: _Snapshot) -> None:
        before = {} if old is None else {f: c.ent for f, c in old.checks.items()}
        after = {f: c.ent for f, c in new.checks.items()}
        changed = frozenset(
            f for f in before.keys() | after.keys() if before.get(f) != after.get(f)
        )
        denial_changed = old is None or old.denial != new.denial
        if changed or denial_changed:
            self._emit(EntitlementsChange(key[0], key[1], changed, new.denial, "refresh"))

    def _emit(self, change: EntitlementsChange) -> None:
        for callback in list(self._listeners):
            try:
                outcome = callback(change)
            except Exception:
                logger.exception("an entitlement listener raised; ignored")
                continue
            if inspect.isawaitable(outcome) and self._loop is not None:
                task = asyncio.ensure_future(outcome)
                self._tasks.add(task)
                task.add_done_callback(self._listener_done)

    def _listener_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error(
                "an async entitlement listener raised; ignored",
                exc_info=task.exception(),
            )

    # -- introspection -------------------------------------------------------------

    @property
    def status(self) -> EntitlementCacheStatus:
        """The cache's health (see :class:`EntitlementCacheStatus`)."""
        return self._health.status()

    @property
    def stats(self) -> EntitlementCacheStats:
        """Counters (see :class:`EntitlementCacheStats`)."""
        h = self._health
        refresher = self._refresher
        fast = self.store.fast_hits
        return EntitlementCacheStats(
            hits=h.hits + fast,
            fast_hits=fast,
            stale_hits=h.stale_hits,
            misses=h.misses,
            fallbacks=h.fallbacks,
            network_answers=h.network_answers,
            refreshes=h.refreshes,
            failures=h.failures + refresher.failures + self._poller.errors,
            requests=refresher.requests,
            evictions=h.evictions,
            usage_updates=self.store.counters.usage_updates,
            batch_size=refresher.batch_size,
            batch_sizes=MappingProxyType(dict(refresher.batch_sizes)),
            entries=len(self.store),
            pending_usage_items=self.store.pending_items,
        )

    def __repr__(self) -> str:
        return (
            f"EntitlementCache(state={self._health.state.value!r}, "
            f"entries={len(self.store)}, ttl={self.options.ttl:g})"
        )


_UNKNOWN_REASON = AccessDeniedReason.UNKNOWN
_NO_CREDITS = AccessDeniedReason.ENTITLEMENT_NOT_FOUND


def _parse_credits(raw: Mapping[str, Any]) -> dict[str, CachedCreditEntitlement] | None:
    """Credit entitlements of an ``entitlementsState`` (``None``: the payload has none)."""
    items = raw.get("entitlementsV2")
    if not isinstance(items, list):
        return None
    credits: dict[str, CachedCreditEntitlement] = {}
    for item in items:
        if isinstance(item, Mapping) and (
            item.get("__typename") == "CreditEntitlement" or "currency" in item
        ):
            ent = parse_credit_entitlement(item)
            credits[ent.currency_id] = ent
    return credits


def _auth_reason(exc: StiggAuthenticationError, interval: float) -> str:
    return (
        f"the API key was rejected (HTTP {exc.status}); entitlements are served from "
        f"the cache or fallbacks and refreshes are retried every {interval:g}s"
    )


_FORK_MESSAGE = (
    "this Stigg client's entitlement cache was created in another process (fork): its "
    "event loop, poller and HTTP session do not exist here, so it would answer from "
    "data nobody refreshes. Create a new AsyncStigg in the child process (or call "
    "restart_after_fork() on the cache with a new transport)."
)
