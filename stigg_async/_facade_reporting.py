"""Facade methods that report usage and read entitlements over the network, awaited.

Every usage report carries an idempotency key minted once per logical call (per
item for bulk calls, per event for events) before the first attempt, so a retry
never counts twice. A key the caller passes wins. Acknowledged usage is written
into the entitlement cache so the next local check is right.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from stigg_async._facade_core import _FacadeCore, build_arguments, keywords
from stigg_async._models import (
    Entitlement,
    EntitlementsState,
    FetchEntitlementQuery,
    FetchEntitlementsQuery,
    ReportUsageBaseInput,
    ReportUsageInput,
    UsageEventReportInput,
    UsageMeasurement,
    UsageMeasurementCreateInput,
    UsageUpdateBehavior,
    build_input,
)
from stigg_async._types import UpdateBehavior
from stigg_async._usage._items import UsageRecord
from stigg_async._usage._keys import new_key

__all__ = ["_ReportingMethods"]

_UsageInput = ReportUsageInput | ReportUsageBaseInput | UsageMeasurementCreateInput


def _behavior(item: _UsageInput) -> str:
    behavior = item.update_behavior
    return str(getattr(behavior, "value", behavior) or "DELTA")


def _records(items: Sequence[_UsageInput], now: float) -> list[UsageRecord]:
    """The observer's view of awaited usage reports (the same type as buffered items)."""
    return [
        UsageRecord(
            customer_id=item.customer_id,
            feature_id=item.feature_id,
            value=item.value,
            update_behavior=str(
                getattr(item.update_behavior, "value", item.update_behavior) or "DELTA"
            ),
            resource_id=item.resource_id,
            dimensions=item.dimensions,
            created_at=item.created_at,
            idempotency_key=item.idempotency_key or "",
            tracked_at=now,
        )
        for item in items
    ]


