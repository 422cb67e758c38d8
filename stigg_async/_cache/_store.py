"""The store: snapshots per key, usage in flight, and the fast path that reads them.

Everything the check path reads lives here, and only here:

* ``entries``: ``(customer_id, resource_id) -> _Snapshot`` (a plain dict). Fast reads
  count hits on the check they answer from; :meth:`EntitlementStore.sweep` turns new
  hits into LRU touches once per poll cycle, so recency costs nothing more per check.
* pending usage (DESIGN section 9): a :class:`~stigg_async._cache._pending.Ledger`
  per ``(key, feature_id)`` with items accepted and not yet acknowledged. Every change
  writes the new pending amount into the cached check and drops its memoised
  answers, so the next check is exact.
* the live index (``live``, kept by :class:`~stigg_async._cache._live.LiveIndex`):
  the checks of fresh snapshots whose usage period lasts, by ``(customer_id,
  resource_id, feature_id)``, taken out on time by a timer, so a hit reads no clock.
* the fast paths: the bound functions a facade exposes (``bind_check``,
  ``bind_peek``, ``bind_consume``) read the live index; :attr:`fast_check` reads it
  too and, for what is not indexed, the snapshot and the clock. Whatever they cannot
  answer goes to the cache's slow path.

The store implements the usage observer (``stigg_async._usage._observer``): the usage
pipeline and the facade's awaited reports tell it what is in flight and how it ended.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from cachetools import LRUCache

from stigg_async._cache._credits import CachedCreditEntitlement
from stigg_async._cache._evaluator import build_snapshot, compile_check
from stigg_async._cache._fastpath import (
    AsyncCheck,
    AsyncConsume,
    FastCheck,
    SlowCheck,
    SlowConsume,
    SlowPeek,
    SyncCheck,
    bind_check,
    bind_consume,
    bind_peek,
    make_fast_path,
    miss,
    set_pending,
)
from stigg_async._cache._live import CallAt, LiveIndex, LiveKey
from stigg_async._cache._model import (
    CachedEntitlement,
    EntitlementResult,
    EntitlementsChange,
    _Check,
    _Snapshot,
    parse_datetime,
)
from stigg_async._cache._pending import Ledger
from stigg_async._models._enums import AccessDeniedReason
from stigg_async._usage._items import UsageRecord
from stigg_async._usage._observer import UsageOutcome

__all__ = ["CheckObserver", "EntitlementStore", "FastCheck", "Key", "StoreCounters"]

Key = tuple[str, "str | None"]

#: ``record(customer_id, resource_id, feature_id, requested_usage, result)``: told about
#: every answered check (opt-in check analytics); must not raise or wait.
CheckObserver = Callable[[str, "str | None", str, "float | None", "EntitlementResult"], object]


class StoreCounters:
    """Counters of the store (plain attributes: a few ns each).

    Fast-path hits are counted on the checks themselves (``_Check.hits``) and summed
    on demand: see :attr:`EntitlementStore.fast_hits`.
    """

    __slots__ = ("usage_updates",)

    def __init__(self) -> None:
        self.usage_updates = 0


class _EvictingLRU(LRUCache[Key, None]):
    """An ``LRUCache`` of keys only that reports what it evicts."""

    def __init__(self, maxsize: int, on_evict: Callable[[Key], None]) -> None:
        super().__init__(maxsize)
        self._on_evict = on_evict

    def popitem(self) -> tuple[Key, None]:
        key, value = super().popitem()
        self._on_evict(key)
        return key, value


class EntitlementStore:
    """Snapshots by key (bounded, LRU), pending usage, and the fast path over both.

    Also remembers, per key: when it was last read (for the idle sweep), until when a
    failed fetch blocks new fetches from checks (negative caching), and which keys
    have no data yet but are wanted (the poller retries them).
    """

    def __init__(
        self,
        *,
        max_entries: int,
        monotonic: Callable[[], float],
        wall: Callable[[], datetime],
        on_evict: Callable[[Key], None],
        on_change: Callable[[EntitlementsChange], None],
        call_at: CallAt | None = None,
    ) -> None:
        self.entries: dict[Key, _Snapshot] = {}
        #: The live index: checks of fresh snapshots whose usage period lasts, by
        #: ``(customer_id, resource_id, feature_id)``. A timer takes a snapshot's
        #: checks out when it goes stale or a period ends, so a hit needs no clock.
        self._live = LiveIndex(call_at, monotonic)
        self.live: dict[LiveKey, _Check] = self._live.checks
        self.counters = StoreCounters()
        self._monotonic = monotonic
        self._wall = wall
        self._last_used: dict[Key, float] = {}
        self._negative: dict[Key, float] = {}
        self._wanted: dict[Key, float] = {}  # wanted keys with no data -> last read
        self._by_customer: dict[str, set[Key]] = {}
        self._ledgers: dict[Key, dict[str, Ledger]] = {}  # in flight, by key and feature
        self._retired_hits = 0  # fast hits of checks no longer cached
        self._max_entries = max_entries
        self._lru = _EvictingLRU(max_entries, self._evicted)
        self._on_evict = on_evict
        self._on_change = on_change
        self._parked = False
        #: Told about every answered check, when check analytics are on (else None).
        self.check_observer: CheckObserver | None = None
        self.fast_check: FastCheck = self._fast_path()

    @property
    def fast_hits(self) -> int:
        """Checks answered by the fast paths so far (summed over the cached checks)."""
        return self._retired_hits + sum(self._hits_of(snap) for snap in self.entries.values())

    def observe_checks(self, observer: CheckObserver | None) -> None:
        """Tell ``observer`` about every answered check (fast path included).

        With no observer the fast path is the bare one: analytics cost nothing when off.
        With one, the live index is off, so every check passes the observing path.
        """
        self.check_observer = observer
        if not self._parked:
            self.fast_check = self._fast_path()
            self._reindex()

    def _fast_path(self) -> FastCheck:
        fast = make_fast_path(self.live, self.entries, self._monotonic)
        record = self.check_observer
        if record is None:
            return fast

        def observed(
            customer_id: Any, feature_id: Any, resource_id: Any, requested_usage: Any
        ) -> EntitlementResult | None:
            result = fast(customer_id, feature_id, resource_id, requested_usage)
            if result is not None:
                record(customer_id, resource_id, feature_id, requested_usage, result)
            return result

        return observed

    # -- the bound checks a facade exposes -------------------------------------------

    def bind_check(self, slow: SlowCheck) -> AsyncCheck:
        """The awaited check over the live index (see ``_fastpath.bind_check``)."""
        return bind_check(self.live, slow)

    def bind_peek(self, slow: SlowPeek) -> SyncCheck:
        """The synchronous check over the live index (see ``_fastpath.bind_peek``)."""
        return bind_peek(self.live, slow)

    def bind_consume(self, track: Callable[[UsageRecord], bool], slow: SlowConsume) -> AsyncConsume:
        """``consume`` over the live index (see ``_fastpath.bind_consume``)."""
        return bind_consume(self.live, self._monotonic, self._count_delta, track, slow)

    # -- the live index ----------------------------------------------------------------

    def _reindex(self) -> None:
        """Index again after a park or an observer: every fresh snapshot, if allowed."""
        self._live.switch(not self._parked and self.check_observer is None)
        for snap in self.entries.values():
            self._live.add(snap)

    @staticmethod
    def _hits_of(snap: _Snapshot) -> int:
        return sum(check.hits for check in snap.checks.values())

    def stop_timers(self) -> None:
        """Stop retiring data by timer (their loop is ending): empty the live index.

        Checks are then answered through the clock-checked path.
        """
        self._live.stop()

    def _retire(self, snap: _Snapshot) -> None:
        """``snap`` leaves the cache: keep its checks' hits in the totals."""
        self._retired_hits += self._hits_of(snap)

    def __len__(self) -> int:
        return len(self.entries)

    # -- fork ----------------------------------------------------------------------

    def park(self) -> None:
        """In a forked child: answer nothing from the fast path until :meth:`unpark`."""
        if not self._parked:
            self._parked = True
            self.fast_check = miss
            self._live.switch(False)

    def unpark(self) -> None:
        """Serve the parked data again (with its true age) through a new fast path."""
        if self._parked:
            self._parked = False
            self.fast_check = self._fast_path()
            self._reindex()

    # -- snapshots -----------------------------------------------------------------

    def get(self, key: Key) -> _Snapshot | None:
        """The snapshot of ``key`` (fresh or not), or ``None``."""
        return self.entries.get(key)

    def upsert(
        self,
        key: Key,
        denial: AccessDeniedReason | None,
        entitlements: Iterable[CachedEntitlement],
        *,
        started: float,
        ttl: float,
        stale_window: float,
        credits: Mapping[str, CachedCreditEntitlement] | None = None,
    ) -> tuple[_Snapshot | None, _Snapshot]:
        """Store the state of ``key`` fetched at monotonic ``started``; returns (old, new).

        Usage written through after the fetch left is kept (the answer may predate
        it); pending usage is attached; unknown outcomes older than ``started`` are
        settled by this answer.
        """
        now = self._monotonic()
        wall = self._wall()
        snap = build_snapshot(
            key,
            denial,
            entitlements,
            now_mono=now,
            now_wall=wall,
            ttl=ttl,
            stale_window=stale_window,
            monotonic=self._monotonic,
        )
        snap.fetch_started = started
        old = self.entries.get(key)
        if credits is not None:
            snap.credits = dict(credits)
        elif old is not None:
            snap.credits = old.credits  # a payload without credits (a push) keeps them
        if old is not None:
            self._live.remove(old)
            self._retire(old)
            snap.used = old.used or self._hits_of(old) != old.seen_hits
            for feature_id, check in snap.checks.items():
                prior = old.checks.get(feature_id)
                if prior is not None and prior.metered and prior.usage_written_at >= started:
                    # A usage answer was written through after this fetch left: the
                    # fetched value may predate it, so keep the written usage.
                    snap.checks[feature_id] = self._keep_written_usage(
                        snap, check.ent, prior, now, wall
                    )
        ledgers = self._ledgers.get(key)
        if ledgers is not None:
            for feature_id, ledger in list(ledgers.items()):
                ledger.refreshed(started)
                if not ledger:
                    del ledgers[feature_id]
                self._sync(key, feature_id, snap)
            if not ledgers:
                del self._ledgers[key]
        self.entries[key] = snap
        self._live.add(snap)
        self._negative.pop(key, None)
        self._wanted.pop(key, None)
        self._last_used.setdefault(key, now)
        self._by_customer.setdefault(key[0], set()).add(key)
        self._lru[key] = None  # touch (and evict beyond max_entries)
        return old, snap

    @staticmethod
    def _keep_written_usage(
        snap: _Snapshot, fetched: CachedEntitlement, prior: _Check, now: float, wall: datetime
    ) -> _Check:
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

    def mark_stale(self, keys: Iterable[Key]) -> None:
        """Make ``keys`` answer from the slow path (refetch, or serve labelled stale)."""
        now = self._monotonic()
        for key in keys:
            snap = self.entries.get(key)
            if snap is not None and snap.fresh_until > now:
                snap.fresh_until = now
                self._live.remove(snap)

    # -- usage: server answers -----------------------------------------------------

    def apply_usage(self, m: Mapping[str, Any]) -> bool:
        """Make a usage answer (``UsageMeasurementFragment`` shape) the new base.

        The newest ``timestamp`` wins: an older answer never overwrites a newer one.
        Returns True if a cached entitlement changed.
        """
        customer_id, feature_id = m.get("customerId"), m.get("featureId")
        resource_id = m.get("resourceId") or None
        usage = m.get("currentUsage")
        if not isinstance(customer_id, str) or not isinstance(feature_id, str):
            return False
        if isinstance(usage, bool) or not isinstance(usage, (int, float)):
            return False
        if not math.isfinite(usage):
            return False
        key = (customer_id, resource_id)
        snap = self.entries.get(key)
        if snap is None:
            return False
        prior = snap.checks.get(feature_id)
        if prior is None:
            return False
        stamp = parse_datetime(m.get("timestamp"))
        if (
            stamp is not None
            and prior.usage_written_ts is not None
            and stamp < prior.usage_written_ts
        ):
            return False  # an older answer arriving late
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
        check = compile_check(ent, snap, now, self._wall())
        check.usage_written_at = now
        check.usage_written_ts = stamp or prior.usage_written_ts
        self._retired_hits += prior.hits
        self._live.replace(snap, feature_id, check)
        self._sync(key, feature_id, snap)
        self.counters.usage_updates += 1
        if ent != prior.ent:
            self._on_change(
                EntitlementsChange(
                    customer_id, resource_id, frozenset({feature_id}), snap.denial, "usage"
                )
            )
        return True

    def apply_credit(self, key: Key, answer: Mapping[str, Any]) -> bool:
        """Make a ``consumeCredits`` answer's balance the new base of its cached currency.

        ``answer`` is the ``credit`` object of the answer (``currencyId``,
        ``currentUsage``, ``usageLimit``). Returns True if a cached entitlement changed.
        """
        snap = self.entries.get(key)
        currency_id = answer.get("currencyId")
        if snap is None or not isinstance(currency_id, str):
            return False
        prior = snap.credits.get(currency_id)
        usage, limit = answer.get("currentUsage"), answer.get("usageLimit")
        if prior is None or not isinstance(usage, (int, float)) or isinstance(usage, bool):
            return False
        changes: dict[str, Any] = {"current_usage": float(usage)}
        if isinstance(limit, (int, float)) and not isinstance(limit, bool):
            changes["usage_limit"] = float(limit)
        snap.credits = {**snap.credits, currency_id: dataclasses.replace(prior, **changes)}
        self.counters.usage_updates += 1
        return True

    # -- usage in flight (the usage observer) --------------------------------------

    def usage_accepted(self, record: UsageRecord) -> None:
        """Count ``record`` as pending on its entitlement from now on."""
        snap = self.entries.get((record.customer_id, record.resource_id))
        self._accepted(record, None if snap is None else snap.checks.get(record.feature_id))

    def _count_delta(  # noqa: PLR0917 - consume's hot path: no record unpacking
        self,
        customer_id: str,
        resource_id: str | None,
        feature_id: str,
        key: str,
        amount: float,
        check: _Check,
    ) -> None:
        """Count a freshly minted ``DELTA`` item as pending on its ledger and ``check``."""
        ledger = self._ledger((customer_id, resource_id), feature_id)
        set_pending(check, ledger.add_delta(key, amount, check.usage))

    def _ledger(self, key: Key, feature_id: str) -> Ledger:
        """The ledger of one entitlement, created on first use."""
        ledgers = self._ledgers.get(key)
        if ledgers is None:
            ledgers = self._ledgers[key] = {}
        ledger = ledgers.get(feature_id)
        if ledger is None:
            ledger = ledgers[feature_id] = Ledger()
        return ledger

    def _accepted(self, record: UsageRecord, check: _Check | None) -> None:
        """Count ``record`` on its ledger and in ``check`` (its cached check, if any)."""
        ledger = self._ledger((record.customer_id, record.resource_id), record.feature_id)
        added = ledger.add(record.idempotency_key, record.update_behavior, record.value)
        if added and check is not None:
            set_pending(check, ledger.pending(check.usage))

    def usage_settled(
        self,
        record: UsageRecord,
        outcome: UsageOutcome,
        measurement: Mapping[str, Any] | None = None,
    ) -> None:
        """Settle ``record``: delivered or failed leave pending; unknown stays counted."""
        key = (record.customer_id, record.resource_id)
        ledgers = self._ledgers.get(key)
        ledger = None if ledgers is None else ledgers.get(record.feature_id)
        if outcome is UsageOutcome.UNKNOWN and key in self.entries:
            if ledger is not None:
                ledger.mark_unknown(record.idempotency_key, self._monotonic())
            return
        # Unknown for a key nobody has cached: no refresh will come to settle it (a
        # later fetch brings the server's truth anyway), so it leaves like the rest.
        if outcome is UsageOutcome.DELIVERED and measurement is not None:
            self.apply_usage(measurement)  # the base first, then the item leaves pending
        if ledgers is not None and ledger is not None and ledger.remove(record.idempotency_key):
            if not ledger:
                del ledgers[record.feature_id]
                if not ledgers:
                    del self._ledgers[key]
            self._sync(key, record.feature_id, self.entries.get(key))

    def pending_usage(self, key: Key, feature_id: str, base: float = 0.0) -> float:
        """The pending amount of one entitlement over ``base`` (0 when nothing is in flight)."""
        ledger = self._ledgers.get(key, {}).get(feature_id)
        return 0.0 if ledger is None else ledger.pending(base)

    @property
    def pending_items(self) -> int:
        """Usage items in flight, over all entitlements."""
        return sum(len(ledger) for ledgers in self._ledgers.values() for ledger in ledgers.values())

    def _sync(self, key: Key, feature_id: str, snap: _Snapshot | None) -> None:
        """Write the pending amount into the cached check and drop its memoised answers."""
        if snap is None:
            return
        check = snap.checks.get(feature_id)
        if check is None:
            return
        ledger = self._ledgers.get(key, {}).get(feature_id)
        set_pending(check, 0.0 if ledger is None else ledger.pending(check.usage))

    # -- keys: recency, eviction, negative caching ---------------------------------

    def touch(self, key: Key, now: float) -> None:
        """Record a read of ``key`` (LRU order and idle clock)."""
        if key in self._lru:
            self._lru[key] = None
        self._last_used[key] = now

    def want(self, key: Key, now: float) -> None:
        """Remember that ``key`` is read but has no data (the poller will fetch it)."""
        if key not in self.entries:
            self._wanted.setdefault(key, now)

    def remove(self, key: Key) -> bool:
        """Drop ``key`` entirely; False if it was not cached."""
        if key in self._lru:
            del self._lru[key]
        return self._forget(key)

    def _evicted(self, key: Key) -> None:
        self._forget(key)
        self._on_evict(key)

    def _forget(self, key: Key) -> bool:
        snap = self.entries.pop(key, None)
        existed = snap is not None
        if snap is not None:
            self._live.remove(snap)
            self._retire(snap)
        ledgers = self._ledgers.get(key)
        if ledgers is not None:
            # Unknown outcomes wait for a refresh of this key, which will not come now;
            # items still in flight stay until their answer.
            for feature_id, ledger in list(ledgers.items()):
                ledger.drop_unknown()
                if not ledger:
                    del ledgers[feature_id]
            if not ledgers:
                del self._ledgers[key]
        self._last_used.pop(key, None)
        self._negative.pop(key, None)
        keys = self._by_customer.get(key[0])
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._by_customer[key[0]]
        return existed

    def keys_of(self, customer_id: str) -> list[Key]:
        """Every cached or wanted key of one customer (all resources)."""
        keys = set(self._by_customer.get(customer_id, ()))
        keys.update(k for k in self._wanted if k[0] == customer_id)
        return sorted(keys, key=lambda k: k[1] or "")

    def has_customer(self, customer_id: str) -> bool:
        """True when a key of ``customer_id`` is cached (O(1))."""
        return customer_id in self._by_customer

    def sweep(self, now: float, idle_timeout: float) -> tuple[list[Key], list[Key]]:
        """Fold read flags into the LRU; drop keys unread for ``idle_timeout``.

        Returns ``(keys in use, keys dropped)``; wanted keys (no data yet) are in use
        while they are still being read.
        """
        keep: list[Key] = []
        dropped: list[Key] = []
        for key, snapshot in list(self.entries.items()):
            hits = self._hits_of(snapshot)
            if snapshot.used or hits != snapshot.seen_hits:
                snapshot.used = False
                snapshot.seen_hits = hits
                self.touch(key, now)
                keep.append(key)
            elif now - self._last_used.get(key, now) > idle_timeout:
                self.remove(key)
                dropped.append(key)
            else:
                keep.append(key)
        for key, last in list(self._wanted.items()):
            if now - last > idle_timeout:
                del self._wanted[key]
            elif key not in self.entries:
                keep.append(key)
        return keep, dropped

    def may_fetch(self, key: Key, now: float) -> bool:
        """False while a recent failure for ``key`` is remembered."""
        return self._negative.get(key, -math.inf) <= now

    def forgive(self, key: Key) -> None:
        """Forget a remembered failure of ``key`` (an explicit refresh)."""
        self._negative.pop(key, None)

    def fail(self, keys: Iterable[Key], until: float, now: float) -> None:
        """Remember failures of ``keys`` until ``until``; keep data-less keys wanted."""
        for key in keys:
            self._negative[key] = until
            if key not in self.entries:
                self._wanted[key] = now

    def clear(self) -> None:
        """Forget every snapshot (on close); pending usage stays until it settles."""
        for snap in self.entries.values():
            self._live.remove(snap)
            self._retire(snap)
        self.entries.clear()
        self._last_used.clear()
        self._negative.clear()
        self._wanted.clear()
        self._by_customer.clear()
        # A new LRU rather than clear(): clear() pops items one by one through the
        # eviction hook and would count every key as evicted.
        self._lru = _EvictingLRU(self._max_entries, self._evicted)
