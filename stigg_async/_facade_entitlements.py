"""The facade's entitlement methods (mixed into ``AsyncStigg``).

``get_entitlement`` is the SDK's hot path. On an instance it is a function the store
binds (``_bind_fast_paths``): a warm check is one lookup in the store's live index
and a memoised answer. What that cannot answer comes back here (``_check_slow``):
the store's clock-checked fast path, then validation and the cache's slow path
(stale, miss, customer-level denial, usage period over, bad arguments). ``consume``
decides and tracks usage in one step, with no suspension point in between.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from stigg_async._cache import (
    EntitlementCache,
    EntitlementCacheStats,
    EntitlementCacheStatus,
    EntitlementListener,
    EntitlementResult,
    EntitlementsResult,
    PrefetchSummary,
)
from stigg_async._cache._credits import CreditEntitlementResult
from stigg_async._cache._fastpath import consume_queue_full
from stigg_async._cache._model import EntitlementSource
from stigg_async._clock import Clock
from stigg_async._errors import StiggValidationError
from stigg_async._facade_shared import consume_shared
from stigg_async._usage import UsagePipeline
from stigg_async._usage._items import UsageRecord
from stigg_async._usage._keys import new_key
from stigg_async._validation import check_amount, check_id

if TYPE_CHECKING:
    from stigg_async._redis._wiring import SharedCache

__all__ = ["_EntitlementMethods"]

_F = TypeVar("_F", bound=Callable[..., Any])

_FALLBACK = EntitlementSource.FALLBACK


def _check_id(value: Any, name: str, *, optional: bool = False) -> str | None:
    return check_id(value, name, optional=optional)


def _check_usage(value: Any) -> float | None:
    return check_amount(value, "requested_usage", minimum=0, optional=True)


def _check_amount(value: Any) -> float:
    amount = check_amount(value, "amount", minimum=0)
    if not amount:
        raise StiggValidationError("amount must be > 0", field="amount")
    return amount


def _tracks_usage(result: EntitlementResult) -> bool:
    """Whether a granted ``consume`` tracks usage: metered features, and fallbacks."""
    if result.source is _FALLBACK:
        return True  # unknown feature type: tracking keeps the usage (and the count)
    feature = result.feature
    return feature is not None and feature.is_metered


def _validated(
    customer_id: Any, feature_id: Any, resource_id: Any, requested_usage: Any
) -> tuple[str, str, str | None, float | None]:
    """The thorough argument check, run only when the cheap inline one objects."""
    customer = _check_id(customer_id, "customer_id")
    feature = _check_id(feature_id, "feature_id")
    assert customer is not None
    assert feature is not None
    return (
        customer,
        feature,
        _check_id(resource_id, "resource_id", optional=True),
        _check_usage(requested_usage),
    )


def _key(item: Any) -> tuple[str, str | None]:
    if isinstance(item, str):
        customer = _check_id(item, "customer_id")
        assert customer is not None
        return customer, None
    if isinstance(item, tuple) and len(item) == 2:
        customer = _check_id(item[0], "customer_id")
        assert customer is not None
        return customer, _check_id(item[1], "resource_id", optional=True)
    raise StiggValidationError(
        "prefetch takes customer ids or (customer_id, resource_id) pairs", field="customer_ids"
    )


def _as_method(function: _F, method: Callable[..., Any]) -> _F:
    """``function`` named and documented as ``method`` (for help() and reprs)."""
    function.__name__ = method.__name__
    function.__qualname__ = method.__qualname__
    function.__doc__ = method.__doc__
    return function


class _EntitlementMethods:
    """Entitlement checks answered locally from the cache (see ``docs/entitlements.md``)."""

    _entitlements: EntitlementCache
    _usage: UsagePipeline
    _clock: Clock
    _shared: SharedCache | None = None

    async def _ensure_open(self) -> None:
        # AsyncStigg provides the real one (opens the transport, starts the cache).
        self._entitlements.start()

    async def get_entitlement(
        self,
        customer_id: str,
        feature_id: str,
        *,
        resource_id: str | None = None,
        requested_usage: float | None = None,
    ) -> EntitlementResult:
        """Check whether a customer may use a feature, answered from the local cache.

        Never raises because the API is failing: the answer then comes from the last
        known data (``source`` ``STALE_CACHE``) or the fallback (``FALLBACK``). Raises
        :class:`StiggValidationError` for bad arguments.

        Usage this process tracked and the server has not acknowledged yet counts
        (``pending_usage``). To check and track in one step, so that concurrent
        requests cannot overrun a limit, use :meth:`consume`.

        Args:
            customer_id: the customer's id.
            feature_id: the feature's id (its ``refId``).
            resource_id: the resource, for resource-scoped subscriptions.
            requested_usage: units about to be used (default 0); a metered check is
                granted iff ``current_usage + pending_usage + requested_usage <=
                usage_limit``.

        Example:
            >>> result = await stigg.get_entitlement(  # doctest: +SKIP
            ...     "customer-1", "feature-02-campaigns", requested_usage=1
            ... )
            >>> if result.is_granted:  # doctest: +SKIP
            ...     send_campaign()
        """
        # An instance answers warm checks through the store's bound check (see
        # _bind_fast_paths), which comes here only for what it cannot answer.
        return await self._check_slow(customer_id, feature_id, resource_id, requested_usage)

    def _bind_fast_paths(self) -> None:
        """Expose the store's bound checks as this instance's check methods.

        The class methods stay the documented ones; on an instance the store's
        functions (same signatures) shadow them, so a warm check is one call. Call
        once, after the cache exists.
        """
        store = self._entitlements.store
        # Instance attributes shadowing the methods: mypy sees the declared methods.
        self.get_entitlement = _as_method(  # type: ignore[method-assign,assignment]
            store.bind_check(self._check_slow), _EntitlementMethods.get_entitlement
        )
        self.peek_entitlement = _as_method(  # type: ignore[method-assign]
            store.bind_peek(self._peek_slow), _EntitlementMethods.peek_entitlement
        )

    async def _check_slow(
        self, customer_id: Any, feature_id: Any, resource_id: Any, requested_usage: Any
    ) -> EntitlementResult:
        # The fast path validates nothing up front: a key or feature id can only be
        # found if it was valid when cached, and an unhashable argument raises
        # TypeError there, which sends the call to the full validation below.
        try:
            result = self._entitlements.store.fast_check(
                customer_id, feature_id, resource_id, requested_usage
            )
        except TypeError:
            result = None
        if result is not None:
            return result
        customer_id, feature_id, resource_id, requested_usage = _validated(
            customer_id, feature_id, resource_id, requested_usage
        )
        cache = self._entitlements
        if not cache.is_started:
            await self._ensure_open()
        return await cache.get(customer_id, feature_id, resource_id, requested_usage)

    async def consume(
        self,
        customer_id: str,
        feature_id: str,
        amount: float = 1,
        *,
        resource_id: str | None = None,
    ) -> EntitlementResult:
        """Check and, only if granted, track ``amount`` of usage, as one atomic step.

        The way to enforce a hard limit: the decision and the tracking happen with
        no suspension point between them, so within this process concurrent callers
        can never be granted more than the limit, even before the usage reaches
        Stigg (it is buffered and delivered like :meth:`track_usage`). A granted
        answer carries the tracked item's ``idempotency_key``; a denied one tracks
        nothing. Features without a meter (booleans, plain values) are only checked.

        Raises:
            StiggValidationError: bad arguments (``amount`` must be a finite number > 0).
            StiggQueueFullError: the usage queue is full; nothing was tracked.

        Example:
            >>> feature = "feature-02-campaigns"
            >>> decision = await stigg.consume("customer-1", feature)  # doctest: +SKIP
            >>> if not decision.is_granted:  # doctest: +SKIP
            ...     raise PaymentRequired(decision.access_denied_reason)
        """
        # Without a shared tier an instance decides warm calls through the store's
        # bound consume (see _bind_consume), which comes here for the rest.
        return await self._consume_full(customer_id, feature_id, amount, resource_id)

    def _bind_consume(self) -> None:
        """Expose the store's bound consume over the current usage pipeline.

        Call after every new pipeline (``consume`` queues into it). With a shared tier
        the fleet must hear of every consumed item, so ``consume`` stays the full path.
        """
        if self._shared is None:
            self.consume = _as_method(  # type: ignore[method-assign,assignment]
                self._entitlements.store.bind_consume(
                    self._usage.enqueue_counted, self._consume_full
                ),
                _EntitlementMethods.consume,
            )

    async def _consume_full(
        self, customer_id: Any, feature_id: Any, amount: Any, resource_id: Any
    ) -> EntitlementResult:
        shared = self._shared
        if shared is not None and shared.healthy:
            customer_id, feature_id, resource_id, _ = _validated(
                customer_id, feature_id, resource_id, None
            )
            amount = _check_amount(amount)
            fleet = await consume_shared(
                self,
                shared,
                customer=customer_id,
                feature=feature_id,
                resource=resource_id,
                amount=amount,
            )
            if fleet is not None:
                return fleet
            # Redis failed or knows nothing: decide in this process (exact here only).
        # As in get_entitlement, the fast path comes first: it answers only keys and
        # features that were valid when cached and amounts within the API's range;
        # "> 0" is the one rule it does not apply. Anything else is validated in full.
        cache = self._entitlements
        result = None
        kind = type(amount)
        if (kind is int or kind is float) and amount > 0:
            try:
                result = cache.store.fast_check(customer_id, feature_id, resource_id, amount)
            except TypeError:
                result = None
        if result is None:
            customer_id, feature_id, resource_id, _ = _validated(
                customer_id, feature_id, resource_id, None
            )
            amount = _check_amount(amount)
            if not cache.is_started:
                await self._ensure_open()
            result = await cache.get(customer_id, feature_id, resource_id, amount)
        # From here to the return: no await, so no other task can decide in between.
        if not result.is_granted or not _tracks_usage(result):
            return result
        # Built directly, not through make_usage: every field was validated above
        # (ids by the cache they were found in or by _validated, the amount by the
        # fast path's range check or _check_amount) and the key is ours.
        record = UsageRecord(
            customer_id,
            feature_id,
            amount,
            "DELTA",
            resource_id,
            None,
            None,
            new_key(),
            self._clock.monotonic(),
        )
        if not self._usage.track_usage_record(record):
            raise consume_queue_full()
        return result.with_idempotency_key(record.idempotency_key)

    async def get_credit_entitlement(
        self,
        customer_id: str,
        currency_id: str,
        *,
        resource_id: str | None = None,
        requested_amount: float | None = None,
    ) -> CreditEntitlementResult:
        """Check whether a customer may spend credits of a currency, from the local cache.

        Credit entitlements are cached beside feature entitlements (one fetch brings
        both). Credits this process consumed with :meth:`consume_credits` and the
        server has not acknowledged yet count against the balance. Never raises
        because the API is failing (the answer is then a denial with reason
        ``Unknown``, ``source`` ``FALLBACK``).

        Example:
            >>> check = await stigg.get_credit_entitlement(  # doctest: +SKIP
            ...     "customer-1", "currency-ai-credits", requested_amount=5
            ... )
            >>> check.is_granted, check.balance  # doctest: +SKIP
            (True, 70.0)
        """
        customer, currency, resource, _ = _validated(customer_id, currency_id, resource_id, None)
        requested = _check_usage(requested_amount) or 0.0
        cache = self._entitlements
        if not cache.is_started:
            await self._ensure_open()
        return await cache.get_credit(customer, currency, resource, requested)

    def peek_entitlement(
        self,
        customer_id: str,
        feature_id: str,
        *,
        resource_id: str | None = None,
        requested_usage: float | None = None,
    ) -> EntitlementResult:
        """Like :meth:`get_entitlement`, but never waits: cache or fallback only.

        Usable from synchronous code. On a miss (or stale data) it answers from the
        fallback (or the stale data) at once and fetches in the background, so a
        later check finds the data.

        Example:
            >>> feature = "feature-03-custom-domain"
            >>> result = stigg.peek_entitlement("customer-1", feature)  # doctest: +SKIP
            >>> result.is_granted  # doctest: +SKIP
            True
        """
        return self._peek_slow(customer_id, feature_id, resource_id, requested_usage)

    def _peek_slow(
        self, customer_id: Any, feature_id: Any, resource_id: Any, requested_usage: Any
    ) -> EntitlementResult:
        try:
            result = self._entitlements.store.fast_check(
                customer_id, feature_id, resource_id, requested_usage
            )
        except TypeError:
            result = None
        if result is not None:
            return result
        customer, feature, resource, usage = _validated(
            customer_id, feature_id, resource_id, requested_usage
        )
        return self._entitlements.peek(customer, feature, resource, usage)

    async def get_entitlements(
        self, customer_id: str, *, resource_id: str | None = None
    ) -> EntitlementsResult:
        """Every entitlement of a customer, evaluated locally with no requested usage.

        Example:
            >>> everything = await stigg.get_entitlements("customer-1")  # doctest: +SKIP
            >>> everything["feature-01-templates"].usage_limit  # doctest: +SKIP
            5.0
        """
        customer = _check_id(customer_id, "customer_id")
        resource = _check_id(resource_id, "resource_id", optional=True)
        assert customer is not None
        if not self._entitlements.is_started:
            await self._ensure_open()
        return await self._entitlements.get_all(customer, resource)

    async def refresh_entitlements(
        self, customer_id: str, *, resource_id: str | None = None
    ) -> EntitlementsResult:
        """Fetch a customer's entitlements from the API now, bypassing freshness.

        Never raises for API failures; look at ``source`` (``NETWORK`` on success).

        Example:
            >>> (await stigg.refresh_entitlements("customer-1")).source  # doctest: +SKIP
            <EntitlementSource.NETWORK: 'network'>
        """
        customer = _check_id(customer_id, "customer_id")
        resource = _check_id(resource_id, "resource_id", optional=True)
        assert customer is not None
        if not self._entitlements.is_started:
            await self._ensure_open()
        return await self._entitlements.refresh(customer, resource)

    async def prefetch(
        self, customer_ids: Iterable[str] | Iterable[tuple[str, str | None]]
    ) -> PrefetchSummary:
        """Load many customers' entitlements in batched requests (warm-up).

        Items are customer ids or ``(customer_id, resource_id)`` pairs.

        Example:
            >>> keys = ["customer-1", ("customer-2", "site-a")]
            >>> summary = await stigg.prefetch(keys)  # doctest: +SKIP
            >>> summary.loaded, summary.failed  # doctest: +SKIP
            (2, ())
        """
        if isinstance(customer_ids, str):
            raise StiggValidationError(
                "prefetch takes an iterable of customer ids, not one string",
                field="customer_ids",
            )
        keys = [_key(item) for item in customer_ids]
        if not self._entitlements.is_started:
            await self._ensure_open()
        return await self._entitlements.prefetch(keys)

    async def wait_until_ready(self, timeout: float | None = None) -> bool:
        """Wait until the cache's first refresh succeeded; False on timeout (never raises).

        Example:
            >>> await stigg.prefetch(["customer-1"])  # doctest: +SKIP
            >>> await stigg.wait_until_ready(timeout=5)  # doctest: +SKIP
            True
        """
        if timeout is not None and (
            isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout < 0
        ):
            raise StiggValidationError("timeout must be a number >= 0 or None", field="timeout")
        if not self._entitlements.is_started:
            await self._ensure_open()
        return await self._entitlements.wait_until_ready(timeout)

    @property
    def entitlement_status(self) -> EntitlementCacheStatus:
        """The cache's health: state (initializing/valid/interrupted/closed), why, since when.

        Example:
            >>> stigg.entitlement_status.state  # doctest: +SKIP
            <CacheState.VALID: 'valid'>
        """
        return self._entitlements.status

    @property
    def entitlement_stats(self) -> EntitlementCacheStats:
        """Counters: hits, stale hits, misses, fallbacks, requests, batch sizes...

        Example:
            >>> stigg.entitlement_stats.hits  # doctest: +SKIP
            1042
        """
        return self._entitlements.stats

    def add_entitlement_listener(self, callback: EntitlementListener) -> Callable[[], None]:
        """Call ``callback(change)`` when a cached customer's entitlements change.

        ``change`` is an :class:`EntitlementsChange` (customer, resource, feature ids,
        cause ``"refresh"`` or ``"usage"``). The callback may be a coroutine function;
        exceptions it raises are logged and ignored. Returns a function that removes it.

        Example:
            >>> def on_change(change):
            ...     print(change.customer_id, sorted(change.feature_ids))
            >>> remove = stigg.add_entitlement_listener(on_change)  # doctest: +SKIP
            >>> remove()  # doctest: +SKIP
        """
        return self._entitlements.add_listener(callback)
