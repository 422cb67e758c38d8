"""Facade methods for usage history and entitlement-check analytics."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from stigg_async._analytics import report_document
from stigg_async._errors import StiggResponseError
from stigg_async._facade_core import _FacadeCore
from stigg_async._models import (
    CursorPaging,
    EntitlementCheckRequested,
    EntitlementCheckResult,
    UsageHistory,
    UsageHistoryInput,
    UsageHistoryV2,
    UsageHistoryV2Input,
    build_input,
)

__all__ = ["_UsageHistoryMethods"]


class _UsageHistoryMethods(_FacadeCore):
    async def get_usage_history(
        self,
        customer_id: str,
        feature_id: str,
        *,
        start_date: datetime,
        end_date: datetime | None = None,
        resource_id: str | None = None,
        group_by: Sequence[str] | None = None,
    ) -> UsageHistory:
        """A feature's usage over time (``usageHistory``), optionally per dimension values.

        Points are the usage level at each moment (hourly for ranges up to two days,
        else daily); ``markers`` show the periodic resets. With ``group_by`` (event
        dimensions) the points come per group in ``groups``.

        Example:
            >>> from datetime import datetime, timedelta, timezone
            >>> history = await stigg.get_usage_history(  # doctest: +SKIP
            ...     "customer-1", "feature-02-campaigns",
            ...     start_date=datetime.now(timezone.utc) - timedelta(days=7),
            ... )
            >>> [p.value for p in history.usage_measurements]  # doctest: +SKIP
        """
        op = "GetUsageHistory"
        model = build_input(
            UsageHistoryInput,
            operation=op,
            customer_ref_id=customer_id,
            feature_ref_id=feature_id,
            resource_ref_id=resource_id,
            start_date=start_date,
            end_date=end_date,
            group_by=None if group_by is None else self._sequence(group_by, "group_by", op),
        )
        raw = await self._call(op, model.as_operation_variables())
        return self._result(UsageHistory, raw, op)

    async def get_usage_history_v2(
        self,
        customer_id: str,
        feature_id: str,
        *,
        start_date: datetime,
        end_date: datetime | None = None,
        resource_id: str | None = None,
        group_by: Sequence[str] | None = None,
        include_inactive_subscriptions: bool | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> UsageHistoryV2:
        """A feature's usage over time as series, one per group (``usageHistoryV2``).

        Series are paged: ``first`` series ``after`` a cursor
        (``history.end_cursor``).

        Example:
            >>> from datetime import datetime, timezone
            >>> history = await stigg.get_usage_history_v2(  # doctest: +SKIP
            ...     "customer-1", "feature-07-active-users",
            ...     start_date=datetime(2026, 1, 1, tzinfo=timezone.utc), group_by=["region"],
            ... )
            >>> [s.tag_values for s in history.series]  # doctest: +SKIP
        """
        op = "GetUsageHistoryV2"
        paging = None
        if first is not None or after is not None:
            paging = build_input(CursorPaging, operation=op, first=first, after=after)
        model = build_input(
            UsageHistoryV2Input,
            operation=op,
            customer_id=customer_id,
            feature_id=feature_id,
            resource_id=resource_id,
            start_date=start_date,
            end_date=end_date,
            group_by=None if group_by is None else self._sequence(group_by, "group_by", op),
            include_inactive_subscriptions=include_inactive_subscriptions,
            paging=paging,
        )
        raw = await self._call(op, {"input": model.to_variables()})
        return self._result(UsageHistoryV2, raw, op)

    async def report_entitlement_check(
        self,
        customer_id: str,
        feature_id: str,
        result: EntitlementCheckResult | dict[str, Any],
        *,
        resource_id: str | None = None,
        requested_usage: float | None = None,
    ) -> bool:
        """Report one entitlement check to Stigg's analytics (``reportEntitlementCheckRequested``).

        Checks answered by the local cache never reach Stigg; this tells it about
        one. To report them all in the background, enable the ``analytics`` option
        instead. Not retried (a repeat would be counted twice).

        Example:
            >>> await stigg.report_entitlement_check(  # doctest: +SKIP
            ...     "customer-1", "feature-01-templates", {"has_access": True}
            ... )
            True
        """
        op = "ReportEntitlementCheckRequested"
        model = build_input(
            EntitlementCheckRequested,
            operation=op,
            customer_id=customer_id,
            feature_id=feature_id,
            resource_id=resource_id,
            requested_usage=requested_usage,
            entitlement_check_result=result,
        )
        raw = await self._call(op, model.as_operation_variables(), retry=False)
        if not isinstance(raw, bool):
            raise StiggResponseError(f"{op} did not return a boolean", operation=op)
        return raw

    async def _send_entitlement_checks(self, payloads: Sequence[Mapping[str, Any]]) -> None:
        """Send one batch of check reports as one aliased request (the analytics sender).

        Not retried: a batch whose outcome is unknown would be counted twice.
        """
        variables = {f"c{i}": dict(p) for i, p in enumerate(payloads)}
        await self._transport.execute_text(
            report_document(len(payloads)), variables, "ReportEntitlementChecks"
        )