class _ReportingMethods(_FacadeCore):
    async def report_usage(
        self,
        input: ReportUsageInput | Mapping[str, Any] | None = None,
        /,
        *,
        customer_id: str | None = None,
        feature_id: str | None = None,
        value: float | None = None,
        update_behavior: UsageUpdateBehavior | UpdateBehavior | None = None,
        resource_id: str | None = None,
        dimensions: Mapping[str, str | int | float | bool] | None = None,
        idempotency_key: str | None = None,
        created_at: datetime | None = None,
    ) -> UsageMeasurement:
        """Report calculated usage of a metered feature and wait for the acknowledgement.

        ``update_behavior`` is ``DELTA`` (default: add ``value``, negative for
        fluctuating meters) or ``SET`` (replace the current usage). The result carries
        the new ``current_usage`` and usage period. For high-volume reporting use the
        buffered :meth:`track_usage` instead.

        Example:
            >>> ack = await stigg.report_usage(  # doctest: +SKIP
            ...     customer_id="customer-1", feature_id="feature-02-campaigns", value=1
            ... )
            >>> ack.current_usage  # doctest: +SKIP
            1.0
        """
        op = "ReportUsage"
        model = self._input(ReportUsageInput, input, keywords(locals()), op)
        if model.idempotency_key is None:
            model = model.model_copy(update={"idempotency_key": new_key()})
        raw = await self._observed(
            op, {"input": model.to_variables()}, _records([model], self._clock.monotonic())
        )
        return self._result(UsageMeasurement, raw, op)

    async def report_usage_bulk(
        self, usages: Sequence[ReportUsageBaseInput | Mapping[str, Any]]
    ) -> list[UsageMeasurement]:
        """Report several usage measurements in one request (``reportUsageBulk``).

        Each item gets its own idempotency key unless it carries one.

        Example:
            >>> acks = await stigg.report_usage_bulk([  # doctest: +SKIP
            ...     {"customer_id": "customer-1", "feature_id": "feature-02-campaigns", "value": 2},
            ...     {"customer_id": "customer-2", "feature_id": "feature-01-templates",
            ...      "value": -1},
            ... ])
        """
        op = "ReportUsageBulk"
        items = self._inputs(ReportUsageBaseInput, usages, "usages", op)
        items = [
            i if i.idempotency_key else i.model_copy(update={"idempotency_key": new_key()})
            for i in items
        ]
        variables = {"input": {"usages": [i.to_variables() for i in items]}}
        raw = await self._observed(op, variables, _records(items, self._clock.monotonic()))
        if not isinstance(raw, list):
            from stigg_async._errors import StiggResponseError

            raise StiggResponseError(
                "reportUsageBulk did not return a list", operation=op, may_have_landed=True
            )
        return [self._result(UsageMeasurement, r, op) for r in raw]

    async def report_events(
        self, events: Sequence[UsageEventReportInput | Mapping[str, Any]]
    ) -> None:
        """Send raw usage events for Stigg's meters to aggregate (``reportEvent``).

        Each event gets its own idempotency key unless it carries one; Stigg drops an
        event whose key it has seen, so a retry never counts twice.

        Example:
            >>> await stigg.report_events([  # doctest: +SKIP
            ...     {"customer_id": "customer-1", "event_name": "user_login",
            ...      "dimensions": {"user_id": "user-7"}},
            ... ])
        """
        op = "ReportEvent"
        keyed = [
            {**e, "idempotency_key": new_key()}
            if isinstance(e, Mapping)
            and e.get("idempotency_key") is None
            and e.get("idempotencyKey") is None
            else e
            for e in self._sequence(events, "events", op)
        ]
        items = self._inputs(UsageEventReportInput, keyed, "events", op)
        await self._call(
            op,
            {"events": {"usageEvents": [i.to_variables() for i in items]}},
            keys=[i.idempotency_key for i in items],
        )

    async def create_usage_measurement(
        self,
        input: UsageMeasurementCreateInput | Mapping[str, Any] | None = None,
        /,
        *,
        customer_id: str | None = None,
        feature_id: str | None = None,
        value: float | None = None,
        update_behavior: UsageUpdateBehavior | UpdateBehavior | None = None,
        resource_id: str | None = None,
        dimensions: Mapping[str, str | int | float | bool] | None = None,
        idempotency_key: str | None = None,
        created_at: datetime | None = None,
    ) -> UsageMeasurement:
        """Report usage through the legacy ``createUsageMeasurement`` mutation.

        Same semantics and idempotency as :meth:`report_usage`, which is preferred.

        Example:
            >>> ack = await stigg.create_usage_measurement(  # doctest: +SKIP
            ...     customer_id="customer-1", feature_id="feature-02-campaigns", value=5
            ... )
        """
        op = "CreateUsageMeasurement"
        model = self._input(UsageMeasurementCreateInput, input, keywords(locals()), op)
        if model.idempotency_key is None:
            model = model.model_copy(update={"idempotency_key": new_key()})
        raw = await self._observed(
            op,
            {"usageMeasurement": model.to_variables()},
            _records([model], self._clock.monotonic()),
        )
        return self._result(UsageMeasurement, raw, op)

    async def fetch_entitlement(
        self,
        customer_id: str,
        feature_id: str,
        *,
        resource_id: str | None = None,
        requested_usage: float | None = None,
    ) -> Entitlement:
        """Ask the API to evaluate one entitlement (``entitlement`` query), bypassing the cache.

        Use :meth:`get_entitlement` on hot paths: it answers from memory.

        Example:
            >>> ent = await stigg.fetch_entitlement(  # doctest: +SKIP
            ...     "customer-1", "feature-01-templates", requested_usage=2
            ... )
            >>> ent.is_granted  # doctest: +SKIP
        """
        op = "GetEntitlement"
        fields: dict[str, Any] = {"customer_id": customer_id, "feature_id": feature_id}
        if resource_id is not None:
            fields["resource_id"] = resource_id
        if requested_usage is not None:
            fields["options"] = {"requested_usage": requested_usage}
        model = build_arguments(
            FetchEntitlementQuery, op, {"options.requested_usage": "requested_usage"}, **fields
        )
        raw = await self._call(op, {"query": model.to_variables()})
        return self._result(Entitlement, raw, op)

    async def fetch_entitlements_state(
        self, customer_id: str, *, resource_id: str | None = None
    ) -> EntitlementsState:
        """All of a customer's entitlements plus the customer-level denial reason, from the API.

        Example:
            >>> state = await stigg.fetch_entitlements_state("customer-1")  # doctest: +SKIP
            >>> state.access_denied_reason  # doctest: +SKIP
        """
        op = "GetEntitlementsState"
        fields: dict[str, Any] = {"customer_id": customer_id}
        if resource_id is not None:
            fields["resource_id"] = resource_id
        model = build_input(FetchEntitlementsQuery, operation=op, **fields)
        raw = await self._call(op, {"query": model.to_variables()})
        return self._result(EntitlementsState, raw, op)
