"""The emulator's in-memory records: customers, subscriptions, promotions, usage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from stigg_async.emulator._catalog import PlanDef

__all__ = [
    "LIVE_STATUSES",
    "Checkout",
    "Customer",
    "EntitlementValue",
    "Grant",
    "Invoice",
    "Promotion",
    "Subscription",
    "SubscriptionRequest",
    "UsageRecord",
    "UsageResult",
]

#: Statuses whose subscriptions grant entitlements.
LIVE_STATUSES = frozenset({"ACTIVE", "IN_TRIAL"})


@dataclass
class Customer:
    """A provisioned customer."""

    customer_id: str
    uuid: str
    created_at: datetime
    updated_at: datetime
    name: str | None = None
    email: str | None = None
    billing_id: str | None = None
    crm_id: str | None = None
    salesforce_id: str | None = None
    aws_marketplace_customer_id: str | None = None
    metadata: Any = None
    coupon_id: str | None = None
    payment_method_id: str | None = None
    billing_currency: str | None = None
    exclude_from_experiment: bool | None = None
    trialed_plans: set[str] = field(default_factory=set)
    #: Set while archived: hidden from lists, no new subscriptions, entitlements denied.
    archived_at: datetime | None = None


@dataclass
class Invoice:
    """The latest invoice of a paid subscription (Stripe-like)."""

    billing_id: str
    status: str
    created_at: datetime
    updated_at: datetime
    total: float
    currency: str
    requires_action: bool = False
    payment_url: str | None = None
    payment_secret: str | None = None
    error_message: str | None = None


@dataclass
class Subscription:
    """A customer's subscription to one plan (optionally for one resource)."""

    subscription_id: str
    uuid: str
    customer_id: str
    plan: PlanDef
    status: str
    start_date: datetime
    created_at: datetime
    updated_at: datetime
    resource_id: str | None = None
    billing_period: str = "MONTHLY"
    trial_end_date: datetime | None = None
    end_date: datetime | None = None
    cancellation_date: datetime | None = None
    effective_end_date: datetime | None = None
    addons: dict[str, int] = field(default_factory=dict)
    billable_features: dict[str, float] = field(default_factory=dict)
    metadata: Any = None
    payment_collection: str = "NOT_REQUIRED"
    invoice: Invoice | None = None
    was_in_trial: bool = False
    coupon_id: str | None = None
    billing_id: str | None = None
    #: When the status must next be re-evaluated (trial end, scheduled cancel, start).
    next_transition: datetime | None = None
    #: The customer who pays, when the subscription was delegated to another customer.
    paying_customer_id: str | None = None
    #: Changes waiting for the end of the billing period (``cancelSchedule`` drops them).
    scheduled_updates: list[ScheduledUpdate] = field(default_factory=list)

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES


@dataclass
class ScheduledUpdate:
    """A subscription change that takes effect later (an update with a scheduled strategy)."""

    schedule_type: str
    execution_time: datetime
    created_at: datetime
    changes: dict[str, Any]
    status: str = "Scheduled"


@dataclass
class Promotion:
    """A promotional entitlement granted to a customer for one feature."""

    uuid: str
    customer_id: str
    feature_id: str
    period: str
    start_date: datetime
    end_date: datetime | None
    created_at: datetime
    updated_at: datetime
    usage_limit: float | None = None
    unlimited: bool = False
    soft_limit: bool = False
    reset_period: str | None = None
    is_visible: bool = True
    #: Feature groups this promotion was granted through (``grantPromotionalEntitlementsGroup``).
    feature_group_ids: list[str] = field(default_factory=list)

    def is_active(self, now: datetime) -> bool:
        return self.end_date is None or self.end_date > now


@dataclass
class UsageRecord:
    """Usage of one feature by one customer (and resource) in the current period."""

    value: float = 0.0
    period_start: datetime | None = None
    updated_at: datetime | None = None
    uniques: set[str] | None = None


@dataclass(frozen=True)
class UsageResult:
    """What ``reportUsage`` answers for one applied (or replayed) measurement."""

    id: str
    customer_id: str
    feature_id: str
    resource_id: str | None
    value: float
    current_usage: float
    created_at: datetime
    timestamp: datetime
    usage_period_start: datetime | None
    usage_period_end: datetime | None


@dataclass
class Grant:
    """One feature's effective entitlement, merged from plans, add-ons and promotions."""

    feature_id: str
    usage_limit: float | None = None
    unlimited: bool = False
    soft_limit: bool = False
    reset_period: str | None = None
    anchor: datetime | None = None
    updated_at: datetime | None = None
    display_name_override: str | None = None

    def more_generous_than(self, other: Grant) -> bool:
        if self.unlimited != other.unlimited:
            return self.unlimited
        if other.usage_limit is None:
            return False
        return self.usage_limit is None or self.usage_limit > other.usage_limit


@dataclass(frozen=True)
class EntitlementValue:
    """A computed entitlement as the API reports it."""

    feature_id: str
    customer_id: str
    resource_id: str | None
    is_granted: bool
    access_denied_reason: str | None = None
    usage_limit: float | None = None
    unlimited: bool = False
    soft_limit: bool = False
    current_usage: float | None = None
    requested_usage: float | None = None
    reset_period: str | None = None
    usage_period_anchor: datetime | None = None
    usage_period_start: datetime | None = None
    usage_period_end: datetime | None = None
    usage_updated_at: datetime | None = None
    entitlement_updated_at: datetime | None = None
    display_name_override: str | None = None


@dataclass
class SubscriptionRequest:
    """A normalised subscription request, whichever mutation it came from."""

    customer_id: str
    plan_id: str
    resource_id: str | None = None
    subscription_id: str | None = None
    billing_period: str = "MONTHLY"
    unit_quantity: float | None = None
    billable_features: dict[str, float] = field(default_factory=dict)
    addons: dict[str, int] = field(default_factory=dict)
    metadata: Any = None
    skip_trial: bool = False
    trial: bool | None = None
    start_date: datetime | None = None
    coupon_id: str | None = None
    billing_id: str | None = None
    checkout: bool = False
    billing_country_code: str | None = None


@dataclass
class Checkout:
    """A pending checkout session: completing it creates the subscription."""

    id: str
    request: SubscriptionRequest
    created_at: datetime
    subscription_id: str | None = None
