"""Results of the subscription administration operations: list, previews, apply, delegate."""

from __future__ import annotations

from typing import Annotated

from stigg_async._models._base import Items, StiggModel, UtcDateTime, lenient
from stigg_async._models._common import Connection, DateRange, Money
from stigg_async._models._entitlement import Entitlement
from stigg_async._models._enums import InvoiceLineItemType
from stigg_async._models._estimate import SubscriptionPreviewProration
from stigg_async._models._subscription import Subscription, SubscriptionCustomer

__all__ = [
    "AppliedSubscription",
    "DelegatedSubscription",
    "ImmediateInvoicePreview",
    "InvoiceLinePreview",
    "InvoicePreview",
    "NextInvoicePreview",
    "SubscriptionEdge",
    "SubscriptionPage",
    "SubscriptionPreviewV2",
]


class SubscriptionEdge(StiggModel):
    """One subscription in a page, with its cursor."""

    node: Subscription
    cursor: str | None = None


class SubscriptionPage(Connection):
    """A page of subscriptions (the ``subscriptions`` connection).

    Example:
        >>> page = SubscriptionPage.model_validate(
        ...     {"edges": [{"node": {"refId": "s-1", "status": "ACTIVE"}, "cursor": "c1"}],
        ...      "pageInfo": {"hasNextPage": True, "endCursor": "c1"}, "totalCount": 3}
        ... )
        >>> ([s.ref_id for s in page.items], page.has_next_page)
        (['s-1'], True)
    """

    edges: Items[SubscriptionEdge] = ()

    @property
    def items(self) -> tuple[Subscription, ...]:
        """The subscriptions of this page, in order."""
        return tuple(edge.node for edge in self.edges)


class InvoicePreview(StiggModel):
    """The totals of a previewed invoice."""

    sub_total: Money
    total: Money
    total_excluding_tax: Money | None = None
    tax: Money | None = None
    discount: Money | None = None


class ImmediateInvoicePreview(InvoicePreview):
    """What a previewed change charges now, with its proration."""

    proration: SubscriptionPreviewProration | None = None


class SubscriptionPreviewV2(StiggModel):
    """A priced preview of a subscription (``previewSubscription``): due now and recurring.

    Example:
        >>> p = SubscriptionPreviewV2.model_validate({
        ...     "immediateInvoice": {"subTotal": {"amount": 30, "currency": "USD"},
        ...                          "total": {"amount": 30, "currency": "USD"}},
        ...     "recurringInvoice": {"subTotal": {"amount": 30, "currency": "USD"},
        ...                          "total": {"amount": 30, "currency": "USD"}},
        ...     "billingPeriodRange": {"start": "2024-01-01T00:00:00Z"},
        ... })
        >>> (p.immediate_invoice.total.amount, p.recurring_invoice.total.amount)
        (30.0, 30.0)
    """

    immediate_invoice: ImmediateInvoicePreview
    billing_period_range: DateRange
    recurring_invoice: InvoicePreview | None = None
    is_plan_downgrade: bool | None = None
    has_scheduled_updates: bool | None = None


class InvoiceLinePreview(StiggModel):
    """One line of a previewed invoice."""

    type: Annotated[InvoiceLineItemType | str, lenient(InvoiceLineItemType)]
    description: str
    amount: Money
    cost_description: str | None = None
    quantity: int | None = None
    proration: bool | None = None
    unit_price: Money | None = None
    period: DateRange | None = None


class NextInvoicePreview(InvoicePreview):
    """The subscription's next invoice (``previewNextInvoice``), scheduled changes included.

    Example:
        >>> inv = NextInvoicePreview.model_validate({
        ...     "amountDue": {"amount": 30, "currency": "USD"},
        ...     "subTotal": {"amount": 30, "currency": "USD"},
        ...     "total": {"amount": 30, "currency": "USD"},
        ...     "lines": [{"type": "BaseCharge", "description": "Essentials",
        ...                "amount": {"amount": 30, "currency": "USD"}}],
        ... })
        >>> (inv.amount_due.amount, inv.lines[0].type)
        (30.0, <InvoiceLineItemType.BASE_CHARGE: 'BaseCharge'>)
    """

    amount_due: Money
    last_updated_at: UtcDateTime | None = None
    lines: Items[InvoiceLinePreview] = ()


class AppliedSubscription(StiggModel):
    """The outcome of ``applySubscription``: the subscription and the entitlements it gives."""

    subscription: Subscription | None = None
    entitlements: Items[Entitlement] = ()


class DelegatedSubscription(Subscription):
    """A subscription delegated to another customer; ``paying_customer`` still pays for it."""

    paying_customer: SubscriptionCustomer | None = None
