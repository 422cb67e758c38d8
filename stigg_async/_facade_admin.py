"""Facade methods for customer administration: archive, payment methods, the customer
portal, imports, promotion groups, coupons and checkout."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from stigg_async._errors import StiggResponseError
from stigg_async._facade_core import _FacadeCore, keywords
from stigg_async._models import (
    ArchiveCustomerInput,
    CheckoutState,
    CheckoutStateInput,
    Coupon,
    CouponType,
    CreateCouponInput,
    Customer,
    CustomerPortal,
    CustomerPortalInput,
    DetachCustomerPaymentMethodInput,
    GrantPromotionalEntitlementInput,
    GrantPromotionalEntitlementsGroupInput,
    ImportCustomerBulkInput,
    ImportCustomerInput,
    ImportSubscriptionInput,
    ImportSubscriptionsBulkInput,
    MoneyInputDTO,
    PaymentSession,
    PaymentSessionInput,
    PromotionalEntitlement,
    RevokePromotionalEntitlementsGroupInput,
    UnarchiveCustomerInput,
    UnlinkPromotionalEntitlementsGroupInput,
    build_input,
)

__all__ = ["_AdminMethods"]

_DUPLICATE = ("DuplicatedEntityNotAllowed",)
_NO_PAYMENT_METHOD = ("CannotRemovePaymentMethodFromCustomerError",)


class _AdminMethods(_FacadeCore):
    # -- customers ---------------------------------------------------------------

    async def archive_customer(self, customer_id: str) -> Customer:
        """Archive a customer (``archiveCustomer``): hidden from lists, no new subscriptions.

        While archived, the customer's entitlement checks are denied
        (``CustomerIsArchived``); the cache is refreshed. Archiving twice is harmless.

        Example:
            >>> customer = await stigg.archive_customer("customer-1")  # doctest: +SKIP
            >>> customer.is_archived  # doctest: +SKIP
            True
        """
        op = "ArchiveCustomer"
        model = build_input(ArchiveCustomerInput, operation=op, customer_id=customer_id)
        raw = await self._call(op, {"input": model.to_variables()})
        return self._result(Customer, raw, op)

    async def unarchive_customer(self, customer_id: str) -> Customer:
        """Undo :meth:`archive_customer` (``unarchiveCustomer``); entitlements come back.

        Example:
            >>> customer = await stigg.unarchive_customer("customer-1")  # doctest: +SKIP
        """
        op = "UnarchiveCustomer"
        model = build_input(UnarchiveCustomerInput, operation=op, customer_id=customer_id)
        raw = await self._call(op, {"input": model.to_variables()})
        return self._result(Customer, raw, op)

    async def detach_customer_payment_method(self, customer_id: str) -> Customer:
        """Remove the customer's default payment method (``detachCustomerPaymentMethod``).

        A retry refused because the method is already gone, after an attempt whose
        outcome was unknown, returns the customer as it now is.

        Example:
            >>> c = await stigg.detach_customer_payment_method("customer-1")  # doctest: +SKIP
            >>> c.has_payment_method  # doctest: +SKIP
            False
        """
        op = "DetachCustomerPaymentMethod"
        model = build_input(DetachCustomerPaymentMethodInput, operation=op, customer_id=customer_id)

        async def recover() -> Customer:
            raw = await self._call("GetCustomerByRefId", {"input": {"customerId": customer_id}})
            return self._result(Customer, raw, op)

        raw = await self._call(
            op, {"input": model.to_variables()}, resolve_conflict=(_NO_PAYMENT_METHOD, recover)
        )
        return raw if isinstance(raw, Customer) else self._result(Customer, raw, op)

    async def get_customer_portal(
        self,
        customer_id: str,
        *,
        product_id: str | None = None,
        resource_id: str | None = None,
    ) -> CustomerPortal:
        """What a self-service portal shows the customer (``customerPortal``).

        Live subscriptions with their prices and add-ons, entitlements, active
        promotions, billing details and the billing portal's URL.

        Example:
            >>> portal = await stigg.get_customer_portal("customer-1")  # doctest: +SKIP
            >>> [s.plan_name for s in portal.subscriptions]  # doctest: +SKIP
            ['Basic']
        """
        op = "GetCustomerPortal"
        model = self._input(CustomerPortalInput, None, keywords(locals()), op)
        raw = await self._call(op, {"input": model.to_variables()})
        return self._result(CustomerPortal, raw, op)

    # -- imports -----------------------------------------------------------------

    async def import_one_customer(
        self,
        input: ImportCustomerInput | Mapping[str, Any] | None = None,
        /,
        *,
        customer_id: str | None = None,
        name: str | None = None,
        email: str | None = None,
        billing_id: str | None = None,
        payment_method_id: str | None = None,
        salesforce_id: str | None = None,
        additional_meta_data: Mapping[str, Any] | None = None,
        updated_at: datetime | None = None,
    ) -> Customer:
        """Import one customer from another system (``importOneCustomer``).

        Like :meth:`provision_customer` without a subscription, keeping the billing
        provider's ids; retries are safe (a duplicate after an unknown outcome
        returns the imported customer).

        Example:
            >>> customer = await stigg.import_one_customer(  # doctest: +SKIP
            ...     customer_id="customer-9", email="a@b.test", billing_id="cus_123"
            ... )
        """
        op = "ImportOneCustomer"
        model = self._input(ImportCustomerInput, input, keywords(locals()), op)
        cid = model.customer_id or model.ref_id

        async def recover() -> Customer:
            raw = await self._call("GetCustomerByRefId", {"input": {"customerId": cid}})
            return self._result(Customer, raw, op)

        raw = await self._call(
            op, {"input": model.to_variables()}, resolve_conflict=(_DUPLICATE, recover)
        )
        return raw if isinstance(raw, Customer) else self._result(Customer, raw, op)

    async def import_customers_bulk(
        self,
        customers: Sequence[ImportCustomerInput | Mapping[str, Any]],
        *,
        integration_id: str | None = None,
    ) -> str | None:
        """Import up to 1000 customers at once (``importCustomersBulk``); returns the task id.

        All or nothing: when any item is refused, the error lists every failing item
        (``err.errors[0].extensions["failures"]``: index, id, code, message) and none
        is imported. Not retried: a repeated bulk would be refused as duplicates.

        Example:
            >>> task = await stigg.import_customers_bulk(  # doctest: +SKIP
            ...     [{"customer_id": "c-1"}, {"customer_id": "c-2", "email": "b@c.test"}]
            ... )
        """
        op = "ImportCustomersBulk"
        items = self._inputs(ImportCustomerInput, customers, "customers", op)
        model = build_input(
            ImportCustomerBulkInput, operation=op, customers=items, integration_id=integration_id
        )
        raw = await self._call(op, {"input": model.to_variables()}, retry=False)
        return self._text(raw, op)

    async def import_subscriptions_bulk(
        self,
        subscriptions: Sequence[ImportSubscriptionInput | Mapping[str, Any]],
        *,
        integration_id: str | None = None,
    ) -> str | None:
        """Import up to 1000 subscriptions at once (``importSubscriptionsBulk``).

        Each names a customer and a plan, optionally its id, dates, add-ons and
        quantities; imported subscriptions skip trials and payment collection. All or
        nothing, with every failing item listed in the error; not retried. Returns the
        task id. The customers' cached entitlements are refreshed.

        Example:
            >>> task = await stigg.import_subscriptions_bulk(  # doctest: +SKIP
            ...     [{"customer_id": "c-1", "plan_id": "plan-revvenu-growth"}]
            ... )
        """
        op = "ImportSubscriptionsBulk"
        items = self._inputs(ImportSubscriptionInput, subscriptions, "subscriptions", op)
        model = build_input(
            ImportSubscriptionsBulkInput,
            operation=op,
            subscriptions=items,
            integration_id=integration_id,
        )
        raw = await self._call(op, {"input": model.to_variables()}, retry=False)
        # ``_call`` refreshes one customer found in the input; a bulk names many, in a
        # list it does not search, so each distinct customer is refreshed here.
        for customer_id in dict.fromkeys(item.customer_id for item in items):
            await self._refresh_customer(customer_id)
        return self._text(raw, op)

    @staticmethod
    def _text(raw: Any, op: str) -> str | None:
        if raw is not None and not isinstance(raw, str):
            raise StiggResponseError(f"{op} did not return a string", operation=op)
        return raw

    # -- promotion groups ----------------------------------------------------------

    async def grant_promotional_entitlements_group(
        self,
        customer_id: str,
        feature_group_id: str,
        promotional_entitlements: Sequence[GrantPromotionalEntitlementInput | Mapping[str, Any]],
    ) -> list[PromotionalEntitlement]:
        """Grant the promotions of a feature group (``grantPromotionalEntitlementsGroup``).

        Each grant is tagged with ``feature_group_id``, so the group can later be
        revoked or unlinked as a whole. The customer's cache is refreshed.

        Example:
            >>> grants = await stigg.grant_promotional_entitlements_group(  # doctest: +SKIP
            ...     "customer-1", "group-analytics",
            ...     [{"feature_id": "feature-04-analytics", "period": "ONE_MONTH"}],
            ... )
        """
        op = "GrantPromotionalEntitlementsGroup"
        grants = self._inputs(
            GrantPromotionalEntitlementInput,
            promotional_entitlements,
            "promotional_entitlements",
            op,
        )
        model = build_input(
            GrantPromotionalEntitlementsGroupInput,
            operation=op,
            customer_id=customer_id,
            feature_group_id=feature_group_id,
            promotional_entitlements=grants,
        )
        return await self._promotions(op, model.to_variables())

    async def revoke_promotional_entitlements_group(
        self, customer_id: str, feature_group_id: str
    ) -> list[PromotionalEntitlement]:
        """Revoke every promotion granted through a feature group; the cache is refreshed.

        Example:
            >>> await stigg.revoke_promotional_entitlements_group(  # doctest: +SKIP
            ...     "customer-1", "group-analytics"
            ... )
        """
        op = "RevokePromotionalEntitlementsGroup"
        model = build_input(
            RevokePromotionalEntitlementsGroupInput,
            operation=op,
            customer_id=customer_id,
            feature_group_id=feature_group_id,
        )
        return await self._promotions(op, model.to_variables())

    async def unlink_promotional_entitlements_group(
        self, customer_id: str, feature_group_id: str
    ) -> list[PromotionalEntitlement]:
        """Detach promotions from their feature group; they stay granted on their own.

        Example:
            >>> await stigg.unlink_promotional_entitlements_group(  # doctest: +SKIP
            ...     "customer-1", "group-analytics"
            ... )
        """
        op = "UnlinkPromotionalEntitlementsGroup"
        model = build_input(
            UnlinkPromotionalEntitlementsGroupInput,
            operation=op,
            customer_id=customer_id,
            feature_group_id=feature_group_id,
        )
        return await self._promotions(op, model.to_variables())

    async def _promotions(self, op: str, variables: dict[str, Any]) -> list[PromotionalEntitlement]:
        raw = await self._call(op, {"input": variables})
        if not isinstance(raw, list):
            raise StiggResponseError(f"{op} did not return a list", operation=op)
        return [self._result(PromotionalEntitlement, r, op) for r in raw]

    # -- coupons and checkout ------------------------------------------------------

    async def create_coupon(
        self,
        input: CreateCouponInput | Mapping[str, Any] | None = None,
        /,
        *,
        ref_id: str | None = None,
        name: str | None = None,
        description: str | None = None,
        percent_off: float | None = None,
        amounts_off: Sequence[MoneyInputDTO | Mapping[str, Any]] | None = None,
        duration_in_months: float | None = None,
        type: CouponType | str | None = None,
        additional_meta_data: Mapping[str, Any] | None = None,
    ) -> Coupon:
        """Create a coupon (``createOneCoupon``): ``percent_off`` or ``amounts_off``.

        Retries are safe: the coupon's ``ref_id`` is yours, and a duplicate after an
        unknown outcome returns the coupon the first attempt created.

        Example:
            >>> coupon = await stigg.create_coupon(  # doctest: +SKIP
            ...     ref_id="coupon-spring", name="Spring 20%", percent_off=20,
            ...     duration_in_months=3,
            ... )
        """
        op = "CreateCoupon"
        model = self._input(CreateCouponInput, input, keywords(locals()), op)

        async def recover() -> Coupon:
            raw = await self._call(
                "GetCoupons", {"filter": {"refId": {"eq": model.ref_id}}, "paging": {"first": 1}}
            )
            edges = (raw or {}).get("edges") or []
            if not edges:
                raise StiggResponseError(
                    f"coupon {model.ref_id!r} was reported as a duplicate but is not listed",
                    operation=op,
                )
            return self._result(Coupon, edges[0]["node"], op)

        raw = await self._call(
            op, {"input": model.to_variables()}, resolve_conflict=(_DUPLICATE, recover)
        )
        return raw if isinstance(raw, Coupon) else self._result(Coupon, raw, op)

    async def create_payment_session(
        self, customer_id: str, plan_id: str, *, billing_country_code: str | None = None
    ) -> PaymentSession:
        """Open a session to collect a payment method (``createPaymentSession``).

        Example:
            >>> session = await stigg.create_payment_session(  # doctest: +SKIP
            ...     "customer-1", "plan-revvenu-growth"
            ... )
            >>> session.token  # doctest: +SKIP
        """
        op = "CreatePaymentSession"
        model = self._input(PaymentSessionInput, None, keywords(locals()), op)
        raw = await self._call(op, {"input": model.to_variables()})
        return self._result(PaymentSession, raw, op)

    async def get_checkout_state(
        self,
        customer_id: str,
        plan_id: str,
        *,
        product_id: str | None = None,
        resource_id: str | None = None,
        billing_country_code: str | None = None,
    ) -> CheckoutState:
        """What a checkout page needs (``checkoutState``): plan, customer, setup secret.

        Example:
            >>> state = await stigg.get_checkout_state(  # doctest: +SKIP
            ...     "customer-1", "plan-revvenu-growth"
            ... )
            >>> state.setup_secret  # doctest: +SKIP
        """
        op = "GetCheckoutState"
        model = self._input(CheckoutStateInput, None, keywords(locals()), op)
        raw = await self._call(op, {"input": model.to_variables()})
        return self._result(CheckoutState, raw, op)
