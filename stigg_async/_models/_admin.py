"""Customer administration results: statistics, the customer portal, payment sessions, checkout."""

from __future__ import annotations

from typing import Annotated

from stigg_async._models._base import Items, StiggModel, UtcDateTime, lenient
from stigg_async._models._catalog import Plan
from stigg_async._models._common import DateRange, Feature, Money
from stigg_async._models._customer import Customer
from stigg_async._models._entitlement import Entitlement
from stigg_async._models._enums import (
    BillingModel,
    BillingPeriod,
    PaymentMethodType,
    PricingType,
    PromotionalEntitlementPeriod,
    SubscriptionStatus,
)
from stigg_async._models._subscription import Subscription, SubscriptionTotalPrice

__all__ = [
    "CheckoutBillingIntegration",
    "CheckoutCredentials",
    "CheckoutState",
    "CustomerPortal",
    "CustomerPortalAddon",
    "CustomerPortalBillingInformation",
    "CustomerPortalPromotionalEntitlement",
    "CustomerPortalSubscription",
    "CustomerPortalSubscriptionPrice",
    "CustomerPortalSubscriptionPricing",
    "PaymentSession",
]


class CustomerPortalBillingInformation(StiggModel):
    """The billing details the portal shows (default payment method, name, email)."""

    name: str | None = None
    email: str | None = None
    default_payment_method_id: str | None = None
    default_payment_method_type: (
        Annotated[PaymentMethodType | str, lenient(PaymentMethodType)] | None
    ) = None
    default_payment_method_last4_digits: str | None = None
    default_payment_expiration_month: int | None = None
    default_payment_expiration_year: int | None = None


class CustomerPortalAddon(StiggModel):
    """An add-on of a subscription as the portal lists it."""

    addon_id: str
    display_name: str
    description: str | None = None
    quantity: int


class CustomerPortalSubscriptionPrice(StiggModel):
    """One price of a subscription in the portal."""

    billing_model: Annotated[BillingModel | str, lenient(BillingModel)] | None = None
    billing_period: Annotated[BillingPeriod | str, lenient(BillingPeriod)] | None = None
    price: Money | None = None
    feature: Feature | None = None


class CustomerPortalSubscriptionPricing(StiggModel):
    """A subscription's pricing summary in the portal."""

    pricing_type: Annotated[PricingType | str, lenient(PricingType)]
    billing_model: Annotated[BillingModel | str, lenient(BillingModel)] | None = None
    billing_period: Annotated[BillingPeriod | str, lenient(BillingPeriod)] | None = None
    unit_quantity: int | None = None
    price: Money | None = None


class CustomerPortalSubscription(StiggModel):
    """A live subscription as the customer portal shows it."""

    subscription_id: str
    plan_id: str
    plan_name: str
    pricing_type: Annotated[PricingType | str, lenient(PricingType)]
    status: Annotated[SubscriptionStatus | str, lenient(SubscriptionStatus)]
    trial_remaining_days: int | None = None
    billing_period_range: DateRange | None = None
    addons: Items[CustomerPortalAddon] = ()
    prices: Items[CustomerPortalSubscriptionPrice] = ()
    pricing: CustomerPortalSubscriptionPricing | None = None
    total_price: SubscriptionTotalPrice | None = None


class CustomerPortalPromotionalEntitlement(StiggModel):
    """An active, visible promotional entitlement in the portal."""

    display_name: str
    description: str | None = None
    period: Annotated[PromotionalEntitlementPeriod | str, lenient(PromotionalEntitlementPeriod)]
    start_date: UtcDateTime
    end_date: UtcDateTime | None = None
    usage_limit: float | None = None
    has_unlimited_usage: bool | None = None
    has_soft_limit: bool | None = None


class CustomerPortal(StiggModel):
    """What a self-service portal shows a customer (``customerPortal``).

    Example:
        >>> p = CustomerPortal.model_validate({
        ...     "billingPortalUrl": None, "canUpgradeSubscription": True, "showWatermark": False,
        ...     "billingInformation": {"email": "a@b.test"},
        ...     "subscriptions": [{"subscriptionId": "s-1", "planId": "plan-revvenu-basic",
        ...                        "planName": "Basic", "pricingType": "FREE", "status": "ACTIVE"}],
        ... })
        >>> ([s.plan_id for s in p.subscriptions], p.billing_information.email)
        (['plan-revvenu-basic'], 'a@b.test')
    """

    billing_portal_url: str | None = None
    can_upgrade_subscription: bool
    show_watermark: bool = False
    billing_information: CustomerPortalBillingInformation
    subscriptions: Items[CustomerPortalSubscription] = ()
    promotional_entitlements: Items[CustomerPortalPromotionalEntitlement] = ()
    entitlements: Items[Entitlement] = ()


class PaymentSession(StiggModel):
    """A payment-method setup session (``createPaymentSession``): hand ``token`` to the UI.

    Example:
        >>> PaymentSession.model_validate({"token": "seti_123"}).token
        'seti_123'
    """

    token: str


class CheckoutCredentials(StiggModel):
    """The billing provider's public credentials for a checkout form."""

    account_id: str | None = None
    public_key: str | None = None


class CheckoutBillingIntegration(StiggModel):
    """Which billing provider a checkout uses, with its public credentials."""

    billing_identifier: str
    credentials: CheckoutCredentials


class CheckoutState(StiggModel):
    """What a checkout page needs (``checkoutState``): customer, plan, secret, provider.

    Example:
        >>> c = CheckoutState.model_validate({
        ...     "setupSecret": "seti_1", "customer": {"refId": "c-1"},
        ...     "plan": {"refId": "plan-revvenu-growth"},
        ...     "billingIntegration": {"billingIdentifier": "STRIPE", "credentials": {}},
        ... })
        >>> (c.plan.ref_id, c.active_subscription, c.billing_integration.billing_identifier)
        ('plan-revvenu-growth', None, 'STRIPE')
    """

    setup_secret: str
    customer: Customer
    plan: Plan
    active_subscription: Subscription | None = None
    billing_integration: CheckoutBillingIntegration
