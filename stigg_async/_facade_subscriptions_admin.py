"""Facade methods for subscriptions at full breadth: list, previews, apply, transfer, schedules."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from stigg_async._errors import StiggResponseError
from stigg_async._facade_core import _FacadeCore, keywords
from stigg_async._models import (
    AppliedSubscription,
    ApplySubscriptionInput,
    BillableFeatureInput,
    BillingPeriod,
    CursorPaging,
    DelegatedSubscription,
    DelegateSubscriptionToCustomerInput,
    NextInvoicePreview,
    PreviewNextInvoiceInput,
    PreviewSubscriptionInput,
    ScheduleStrategy,
    Subscription,
    SubscriptionAddonInput,
    SubscriptionPage,
    SubscriptionPreviewV2,
    SubscriptionQueryFilter,
    SubscriptionQuerySort,
    SubscriptionScheduleStatus,
    SubscriptionUpdateScheduleCancellationInput,
    TransferSubscriptionInput,
    TransferSubscriptionToResourceInput,
    build_input,
)
from stigg_async._paging import DEFAULT_PAGE_SIZE, check_page_size, follow_cursors

__all__ = ["_SubscriptionAdminMethods"]

_Addons = Sequence[SubscriptionAddonInput | Mapping[str, Any]]
_Billables = Sequence[BillableFeatureInput | Mapping[str, Any]]
_Filter = SubscriptionQueryFilter | Mapping[str, Any]
_Sorting = Sequence[SubscriptionQuerySort | Mapping[str, Any]]


class _SubscriptionAdminMethods(_FacadeCore):
    async def get_subscriptions(
        self,
        *,
        filter: _Filter | None = None,
        sorting: _Sorting | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> SubscriptionPage:
        """One page of subscriptions across customers (``subscriptions``).

        ``filter`` is a :class:`SubscriptionQueryFilter` (or its fields as a mapping),
        e.g. ``{"status": {"eq": "ACTIVE"}, "plan": {"ref_id": {"eq": "plan-x"}}}``;
        ``sorting`` a list of ``{"field": "createdAt", "direction": "DESC"}``.

        Example:
            >>> page = await stigg.get_subscriptions(  # doctest: +SKIP
            ...     filter={"status": {"eq": "ACTIVE"}}, first=50
            ... )
            >>> [s.ref_id for s in page.items]  # doctest: +SKIP
        """
        op = "GetSubscriptions"
        variables: dict[str, Any] = {}
        if filter is not None:
            model = self._input(SubscriptionQueryFilter, filter, {}, op)
            variables["filter"] = model.to_variables()
        if sorting is not None:
            sorts = self._inputs(SubscriptionQuerySort, sorting, "sorting", op)
            variables["sorting"] = [s.to_variables() for s in sorts]
        if first is not None or after is not None:
            paging = build_input(CursorPaging, operation=op, first=first, after=after)
            variables["paging"] = paging.to_variables()
        raw = await self._call(op, variables)
        return self._result(SubscriptionPage, raw, op)

    def iter_subscriptions(
        self,
        *,
        filter: _Filter | None = None,
        sorting: _Sorting | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> AsyncIterator[Subscription]:
        """Every matching subscription, following cursors ``page_size`` at a time.

        Example:
            >>> async for sub in stigg.iter_subscriptions(page_size=100):  # doctest: +SKIP
            ...     print(sub.ref_id, sub.status)
        """
        size = check_page_size(page_size, "GetSubscriptions")

        async def fetch(after: str | None) -> SubscriptionPage:
            return await self.get_subscriptions(
                filter=filter, sorting=sorting, first=size, after=after
            )

        return follow_cursors(fetch)

    async def preview_subscription(
        self,
        input: PreviewSubscriptionInput | Mapping[str, Any] | None = None,
        /,
        *,
        customer_id: str | None = None,
        plan_id: str | None = None,
        billing_period: BillingPeriod | str | None = None,
        unit_quantity: float | None = None,
        billable_features: _Billables | None = None,
        addons: _Addons | None = None,
        resource_id: str | None = None,
        billing_country_code: str | None = None,
        promotion_code: str | None = None,
        start_date: datetime | None = None,
    ) -> SubscriptionPreviewV2:
        """Price a subscription before creating it: due now and recurring (``previewSubscription``).

        Example:
            >>> preview = await stigg.preview_subscription(  # doctest: +SKIP
            ...     customer_id="customer-1", plan_id="plan-revvenu-essentials", unit_quantity=5,
            ... )
            >>> preview.recurring_invoice.total.amount  # doctest: +SKIP
        """
        op = "PreviewSubscription"
        model = self._input(PreviewSubscriptionInput, input, keywords(locals()), op)
        raw = await self._call(op, {"input": model.to_variables()})
        return self._result(SubscriptionPreviewV2, raw, op)

    async def preview_next_invoice(self, subscription_id: str) -> NextInvoicePreview:
        """The subscription's next invoice, scheduled changes included (``previewNextInvoice``).

        Example:
            >>> invoice = await stigg.preview_next_invoice("subscription-1")  # doctest: +SKIP
            >>> invoice.amount_due.amount  # doctest: +SKIP
        """
        op = "PreviewNextInvoice"
        model = build_input(PreviewNextInvoiceInput, operation=op, subscription_id=subscription_id)
        raw = await self._call(op, {"input": model.to_variables()})
        return self._result(NextInvoicePreview, raw, op)

    async def apply_subscription(
        self,
        input: ApplySubscriptionInput | Mapping[str, Any] | None = None,
        /,
        *,
        customer_id: str | None = None,
        plan_id: str | None = None,
        billing_period: BillingPeriod | str | None = None,
        unit_quantity: float | None = None,
        billable_features: _Billables | None = None,
        addons: _Addons | None = None,
        resource_id: str | None = None,
        payment_method_id: str | None = None,
        skip_trial: bool | None = None,
        schedule_strategy: ScheduleStrategy | str | None = None,
        additional_meta_data: Mapping[str, Any] | None = None,
    ) -> AppliedSubscription:
        """Subscribe a customer without a checkout, charging ``payment_method_id``.

        Sends ``applySubscription``.

        Example:
            >>> applied = await stigg.apply_subscription(  # doctest: +SKIP
            ...     customer_id="customer-1", plan_id="plan-revvenu-essentials",
            ...     payment_method_id="pm_card_visa",
            ... )
            >>> applied.subscription.status  # doctest: +SKIP
        """
        op = "ApplySubscription"
        model = self._input(ApplySubscriptionInput, input, keywords(locals()), op)
        raw = await self._call(op, {"input": model.to_variables()})
        return self._result(AppliedSubscription, raw, op)

    async def transfer_subscription(
        self, customer_id: str, *, source_resource_id: str, destination_resource_id: str
    ) -> Subscription:
        """Move a customer's subscription from one resource to another (``transferSubscription``).

        Example:
            >>> sub = await stigg.transfer_subscription(  # doctest: +SKIP
            ...     "customer-1", source_resource_id="site-1", destination_resource_id="site-2"
            ... )
        """
        op = "TransferSubscription"
        model = build_input(
            TransferSubscriptionInput,
            operation=op,
            customer_id=customer_id,
            source_resource_id=source_resource_id,
            destination_resource_id=destination_resource_id,
        )
        raw = await self._call(op, {"input": model.to_variables()})
        return self._result(Subscription, raw, op)

    async def transfer_subscription_to_resource(
        self, subscription_id: str, *, destination_resource_id: str
    ) -> Subscription:
        """Move one subscription to a resource (``transferSubscriptionToResource``).

        Example:
            >>> sub = await stigg.transfer_subscription_to_resource(  # doctest: +SKIP
            ...     "subscription-1", destination_resource_id="site-2"
            ... )
        """
        op = "TransferSubscriptionToResource"
        model = build_input(
            TransferSubscriptionToResourceInput,
            operation=op,
            subscription_id=subscription_id,
            destination_resource_id=destination_resource_id,
        )
        raw = await self._call(op, {"input": model.to_variables()})
        return self._result(Subscription, raw, op)

    async def delegate_subscription_to_customer(
        self, subscription_id: str, *, destination_customer_id: str
    ) -> DelegatedSubscription:
        """Give another customer a subscription's entitlements; its payer keeps paying.

        Sends ``delegateSubscriptionToCustomer``; both customers' cached entitlements
        are refreshed.

        Example:
            >>> sub = await stigg.delegate_subscription_to_customer(  # doctest: +SKIP
            ...     "subscription-1", destination_customer_id="team-member"
            ... )
            >>> sub.paying_customer.customer_id  # doctest: +SKIP
            'customer-2'
        """
        op = "DelegateSubscriptionToCustomer"
        model = build_input(
            DelegateSubscriptionToCustomerInput,
            operation=op,
            subscription_id=subscription_id,
            destination_customer_id=destination_customer_id,
        )
        raw = await self._call(op, {"input": model.to_variables()})
        return self._result(DelegatedSubscription, raw, op)

    async def cancel_schedule(
        self,
        subscription_id: str,
        *,
        status: SubscriptionScheduleStatus | str | None = None,
    ) -> str:
        """Drop a subscription's scheduled updates (``cancelSchedule``); returns the API's answer.

        Updates sent with ``schedule_strategy="END_OF_BILLING_PERIOD"`` wait as a
        schedule; this cancels them (those with ``status``, by default the pending ones).

        Example:
            >>> await stigg.cancel_schedule("subscription-1")  # doctest: +SKIP
        """
        op = "CancelSchedule"
        fields: dict[str, Any] = {"subscription_id": subscription_id}
        if status is not None:
            fields["status"] = status
        model = build_input(SubscriptionUpdateScheduleCancellationInput, operation=op, **fields)
        raw = await self._call(op, {"input": model.to_variables()})
        if not isinstance(raw, str):
            raise StiggResponseError("cancelSchedule did not return a string", operation=op)
        return raw
