"""Inputs of the subscription operations (provision, create, update, cancel, estimate)."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field, ValidationInfo, field_validator

from stigg_async._models._base import (
    AddonQuantity,
    CountryCode,
    Id,
    InputDateTime,
    JsonObject,
    NonNegativeFloat,
    StiggInput,
    StrictBool,
    Text,
    Url,
)
from stigg_async._models._enums import (
    BillingPeriod,
    PaymentCollectionMethod,
    ScheduleStrategy,
    SubscriptionCancellationAction,
    SubscriptionCancellationTime,
    SubscriptionMigrationTime,
)

__all__ = [
    "BillableFeatureInput",
    "BillingAddress",
    "CheckoutOptions",
    "EstimateSubscriptionInput",
    "EstimateSubscriptionUpdateInput",
    "GetActiveSubscriptionsInput",
    "GetSubscriptionInput",
    "ProvisionSubscriptionInput",
    "SubscriptionAddonInput",
    "SubscriptionBillingInfo",
    "SubscriptionCancellationInput",
    "SubscriptionCouponInput",
    "SubscriptionInput",
    "SubscriptionMigrationInput",
    "TaxExempt",
    "UpdateSubscriptionInput",
]


class SubscriptionAddonInput(StiggInput):
    """An add-on and how many of it (an int >= 1)."""

    addon_id: Id
    quantity: AddonQuantity | None = None


class BillableFeatureInput(StiggInput):
    """A per-unit priced feature and the quantity subscribed (>= 0)."""

    feature_id: Id
    quantity: NonNegativeFloat


class CheckoutOptions(StiggInput):
    """Where the billing provider's checkout page sends the payer back, and what it asks.

    Example:
        >>> CheckoutOptions(
        ...     success_url="http://127.0.0.1/ok", cancel_url="http://127.0.0.1/cancel",
        ...     allow_promo_codes=True,
        ... ).to_variables()
        {'successUrl': 'http://127.0.0.1/ok', 'cancelUrl': 'http://127.0.0.1/cancel', 'allowPromoCodes': True}
    """  # noqa: E501

    success_url: Url
    cancel_url: Url
    allow_promo_codes: StrictBool | None = None
    allow_tax_id_collection: StrictBool | None = None
    collect_billing_address: StrictBool | None = None
    collect_phone_number: StrictBool | None = None
    reference_id: Id | None = None


class TaxExempt(StiggInput):
    """A tax id of the customer (``type`` such as ``"eu_vat"``, and its value)."""

    type: Annotated[str, Field(strict=True, min_length=1)]
    value: Annotated[str, Field(strict=True, min_length=1)]


class BillingAddress(StiggInput):
    """A billing address on a subscription's billing information."""

    line1: Text | None = None
    line2: Text | None = None
    city: Text | None = None
    state: Text | None = None
    postal_code: Text | None = None
    country: CountryCode | None = None


class SubscriptionBillingInfo(StiggInput):
    """Billing details passed through to the billing integration for one subscription."""

    billing_address: BillingAddress | None = None
    tax_ids: tuple[TaxExempt, ...] | None = None
    tax_rate_ids: tuple[Id, ...] | None = None
    tax_percentage: (
        Annotated[float, Field(strict=True, ge=0, le=100, allow_inf_nan=False)] | None
    ) = None
    coupon_id: Id | None = None
    invoice_days_until_due: NonNegativeFloat | None = None
    is_backdated: StrictBool | None = None
    is_invoice_paid: StrictBool | None = None
    metadata: JsonObject | None = None


class SubscriptionCouponInput(StiggInput):
    """A coupon to apply to a subscription (by Stigg id, billing id, or promotion code)."""

    coupon_id: Id | None = None
    billing_coupon_id: Id | None = None
    promotion_code: Id | None = None


class _NewSubscriptionFields(StiggInput):
    # Fields shared by provisioning, creating and estimating a subscription.
    customer_id: Id
    plan_id: Id
    billing_period: BillingPeriod | None = None
    resource_id: Id | None = None
    addons: tuple[SubscriptionAddonInput, ...] | None = None
    billable_features: tuple[BillableFeatureInput, ...] | None = None
    unit_quantity: NonNegativeFloat | None = None
    price_unit_amount: NonNegativeFloat | None = None
    billing_country_code: CountryCode | None = None
    start_date: InputDateTime | None = None
    promotion_code: Id | None = None
    applied_coupon: SubscriptionCouponInput | None = None
    paying_customer_id: Id | None = None
    billing_information: SubscriptionBillingInfo | None = None


