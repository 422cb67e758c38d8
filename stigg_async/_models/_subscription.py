"""Subscription results, including the outcome of provisioning one."""

from __future__ import annotations

from typing import Annotated

from stigg_async._models._base import Items, JsonObject, StiggModel, UtcDateTime, lenient
from stigg_async._models._catalog import Addon, Plan, Price
from stigg_async._models._common import Money
from stigg_async._models._enums import (
    BillingPeriod,
    PaymentCollection,
    PricingType,
    ProvisionSubscriptionStatus,
    SubscriptionCancelReason,
    SubscriptionInvoiceStatus,
    SubscriptionStatus,
)

__all__ = [
    "Invoice",
    "ProvisionSubscriptionResult",
    "Subscription",
    "SubscriptionAddon",
    "SubscriptionCustomer",
    "SubscriptionPrice",
    "SubscriptionResource",
    "SubscriptionTotalPrice",
]


class Invoice(StiggModel):
    """A subscription's invoice (``latestInvoice``); carries the payment state.

    ``payment_secret`` is a client secret for completing a payment: hand it to the
    payer's browser, never log it.
    """

    billing_id: str | None = None
    status: (
        Annotated[SubscriptionInvoiceStatus | str, lenient(SubscriptionInvoiceStatus)] | None
    ) = None
    created_at: UtcDateTime | None = None
    updated_at: UtcDateTime | None = None
    requires_action: bool | None = None
    payment_url: str | None = None
    payment_secret: str | None = None
    error_message: str | None = None
    pdf_url: str | None = None
    currency: str | None = None
    amount_due: float | None = None
    total: float | None = None


class SubscriptionAddon(StiggModel):
    """An add-on on a subscription with its quantity."""

    quantity: float
    addon: Addon
    id: str | None = None


class SubscriptionPrice(StiggModel):
    """A price charged by a subscription and the usage limit it buys."""

    feature_id: str | None = None
    usage_limit: float | None = None
    price: Price | None = None


class SubscriptionTotalPrice(StiggModel):
    """A subscription's total per billing period."""

    sub_total: Money
    total: Money


class SubscriptionCustomer(StiggModel):
    """The customer a subscription belongs to (ids only)."""

    id: str | None = None
    customer_id: str | None = None
    ref_id: str | None = None


class SubscriptionResource(StiggModel):
    """The resource (e.g. a site) a subscription is scoped to."""

    resource_id: str


class Subscription(StiggModel):
    """A customer's subscription to a plan.

    One model serves the slim selection (``getActiveSubscriptions``) and the full one
    (``getSubscription``, mutations): fields a selection omits are ``None`` or empty.

    Example:
        >>> s = Subscription.model_validate({
        ...     "refId": "subscription-plan-revvenu-basic-7b5a40",
        ...     "status": "ACTIVE",
        ...     "plan": {"refId": "plan-revvenu-basic"},
        ... })
        >>> (s.ref_id, s.status, s.is_active, s.plan_id)
        ('subscription-plan-revvenu-basic-7b5a40', <SubscriptionStatus.ACTIVE: 'ACTIVE'>, True, 'plan-revvenu-basic')
    """  # noqa: E501

    ref_id: str
    status: Annotated[SubscriptionStatus | str, lenient(SubscriptionStatus)]
    id: str | None = None
    subscription_id: str | None = None
    pricing_type: Annotated[PricingType | str, lenient(PricingType)] | None = None
    billing_period: Annotated[BillingPeriod | str, lenient(BillingPeriod)] | None = None
    payment_collection: Annotated[PaymentCollection | str, lenient(PaymentCollection)] | None = None
    start_date: UtcDateTime | None = None
    end_date: UtcDateTime | None = None
    trial_end_date: UtcDateTime | None = None
    cancellation_date: UtcDateTime | None = None
    effective_end_date: UtcDateTime | None = None
    current_billing_period_start: UtcDateTime | None = None
    current_billing_period_end: UtcDateTime | None = None
    additional_meta_data: JsonObject | None = None
    billing_id: str | None = None
    billing_link_url: str | None = None
    billing_sync_error: str | None = None
    cancel_reason: (
        Annotated[SubscriptionCancelReason | str, lenient(SubscriptionCancelReason)] | None
    ) = None
    resource: SubscriptionResource | None = None
    plan: Plan | None = None
    customer: SubscriptionCustomer | None = None
    addons: Items[SubscriptionAddon] = ()
    prices: Items[SubscriptionPrice] = ()
    total_price: SubscriptionTotalPrice | None = None
    latest_invoice: Invoice | None = None

    @property
    def is_active(self) -> bool:
        """True while the subscription grants access (ACTIVE or IN_TRIAL)."""
        return self.status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.IN_TRIAL)

    @property
    def plan_id(self) -> str | None:
        """The plan's ``ref_id``, when the plan was selected."""
        return self.plan.ref_id if self.plan is not None else None

    @property
    def resource_id(self) -> str | None:
        """The id of the resource the subscription is scoped to, if any."""
        return self.resource.resource_id if self.resource is not None else None


class ProvisionSubscriptionResult(StiggModel):
    """Outcome of ``provision_subscription``: created, checkout needed, or payment trouble.

    Tell the outcomes apart with the properties:

    - ``is_success``: the subscription exists and needs nothing from the payer;
    - ``checkout_url`` set (status PAYMENT_REQUIRED): redirect the payer there;
    - ``requires_payment_action``: the payment needs the payer (e.g. 3-D Secure);
      see ``subscription.latest_invoice.payment_url``;
    - ``payment_failed``: the payment failed; see ``latest_invoice.error_message``.

    Example:
        >>> r = ProvisionSubscriptionResult.model_validate(
        ...     {"status": "PAYMENT_REQUIRED", "checkoutUrl": "http://127.0.0.1/cs_1",
        ...      "subscription": None}
        ... )
        >>> (r.is_success, r.needs_checkout, r.checkout_url)
        (False, True, 'http://127.0.0.1/cs_1')
    """

    status: Annotated[ProvisionSubscriptionStatus | str, lenient(ProvisionSubscriptionStatus)]
    id: str | None = None
    checkout_url: str | None = None
    checkout_billing_id: str | None = None
    is_scheduled: bool | None = None
    subscription: Subscription | None = None

    @property
    def _payment_collection(self) -> PaymentCollection | str | None:
        sub = self.subscription
        return sub.payment_collection if sub is not None else None

    @property
    def needs_checkout(self) -> bool:
        """True when the payer must complete a checkout at ``checkout_url``."""
        return self.status == ProvisionSubscriptionStatus.PAYMENT_REQUIRED

    @property
    def requires_payment_action(self) -> bool:
        """True when the payment awaits the payer's action (``ACTION_REQUIRED``)."""
        return self._payment_collection == PaymentCollection.ACTION_REQUIRED

    @property
    def payment_failed(self) -> bool:
        """True when the subscription's payment failed (``FAILED``)."""
        return self._payment_collection == PaymentCollection.FAILED

    @property
    def is_success(self) -> bool:
        """True when the subscription was provisioned and no payment step is pending."""
        return (
            self.status == ProvisionSubscriptionStatus.SUCCESS
            and self.subscription is not None
            and not self.requires_payment_action
            and not self.payment_failed
        )
