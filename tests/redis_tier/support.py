"""Helpers for the shared-tier tests: entitlement states in the API's shapes, a sink.

``StoreSinkRecorder`` plays the cache's side of the data-source interface (it is
what the tier talks to, not a stand-in for Redis): it keeps what it was fed and, on
``refresh_keys``, fetches through a given function and hands the answers to the tier as
the cache does (``RedisTier.note_fetched``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

from stigg_async._cache._source import Key, SourceState
from stigg_async._clock import Clock
from stigg_async._redis._tier import RedisTier
from tests.cache.fakes import entitlement


def metered_state(
    customer_id: str,
    *,
    limit: float,
    usage: float = 0,
    feature_id: str = "feature-02-campaigns",
    **extra: Any,
) -> dict[str, Any]:
    """An ``entitlementsState`` with one metered (incremental) entitlement."""
    ent = entitlement(
        feature_id,
        feature_type="NUMBER",
        meter_type="Incremental",
        usage_limit=limit,
        current_usage=usage,
        customer_id=customer_id,
        **extra,
    )
    boolean = entitlement("feature-03-custom-domain", customer_id=customer_id)
    return {"accessDeniedReason": None, "entitlements": [ent, boolean]}


class StoreSinkRecorder:
    """A StoreSink that records states and usage changes, keyed like the store."""

    def __init__(
        self,
        clock: Clock,
        keys: Iterable[Key] = (),
        fetch: Callable[[Key], Awaitable[Mapping[str, Any] | None]] | None = None,
        tier: RedisTier | None = None,
    ) -> None:
        self.clock = clock
        self.wanted: list[Key] = list(keys)
        self.states: dict[Key, Mapping[str, Any]] = {}
        self.started: dict[Key, float] = {}
        self.usage: list[Mapping[str, Any]] = []
        self.stale: list[Key] = []
        self.refreshed: list[list[Key]] = []
        self.fetch = fetch
        self.tier = tier

    def keys_in_use(self) -> list[Key]:
        return list(dict.fromkeys([*self.wanted, *self.states]))

    def has_customer(self, customer_id: str) -> bool:
        return any(k[0] == customer_id for k in self.keys_in_use())

    def keys_of(self, customer_id: str) -> list[Key]:
        return [k for k in self.keys_in_use() if k[0] == customer_id]

    def upsert_state(self, key: Key, raw: Mapping[str, Any], *, started: float) -> bool:
        self.states[key] = raw
        self.started[key] = started
        return True

    def apply_usage(self, change: Mapping[str, Any]) -> bool:
        self.usage.append(change)
        return True

    def mark_stale(self, keys: Iterable[Key]) -> None:
        self.stale.extend(keys)

    async def refresh_keys(self, keys: Sequence[Key]) -> None:
        self.refreshed.append(list(keys))
        if self.fetch is None:
            return
        for key in keys:
            started = self.clock.monotonic()
            raw = await self.fetch(key)
            if raw is not None:
                self.upsert_state(key, raw, started=started)
                if self.tier is not None:
                    self.tier.note_fetched(key, raw, started)


class StatusRecorder:
    """A StatusSink keeping every report."""

    def __init__(self) -> None:
        self.reports: list[tuple[str, SourceState, BaseException | None, str | None]] = []

    def report(
        self,
        source: str,
        state: SourceState,
        *,
        error: BaseException | None = None,
        reason: str | None = None,
    ) -> None:
        self.reports.append((source, state, error, reason))

    @property
    def last(self) -> SourceState | None:
        return self.reports[-1][1] if self.reports else None