class ProvisionSubscriptionInput(_NewSubscriptionFields):
    """Input of ``provisionSubscriptionV2``.

    With ``checkout_options`` and no payment method on file, the result carries a
    ``checkout_url`` instead of a subscription.

    Example:
        >>> ProvisionSubscriptionInput(
        ...     customer_id="customer-demo-01", plan_id="plan-revvenu-essentials",
        ...     billing_period="MONTHLY",
        ...     addons=[{"addon_id": "addon-10-campaigns", "quantity": 2}],
        ... ).to_variables()
        {'customerId': 'customer-demo-01', 'planId': 'plan-revvenu-essentials', 'billingPeriod': 'MONTHLY', 'addons': [{'addonId': 'addon-10-campaigns', 'quantity': 2}]}
    """  # noqa: E501

    subscription_id: Id | None = None
    ref_id: Id | None = None
    checkout_options: CheckoutOptions | None = None
    skip_trial: StrictBool | None = None
    await_payment_confirmation: StrictBool | None = None
    additional_meta_data: JsonObject | None = None
    schedule_strategy: ScheduleStrategy | None = None
    payment_collection_method: PaymentCollectionMethod | None = None
    billing_id: Id | None = None


class SubscriptionInput(_NewSubscriptionFields):
    """Input of the legacy ``createSubscription`` (sent as ``$subscription``)."""

    variable_name: ClassVar[str] = "subscription"

    subscription_id: Id | None = None
    ref_id: Id | None = None
    end_date: InputDateTime | None = None
    await_payment_confirmation: StrictBool | None = None
    additional_meta_data: JsonObject | None = None
    schedule_strategy: ScheduleStrategy | None = None
    payment_collection_method: PaymentCollectionMethod | None = None
    billing_id: Id | None = None


class UpdateSubscriptionInput(StiggInput):
    """Input of ``updateOneSubscription``: change quantities, add-ons, period or metadata.

    Example:
        >>> UpdateSubscriptionInput(
        ...     subscription_id="subscription-1",
        ...     billable_features=[BillableFeatureInput(feature_id="feature-01-templates", quantity=5)],
        ... ).to_variables()
        {'subscriptionId': 'subscription-1', 'billableFeatures': [{'featureId': 'feature-01-templates', 'quantity': 5.0}]}
    """  # noqa: E501

    subscription_id: Id
    billing_period: BillingPeriod | None = None
    unit_quantity: NonNegativeFloat | None = None
    addons: tuple[SubscriptionAddonInput, ...] | None = None
    billable_features: tuple[BillableFeatureInput, ...] | None = None
    promotion_code: Id | None = None
    applied_coupon: SubscriptionCouponInput | None = None
    billing_information: SubscriptionBillingInfo | None = None
    schedule_strategy: ScheduleStrategy | None = None
    await_payment_confirmation: StrictBool | None = None
    trial_end_date: InputDateTime | None = None
    additional_meta_data: JsonObject | None = None


class SubscriptionCancellationInput(StiggInput):
    """Input of ``cancelSubscription``; a SPECIFIC_DATE cancellation needs ``end_date``.

    Example:
        >>> SubscriptionCancellationInput(
        ...     subscription_ref_id="subscription-1",
        ...     subscription_cancellation_time="END_OF_BILLING_PERIOD",
        ... ).to_variables()
        {'subscriptionRefId': 'subscription-1', 'subscriptionCancellationTime': 'END_OF_BILLING_PERIOD'}
    """  # noqa: E501

    subscription_ref_id: Id
    subscription_cancellation_action: SubscriptionCancellationAction | None = None
    # Declared before end_date so that its validator can see it.
    subscription_cancellation_time: SubscriptionCancellationTime | None = None
    end_date: InputDateTime | None = Field(default=None, validate_default=True)
    prorate: StrictBool | None = None
    await_subscription_cancellation: StrictBool | None = None

    @field_validator("end_date")
    @classmethod
    def _specific_date_needs_end_date(cls, value: object, info: ValidationInfo) -> object:
        time = info.data.get("subscription_cancellation_time")
        if value is None and time is SubscriptionCancellationTime.SPECIFIC_DATE:
            raise ValueError("required when subscription_cancellation_time is SPECIFIC_DATE")
        return value


class SubscriptionMigrationInput(StiggInput):
    """Input of ``migrateSubscriptionToLatest``."""

    subscription_id: Id
    subscription_migration_time: SubscriptionMigrationTime | None = None


class EstimateSubscriptionInput(_NewSubscriptionFields):
    """Input of ``estimateSubscription``: price a subscription before creating it."""

    skip_trial: StrictBool | None = None


class EstimateSubscriptionUpdateInput(StiggInput):
    """Input of ``estimateSubscriptionUpdate``: price a change to a subscription."""

    subscription_id: Id
    unit_quantity: NonNegativeFloat | None = None
    addons: tuple[SubscriptionAddonInput, ...] | None = None
    billable_features: tuple[BillableFeatureInput, ...] | None = None
    promotion_code: Id | None = None
    applied_coupon: SubscriptionCouponInput | None = None


class GetActiveSubscriptionsInput(StiggInput):
    """Input of ``getActiveSubscriptions``; narrow with ``resource_id(s)``."""

    customer_id: Id
    resource_id: Id | None = None
    resource_ids: tuple[Id, ...] | None = None


class GetSubscriptionInput(StiggInput):
    """Input of ``getSubscription``."""

    subscription_id: Id
