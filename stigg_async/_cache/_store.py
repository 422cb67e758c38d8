"""Where snapshots live: a plain dict for reads, cachetools for the LRU bound.

The check path reads ``entries`` (a plain dict: ~0.05 µs per lookup) and never
touches the LRU order; reads only set ``snapshot.used``. The poller turns those
flags into LRU touches once per cycle, so recency costs nothing per check.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from cachetools import LRUCache

from stigg_async._cache._model import _Snapshot

__all__ = ["Key", "_Store"]

Key = tuple[str, "str | None"]


class _EvictingLRU(LRUCache[Key, None]):
    """An ``LRUCache`` of keys only that reports what it evicts."""

    def __init__(self, maxsize: int, on_evict: Callable[[Key], None]) -> None:
        super().__init__(maxsize)
        self._on_evict = on_evict

    def popitem(self) -> tuple[Key, None]:
        key, value = super().popitem()
        self._on_evict(key)
        return key, value


class _Store:
    """Snapshots by key, bounded to ``max_entries`` keys with LRU eviction.

    Also remembers, per key: when it was last read (for the idle sweep), until when a
    failed fetch blocks new fetches from checks (negative caching), and which keys
    have no data yet but are wanted (the poller retries them).
    """

    def __init__(self, max_entries: int, on_evict: Callable[[Key], None]) -> None:
        self.entries: dict[Key, _Snapshot] = {}
        self.last_used: dict[Key, float] = {}
        self.negative: dict[Key, float] = {}
        self.pending: dict[Key, float] = {}  # wanted keys with no data -> last read
        self._by_customer: dict[str, set[Key]] = {}
        self._max_entries = max_entries
        self._lru = _EvictingLRU(max_entries, self._evicted)
        self._on_evict = on_evict

    def __len__(self) -> int:
        return len(self.entries)

    def put(self, key: Key, snapshot: _Snapshot, now: float) -> None:
        """Store ``snapshot`` as the newest data for ``key`` (may evict the LRU key)."""
        self.entries[key] = snapshot
        self.negative.pop(key, None)
        self.pending.pop(key, None)
        self.last_used.setdefault(key, now)
        self._by_customer.setdefault(key[0], set()).add(key)
        self._lru[key] = None  # touch (and evict beyond max_entries)

    def touch(self, key: Key, now: float) -> None:
        """Record a read of ``key`` (LRU order and idle clock)."""
        if key in self._lru:
            self._lru[key] = None
        self.last_used[key] = now

    def remove(self, key: Key) -> bool:
        """Drop ``key`` entirely; False if it was not cached."""
        if key in self._lru:
            del self._lru[key]
        return self._forget(key)

    def _evicted(self, key: Key) -> None:
        self._forget(key)
        self._on_evict(key)

    def _forget(self, key: Key) -> bool:
        existed = self.entries.pop(key, None) is not None
        self.last_used.pop(key, None)
        self.negative.pop(key, None)
        keys = self._by_customer.get(key[0])
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._by_customer[key[0]]
        return existed

    def keys_of(self, customer_id: str) -> set[Key]:
        """Every cached key of one customer (all resources)."""
        return set(self._by_customer.get(customer_id, ()))

    def sweep(self, now: float, idle_timeout: float) -> tuple[list[Key], list[Key]]:
        """Fold read flags into the LRU; drop keys unread for ``idle_timeout``.

        Returns ``(keys to refresh, keys dropped)``; pending keys (wanted, no data)
        are included in the refresh list while they are still being read.
        """
        keep: list[Key] = []
        dropped: list[Key] = []
        for key, snapshot in list(self.entries.items()):
            if snapshot.used:
                snapshot.used = False
                self.touch(key, now)
                keep.append(key)
            elif now - self.last_used.get(key, now) > idle_timeout:
                self.remove(key)
                dropped.append(key)
            else:
                keep.append(key)
        for key, last in list(self.pending.items()):
            if now - last > idle_timeout:
                del self.pending[key]
            elif key not in self.entries:
                keep.append(key)
        return keep, dropped

    def may_fetch(self, key: Key, now: float) -> bool:
        """False while a recent failure for ``key`` is remembered."""
        return self.negative.get(key, -math.inf) <= now

    def fail(self, keys: Iterable[Key], until: float, now: float) -> None:
        """Remember failures of ``keys`` until ``until``; keep data-less keys wanted."""
        for key in keys:
            self.negative[key] = until
            if key not in self.entries:
                self.pending[key] = now

    def clear(self) -> None:
        """Forget everything (on close)."""
        self.entries.clear()
        self.last_used.clear()
        self.negative.clear()
        self.pending.clear()
        self._by_customer.clear()
        # A new LRU rather than clear(): clear() pops items one by one through the
        # eviction hook and would count every key as evicted.
        self._lru = _EvictingLRU(self._max_entries, self._evicted)
