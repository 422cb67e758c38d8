"""Facade methods for customers: provision, update, get, list."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stigg_async._facade_core import _FacadeCore, keywords, new_id
from stigg_async._models import (
    Customer,
    CustomerBillingInfo,
    CustomerPage,
    ProvisionCustomerInput,
    ProvisionCustomerSubscriptionInput,
    ProvisionedCustomer,
    UpdateCustomerInput,
    build_input,
)

__all__ = ["_CustomerMethods"]

_DUPLICATE = ("DuplicatedEntityNotAllowed",)


class _CustomerMethods(_FacadeCore):
    async def provision_customer(
        self,
        input: ProvisionCustomerInput | Mapping[str, Any] | None = None,
        /,
        *,
        customer_id: str | None = None,
        name: str | None = None,
        email: str | None = None,
        billing_id: str | None = None,
        coupon_ref_id: str | None = None,
        billing_information: CustomerBillingInfo | Mapping[str, Any] | None = None,
        additional_meta_data: Mapping[str, Any] | None = None,
        subscription_params: ProvisionCustomerSubscriptionInput | Mapping[str, Any] | None = None,
    ) -> ProvisionedCustomer:
        """Create a customer, optionally with a first subscription (``provisionCustomer``).

        Retries are safe: without a ``customer_id`` (or a ``subscription_params``
        subscription id) the SDK mints one before the first attempt, and a retry that
        the server refuses as a duplicate after an ambiguous failure returns what the
        first attempt created.

        Example:
            >>> result = await stigg.provision_customer(  # doctest: +SKIP
            ...     customer_id="customer-42", name="Acme",
            ...     subscription_params={"plan_id": "plan-revvenu-basic"},
            ... )
            >>> result.subscription.status  # doctest: +SKIP
            <SubscriptionStatus.ACTIVE: 'ACTIVE'>
        """
        op = "ProvisionCustomer"
        model = self._input(ProvisionCustomerInput, input, keywords(locals()), op)
        minted: dict[str, str] = {}  # attached to errors: retry with the same ids
        if model.customer_id is None and model.ref_id is None:
            minted["customer_id"] = new_id("customer")
            model = model.model_copy(update={"customer_id": minted["customer_id"]})
        params = model.subscription_params
        if params is not None and params.subscription_id is None and params.ref_id is None:
            minted["subscription_id"] = new_id("subscription")
            params = params.model_copy(update={"subscription_id": minted["subscription_id"]})
            model = model.model_copy(update={"subscription_params": params})
        cid = model.customer_id or model.ref_id
        assert cid is not None

        async def recover() -> ProvisionedCustomer:
            customer = await self._call(
                "GetCustomerByRefId", {"input": {"customerId": cid}}, retry=True
            )
            subscription = None
            if params is not None:
                sub_id = params.subscription_id or params.ref_id
                active = await self._call(
                    "GetActiveSubscriptions", {"input": {"customerId": cid}}, retry=True
                )
                subscription = next(
                    (s for s in active or () if s.get("subscriptionId", s.get("refId")) == sub_id),
                    None,
                )
            payload = {
                "customer": customer,
                "subscription": subscription,
                "subscriptionDecisionStrategy": "REQUESTED_PLAN",
            }
            return self._result(ProvisionedCustomer, payload, op)

        raw = await self._call(
            op,
            {"input": model.to_variables()},
            resolve_conflict=(_DUPLICATE, recover),
            minted=minted,
        )
        return (
            raw
            if isinstance(raw, ProvisionedCustomer)
            else self._result(ProvisionedCustomer, raw, op)
        )

    async def update_customer(
        self,
        input: UpdateCustomerInput | Mapping[str, Any] | None = None,
        /,
        *,
        customer_id: str | None = None,
        name: str | None = None,
        email: str | None = None,
        billing_id: str | None = None,
        coupon_ref_id: str | None = None,
        billing_information: CustomerBillingInfo | Mapping[str, Any] | None = None,
        additional_meta_data: Mapping[str, Any] | None = None,
    ) -> Customer:
        """Update a customer's details (``updateOneCustomer``); only the fields given change.

        Example:
            >>> customer = await stigg.update_customer(  # doctest: +SKIP
            ...     customer_id="customer-1", email="billing@acme.test"
            ... )
        """
        op = "UpdateCustomer"
        model = self._input(UpdateCustomerInput, input, keywords(locals()), op)
        raw = await self._call(op, {"input": model.to_variables()})
        return self._result(Customer, raw, op)

    async def get_customer(self, customer_id: str) -> Customer | None:
        """The customer with this id, with subscriptions and promotions, or ``None``.

        Example:
            >>> customer = await stigg.get_customer("customer-1")  # doctest: +SKIP
            >>> customer.email if customer else None  # doctest: +SKIP
        """
        from stigg_async._models import GetCustomerByRefIdInput

        op = "GetCustomerByRefId"
        model = build_input(GetCustomerByRefIdInput, operation=op, customer_id=customer_id)
        raw = await self._call(op, {"input": model.to_variables()})
        return None if raw is None else self._result(Customer, raw, op)

    async def get_customers(
        self,
        *,
        filter: Mapping[str, Any] | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> CustomerPage:
        """One page of customers (``customers``), optionally filtered.

        ``filter`` is the API's ``CustomerFilter`` in camelCase, e.g.
        ``{"email": {"eq": "a@b.test"}}``. Page on with ``after=page.end_cursor``.

        Example:
            >>> page = await stigg.get_customers(first=50)  # doctest: +SKIP
            >>> [c.customer_id for c in page.items]  # doctest: +SKIP
        """
        from stigg_async._models import CursorPaging

        op = "GetCustomers"
        variables: dict[str, Any] = {}
        if filter is not None:
            variables["filter"] = self._filter(filter, op)
        if first is not None or after is not None:
            paging = build_input(CursorPaging, operation=op, first=first, after=after)
            variables["paging"] = paging.to_variables()
        raw = await self._call(op, variables)
        return self._result(CustomerPage, raw, op)

    @staticmethod
    def _filter(value: Mapping[str, Any], operation: str) -> dict[str, Any]:
        from stigg_async._errors import StiggValidationError

        if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
            raise StiggValidationError(
                "filter must be a mapping with string keys", field="filter", operation=operation
            )
        return dict(value)
