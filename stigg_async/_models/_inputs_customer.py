"""Inputs of the customer operations (provision, update, get)."""

from __future__ import annotations

from stigg_async._models._base import (
    CountryCode,
    Id,
    InputDateTime,
    JsonObject,
    NonNegativeFloat,
    StiggInput,
    StrictBool,
    Text,
)
from stigg_async._models._enums import BillingPeriod, Currency
from stigg_async._models._inputs_subscription import (
    BillableFeatureInput,
    SubscriptionAddonInput,
    SubscriptionBillingInfo,
    SubscriptionCouponInput,
    TaxExempt,
)

__all__ = [
    "Address",
    "CustomerBillingInfo",
    "GetCustomerByRefIdInput",
    "ProvisionCustomerInput",
    "ProvisionCustomerSubscriptionInput",
    "UpdateCustomerInput",
]


class Address(StiggInput):
    """A postal address of a customer (country as ISO-3166-1 alpha-2)."""

    address_line1: Text | None = None
    address_line2: Text | None = None
    city: Text | None = None
    state: Text | None = None
    postal_code: Text | None = None
    country: CountryCode | None = None
    phone_number: Text | None = None


class CustomerBillingInfo(StiggInput):
    """Billing details passed through to the billing integration (not stored by Stigg)."""

    billing_address: Address | None = None
    shipping_address: Address | None = None
    currency: Currency | None = None
    language: Text | None = None
    timezone: Text | None = None
    customer_name: Text | None = None
    payment_method_id: Id | None = None
    tax_ids: tuple[TaxExempt, ...] | None = None
    metadata: JsonObject | None = None
    invoice_custom_fields: JsonObject | None = None


class ProvisionCustomerSubscriptionInput(StiggInput):
    """The subscription to create together with a new customer (``subscription_params``)."""

    plan_id: Id
    billing_period: BillingPeriod | None = None
    resource_id: Id | None = None
    subscription_id: Id | None = None
    ref_id: Id | None = None
    addons: tuple[SubscriptionAddonInput, ...] | None = None
    billable_features: tuple[BillableFeatureInput, ...] | None = None
    unit_quantity: NonNegativeFloat | None = None
    price_unit_amount: NonNegativeFloat | None = None
    billing_country_code: CountryCode | None = None
    start_date: InputDateTime | None = None
    promotion_code: Id | None = None
    applied_coupon: SubscriptionCouponInput | None = None
    billing_information: SubscriptionBillingInfo | None = None
    await_payment_confirmation: StrictBool | None = None
    additional_meta_data: JsonObject | None = None


class ProvisionCustomerInput(StiggInput):
    """Input of ``provisionCustomer``; every field is optional, ``customer_id`` is advised.

    Choosing ``customer_id`` yourself makes a retried call safe: a duplicate is
    reported as ``DuplicatedEntityNotAllowed`` instead of creating a second customer.

    Example:
        >>> ProvisionCustomerInput(
        ...     customer_id="customer-81726628184", name="Acme", email="billing@acme.test",
        ...     additional_meta_data={"key": "value"},
        ...     subscription_params=ProvisionCustomerSubscriptionInput(plan_id="plan-revvenu-basic"),
        ... ).to_variables()
        {'customerId': 'customer-81726628184', 'name': 'Acme', 'email': 'billing@acme.test', 'additionalMetaData': {'key': 'value'}, 'subscriptionParams': {'planId': 'plan-revvenu-basic'}}
    """  # noqa: E501

    customer_id: Id | None = None
    ref_id: Id | None = None
    name: Text | None = None
    email: Text | None = None
    billing_id: Id | None = None
    crm_id: Id | None = None
    salesforce_id: Id | None = None
    coupon_ref_id: Id | None = None
    billing_information: CustomerBillingInfo | None = None
    additional_meta_data: JsonObject | None = None
    subscription_params: ProvisionCustomerSubscriptionInput | None = None
    created_at: InputDateTime | None = None
    should_sync_free: StrictBool | None = None
    exclude_from_experiment: StrictBool | None = None


class UpdateCustomerInput(StiggInput):
    """Input of ``updateOneCustomer``: only the fields given are changed.

    Billing information is not stored by Stigg, so pass all of it on every update.
    """

    customer_id: Id
    name: Text | None = None
    email: Text | None = None
    billing_id: Id | None = None
    crm_id: Id | None = None
    salesforce_id: Id | None = None
    coupon_ref_id: Id | None = None
    billing_information: CustomerBillingInfo | None = None
    additional_meta_data: JsonObject | None = None


class GetCustomerByRefIdInput(StiggInput):
    """Input of ``getCustomerByRefId``."""

    customer_id: Id
