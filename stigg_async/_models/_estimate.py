"""Price estimate results (``estimateSubscription`` / ``estimateSubscriptionUpdate``)."""

from __future__ import annotations

from typing import Annotated

from stigg_async._models._base import StiggModel, UtcDateTime, lenient
from stigg_async._models._common import DateRange, Money
from stigg_async._models._enums import DiscountDurationType, DiscountType

__all__ = [
    "SubscriptionPreview",
    "SubscriptionPreviewCredits",
    "SubscriptionPreviewDiscount",
    "SubscriptionPreviewProration",
    "SubscriptionPreviewTaxDetails",
    "SubscriptionPricePreview",
]


class SubscriptionPreviewTaxDetails(StiggModel):
    """The tax applied to an estimate."""

    display_name: str | None = None
    percentage: float | None = None
    inclusive: bool | None = None


class SubscriptionPreviewDiscount(StiggModel):
    """A discount applied to an estimate."""

    type: Annotated[DiscountType | str, lenient(DiscountType)] | None = None
    value: float | None = None
    duration_type: Annotated[DiscountDurationType | str, lenient(DiscountDurationType)] | None = (
        None
    )
    duration_in_months: float | None = None
    name: str | None = None
    start: UtcDateTime | None = None
    end: UtcDateTime | None = None


class SubscriptionPreviewProration(StiggModel):
    """The prorated credit and debit of changing a subscription mid-period."""

    proration_date: UtcDateTime
    credit: Money
    debit: Money
    net_amount: Money | None = None
    has_prorations: bool | None = None


class SubscriptionPreviewCredits(StiggModel):
    """Customer credits used by an estimate."""

    initial: Money
    used: Money
    remaining: Money


class SubscriptionPricePreview(StiggModel):
    """The subscription's recurring price, apart from one-off prorations."""

    sub_total: Money
    total: Money
    total_excluding_tax: Money | None = None
    tax: Money | None = None
    discount_amount: Money | None = None


class SubscriptionPreview(StiggModel):
    """An estimate of what a new or changed subscription costs.

    Example:
        >>> est = SubscriptionPreview.model_validate({
        ...     "subTotal": {"amount": 30, "currency": "USD"},
        ...     "total": {"amount": 30, "currency": "USD"},
        ...     "billingPeriodRange": {"start": "2022-10-26T15:32:57.016Z",
        ...                            "end": "2022-11-26T15:32:57.016Z"},
        ...     "proration": None,
        ... })
        >>> (est.total.amount, est.billing_period_range.end.month, est.proration)
        (30.0, 11, None)
    """

    sub_total: Money
    total: Money
    billing_period_range: DateRange
    total_excluding_tax: Money | None = None
    tax: Money | None = None
    discount_amount: Money | None = None
    tax_details: SubscriptionPreviewTaxDetails | None = None
    discount: SubscriptionPreviewDiscount | None = None
    proration: SubscriptionPreviewProration | None = None
    is_plan_downgrade: bool | None = None
    has_scheduled_updates: bool | None = None
    credits: SubscriptionPreviewCredits | None = None
    subscription: SubscriptionPricePreview | None = None
