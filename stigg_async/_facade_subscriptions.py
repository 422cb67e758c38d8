"""Facade methods for subscriptions: provision, checkout, update, cancel, migrate, estimate."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from stigg_async._facade_core import _FacadeCore, build_arguments, keywords, new_id
from stigg_async._models import (
    BillableFeatureInput,
    BillingPeriod,
    CheckoutOptions,
    EstimateSubscriptionInput,
    EstimateSubscriptionUpdateInput,
    GetActiveSubscriptionsInput,
    GetSubscriptionInput,
    ProvisionSubscriptionInput,
    ProvisionSubscriptionResult,
    Subscription,
    SubscriptionAddonInput,
    SubscriptionCancellationAction,
    SubscriptionCancellationInput,
    SubscriptionCancellationTime,
    SubscriptionInput,
    SubscriptionMigrationInput,
    SubscriptionMigrationTime,
    SubscriptionPreview,
    UpdateSubscriptionInput,
    build_input,
)
from stigg_async._types import (
    BillingPeriodName,
    CancellationAction,
    CancellationTime,
    MigrationTime,
)

__all__ = ["_SubscriptionMethods"]

# cancel_subscription's arguments and the input fields they fill.
_CANCEL_ARGUMENTS = {
    "subscription_ref_id": "subscription_id",
    "subscription_cancellation_time": "cancellation_time",
    "subscription_cancellation_action": "cancellation_action",
}

_Addons = Sequence[SubscriptionAddonInput | Mapping[str, Any]]
_Billables = Sequence[BillableFeatureInput | Mapping[str, Any]]


def _customer_of(sub: Subscription | None) -> str | None:
    if sub is None or sub.customer is None:
        return None
    return sub.customer.customer_id or sub.customer.ref_id


class _SubscriptionMethods(_FacadeCore):
    async def provision_subscription(
        self,
        input: ProvisionSubscriptionInput | Mapping[str, Any] | None = None,
        /,
        *,
        customer_id: str | None = None,
        plan_id: str | None = None,
        billing_period: BillingPeriod | BillingPeriodName | None = None,
        resource_id: str | None = None,
        unit_quantity: float | None = None,
        billable_features: _Billables | None = None,
        addons: _Addons | None = None,
        checkout_options: CheckoutOptions | Mapping[str, Any] | None = None,
        skip_trial: bool | None = None,
        subscription_id: str | None = None,
        start_date: datetime | None = None,
        billing_country_code: str | None = None,
        promotion_code: str | None = None,
        additional_meta_data: Mapping[str, Any] | None = None,
    ) -> ProvisionSubscriptionResult:
        """Subscribe a customer to a plan (``provisionSubscriptionV2``).

        The result tells the outcomes apart: ``result.is_success`` with
        ``result.subscription``; ``result.checkout_url`` when payment details are
        needed first (PAYMENT_REQUIRED); ``result.requires_payment_action`` (3-D
        Secure) and ``result.payment_failed`` for a subscription whose payment did not
        go through. A ``subscription_id`` is minted when none is given, so a retry
        after an ambiguous failure finds and returns the subscription it created.

        Example:
            >>> result = await stigg.provision_subscription(  # doctest: +SKIP
            ...     customer_id="customer-2", plan_id="plan-revvenu-essentials",
            ...     billing_period="MONTHLY", unit_quantity=5,
            ... )
            >>> result.is_success  # doctest: +SKIP
            True
        """
        op = "ProvisionSubscription"
        model = self._input(ProvisionSubscriptionInput, input, keywords(locals()), op)
        minted: dict[str, str] = {}  # attached to errors: retry with the same id
        if model.subscription_id is None and model.ref_id is None:
            minted["subscription_id"] = new_id("subscription")
            model = model.model_copy(update={"subscription_id": minted["subscription_id"]})
        sub_id = model.subscription_id or model.ref_id
        assert sub_id is not None

        async def recover() -> ProvisionSubscriptionResult:
            sub = await self._call("GetSubscription", {"input": {"subscriptionId": sub_id}})
            payload = {"id": sub.get("id") or sub_id, "status": "SUCCESS", "subscription": sub}
            return self._result(ProvisionSubscriptionResult, payload, op)

        raw = await self._call(
            op,
            {"input": model.to_variables()},
            resolve_conflict=(("DuplicatedEntityNotAllowed",), recover),
            minted=minted,
        )
        return (
            raw
            if isinstance(raw, ProvisionSubscriptionResult)
            else self._result(ProvisionSubscriptionResult, raw, op)
        )

    async def initiate_checkout(
        self,
        customer_id: str,
        plan_id: str,
        *,
        success_url: str,
        cancel_url: str,
        billing_period: BillingPeriod | BillingPeriodName | None = None,
        unit_quantity: float | None = None,
        billable_features: _Billables | None = None,
        addons: _Addons | None = None,
        resource_id: str | None = None,
        allow_promo_codes: bool | None = None,
        collect_billing_address: bool | None = None,
        collect_phone_number: bool | None = None,
    ) -> ProvisionSubscriptionResult:
        """Start a checkout for a paid plan (``provisionSubscriptionV2`` with ``checkoutOptions``).

        Stigg's old ``initiateCheckout`` mutation is gone; provisioning with checkout
        options is its replacement. Redirect the customer to ``result.checkout_url``.
        When the customer already has a payment method, the subscription is created at
        once instead, and ``result.subscription`` holds it.

        Example:
            >>> result = await stigg.initiate_checkout(  # doctest: +SKIP
            ...     "customer-1", "plan-revvenu-essentials",
            ...     success_url="http://127.0.0.1/ok", cancel_url="http://127.0.0.1/cancel",
            ... )
            >>> result.checkout_url  # doctest: +SKIP
        """
        options = build_input(
            CheckoutOptions,
            operation="ProvisionSubscription",
            success_url=success_url,
            cancel_url=cancel_url,
            **{
                k: v
                for k, v in {
                    "allow_promo_codes": allow_promo_codes,
                    "collect_billing_address": collect_billing_address,
                    "collect_phone_number": collect_phone_number,
                }.items()
                if v is not None
            },
        )
        return await self.provision_subscription(
            customer_id=customer_id,
            plan_id=plan_id,
            billing_period=billing_period,
            unit_quantity=unit_quantity,
            billable_features=billable_features,
            addons=addons,
            resource_id=resource_id,
            checkout_options=options,
        )

    async def create_subscription(
        self,
        input: SubscriptionInput | Mapping[str, Any] | None = None,
        /,
        *,
        customer_id: str | None = None,
        plan_id: str | None = None,
        billing_period: BillingPeriod | BillingPeriodName | None = None,
        resource_id: str | None = None,
        unit_quantity: float | None = None,
        billable_features: _Billables | None = None,
        addons: _Addons | None = None,
        subscription_id: str | None = None,
        start_date: datetime | None = None,
        additional_meta_data: Mapping[str, Any] | None = None,
    ) -> Subscription:
        """Create a subscription directly (legacy ``createSubscription``; prefer
        :meth:`provision_subscription`, which also handles checkout).

        Example:
            >>> sub = await stigg.create_subscription(  # doctest: +SKIP
            ...     customer_id="customer-1", plan_id="plan-revvenu-basic"
            ... )
        """
        op = "CreateSubscription"
        model = self._input(SubscriptionInput, input, keywords(locals()), op)
        minted: dict[str, str] = {}  # attached to errors: retry with the same id
        if model.subscription_id is None and model.ref_id is None:
            minted["subscription_id"] = new_id("subscription")
            model = model.model_copy(update={"subscription_id": minted["subscription_id"]})
        sub_id = model.subscription_id or model.ref_id

        async def recover() -> Subscription:
            return await self.get_subscription(str(sub_id))

        raw = await self._call(
            op,
            {"subscription": model.to_variables()},
            resolve_conflict=(("DuplicatedEntityNotAllowed",), recover),
            minted=minted,
        )
        return raw if isinstance(raw, Subscription) else self._result(Subscription, raw, op)

    async def update_subscription(
        self,
        input: UpdateSubscriptionInput | Mapping[str, Any] | None = None,
        /,
        *,
        subscription_id: str | None = None,
        unit_quantity: float | None = None,
        billable_features: _Billables | None = None,
        addons: _Addons | None = None,
        billing_period: BillingPeriod | BillingPeriodName | None = None,
        promotion_code: str | None = None,
        additional_meta_data: Mapping[str, Any] | None = None,
    ) -> Subscription:
        """Change a subscription's quantities, add-ons or billing period.

        Sends ``updateOneSubscription``.

        Example:
            >>> sub = await stigg.update_subscription(  # doctest: +SKIP
            ...     subscription_id="subscription-1", unit_quantity=7,
            ...     addons=[{"addon_id": "addon-10-campaigns", "quantity": 2}],
            ... )
        """
        op = "UpdateSubscription"
        model = self._input(UpdateSubscriptionInput, input, keywords(locals()), op)
        raw = await self._call(op, {"input": model.to_variables()})
        return self._result(Subscription, raw, op)

    async def cancel_subscription(
        self,
        subscription_id: str,
        *,
        cancellation_time: SubscriptionCancellationTime | CancellationTime | None = None,
        cancellation_action: SubscriptionCancellationAction | CancellationAction | None = None,
        end_date: datetime | None = None,
        prorate: bool | None = None,
    ) -> Subscription:
        """Cancel a subscription now (``IMMEDIATE``), at the end of the billing period,
        or on ``end_date`` (``SPECIFIC_DATE``) (``cancelSubscription``).

        Example:
            >>> sub = await stigg.cancel_subscription(  # doctest: +SKIP
            ...     "subscription-1", cancellation_time="IMMEDIATE"
            ... )
        """
        op = "CancelSubscription"
        model = build_arguments(
            SubscriptionCancellationInput,
            op,
            _CANCEL_ARGUMENTS,
            **{
                k: v
                for k, v in {
                    "subscription_ref_id": subscription_id,
                    "subscription_cancellation_time": cancellation_time,
                    "subscription_cancellation_action": cancellation_action,
                    "end_date": end_date,
                    "prorate": prorate,
                }.items()
                if v is not None
            },
        )

        async def recover() -> Subscription:
            return await self.get_subscription(subscription_id)

        raw = await self._call(
            op,
            {"input": model.to_variables()},
            resolve_conflict=(("SubscriptionAlreadyCanceledOrExpired",), recover),
        )
        return raw if isinstance(raw, Subscription) else self._result(Subscription, raw, op)

    async def migrate_subscription_to_latest(
        self,
        subscription_id: str,
        *,
        migration_time: SubscriptionMigrationTime | MigrationTime | None = None,
    ) -> Subscription:
        """Move a grandfathered subscription to the latest plan and add-on versions.

        Example:
            >>> sub = await stigg.migrate_subscription_to_latest("subscription-1")  # doctest: +SKIP
        """
        op = "MigrateSubscriptionToLatest"
        fields: dict[str, Any] = {"subscription_id": subscription_id}
        if migration_time is not None:
            fields["subscription_migration_time"] = migration_time
        model = build_arguments(
            SubscriptionMigrationInput,
            op,
            {"subscription_migration_time": "migration_time"},
            **fields,
        )

        async def recover() -> Subscription:
            return await self.get_subscription(subscription_id)

        raw = await self._call(
            op,
            {"input": model.to_variables()},
            resolve_conflict=(("SubscriptionAlreadyOnLatestPlanError",), recover),
        )
        return raw if isinstance(raw, Subscription) else self._result(Subscription, raw, op)

    async def get_subscription(self, subscription_id: str) -> Subscription:
        """One subscription with prices, plan, add-ons and latest invoice (``getSubscription``).

        Example:
            >>> sub = await stigg.get_subscription("subscription-1")  # doctest: +SKIP
        """
        op = "GetSubscription"
        model = build_input(GetSubscriptionInput, operation=op, subscription_id=subscription_id)
        raw = await self._call(op, {"input": model.to_variables()})
        return self._result(Subscription, raw, op)

    async def get_active_subscriptions(
        self, customer_id: str, *, resource_id: str | None = None
    ) -> list[Subscription]:
        """The customer's active (and trial) subscriptions, optionally for one resource.

        Example:
            >>> subs = await stigg.get_active_subscriptions("customer-1")  # doctest: +SKIP
        """
        op = "GetActiveSubscriptions"
        fields: dict[str, Any] = {"customer_id": customer_id}
        if resource_id is not None:
            fields["resource_id"] = resource_id
        model = build_input(GetActiveSubscriptionsInput, operation=op, **fields)
        raw = await self._call(op, {"input": model.to_variables()})
        if not isinstance(raw, list):
            from stigg_async._errors import StiggResponseError

            raise StiggResponseError("getActiveSubscriptions did not return a list", operation=op)
        return [self._result(Subscription, item, op) for item in raw]

    async def estimate_subscription(
        self,
        input: EstimateSubscriptionInput | Mapping[str, Any] | None = None,
        /,
        *,
        customer_id: str | None = None,
        plan_id: str | None = None,
        billing_period: BillingPeriod | BillingPeriodName | None = None,
        unit_quantity: float | None = None,
        billable_features: _Billables | None = None,
        addons: _Addons | None = None,
        resource_id: str | None = None,
        start_date: datetime | None = None,
        promotion_code: str | None = None,
        skip_trial: bool | None = None,
    ) -> SubscriptionPreview:
        """Price a prospective subscription before creating it (``estimateSubscription``).

        Example:
            >>> preview = await stigg.estimate_subscription(  # doctest: +SKIP
            ...     customer_id="customer-1", plan_id="plan-revvenu-essentials",
            ...     billing_period="MONTHLY", unit_quantity=4,
            ... )
            >>> preview.total.amount  # doctest: +SKIP
        """
        op = "EstimateSubscription"
        model = self._input(EstimateSubscriptionInput, input, keywords(locals()), op)
        raw = await self._call(op, {"input": model.to_variables()})
        return self._result(SubscriptionPreview, raw, op)

    async def estimate_subscription_update(
        self,
        input: EstimateSubscriptionUpdateInput | Mapping[str, Any] | None = None,
        /,
        *,
        subscription_id: str | None = None,
        unit_quantity: float | None = None,
        billable_features: _Billables | None = None,
        addons: _Addons | None = None,
        promotion_code: str | None = None,
    ) -> SubscriptionPreview:
        """Price a change to a subscription, with proration (``estimateSubscriptionUpdate``).

        Example:
            >>> preview = await stigg.estimate_subscription_update(  # doctest: +SKIP
            ...     subscription_id="subscription-1", unit_quantity=7
            ... )
            >>> preview.proration  # doctest: +SKIP
        """
        op = "EstimateSubscriptionUpdate"
        model = self._input(EstimateSubscriptionUpdateInput, input, keywords(locals()), op)
        raw = await self._call(op, {"input": model.to_variables()})
        return self._result(SubscriptionPreview, raw, op)
