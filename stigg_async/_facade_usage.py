"""The facade's buffered usage methods: ``track_usage``, ``track_event``, ``track_credits``.

``AsyncStigg`` inherits them; the work is done by its :class:`UsagePipeline`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from stigg_async._facade_core import _FacadeCore
from stigg_async._types import UpdateBehavior
from stigg_async._usage import FlushReport, UsageStats
from stigg_async._validation import check_timeout

if TYPE_CHECKING:  # the enum is for annotations only: no model import at start-up
    from stigg_async._models import UsageUpdateBehavior

__all__ = ["_UsageMethods"]


class _UsageMethods(_FacadeCore):
    """Buffered usage reporting, mixed into ``AsyncStigg``."""

    def track_usage(
        self,
        customer_id: str,
        feature_id: str,
        value: float,
        *,
        update_behavior: UsageUpdateBehavior | UpdateBehavior = "DELTA",
        resource_id: str | None = None,
        dimensions: Mapping[str, str | int | float | bool] | None = None,
        idempotency_key: str | None = None,
        created_at: datetime | None = None,
    ) -> bool:
        """Queue a calculated-usage report; it is sent in a batch in the background.

        Costs about a microsecond and never waits. ``value`` is a change (``DELTA``,
        the default; negative for meters that go down) or the new total (``SET``,
        ``>= 0``; also accepts ``UsageUpdateBehavior.SET``). A key is minted unless you
        pass ``idempotency_key``; it is sent on every retry, so the report is counted
        once. Returns False (and counts it in ``usage_stats.dropped``) if the queue is
        full; use :meth:`track_usage_async` to wait for room instead.

        Raises:
            StiggValidationError: bad input; nothing was queued.
            StiggClientStateError: the client is closed.

        Example:
            >>> stigg.track_usage("customer-1", "feature-02-campaigns", 1)  # doctest: +SKIP
            True
            >>> stigg.track_usage(  # doctest: +SKIP
            ...     "customer-1", "feature-01-templates", 2, update_behavior="SET"
            ... )
            True
        """
        return self._usage.track_usage(
            customer_id,
            feature_id,
            value,
            update_behavior=update_behavior,
            resource_id=resource_id,
            dimensions=dimensions,
            idempotency_key=idempotency_key,
            created_at=created_at,
        )

    async def track_usage_async(
        self,
        customer_id: str,
        feature_id: str,
        value: float,
        *,
        update_behavior: UsageUpdateBehavior | UpdateBehavior = "DELTA",
        resource_id: str | None = None,
        dimensions: Mapping[str, str | int | float | bool] | None = None,
        idempotency_key: str | None = None,
        created_at: datetime | None = None,
    ) -> bool:
        """Like :meth:`track_usage`, but waits for room when the queue is full.

        With ``full_queue_policy="wait"`` (the default) it waits up to
        ``enqueue_timeout`` seconds; False means the item was still refused.

        Example:
            >>> await stigg.track_usage_async(  # doctest: +SKIP
            ...     "customer-1", "feature-02-campaigns", 1
            ... )
            True
        """
        return await self._usage.enqueue_usage(
            customer_id,
            feature_id,
            value,
            update_behavior=update_behavior,
            resource_id=resource_id,
            dimensions=dimensions,
            idempotency_key=idempotency_key,
            created_at=created_at,
        )

    def track_event(
        self,
        customer_id: str,
        event_name: str,
        *,
        dimensions: Mapping[str, str | int | float | bool] | None = None,
        resource_id: str | None = None,
        idempotency_key: str | None = None,
        timestamp: datetime | None = None,
    ) -> bool:
        """Queue a raw usage event; Stigg aggregates events into metered usage.

        Same contract as :meth:`track_usage`. ``dimensions`` is a flat mapping of
        names to str/int/float/bool; ``timestamp`` (timezone-aware) defaults to the
        time of this call.

        Example:
            >>> stigg.track_event(  # doctest: +SKIP
            ...     "customer-1", "user_login", dimensions={"user_id": "user-01"}
            ... )
            True
        """
        return self._usage.track_event(
            customer_id,
            event_name,
            resource_id=resource_id,
            dimensions=dimensions,
            idempotency_key=idempotency_key,
            timestamp=timestamp,
        )

    async def track_event_async(
        self,
        customer_id: str,
        event_name: str,
        *,
        dimensions: Mapping[str, str | int | float | bool] | None = None,
        resource_id: str | None = None,
        idempotency_key: str | None = None,
        timestamp: datetime | None = None,
    ) -> bool:
        """Like :meth:`track_event`, but waits for room when the queue is full.

        Example:
            >>> await stigg.track_event_async("customer-1", "user_login")  # doctest: +SKIP
            True
        """
        return await self._usage.enqueue_event(
            customer_id,
            event_name,
            resource_id=resource_id,
            dimensions=dimensions,
            idempotency_key=idempotency_key,
            timestamp=timestamp,
        )

    def track_credits(
        self,
        customer_id: str,
        currency_id: str,
        amount: float,
        *,
        resource_id: str | None = None,
        dimensions: Mapping[str, str | int | float | bool] | None = None,
        idempotency_key: str | None = None,
        created_at: datetime | None = None,
    ) -> bool:
        """Queue a credit consumption; it is sent in a batch through ``consumeCreditsAsync``.

        The buffered sibling of :meth:`consume_credits`: costs about a microsecond,
        never waits, and does not return the new balance. ``amount`` is a number of
        credits above 0. A key is minted unless you pass ``idempotency_key``; it is
        sent on every retry, so the consumption is applied once. Local credit checks
        (:meth:`get_credit_entitlement`) count it as pending from now on, and keep
        counting it after delivery until a refresh shows the new balance (the server
        applies asynchronous consumptions later). Delivery, retries, ``flush()``,
        ``on_error`` and ``usage_stats`` work as for :meth:`track_usage`. Returns False
        (and counts it in ``usage_stats.dropped``) if the queue is full.

        Raises:
            StiggValidationError: bad input; nothing was queued.
            StiggClientStateError: the client is closed.

        Example:
            >>> stigg.track_credits(  # doctest: +SKIP
            ...     "customer-1", "currency-ai-credits", 2,
            ...     dimensions={"featureId": "feature-08-ai-generations"},
            ... )
            True
        """
        return self._usage.track_credits(
            customer_id,
            currency_id,
            amount,
            resource_id=resource_id,
            dimensions=dimensions,
            idempotency_key=idempotency_key,
            created_at=created_at,
        )

    async def track_credits_async(
        self,
        customer_id: str,
        currency_id: str,
        amount: float,
        *,
        resource_id: str | None = None,
        dimensions: Mapping[str, str | int | float | bool] | None = None,
        idempotency_key: str | None = None,
        created_at: datetime | None = None,
    ) -> bool:
        """Like :meth:`track_credits`, but waits for room when the queue is full.

        Example:
            >>> await stigg.track_credits_async(  # doctest: +SKIP
            ...     "customer-1", "currency-ai-credits", 2
            ... )
            True
        """
        return await self._usage.enqueue_credits(
            customer_id,
            currency_id,
            amount,
            resource_id=resource_id,
            dimensions=dimensions,
            idempotency_key=idempotency_key,
            created_at=created_at,
        )

    async def flush(self, timeout: float | None = None) -> FlushReport:
        """Send everything tracked so far now, and wait for the outcome.

        Waits up to ``timeout`` seconds (``None``: no limit) and returns a
        :class:`FlushReport` on the items tracked before the call: how many were
        ``delivered``, ``failed`` (definitely not applied), ``may_have_landed``
        (answer lost; re-sending with their keys is safe) and are still ``pending``
        (kept and retried). Its truth value is ``delivered_all``.

        Raises:
            StiggValidationError: ``timeout`` is not ``None`` or a finite number >= 0.

        Example:
            >>> stigg.track_usage("customer-1", "feature-02-campaigns", 1)  # doctest: +SKIP
            True
            >>> report = await stigg.flush(timeout=5)  # doctest: +SKIP
            >>> (report.delivered, report.failed,  # doctest: +SKIP
            ...  report.may_have_landed, report.pending)
            (1, 0, 0, 0)
        """
        timeout = check_timeout(timeout)  # before opening anything
        await self._ensure_open()
        return await self._usage.flush(timeout)

    @property
    def usage_stats(self) -> UsageStats:
        """Counters of the usage pipeline (enqueued, sent, failed, may_have_landed, ...).

        ``delivery_problem`` says why delivery is held up, if it is (a rejected key).

        Example:
            >>> stigg.usage_stats.pending  # doctest: +SKIP
            0
        """
        return self._usage.stats
