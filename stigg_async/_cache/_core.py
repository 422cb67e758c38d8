"""``EntitlementCache``: snapshots per key, single-flight misses, write-through, status.

The facade's warm path reads ``_entries`` and ``_monotonic`` directly (see
``stigg_async/_facade_entitlements.py``); everything else comes through here.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import logging
import math
import os
import weakref
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from stigg_async._cache._evaluator import (
    build_snapshot,
    compile_check,
    evaluate,
    evaluate_fallback,
    fallback_entitlement,
)
from stigg_async._cache._model import (
    CachedEntitlement,
    EntitlementResult,
    EntitlementsChange,
    EntitlementSource,
    EntitlementsResult,
    _Check,
    _Snapshot,
    _Stamp,
    parse_datetime,
    parse_state,
)
from stigg_async._cache._options import EntitlementCacheOptions
from stigg_async._cache._poller import _Poller
from stigg_async._cache._status import (
    CacheState,
    EntitlementCacheStats,
    EntitlementCacheStatus,
    _Health,
    describe_error,
)
from stigg_async._cache._store import _Store
from stigg_async._clock import Clock
from stigg_async._errors import (
    StiggAuthenticationError,
    StiggClientStateError,
    StiggError,
    StiggResponseError,
)
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

# Every live cache, so a fork can disable them all in the child (see _after_fork).
_LIVE: weakref.WeakSet[EntitlementCache] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for cache in list(_LIVE):
        cache._on_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


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
    """Entitlement snapshots per ``(customer_id, resource_id)``, kept fresh by a poller.

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
        self.options = options or EntitlementCacheOptions()
        self._transport = transport
        self._clock = clock
        # Bound once: read on every check.
        self._monotonic: Callable[[], float] = clock.monotonic
        self._retry = retry_policy
        # Misses wait for the network at most ``fetch_deadline`` over all retries.
        deadline = min(retry_policy.deadline or math.inf, self.options.fetch_deadline)
        self._miss_policy = dataclasses.replace(retry_policy, deadline=deadline)
        self._health = _Health(clock.now)
        self._hits = 0  # warm-path hits, counted by the facade (health.hits: the rest)
        self._store = _Store(self.options.max_entries, self._evicted)
        # The check path's only structure; the same dict as the store's (swapped for
        # an empty one in a forked child, so every check falls to the guarded slow path).
        self._entries: dict[Key, _Snapshot] = self._store.entries
        self._ttl = self.options.ttl
        self._stale_window = self.options.stale_window
        self._poller = _Poller(self)
        self._inflight: dict[Key, asyncio.Task[_Snapshot | None]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._listeners: list[EntitlementListener] = []
        self._fallbacks: dict[str, CachedEntitlement] = {}
        self._auth_until = -math.inf
        self._loop: asyncio.AbstractEventLoop | None = None
        self._poll_task: asyncio.Task[None] | None = None
        self._ready: asyncio.Event | None = None
        self._closed = False
        self._forked = False
        self._parked: dict[Key, _Snapshot] | None = None
        _LIVE.add(self)

    # -- life cycle ----------------------------------------------------------------

    @property
    def is_started(self) -> bool:
        """True between :meth:`start` and :meth:`aclose`."""
        return self._loop is not None and not self._closed

    def start(self) -> None:
        """Bind to the running loop and start the poller (idempotent; call in the loop)."""
        if self._closed:
            raise StiggClientStateError("the entitlement cache is closed")
        if self._forked:
            raise StiggClientStateError(_FORK_MESSAGE)
        if self._loop is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._ready = asyncio.Event()
        if self._health.state is CacheState.VALID:
            self._ready.set()
        if self.options.poll:
            self._poll_task = self._loop.create_task(
                self._poller.run(), name="stigg-entitlements-poller"
            )

    async def aclose(self) -> None:
        """Stop the poller and every fetch; leave no task behind. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._health.enter(CacheState.CLOSED, "closed")
        tasks: list[asyncio.Task[Any]] = [*self._tasks, *self._inflight.values()]
        if self._poll_task is not None:
            tasks.append(self._poll_task)
        if not self._forked:
            for task in tasks:
                task.cancel()
            current = asyncio.current_task()
            await asyncio.gather(*(t for t in tasks if t is not current), return_exceptions=True)
        self._tasks.clear()
        self._inflight.clear()
        self._poll_task = None
        if self._ready is not None:
            self._ready.set()  # wake waiters; they see CLOSED
        self._store.clear()
        _LIVE.discard(self)

    def _on_fork(self) -> None:
        # In a forked child: the parent's loop, tasks and sockets do not exist here.
        # Park the data and empty the read dict, so every check reaches _guard() and
        # says so, instead of answering forever from a cache nobody refreshes.
        self._forked = True
        self._parked = self._store.entries
        self._entries = {}

    def restart_after_fork(self, transport: GraphQLTransport | None = None) -> None:
        """In a forked child, forget the parent's tasks and start a poller here.

        Call inside the child's running loop. Pass a new ``transport`` (the parent's
        HTTP session cannot be used in the child). Cached data is kept and served with
        its true age.

        Example:
            >>> cache.restart_after_fork(transport=new_transport)  # doctest: +SKIP
        """
        if not self._forked:
            return
        if transport is not None:
            self._transport = transport
        self._forked = False
        if self._parked is not None:
            self._entries = self._parked
            self._parked = None
        # The parent's tasks belong to a loop that does not run here: drop, not cancel.
        self._inflight = {}
        self._tasks = set()
        self._poll_task = None
        self._loop = None
        self._poller = _Poller(self)
        self._health.enter(CacheState.INITIALIZING, "restarted after fork")
        if not self._closed:
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

    # -- reads ---------------------------------------------------------------------

    async def get(
        self,
        customer_id: str,
        feature_id: str,
        resource_id: str | None = None,
        requested_usage: float | None = None,
    ) -> EntitlementResult:
        """Check one feature (arguments already validated). Never raises for API failures."""
        key = (customer_id, resource_id)
        snap = self._entries.get(key)
        now = self._monotonic()
        if snap is not None and now < snap.fresh_until:
            snap.used = True
            self._health.hits += 1
            return evaluate(snap, feature_id, requested_usage, now, _FRESH)
        return await self._get_slow(key, feature_id, requested_usage)

    async def _get_slow(
        self, key: Key, feature_id: str, requested_usage: float | None
    ) -> EntitlementResult:
        snap = await self._resolve(key)
        if snap is None:
            return self._fallback(feature_id, requested_usage)
        source, snapshot = snap
        return evaluate(snapshot, feature_id, requested_usage, self._monotonic(), source)

    async def get_all(self, customer_id: str, resource_id: str | None = None) -> EntitlementsResult:
        """Every entitlement of one key (arguments already validated)."""
        key = (customer_id, resource_id)
        snap = self._entries.get(key)
        if snap is not None and self._monotonic() < snap.fresh_until:
            snap.used = True
            self._health.hits += 1
            return self._all(snap, _FRESH)
        resolved = await self._resolve(key)
        if resolved is None:
            return self._all_fallback(key)
        return self._all(resolved[1], resolved[0])

    async def _resolve(self, key: Key) -> tuple[EntitlementSource, _Snapshot] | None:
        """The snapshot a non-fresh check should answer from, and its source label."""
        self._guard()
        health = self._health
        now = self._monotonic()
        snap = self._entries.get(key)
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
            snap = self._entries.get(key) or snap
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
            self._store.pending[key] = now  # wanted: the poller will try it
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
        snap = self._entries.get(key)
        now = self._monotonic()
        health = self._health
        if snap is not None:
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
        return self._fallback(feature_id, requested_usage)

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
            self._store.pending.setdefault(key, now)
            return
        if self._health.state is CacheState.INTERRUPTED and key in self._entries:
            return  # the poller is already retrying it with backoff
        self._start_fetch(key)

    def _may_fetch(self, key: Key, now: float) -> bool:
        return self._auth_allows(now) and self._store.may_fetch(key, now)

    def _auth_allows(self, now: float) -> bool:
        return now >= self._auth_until

    async def _load(self, key: Key) -> _Snapshot | None:
        """Fetch ``key`` once for every concurrent caller (single-flight)."""
        task = self._inflight.get(key) or self._start_fetch(key)
        # shield: one caller giving up (cancelled) must not cancel everyone's fetch.
        return await asyncio.shield(task)

    def _start_fetch(self, key: Key) -> asyncio.Task[_Snapshot | None]:
        assert self._loop is not None
        task = self._loop.create_task(self._fetch_one(key), name="stigg-entitlements-fetch")
        self._inflight[key] = task
        task.add_done_callback(lambda _t: self._inflight.pop(key, None))
        return task

    async def _fetch_one(self, key: Key) -> _Snapshot | None:
        try:
            _, failed, _ = await self._poller.refresh([key], self._miss_policy)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # never leave waiters with an exception
            self._health.failures += 1
            self._health.last_error = describe_error(exc)
            logger.exception("stigg_async: entitlement fetch failed")
            return None
        return None if failed else self._store.entries.get(key)

    # -- answers -------------------------------------------------------------------

    def _fallback(self, feature_id: str, requested_usage: float | None) -> EntitlementResult:
        ent = self._fallbacks.get(feature_id)
        if ent is None:
            ent = fallback_entitlement(feature_id, self.options.fallbacks.get(feature_id))
            if len(self._fallbacks) < 10_000:  # arbitrary ids must not grow this forever
                self._fallbacks[feature_id] = ent
        return evaluate_fallback(ent, requested_usage, _Stamp(self._monotonic(), self._monotonic))

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
        results = {fid: self._fallback(fid, None) for fid in self.options.fallbacks}
        stamp = _Stamp(self._monotonic(), self._monotonic)
        return EntitlementsResult(key[0], key[1], None, results, EntitlementSource.FALLBACK, stamp)

    # -- explicit refreshes and warm-up --------------------------------------------

    async def refresh(self, customer_id: str, resource_id: str | None = None) -> EntitlementsResult:
        """Fetch one key now (ignoring freshness and remembered failures)."""
        self._guard()
        key = (customer_id, resource_id)
        self._store.negative.pop(key, None)
        fresh = await self._load(key)
        if fresh is not None:
            self._health.network_answers += 1
            return self._all(fresh, _NETWORK)
        snap = self._entries.get(key)
        if snap is not None and self._monotonic() < snap.stale_until:
            return self._all(snap, _STALE)
        return self._all_fallback(key)

    async def refresh_customer(self, customer_id: str) -> None:
        """Refetch every cached key of ``customer_id`` now. Never raises.

        The facade calls this after changing a customer's subscriptions or promotions.
        """
        try:
            if self._closed or self._forked or self._loop is None:
                return
            keys = sorted(self._store.keys_of(customer_id), key=lambda k: k[1] or "")
            if not keys:
                return
            for key in keys:
                self._store.negative.pop(key, None)
            await self._poller.refresh(keys, self._retry)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("stigg_async: refreshing a customer's entitlements failed")

    async def prefetch(self, keys: Iterable[Key]) -> PrefetchSummary:
        """Load ``keys`` in batches (warm-up). Never raises for API failures."""
        self._guard()
        wanted = list(dict.fromkeys(keys))
        loaded, failed, _ = await self._poller.refresh(wanted, self._retry)
        return PrefetchSummary(loaded=loaded, failed=tuple(failed))

    async def wait_until_ready(self, timeout: float | None = None) -> bool:
        """Wait until the first refresh succeeded; False on timeout or close (never raises)."""
        if self._health.state is CacheState.VALID:
            return True
        if self._closed or self._ready is None:
            return False
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

    # -- incoming data -------------------------------------------------------------

    def _ingest(self, key: Key, raw: Mapping[str, Any] | StiggError, started: float) -> bool:
        """Build and store the snapshot for one fetched key; False if it failed."""
        if isinstance(raw, StiggError):
            self._fail([key], raw, whole_request=False)
            return False
        try:
            denial, ents = parse_state(raw, key)
        except StiggResponseError as exc:
            self._fail([key], exc, whole_request=False)
            return False
        if self._closed or self._forked:
            return False
        now = self._monotonic()
        wall = self._clock.now()
        snap = build_snapshot(
            key,
            denial,
            ents,
            now_mono=now,
            now_wall=wall,
            ttl=self._ttl,
            stale_window=self._stale_window,
            monotonic=self._monotonic,
        )
        snap.fetch_started = started
        old = self._store.entries.get(key)
        if old is not None:
            for feature_id, check in snap.checks.items():
                prior = old.checks.get(feature_id)
                if prior is not None and prior.metered and prior.usage_written_at >= started:
                    # A usage report was written through after this fetch left: the
                    # answer may predate it, so keep the written usage until a later one.
                    snap.checks[feature_id] = self._keep_written_usage(
                        snap, check.ent, prior, now, wall
                    )
        if old is not None:
            snap.used = old.used
        self._store.put(key, snap, now)
        if self._listeners:
            self._notify_refresh(key, old, snap)
        return True

    @staticmethod
    def _keep_written_usage(
        snap: _Snapshot, fetched: CachedEntitlement, prior: _Check, now: float, wall: datetime
    ) -> _Check:
        """``fetched`` with the usage a later write-through put into ``prior``."""
        written = prior.ent
        ent = dataclasses.replace(
            fetched,
            current_usage=written.current_usage,
            usage_period_start=written.usage_period_start,
            usage_period_end=written.usage_period_end,
            next_reset_date=written.next_reset_date,
        )
        check = compile_check(ent, snap, now, wall)
        check.usage_written_at = prior.usage_written_at
        check.usage_written_ts = prior.usage_written_ts
        return check

    def _fail(self, keys: Iterable[Key], exc: StiggError | None, *, whole_request: bool) -> None:
        now = self._monotonic()
        keys = list(keys)
        self._store.fail(keys, now + self.options.negative_ttl, now)
        if exc is None:
            return
        health = self._health
        health.last_error = describe_error(exc)
        if isinstance(exc, StiggAuthenticationError):
            interval = self.options.auth_error_interval
            first = self._auth_allows(now)
            self._auth_until = now + interval
            health.enter(CacheState.INTERRUPTED, _Poller.auth_reason(exc, interval))
            if first:
                logger.error("stigg_async: %s", health.reason)
        elif whole_request and health.state is not CacheState.CLOSED:
            if health.state is not CacheState.INTERRUPTED:
                logger.warning(
                    "stigg_async: entitlement refresh failed (%s); serving cached data",
                    health.last_error,
                )
            health.enter(
                CacheState.INTERRUPTED,
                "refreshing entitlements failed; serving cached data and retrying",
            )

    def _succeeded(self) -> None:
        self._auth_until = -math.inf
        if self._health.state is CacheState.INTERRUPTED:
            logger.info("stigg_async: entitlement refresh recovered")
        self._health.succeeded()
        if self._ready is not None and self._health.is_valid():
            self._ready.set()

    def _evicted(self, key: Key) -> None:
        self._health.evictions += 1

    def apply_usage(self, measurements: Iterable[Mapping[str, Any]]) -> None:
        """Write usage reports' answers into the cached entitlements. Never raises.

        Each measurement is a ``UsageMeasurementFragment`` dict (``customerId``,
        ``featureId``, ``resourceId``, ``currentUsage``, ``usagePeriodStart``/``End``,
        ``nextResetDate``, ``timestamp``). The newest ``timestamp`` wins: an older
        answer never overwrites a newer one.
        """
        try:
            for measurement in measurements:
                try:
                    self._apply_one(measurement)
                except Exception:
                    logger.debug("stigg_async: ignoring a malformed usage answer", exc_info=True)
        except Exception:
            logger.debug("stigg_async: ignoring malformed usage answers", exc_info=True)

    def _apply_one(self, m: Mapping[str, Any]) -> None:
        customer_id, feature_id = m.get("customerId"), m.get("featureId")
        resource_id = m.get("resourceId") or None
        usage = m.get("currentUsage")
        if not isinstance(customer_id, str) or not isinstance(feature_id, str):
            return
        if isinstance(usage, bool) or not isinstance(usage, (int, float)):
            return
        if not math.isfinite(usage):
            return
        snap = self._store.entries.get((customer_id, resource_id))
        if snap is None:
            return
        prior = snap.checks.get(feature_id)
        if prior is None:
            return
        stamp = parse_datetime(m.get("timestamp"))
        if (
            stamp is not None
            and prior.usage_written_ts is not None
            and stamp < prior.usage_written_ts
        ):
            return  # an older answer arriving late
        changes: dict[str, Any] = {"current_usage": float(usage)}
        for field, name in (
            ("usagePeriodStart", "usage_period_start"),
            ("usagePeriodEnd", "usage_period_end"),
            ("nextResetDate", "next_reset_date"),
        ):
            if m.get(field) is not None:
                changes[name] = parse_datetime(m[field])
        now = self._monotonic()
        ent = dataclasses.replace(prior.ent, **changes)
        check = compile_check(ent, snap, now, self._clock.now())
        check.usage_written_at = now
        check.usage_written_ts = stamp or prior.usage_written_ts
        snap.checks[feature_id] = check
        self._health.usage_updates += 1
        if self._listeners and ent != prior.ent:
            self._emit(
                EntitlementsChange(
                    customer_id, resource_id, frozenset({feature_id}), snap.denial, "usage"
                )
            )

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
                logger.exception("stigg_async: an entitlement listener raised; ignored")
                continue
            if inspect.isawaitable(outcome) and self._loop is not None:
                task = asyncio.ensure_future(outcome)
                self._tasks.add(task)
                task.add_done_callback(self._listener_done)

    def _listener_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error(
                "stigg_async: an async entitlement listener raised; ignored",
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
        from types import MappingProxyType

        h = self._health
        return EntitlementCacheStats(
            hits=h.hits + self._hits,
            stale_hits=h.stale_hits,
            misses=h.misses,
            fallbacks=h.fallbacks,
            network_answers=h.network_answers,
            refreshes=h.refreshes,
            failures=h.failures,
            requests=h.requests,
            evictions=h.evictions,
            usage_updates=h.usage_updates,
            batch_size=self._poller.batch_size,
            batch_sizes=MappingProxyType(dict(h.batch_sizes)),
            entries=len(self._store),
        )

    def __repr__(self) -> str:
        return (
            f"EntitlementCache(state={self._health.state.value!r}, "
            f"entries={len(self._store)}, ttl={self._ttl:g})"
        )


_FORK_MESSAGE = (
    "this Stigg client's entitlement cache was created in another process (fork): its "
    "event loop, poller and HTTP session do not exist here, so it would answer from "
    "data nobody refreshes. Create a new AsyncStigg in the child process (or call "
    "restart_after_fork() on the cache with a new transport)."
)
