"""The fast paths: warm checks and ``consume`` answered from the store's data.

The store binds these once (``EntitlementStore.fast_check`` and the ``bind_*``
methods). They read the live index (``stigg_async._cache._live``) first: a hit there
needs no clock. ``fast_check`` also answers snapshots that are not indexed, reading
the clock. Whatever they cannot answer goes to the caller's slow path.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from stigg_async._cache._evaluator import NO_MEMO, answer_fresh
from stigg_async._cache._live import LiveKey
from stigg_async._cache._model import EntitlementResult, EntitlementSource, _Check, _Snapshot
from stigg_async._errors import StiggQueueFullError
from stigg_async._usage._items import UsageRecord
from stigg_async._usage._keys import new_key
from stigg_async._validation import MAX_AMOUNT

__all__ = [
    "AsyncCheck",
    "AsyncConsume",
    "CountDelta",
    "FastCheck",
    "SlowCheck",
    "SlowConsume",
    "SlowPeek",
    "SyncCheck",
    "answer",
    "bind_check",
    "bind_consume",
    "bind_peek",
    "consume_queue_full",
    "make_fast_path",
    "miss",
    "set_pending",
]

#: ``fast_check(customer_id, feature_id, resource_id, requested_usage)``: the answer
#: of a warm check, or ``None`` when the slow path must answer (miss, stale, period
#: over, feature absent, bad ``requested_usage``). May raise ``TypeError`` for
#: unhashable arguments; the caller then validates them.
FastCheck = Callable[[Any, Any, Any, Any], "EntitlementResult | None"]

#: The async check a facade binds (``get_entitlement``'s signature); ``SlowCheck``
#: answers what the live index cannot: ``slow(customer_id, feature_id, resource_id,
#: requested_usage)``.
AsyncCheck = Callable[..., Awaitable[EntitlementResult]]
SlowCheck = Callable[[Any, Any, Any, Any], Awaitable[EntitlementResult]]
#: The same for ``peek_entitlement``.
SyncCheck = Callable[..., EntitlementResult]
SlowPeek = Callable[[Any, Any, Any, Any], EntitlementResult]
#: ``consume`` as a facade exposes it, and its full path ``slow(customer_id,
#: feature_id, amount, resource_id)``: see ``bind_consume``.
AsyncConsume = Callable[..., Awaitable[EntitlementResult]]
SlowConsume = Callable[[Any, Any, Any, Any], Awaitable[EntitlementResult]]

# Past the API's range a requested usage goes to validation (and fails) instead.
_MAX = MAX_AMOUNT
_DELTA = "DELTA"
_FRESH = EntitlementSource.FRESH_CACHE
_new_tuple = tuple.__new__


def miss(_c: Any, _f: Any, _r: Any, _u: Any) -> EntitlementResult | None:
    """A fast path that answers nothing (a parked store's)."""
    return None


def make_fast_path(
    live: dict[LiveKey, _Check],
    entries: dict[tuple[str, str | None], _Snapshot],
    monotonic: Callable[[], float],
) -> FastCheck:
    """The warm check: the live index (no clock), else the snapshot and a clock read."""
    live_get = live.get
    get = entries.get

    def fast_check(
        customer_id: Any, feature_id: Any, resource_id: Any, requested_usage: Any
    ) -> EntitlementResult | None:
        check = live_get((customer_id, resource_id, feature_id))
        if check is None:
            # Not indexed (no timer to retire it, or checks are observed): the
            # snapshot is fresh and its period lasts only if the clock says so.
            snap = get((customer_id, resource_id))
            if snap is None:
                return None
            now = monotonic()
            if now >= snap.fresh_until:
                return None
            check = snap.checks.get(feature_id)
            if check is None or now >= check.reset_at:
                return None
        return answer(check, requested_usage)

    return fast_check


def set_pending(check: _Check, pending: float) -> None:
    """Write a new pending amount into ``check``; its prebuilt answers are void now."""
    check.pending = pending
    check.total = check.usage + pending
    check.result = None
    check.memo = NO_MEMO


def answer(check: _Check, requested_usage: Any) -> EntitlementResult | None:
    """A fresh check's answer for ``requested_usage``, or None if that needs validation."""
    if requested_usage is None:
        result = check.result
        if result is None:
            result = answer_fresh(check, None)
        check.hits += 1
        return result
    # Exact type test: bool is an int subclass and True would hit the memoised
    # answer for 1; it must go to validation (and fail) instead.
    kind = type(requested_usage)
    if kind is float or kind is int:
        result = check.memo.get(requested_usage)
        if result is None:
            if not 0.0 <= requested_usage <= _MAX:
                return None
            result = answer_fresh(check, requested_usage)
        check.hits += 1
        return result
    return None


def consume_queue_full() -> StiggQueueFullError:
    """What ``consume`` raises when the usage queue refused its item (nothing tracked)."""
    return StiggQueueFullError(
        "the usage queue is full: nothing was consumed (raise "
        "UsagePipelineOptions.max_queue_size, or retry shortly)",
        operation="consume",
    )


#: ``count(customer_id, resource_id, feature_id, key, amount, check)``: count a
#: freshly minted ``DELTA`` item as pending (the store's ledger and the check).
CountDelta = Callable[[str, "str | None", str, str, float, _Check], None]


def bind_check(live: dict[LiveKey, _Check], slow: SlowCheck) -> AsyncCheck:
    """The awaited check, answered from the live index, else by ``slow``.

    A facade exposes the returned function as its ``get_entitlement``: a warm
    check with a memoised answer is one dict lookup, a hit count and a memo
    lookup, with no clock read and no further call.
    """
    live_get = live.get

    async def get_entitlement(
        customer_id: str,
        feature_id: str,
        *,
        resource_id: str | None = None,
        requested_usage: float | None = None,
    ) -> EntitlementResult:
        try:
            check = live_get((customer_id, resource_id, feature_id))
        except TypeError:  # unhashable: the slow path validates (and refuses) it
            check = None
        if check is not None:
            kind = type(requested_usage)
            if kind is int or kind is float:
                result = check.memo.get(requested_usage)  # type: ignore[arg-type]
                if result is not None:
                    check.hits += 1
                    return result
            # None, a new amount (built and memoised), or one to validate.
            result = answer(check, requested_usage)
            if result is not None:
                return result
        return await slow(customer_id, feature_id, resource_id, requested_usage)

    return get_entitlement


def bind_peek(live: dict[LiveKey, _Check], slow: SlowPeek) -> SyncCheck:
    """The synchronous check, answered from the live index, else by ``slow``."""
    # The lookup is written out here as in bind_check, not shared: a helper would
    # cost a Python call on every check (about a fifth of a warm check).
    live_get = live.get

    def peek_entitlement(
        customer_id: str,
        feature_id: str,
        *,
        resource_id: str | None = None,
        requested_usage: float | None = None,
    ) -> EntitlementResult:
        try:
            check = live_get((customer_id, resource_id, feature_id))
        except TypeError:
            check = None
        if check is not None:
            result = answer(check, requested_usage)
            if result is not None:
                return result
        return slow(customer_id, feature_id, resource_id, requested_usage)

    return peek_entitlement


def bind_consume(
    live: dict[LiveKey, _Check],
    monotonic: Callable[[], float],
    count: CountDelta,
    track: Callable[[UsageRecord], bool],
    slow: SlowConsume,
) -> AsyncConsume:
    """``consume`` over the live index: decide and, if granted, count and queue.

    A facade without a shared tier exposes the returned function as its
    ``consume``. ``count`` adds a freshly minted item to the store's pending usage.
    ``track`` queues a record whose pending amount the store counts
    itself (it must not tell the store again) and returns False when the queue
    is full: :class:`StiggQueueFullError` is then raised and nothing is counted.
    What the live index cannot decide (a cold or stale key, a bad amount) goes to
    ``slow(customer_id, feature_id, amount, resource_id)``.
    """
    live_get = live.get

    async def consume(
        customer_id: str,
        feature_id: str,
        amount: float = 1,
        *,
        resource_id: str | None = None,
    ) -> EntitlementResult:
        kind = type(amount)
        if (kind is int or kind is float) and 0 < amount <= _MAX:
            try:
                check = live_get((customer_id, resource_id, feature_id))
            except TypeError:  # unhashable: the full path validates (and refuses) it
                check = None
            if check is not None:
                limit = check.limit if check.metered else None
                granted = check.granted if limit is None else check.total + amount <= limit
                if not granted or not check.tracks:
                    result = answer(check, amount)  # nothing to track: the plain answer
                    if result is not None:
                        return result
                else:
                    key = new_key()
                    # Built directly: the ids were valid when cached, the amount is
                    # checked, the key is ours.
                    record: UsageRecord = _new_tuple(
                        UsageRecord,
                        (
                            customer_id,
                            feature_id,
                            amount,
                            _DELTA,
                            resource_id,
                            None,
                            None,
                            key,
                            monotonic(),
                        ),
                    )
                    if not track(record):
                        raise consume_queue_full()
                    # The decision as made: pending before this item, which it carries.
                    result = _new_tuple(
                        EntitlementResult,
                        (
                            check.ent,
                            True,
                            None,
                            amount,
                            check.usage,
                            _FRESH,
                            check.snapshot,
                            feature_id,
                            check.pending,
                            key,
                        ),
                    )
                    check.hits += 1
                    count(customer_id, resource_id, feature_id, key, amount, check)
                    return result
        return await slow(customer_id, feature_id, amount, resource_id)

    return consume
