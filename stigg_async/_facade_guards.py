"""Argument checks in front of entitlement methods whose bodies live elsewhere.

``AsyncStigg`` lists this mixin before the entitlement methods, so these run first,
with the SDK's one validation (``_validation``), before anything is fetched or
started. Each then hands the checked arguments to the real method.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from stigg_async._cache import EntitlementListener, PrefetchSummary
from stigg_async._errors import StiggValidationError
from stigg_async._facade_entitlements import _EntitlementMethods
from stigg_async._validation import check_timeout

__all__ = ["_EntitlementGuards"]


class _EntitlementGuards(_EntitlementMethods):
    async def prefetch(
        self, customer_ids: Iterable[str] | Iterable[tuple[str, str | None]]
    ) -> PrefetchSummary:
        """Load many customers' entitlements in batched requests (warm-up).

        Items are customer ids or ``(customer_id, resource_id)`` pairs.

        Raises:
            StiggValidationError: ``customer_ids`` is not an iterable of such items
                (one string, a number, ``None`` or a mapping included).

        Example:
            >>> keys = ["customer-1", ("customer-2", "site-a")]
            >>> summary = await stigg.prefetch(keys)  # doctest: +SKIP
            >>> summary.loaded, summary.failed  # doctest: +SKIP
            (2, ())
        """
        if isinstance(customer_ids, (str, bytes, Mapping)) or not isinstance(
            customer_ids, Iterable
        ):
            raise StiggValidationError(
                "prefetch takes an iterable of customer ids or (customer_id, resource_id) "
                f"pairs, not {type(customer_ids).__name__}",
                field="customer_ids",
            )
        items: Any = list(customer_ids)  # an iterator is read once, here
        return await super().prefetch(items)

    async def wait_until_ready(self, timeout: float | None = None) -> bool:
        """Wait until the cache's first refresh succeeded; False on timeout.

        Raises:
            StiggValidationError: ``timeout`` is not ``None`` or a finite number >= 0.

        Example:
            >>> await stigg.wait_until_ready(timeout=5)  # doctest: +SKIP
            True
        """
        return await super().wait_until_ready(check_timeout(timeout))

    def add_entitlement_listener(self, callback: EntitlementListener) -> Callable[[], None]:
        """Call ``callback(change)`` when a cached customer's entitlements change.

        Raises:
            StiggValidationError: ``callback`` is not callable.

        Example:
            >>> remove = stigg.add_entitlement_listener(print)  # doctest: +SKIP
            >>> remove()  # doctest: +SKIP
        """
        if not callable(callback):
            raise StiggValidationError(
                f"callback must be callable, not {type(callback).__name__}", field="callback"
            )
        return super().add_entitlement_listener(callback)
