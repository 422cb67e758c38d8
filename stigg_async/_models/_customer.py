"""Customer results: a customer, the outcome of provisioning one, and customer pages."""

from __future__ import annotations

from typing import Annotated

from stigg_async._models._base import Items, JsonObject, StiggModel, UtcDateTime, lenient
from stigg_async._models._common import Connection
from stigg_async._models._coupon import Coupon
from stigg_async._models._enums import (
    Currency,
    PaymentMethodType,
    PricingType,
    SubscriptionDecisionStrategy,
)
from stigg_async._models._promotion import PromotionalEntitlement
from stigg_async._models._subscription import Subscription

__all__ = [
    "Customer",
    "CustomerEdge",
    "CustomerPage",
    "CustomerStatistics",
    "ProvisionedCustomer",
    "SubscriptionPricingTypeStatistics",
]


class SubscriptionPricingTypeStatistics(StiggModel):
    """How many live subscriptions of one pricing type a customer has."""

    pricing_type: Annotated[PricingType | str, lenient(PricingType)]
    total_count: float


class CustomerStatistics(StiggModel):
    """A customer's live subscriptions counted by pricing type.

    Example:
        >>> s = CustomerStatistics.model_validate({"activeSubscriptionsByPricingType": [
        ...     {"pricingType": "PAID", "totalCount": 2}]})
        >>> s.active_subscriptions("PAID"), s.active_subscriptions("FREE")
        (2, 0)
    """

    active_subscriptions_by_pricing_type: Items[SubscriptionPricingTypeStatistics] = ()

    def active_subscriptions(self, pricing_type: PricingType | str) -> int:
        """The number of live subscriptions of ``pricing_type`` (0 when none)."""
        return int(
            sum(
                s.total_count
                for s in self.active_subscriptions_by_pricing_type
                if s.pricing_type == pricing_type
            )
        )


class Customer(StiggModel):
    """A customer of yours, known to Stigg by the id you chose (``ref_id``/``customer_id``).

    Example:
        >>> c = Customer.model_validate({
        ...     "refId": "customer-id", "name": "Acme",
        ...     "createdAt": "2022-09-22T08:00:28.965Z",
        ...     "additionalMetaData": {"key": "value"},
        ... })
        >>> (c.ref_id, c.name, c.created_at.tzinfo is not None, c.additional_meta_data)
        ('customer-id', 'Acme', True, {'key': 'value'})
    """

    ref_id: str
    id: str | None = None
    customer_id: str | None = None
    name: str | None = None
    email: str | None = None
    billing_id: str | None = None
    crm_id: str | None = None
    has_payment_method: bool | None = None
    has_active_subscription: bool | None = None
    billing_currency: Annotated[Currency | str, lenient(Currency)] | None = None
    default_payment_method_type: (
        Annotated[PaymentMethodType | str, lenient(PaymentMethodType)] | None
    ) = None
    default_payment_method_last4_digits: str | None = None
    default_payment_expiration_month: int | None = None
    default_payment_expiration_year: int | None = None
    additional_meta_data: JsonObject | None = None
    created_at: UtcDateTime | None = None
    updated_at: UtcDateTime | None = None
    coupon: Coupon | None = None
    promotional_entitlements: Items[PromotionalEntitlement] = ()
    subscriptions: Items[Subscription] = ()
    #: When the customer was archived (``None`` while not archived).
    deleted_at: UtcDateTime | None = None
    statistics: CustomerStatistics | None = None

    @property
    def is_archived(self) -> bool:
        """True when the customer is archived (``archive_customer``)."""
        return self.deleted_at is not None


class ProvisionedCustomer(StiggModel):
    """Outcome of ``provision_customer``: the customer and the subscription it got, if any.

    Example:
        >>> p = ProvisionedCustomer.model_validate({
        ...     "customer": {"refId": "customer-id"},
        ...     "subscriptionDecisionStrategy": "REQUESTED_PLAN",
        ...     "subscription": {"refId": "sub-1", "status": "ACTIVE",
        ...                      "plan": {"refId": "plan-revvenu-basic"}},
        ... })
        >>> (p.customer.ref_id, p.subscription_decision_strategy, p.subscription.plan_id)
        ('customer-id', <SubscriptionDecisionStrategy.REQUESTED_PLAN: 'REQUESTED_PLAN'>, 'plan-revvenu-basic')
    """  # noqa: E501

    customer: Customer
    subscription_decision_strategy: Annotated[
        SubscriptionDecisionStrategy | str, lenient(SubscriptionDecisionStrategy)
    ]
    subscription: Subscription | None = None


class CustomerEdge(StiggModel):
    """One customer in a page, with its cursor."""

    node: Customer
    cursor: str | None = None


class CustomerPage(Connection):
    """A page of customers (the ``customers`` connection).

    Example:
        >>> page = CustomerPage.model_validate(
        ...     {"edges": [{"node": {"refId": "customer-id"}, "cursor": "c1"}],
        ...      "pageInfo": {"hasNextPage": True, "endCursor": "c1"}, "totalCount": 7}
        ... )
        >>> ([c.ref_id for c in page.items], page.has_next_page, page.end_cursor, page.total_count)
        (['customer-id'], True, 'c1', 7)
    """

    edges: Items[CustomerEdge] = ()

    @property
    def items(self) -> tuple[Customer, ...]:
        """The customers of this page, in order."""
        return tuple(edge.node for edge in self.edges)
