"""The emulator's business state: customers, subscriptions, entitlements, usage.

Everything here is synchronous and runs on the event loop thread, so each
operation is atomic with respect to concurrent requests. Tests and benchmarks may
call these methods directly (``emu.state``) to seed data without HTTP.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from stigg_async.emulator._catalog import Catalog, FeatureDef, PlanDef, PriceDef
from stigg_async.emulator._changes import NO_LISTENER, ChangeListener, published_packages
from stigg_async.emulator._credits import CreditsState
from stigg_async.emulator._errors import EmulatorError, ErrorCode
from stigg_async.emulator._ledger import UsageLedger
from stigg_async.emulator._records import (
    Checkout,
    Customer,
    EntitlementValue,
    Grant,
    Invoice,
    Promotion,
    ScheduledUpdate,
    Subscription,
    SubscriptionRequest,
    UsageRecord,
    UsageResult,
)
from stigg_async.emulator._time import add_months, period_bounds

__all__ = ["EmulatorState", "PaymentOutcome", "ProvisionOutcome", "UsageReport", "prices_for"]

_BILLING_PERIOD_RESET = {"MONTHLY": "MONTH", "ANNUALLY": "YEAR"}
_PROMO_PERIODS: dict[str, Callable[[datetime], datetime]] = {
    "ONE_WEEK": lambda d: d + timedelta(weeks=1),
    "ONE_MONTH": lambda d: add_months(d, 1),
    "SIX_MONTH": lambda d: add_months(d, 6),
    "ONE_YEAR": lambda d: add_months(d, 12),
}


class PaymentOutcome:
    """Stripe-style test payment methods and what paying with them does."""

    DEFAULT = "pm_card_visa"
    ACTION_REQUIRED = frozenset({"pm_card_authenticationRequired", "pm_card_threeDSecure2Required"})
    DECLINED: Mapping[str, str] = {
        "pm_card_chargeDeclined": "Your card was declined.",
        "pm_card_chargeDeclinedInsufficientFunds": "Your card has insufficient funds.",
        "pm_card_chargeDeclinedExpiredCard": "Your card has expired.",
    }


class ProvisionOutcome:
    """The result of provisioning: a subscription, or a checkout URL to visit first."""

    __slots__ = ("checkout_url", "id", "subscription")

    def __init__(
        self, *, id: str, subscription: Subscription | None, checkout_url: str | None
    ) -> None:
        self.id = id
        self.subscription = subscription
        self.checkout_url = checkout_url

    @property
    def status(self) -> str:
        return "PAYMENT_REQUIRED" if self.subscription is None else "SUCCESS"


class UsageReport:
    """One usage measurement to apply (the fields of ``ReportUsageInput``)."""

    __slots__ = (
        "created_at",
        "customer_id",
        "feature_id",
        "idempotency_key",
        "resource_id",
        "update_behavior",
        "value",
    )

    def __init__(
        self,
        customer_id: str,
        feature_id: str,
        value: float,
        *,
        resource_id: str | None = None,
        update_behavior: str = "DELTA",
        idempotency_key: str | None = None,
        created_at: datetime | None = None,
    ) -> None:
        self.customer_id = customer_id
        self.feature_id = feature_id
        self.value = float(value)
        self.resource_id = resource_id
        self.update_behavior = update_behavior or "DELTA"
        self.idempotency_key = idempotency_key
        self.created_at = created_at


def prices_for(
    prices: Iterable[PriceDef], billing_period: str | None, country: str | None
) -> list[PriceDef]:
    """The prices that apply in ``country``: its own if it has any, else the default ones.

    Example:
        >>> usd = PriceDef("FLAT_FEE", "MONTHLY", 10.0)
        >>> dkk = PriceDef("FLAT_FEE", "MONTHLY", 70.0, "DKK", billing_country_code="DK")
        >>> [p.amount for p in prices_for([usd, dkk], "MONTHLY", "DK")]
        [70.0]
        >>> [p.amount for p in prices_for([usd, dkk], "MONTHLY", "US")]
        [10.0]
    """
    in_period = [p for p in prices if billing_period is None or p.billing_period == billing_period]
    local = [p for p in in_period if country is not None and p.billing_country_code == country]
    return local or [p for p in in_period if p.billing_country_code is None]


class EmulatorState:
    """All customers, subscriptions, promotions and usage, plus the catalog.

    Example:
        >>> from stigg_async.emulator import FakeClock  # doctest: +SKIP
        >>> state = EmulatorState(Catalog.default(), now=FakeClock().now)  # doctest: +SKIP
        >>> state.provision_customer("c-1").customer_id  # doctest: +SKIP
        'c-1'
    """

    def __init__(self, catalog: Catalog, *, now: Callable[[], datetime], seed: int = 0) -> None:
        self._now = now
        self._seed = seed
        self.base_url = "http://127.0.0.1"
        self.catalog = catalog
        #: Told of every change to what the entitlement queries answer (the websocket hub).
        self.listener: ChangeListener = NO_LISTENER
        self.reset()

    # ------------------------------------------------------------------ lifecycle

    def now(self) -> datetime:
        """The emulator's current time (its clock plus any offset)."""
        return self._now()

    def reset(self) -> None:
        """Forget every customer, subscription, promotion, usage and idempotency key."""
        self._rng = random.Random(self._seed)
        self.customers: dict[str, Customer] = {}
        self.subscriptions: dict[str, Subscription] = {}
        self._subs_by_customer: dict[str, list[Subscription]] = defaultdict(list)
        self._promotions: dict[str, dict[str, Promotion]] = defaultdict(dict)
        self._usage: dict[tuple[str, str | None, str], UsageRecord] = {}
        self._usage_replays: dict[tuple[str, str, str], UsageResult] = {}
        self._event_keys: set[str] = set()
        self._checkouts: dict[str, Checkout] = {}
        self._invoices: dict[str, Subscription] = {}
        self._plan_grants: dict[tuple[str, int], dict[str, Any]] = {}
        self.usage_ledger = UsageLedger()
        #: Payment sessions and other records of emulator/_admin.py, keyed by kind then id.
        self.admin_records: dict[str, dict[str, Any]] = defaultdict(dict)
        self.applied_usage_reports = 0
        self.replayed_usage_reports = 0
        self.applied_events = 0
        self.replayed_events = 0
        self.credits = CreditsState(
            catalog=lambda: self.catalog,
            now=self.now,
            denial=lambda customer_id, resource_id: self.grants(customer_id, resource_id)[0],
            new_id=self._uuid,
            # Late-bound: the stream hub replaces ``self.listener`` after this.
            changed=lambda customer, resource, currency: self.listener.credits_changed(  # noqa: PLW0108
                customer, resource, currency
            ),
        )
        self._last_sweep = self.now()
        self._index_meters()

    def load_catalog(self, catalog: Catalog) -> None:
        """Replace the catalog; changed plans get a new version, subscriptions keep theirs."""
        previous = self.catalog
        self.catalog = catalog.versioned_against(previous)
        self._plan_grants.clear()
        self._index_meters()
        for package in published_packages(previous, self.catalog):
            self.listener.package_published(*package)

    def _index_meters(self) -> None:
        self._meters: dict[str, list[FeatureDef]] = defaultdict(list)
        for feature in self.catalog.features.values():
            if feature.meter is not None:
                self._meters[feature.meter.event_name].append(feature)

    def _token(self, length: int = 10) -> str:
        return "".join(
            self._rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(length)
        )

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    # ------------------------------------------------------------------ customers

    def get_customer(self, customer_id: str) -> Customer | None:
        """The customer, or ``None``."""
        return self.customers.get(customer_id)

    def require_customer(self, customer_id: str) -> Customer:
        """The customer, or a ``CustomerNotFound`` error."""
        customer = self.customers.get(customer_id)
        if customer is None:
            raise EmulatorError(ErrorCode.CUSTOMER_NOT_FOUND, f"Customer not found: {customer_id}")
        return customer

    def provision_customer(
        self,
        customer_id: str | None = None,
        *,
        name: str | None = None,
        email: str | None = None,
        additional_meta_data: Any = None,
        payment_method_id: str | None = None,
        coupon_id: str | None = None,
        billing_id: str | None = None,
        crm_id: str | None = None,
        salesforce_id: str | None = None,
        created_at: datetime | None = None,
        billing_currency: str | None = None,
    ) -> Customer:
        """Create a customer (a missing id gets a generated one).

        Example:
            >>> emu.state.provision_customer("c-1", email="a@b.c")  # doctest: +SKIP
        """
        customer_id = customer_id or f"customer-{self._token(8)}"
        if customer_id in self.customers:
            raise EmulatorError(
                ErrorCode.DUPLICATED, f"Customer with id {customer_id} already exists"
            )
        if coupon_id is not None:
            self._require_coupon(coupon_id)
        now = self.now()
        customer = Customer(
            customer_id=customer_id,
            uuid=self._uuid(),
            created_at=created_at or now,
            updated_at=now,
            name=name,
            email=email,
            billing_id=billing_id,
            crm_id=crm_id,
            salesforce_id=salesforce_id,
            metadata=additional_meta_data,
            coupon_id=coupon_id,
            payment_method_id=payment_method_id,
            billing_currency=billing_currency,
        )
        self.customers[customer_id] = customer
        self.listener.entitlements_changed(customer_id, None)
        return customer

    def update_customer(self, customer_id: str, **changes: Any) -> Customer:
        """Change the given fields (names as in :class:`Customer`); others stay as they are."""
        customer = self.require_customer(customer_id)
        if changes.get("coupon_id") is not None:
            self._require_coupon(changes["coupon_id"])
        payment_method = changes.pop("payment_method_id", None)
        for key, value in changes.items():
            if not hasattr(customer, key):
                raise TypeError(f"unknown customer field {key}")
            setattr(customer, key, value)
        customer.updated_at = self.now()
        if payment_method:
            self.set_payment_method(customer_id, payment_method)
        return customer

    def set_payment_method(
        self, customer_id: str, payment_method_id: str = PaymentOutcome.DEFAULT
    ) -> Customer:
        """Give the customer a payment method; its pending subscriptions become active."""
        customer = self.require_customer(customer_id)
        customer.payment_method_id = payment_method_id
        customer.updated_at = now = self.now()
        for sub in self._subs_by_customer.get(customer_id, ()):
            if sub.status == "PAYMENT_PENDING":
                sub.status = "ACTIVE"
                sub.updated_at = now
                self._charge(sub, customer)
                self.listener.entitlements_changed(customer_id, sub.resource_id)
        return customer

    def _require_coupon(self, coupon_id: str) -> None:
        if coupon_id not in self.catalog.coupons:
            raise EmulatorError(ErrorCode.COUPON_NOT_FOUND, f"Coupon not found: {coupon_id}")

    # ------------------------------------------------------------------ subscriptions

    def _refresh(self, sub: Subscription, now: datetime) -> None:
        """Apply time-driven transitions: start, trial end, scheduled cancellation."""
        when = sub.next_transition
        if when is None or when > now:
            return
        sub.next_transition = None
        status_before = sub.status
        self._run_due_schedules(sub, now)
        if sub.status == "NOT_STARTED" and sub.start_date <= now:
            sub.status = "IN_TRIAL" if sub.trial_end_date else "ACTIVE"
        if sub.status == "IN_TRIAL" and sub.trial_end_date and sub.trial_end_date <= now:
            customer = self.customers.get(sub.customer_id)
            sub.was_in_trial = True
            if customer is not None and (customer.payment_method_id or not sub.plan.is_paid):
                sub.status = "ACTIVE"
                self._charge(sub, customer)
            else:
                sub.status = "EXPIRED"
                sub.end_date = sub.effective_end_date = sub.trial_end_date
            sub.updated_at = sub.trial_end_date
        if (
            sub.effective_end_date is not None
            and sub.effective_end_date <= now
            and sub.status in {"ACTIVE", "IN_TRIAL", "PAYMENT_PENDING", "NOT_STARTED"}
        ):
            sub.status = "CANCELED"
            sub.end_date = sub.effective_end_date
            sub.updated_at = sub.effective_end_date
        pending = [
            d
            for d in (
                sub.start_date if sub.status == "NOT_STARTED" else None,
                sub.trial_end_date if sub.status == "IN_TRIAL" else None,
                sub.effective_end_date if sub.status != "CANCELED" else None,
                *(u.execution_time for u in sub.scheduled_updates if sub.is_live),
            )
            if d is not None and d > now
        ]
        sub.next_transition = min(pending) if pending else None
        if sub.status != status_before:
            self.listener.entitlements_changed(sub.customer_id, sub.resource_id)

    def _run_due_schedules(self, sub: Subscription, now: datetime) -> None:
        """Apply the scheduled updates whose time has come (in the order they were made)."""
        due = [u for u in sub.scheduled_updates if u.execution_time <= now]
        if not due or not sub.is_live:
            return
        sub.scheduled_updates = [u for u in sub.scheduled_updates if u.execution_time > now]
        for update in due:
            changes = update.changes
            if changes.get("addons") is not None:
                sub.addons = {k: int(v) for k, v in changes["addons"].items() if v}
            if changes.get("billing_period"):
                sub.billing_period = str(changes["billing_period"])
            if changes.get("unit_quantity") is not None:
                for price in sub.plan.prices:
                    if price.billing_model == "PER_UNIT" and price.feature_id:
                        sub.billable_features[price.feature_id] = float(changes["unit_quantity"])
            sub.updated_at = update.execution_time

    def schedule(self, sub: Subscription, update: ScheduledUpdate) -> None:
        """Keep ``update`` until its execution time, when it is applied to ``sub``."""
        sub.scheduled_updates.append(update)
        if sub.next_transition is None or update.execution_time < sub.next_transition:
            sub.next_transition = update.execution_time

    def customer_subscriptions(self, customer_id: str) -> list[Subscription]:
        """Every subscription of the customer, newest first, statuses brought up to date."""
        now = self.now()
        subs = self._subs_by_customer.get(customer_id, [])
        for sub in subs:
            self._refresh(sub, now)
        return list(reversed(subs))

    def live_subscriptions(
        self, customer_id: str, resource_ids: Iterable[str | None] | None = None
    ) -> list[Subscription]:
        """Active and trial subscriptions, optionally only those of the given resources."""
        wanted = None if resource_ids is None else set(resource_ids)
        return [
            s
            for s in self.customer_subscriptions(customer_id)
            if s.is_live and (wanted is None or s.resource_id in wanted)
        ]

    def get_subscription(self, subscription_id: str) -> Subscription:
        """The subscription, or a ``SubscriptionNotFound`` error."""
        sub = self.subscriptions.get(subscription_id)
        if sub is None:
            raise EmulatorError(
                ErrorCode.SUBSCRIPTION_NOT_FOUND, f"Subscription not found: {subscription_id}"
            )
        self._refresh(sub, self.now())
        return sub

    def _require_plan(self, plan_id: str) -> PlanDef:
        plan = self.catalog.plans.get(plan_id)
        if plan is None:
            raise EmulatorError(ErrorCode.PLAN_NOT_FOUND, f"Plan not found: {plan_id}")
        return plan

    def _check_request(self, request: SubscriptionRequest, plan: PlanDef) -> None:
        customer = self.customers.get(request.customer_id)
        if customer is not None and customer.archived_at is not None:
            raise EmulatorError(
                "EntityIsArchivedError", f"Customer {request.customer_id} is archived"
            )
        if request.subscription_id and request.subscription_id in self.subscriptions:
            raise EmulatorError(
                ErrorCode.DUPLICATED,
                f"Subscription with id {request.subscription_id} already exists",
            )
        self._check_addons(plan, request.addons)
        if request.coupon_id is not None:
            self._require_coupon(request.coupon_id)
        if request.billing_period not in _BILLING_PERIOD_RESET:
            raise EmulatorError(ErrorCode.BAD_USER_INPUT, "Unknown billing period")

    def _check_addons(self, plan: PlanDef, addons: Mapping[str, int]) -> None:
        for addon_id, quantity in addons.items():
            addon = self.catalog.addons.get(addon_id)
            if addon is None:
                raise EmulatorError(ErrorCode.ADDON_NOT_FOUND, f"Addon not found: {addon_id}")
            if addon_id not in plan.compatible_addons:
                raise EmulatorError(
                    ErrorCode.INCOMPATIBLE_ADDON,
                    f"Addon {addon_id} is not compatible with plan {plan.id}",
                )
            if quantity < 0 or (addon.max_quantity is not None and quantity > addon.max_quantity):
                raise EmulatorError(ErrorCode.INVALID_QUANTITY, f"Invalid quantity for {addon_id}")

    def _wants_trial(self, request: SubscriptionRequest, plan: PlanDef, customer: Customer) -> bool:
        if request.skip_trial or request.trial is False:
            return False
        if plan.default_trial is None and not request.trial:
            return False
        if plan.id in customer.trialed_plans:
            return False
        # Subscribing to the plan being trialled is the upgrade from trial to paid.
        return not any(
            s.status == "IN_TRIAL" and s.plan.id == plan.id and s.resource_id == request.resource_id
            for s in self.live_subscriptions(customer.customer_id)
        )

    def provision(
        self, request: SubscriptionRequest, *, enforce_payment: bool = True
    ) -> ProvisionOutcome:
        """Provision a subscription the way ``provisionSubscriptionV2`` does.

        A paid plan for a customer without a payment method needs ``request.checkout``
        (answered with a checkout URL) or fails with ``PaymentMethodNotFoundError``;
        ``enforce_payment=False`` (direct seeding) skips that check.
        """
        customer = self.require_customer(request.customer_id)
        plan = self._require_plan(request.plan_id)
        self._check_request(request, plan)
        trial = self._wants_trial(request, plan, customer)
        if enforce_payment and plan.is_paid and not trial and not customer.payment_method_id:
            if not request.checkout:
                raise EmulatorError(
                    ErrorCode.PAYMENT_METHOD_NOT_FOUND,
                    f"Customer {customer.customer_id} has no payment method; pass "
                    "checkoutOptions to get a checkout URL",
                )
            checkout_id = f"cs_emu_{self._token(16)}"
            self._checkouts[checkout_id] = Checkout(
                id=checkout_id, request=replace(request), created_at=self.now()
            )
            return ProvisionOutcome(
                id=request.subscription_id or checkout_id,
                subscription=None,
                checkout_url=f"{self.base_url}/checkout/{checkout_id}",
            )
        sub = self._create(request, plan, customer, trial=trial)
        return ProvisionOutcome(id=sub.subscription_id, subscription=sub, checkout_url=None)

    def provision_subscription(
        self,
        customer_id: str,
        plan_id: str,
        *,
        resource_id: str | None = None,
        subscription_id: str | None = None,
        billing_period: str = "MONTHLY",
        unit_quantity: float | None = None,
        billable_features: Mapping[str, float] | None = None,
        addons: Mapping[str, int] | None = None,
        additional_meta_data: Any = None,
        skip_trial: bool = False,
        start_date: datetime | None = None,
        enforce_payment: bool = False,
    ) -> Subscription:
        """Seed a subscription directly (no payment check unless ``enforce_payment``).

        Example:
            >>> emu.state.provision_customer("c-1")  # doctest: +SKIP
            >>> emu.state.provision_subscription("c-1", "plan-revvenu-essentials")  # doctest: +SKIP
        """
        outcome = self.provision(
            SubscriptionRequest(
                customer_id=customer_id,
                plan_id=plan_id,
                resource_id=resource_id,
                subscription_id=subscription_id,
                billing_period=billing_period,
                unit_quantity=unit_quantity,
                billable_features=dict(billable_features or {}),
                addons=dict(addons or {}),
                metadata=additional_meta_data,
                skip_trial=skip_trial,
                start_date=start_date,
            ),
            enforce_payment=enforce_payment,
        )
        if outcome.subscription is None:
            raise EmulatorError(ErrorCode.PAYMENT_METHOD_NOT_FOUND, "payment required")
        return outcome.subscription

    def create_subscription(self, request: SubscriptionRequest) -> Subscription:
        """The legacy ``createSubscription``: a paid plan without payment is PAYMENT_PENDING."""
        customer = self.require_customer(request.customer_id)
        plan = self._require_plan(request.plan_id)
        self._check_request(request, plan)
        trial = self._wants_trial(request, plan, customer)
        pending = plan.is_paid and not trial and not customer.payment_method_id
        return self._create(request, plan, customer, trial=trial, pending=pending)

    def _quantities(self, plan: PlanDef, request: SubscriptionRequest) -> dict[str, float]:
        quantities = dict(request.billable_features)
        for price in plan.prices:
            per_unit = price.billing_model == "PER_UNIT" and price.feature_id
            if per_unit and price.feature_id not in quantities:
                quantities[str(price.feature_id)] = float(
                    request.unit_quantity or price.min_unit_quantity or 1
                )
        return quantities

    def _create(
        self,
        request: SubscriptionRequest,
        plan: PlanDef,
        customer: Customer,
        *,
        trial: bool,
        pending: bool = False,
    ) -> Subscription:
        now = self.now()
        start = request.start_date or now
        trial_end = None
        if trial:
            config = plan.default_trial
            duration, units = (config.duration, config.units) if config else (14, "DAY")
            trial_end = (
                add_months(start, duration)
                if units == "MONTH"
                else start + timedelta(days=duration)
            )
            customer.trialed_plans.add(plan.id)
        self._replace_existing(
            customer.customer_id, plan, request.resource_id, trial=trial, at=start
        )
        if start > now:
            status = "NOT_STARTED"
        elif pending:
            status = "PAYMENT_PENDING"
        else:
            status = "IN_TRIAL" if trial else "ACTIVE"
        subscription_id = request.subscription_id or f"subscription-{plan.id}-{self._token()}"
        sub = Subscription(
            subscription_id=subscription_id,
            uuid=self._uuid(),
            customer_id=customer.customer_id,
            plan=plan,
            status=status,
            start_date=start,
            created_at=now,
            updated_at=now,
            resource_id=request.resource_id,
            billing_period=request.billing_period,
            trial_end_date=trial_end,
            addons={k: v for k, v in request.addons.items() if v},
            billable_features=self._quantities(plan, request),
            metadata=request.metadata,
            coupon_id=request.coupon_id,
            billing_id=request.billing_id,
        )
        sub.next_transition = min(
            (d for d in (start if start > now else None, trial_end) if d is not None),
            default=None,
        )
        self.subscriptions[subscription_id] = sub
        self._subs_by_customer[customer.customer_id].append(sub)
        if status == "ACTIVE":
            self._charge(sub, customer)
        self.listener.entitlements_changed(customer.customer_id, request.resource_id)
        return sub

    def _replace_existing(
        self,
        customer_id: str,
        plan: PlanDef,
        resource_id: str | None,
        *,
        trial: bool,
        at: datetime,
    ) -> None:
        """The guides' rules: one subscription per product (and resource), trials aside."""
        product = self.catalog.products.get(plan.product_id)
        if product is not None and product.multiple_subscriptions:
            return
        for sub in self.live_subscriptions(customer_id):
            if sub.plan.product_id != plan.product_id or sub.resource_id != resource_id:
                continue
            if trial:
                # Only one trial at a time; a paid plan keeps running beside it.
                replace_it = sub.status == "IN_TRIAL"
            else:
                # A trial of another plan may run on; the trial of this plan is upgraded.
                replace_it = not (sub.status == "IN_TRIAL" and sub.plan.id != plan.id)
            if replace_it:
                self._end(sub, at)

    def _end(self, sub: Subscription, at: datetime) -> None:
        now = self.now()
        sub.cancellation_date = now
        sub.effective_end_date = at
        sub.updated_at = now
        if at <= now:
            sub.status = "CANCELED"
            sub.end_date = at
            sub.next_transition = None
        else:
            sub.next_transition = at
        self.listener.entitlements_changed(sub.customer_id, sub.resource_id)

    def _charge(self, sub: Subscription, customer: Customer) -> None:
        """Bill a paid subscription with the customer's payment method, Stripe-style."""
        if not sub.plan.is_paid or sub.status == "IN_TRIAL":
            return
        method = customer.payment_method_id or PaymentOutcome.DEFAULT
        now = self.now()
        invoice_id = f"in_emu_{self._token(14)}"
        total = self.price_of(sub.plan, sub.billing_period, sub.billable_features, sub.addons)
        invoice = Invoice(
            billing_id=invoice_id,
            status="PAID",
            created_at=now,
            updated_at=now,
            total=total,
            currency=self.catalog.currency,
            payment_url=f"{self.base_url}/pay/{invoice_id}",
        )
        sub.payment_collection = "NOT_REQUIRED"
        if method in PaymentOutcome.ACTION_REQUIRED:
            invoice.status = "OPEN"
            invoice.requires_action = True
            invoice.payment_secret = f"pi_emu_{self._token(14)}_secret_{self._token(16)}"
            sub.payment_collection = "ACTION_REQUIRED"
        elif method in PaymentOutcome.DECLINED:
            invoice.status = "OPEN"
            invoice.error_message = PaymentOutcome.DECLINED[method]
            sub.payment_collection = "FAILED"
        sub.invoice = invoice
        sub.billing_id = sub.billing_id or f"sub_emu_{self._token(14)}"
        self._invoices[invoice_id] = sub

    def pay_invoice(self, invoice_id: str) -> Subscription:
        """Settle an open invoice (what visiting its ``paymentUrl`` does)."""
        sub = self._invoices.get(invoice_id)
        if sub is None or sub.invoice is None:
            raise KeyError(invoice_id)
        sub.invoice.status = "PAID"
        sub.invoice.requires_action = False
        sub.invoice.error_message = None
        sub.invoice.updated_at = sub.updated_at = self.now()
        sub.payment_collection = "NOT_REQUIRED"
        return sub

    def complete_checkout(
        self, checkout_id: str, payment_method_id: str = PaymentOutcome.DEFAULT
    ) -> Subscription:
        """Finish a checkout: the customer gets a payment method and the subscription is made."""
        checkout = self._checkouts.get(checkout_id)
        if checkout is None:
            raise KeyError(checkout_id)
        if checkout.subscription_id is not None:
            return self.get_subscription(checkout.subscription_id)
        self.set_payment_method(checkout.request.customer_id, payment_method_id)
        outcome = self.provision(replace(checkout.request, checkout=False))
        assert outcome.subscription is not None
        checkout.subscription_id = outcome.subscription.subscription_id
        return outcome.subscription

    def update_subscription(
        self,
        subscription_id: str,
        *,
        unit_quantity: float | None = None,
        billable_features: Mapping[str, float] | None = None,
        addons: Mapping[str, int] | None = None,
        additional_meta_data: Any = ...,
        billing_period: str | None = None,
        trial_end_date: datetime | None = None,
        coupon_id: str | None = None,
    ) -> Subscription:
        """Change quantities, add-ons (the given set replaces the old one) or metadata."""
        sub = self.get_subscription(subscription_id)
        if sub.status in {"CANCELED", "EXPIRED"}:
            raise EmulatorError(
                ErrorCode.ALREADY_CANCELED, f"Subscription {subscription_id} is {sub.status}"
            )
        if addons is not None:
            self._check_addons(sub.plan, addons)
            sub.addons = {k: int(v) for k, v in addons.items() if v}
        if billable_features:
            sub.billable_features.update({k: float(v) for k, v in billable_features.items()})
        if unit_quantity is not None:
            for price in sub.plan.prices:
                if price.billing_model == "PER_UNIT" and price.feature_id:
                    sub.billable_features[price.feature_id] = float(unit_quantity)
        if additional_meta_data is not ...:
            sub.metadata = additional_meta_data
        if billing_period is not None:
            sub.billing_period = billing_period
        if coupon_id is not None:
            self._require_coupon(coupon_id)
            sub.coupon_id = coupon_id
        if trial_end_date is not None and sub.status == "IN_TRIAL":
            sub.trial_end_date = trial_end_date
            sub.next_transition = trial_end_date
        sub.updated_at = self.now()
        if sub.invoice is not None:
            sub.invoice.total = self.price_of(
                sub.plan, sub.billing_period, sub.billable_features, sub.addons
            )
        self.listener.entitlements_changed(sub.customer_id, sub.resource_id)
        return sub

    def cancel_subscription(
        self, subscription_id: str, *, when: str | None = None, end_date: datetime | None = None
    ) -> Subscription:
        """Cancel now (``IMMEDIATE``), at the billing period's end, or on ``end_date``.

        Without ``when``: free plans and trials end immediately, paid plans at the end
        of the billing period.
        """
        sub = self.get_subscription(subscription_id)
        if sub.status in {"CANCELED", "EXPIRED"}:
            raise EmulatorError(
                ErrorCode.ALREADY_CANCELED,
                f"Subscription {subscription_id} is already {sub.status}",
            )
        now = self.now()
        if when is None:
            when = (
                "END_OF_BILLING_PERIOD"
                if sub.plan.is_paid and sub.status == "ACTIVE"
                else "IMMEDIATE"
            )
        if when == "IMMEDIATE":
            at = now
        elif when == "SPECIFIC_DATE":
            if end_date is None or end_date < now:
                raise EmulatorError(
                    ErrorCode.INVALID_CANCELLATION_DATE, "SPECIFIC_DATE needs a future endDate"
                )
            at = end_date
        else:
            at = self.billing_period_bounds(sub)[1]
        self._end(sub, at)
        return sub

    def reassign_subscription(
        self,
        sub: Subscription,
        *,
        customer_id: str | None = None,
        resource_id: str | None = None,
        move_resource: bool = False,
    ) -> Subscription:
        """Move a subscription to another customer and/or resource (transfer, delegation).

        Its entitlements move with it: they are computed from live subscriptions.
        """
        if customer_id is not None and customer_id != sub.customer_id:
            self.require_customer(customer_id)
            self._subs_by_customer[sub.customer_id].remove(sub)
            self._subs_by_customer[customer_id].append(sub)
            sub.customer_id = customer_id
        if move_resource:
            sub.resource_id = resource_id
        sub.updated_at = self.now()
        return sub

    def migrate_subscription(self, subscription_id: str) -> Subscription:
        """Move the subscription to the latest version of its plan."""
        sub = self.get_subscription(subscription_id)
        latest = self.catalog.plans.get(sub.plan.id)
        if latest is not None and latest.version != sub.plan.version:
            sub.plan = latest
            sub.updated_at = self.now()
            self.listener.entitlements_changed(sub.customer_id, sub.resource_id)
        return sub

    def billing_period_bounds(self, sub: Subscription) -> tuple[datetime, datetime]:
        """The subscription's current billing period."""
        period = _BILLING_PERIOD_RESET.get(sub.billing_period, "MONTH")
        return period_bounds(sub.start_date, period, self.now())

    # ------------------------------------------------------------------ pricing

    def _price_amount(self, price: PriceDef, quantities: Mapping[str, float]) -> float:
        if price.billing_model == "FLAT_FEE":
            return price.amount
        if price.billing_model == "PER_UNIT":
            quantity = quantities.get(price.feature_id or "", price.min_unit_quantity or 1)
            return price.amount * quantity
        return 0.0  # usage-based prices are billed in arrears

    def price_of(
        self,
        plan: PlanDef,
        billing_period: str,
        quantities: Mapping[str, float],
        addons: Mapping[str, int],
        country: str | None = None,
    ) -> float:
        """The recurring price: plan prices for the period plus add-ons times quantity."""
        total = sum(
            self._price_amount(p, quantities)
            for p in prices_for(plan.prices, billing_period, country)
        )
        return round(total + self.addons_price(billing_period, addons, country), 2)

    def addons_price(
        self, billing_period: str, addons: Mapping[str, int], country: str | None = None
    ) -> float:
        """The add-ons' share of the recurring price."""
        total = 0.0
        for addon_id, quantity in addons.items():
            addon = self.catalog.addons.get(addon_id)
            if addon is None:
                continue
            total += quantity * sum(
                self._price_amount(p, {}) for p in prices_for(addon.prices, billing_period, country)
            )
        return round(total, 2)

    def discounted(self, amount: float, coupon_id: str | None) -> float:
        """``amount`` after the coupon's discount."""
        coupon = self.catalog.coupons.get(coupon_id) if coupon_id else None
        if coupon is None:
            return amount
        if coupon.type == "PERCENTAGE":
            return round(amount * (1 - coupon.discount_value / 100), 2)
        return round(max(0.0, amount - coupon.discount_value), 2)

    def estimate(self, request: SubscriptionRequest) -> dict[str, Any]:
        """Price a would-be subscription: ``subTotal``, ``total`` and the billing period."""
        customer = self.require_customer(request.customer_id)
        plan = self._require_plan(request.plan_id)
        self._check_addons(plan, request.addons)
        quantities = self._quantities(plan, request)
        sub_total = self.price_of(
            plan, request.billing_period, quantities, request.addons, request.billing_country_code
        )
        coupon = request.coupon_id or customer.coupon_id
        start = request.start_date or self.now()
        period = _BILLING_PERIOD_RESET.get(request.billing_period, "MONTH")
        end = add_months(start, 12 if period == "YEAR" else 1)
        return {
            "sub_total": sub_total,
            "total": self.discounted(sub_total, coupon),
            "start": start,
            "end": end,
            "proration": None,
        }

    def estimate_update(
        self,
        subscription_id: str,
        *,
        unit_quantity: float | None = None,
        billable_features: Mapping[str, float] | None = None,
        addons: Mapping[str, int] | None = None,
    ) -> dict[str, Any]:
        """Price a change: credit the unused rest of the old price, debit the new one."""
        sub = self.get_subscription(subscription_id)
        quantities = dict(sub.billable_features)
        if unit_quantity is not None:
            for price in sub.plan.prices:
                if price.billing_model == "PER_UNIT" and price.feature_id:
                    quantities[price.feature_id] = float(unit_quantity)
        quantities.update(billable_features or {})
        new_addons = dict(sub.addons) if addons is None else dict(addons)
        self._check_addons(sub.plan, new_addons)
        old = self.price_of(sub.plan, sub.billing_period, sub.billable_features, sub.addons)
        new = self.price_of(sub.plan, sub.billing_period, quantities, new_addons)
        start, end = self.billing_period_bounds(sub)
        now = self.now()
        remaining = max(0.0, min(1.0, (end - now) / (end - start)))
        credit = -round(old * remaining, 2)
        debit = round(new * remaining, 2)
        net = round(credit + debit, 2)
        return {
            "sub_total": net,
            "total": net,
            "start": start,
            "end": end,
            "new_price": new,
            "proration": {"date": now, "credit": credit, "debit": debit, "net": net},
        }

    # ------------------------------------------------------------------ promotions

    def grant_promotion(
        self,
        customer_id: str,
        feature_id: str,
        *,
        period: str = "LIFETIME",
        custom_end_date: datetime | None = None,
        usage_limit: float | None = None,
        unlimited: bool = False,
        soft_limit: bool = False,
        reset_period: str | None = None,
        is_visible: bool = True,
    ) -> Promotion:
        """Grant (or replace) a promotional entitlement for one feature."""
        self.require_customer(customer_id)
        self._require_feature(feature_id)
        now = self.now()
        if period == "CUSTOM":
            if custom_end_date is None:
                raise EmulatorError(ErrorCode.BAD_USER_INPUT, "CUSTOM period needs customEndDate")
            end: datetime | None = custom_end_date
        elif period == "LIFETIME":
            end = None
        elif period in _PROMO_PERIODS:
            end = _PROMO_PERIODS[period](now)
        else:
            raise EmulatorError(ErrorCode.BAD_USER_INPUT, f"Unknown period {period}")
        promo = Promotion(
            uuid=self._uuid(),
            customer_id=customer_id,
            feature_id=feature_id,
            period=period,
            start_date=now,
            end_date=end,
            created_at=now,
            updated_at=now,
            usage_limit=usage_limit,
            unlimited=unlimited,
            soft_limit=soft_limit,
            reset_period=reset_period,
            is_visible=is_visible,
        )
        self._promotions[customer_id][feature_id] = promo
        self.listener.entitlements_changed(customer_id, None)
        return promo

    def revoke_promotion(self, customer_id: str, feature_id: str) -> Promotion:
        """Remove a promotional entitlement."""
        self.require_customer(customer_id)
        promo = self._promotions[customer_id].pop(feature_id, None)
        if promo is None:
            raise EmulatorError(
                ErrorCode.PROMO_NOT_FOUND,
                f"No promotional entitlement for {feature_id} on customer {customer_id}",
            )
        promo.updated_at = self.now()
        self.listener.entitlements_changed(customer_id, None)
        return promo

    def sweep(self) -> None:
        """Apply the time-driven changes that are due, so the listener hears of them now.

        Subscription transitions (start, trial end, scheduled cancellation) otherwise
        happen lazily on the next read; promotions that expired since the last sweep
        are announced too.
        """
        now = self.now()
        for sub in list(self.subscriptions.values()):
            if sub.next_transition is not None and sub.next_transition <= now:
                self._refresh(sub, now)
        last, self._last_sweep = self._last_sweep, now
        for customer_id, promos in self._promotions.items():
            if any(p.end_date is not None and last < p.end_date <= now for p in promos.values()):
                self.listener.entitlements_changed(customer_id, None)

    def resource_ids(self, customer_id: str) -> set[str]:
        """The resources the customer has (or had) a subscription for."""
        return {
            s.resource_id
            for s in self._subs_by_customer.get(customer_id, ())
            if s.resource_id is not None
        }

    def promotions(self, customer_id: str) -> list[Promotion]:
        """The customer's promotional entitlements (expired ones included)."""
        return list(self._promotions.get(customer_id, {}).values())

    def _require_feature(self, feature_id: str) -> FeatureDef:
        feature = self.catalog.features.get(feature_id)
        if feature is None:
            raise EmulatorError(ErrorCode.FEATURE_NOT_FOUND, f"Feature not found: {feature_id}")
        return feature

    # ------------------------------------------------------------------ entitlements

    def _plan_grants_of(self, plan: PlanDef) -> dict[str, Any]:
        key = (plan.id, plan.version)
        cached = self._plan_grants.get(key)
        if cached is None:
            cached = self.catalog.plan_entitlements(plan)
            self._plan_grants[key] = cached
        return cached

    def grants(
        self, customer_id: str, resource_id: str | None = None
    ) -> tuple[str | None, dict[str, Grant]]:
        """The customer's effective entitlements by feature, or a customer-level denial."""
        customer = self.customers.get(customer_id)
        if customer is None:
            return "CustomerNotFound", {}
        if customer.archived_at is not None:
            return "CustomerIsArchived", {}
        now = self.now()
        grants: dict[str, Grant] = {}
        subs = self._subs_by_customer.get(customer_id, ())
        live = 0
        for sub in subs:
            if sub.next_transition is not None:
                self._refresh(sub, now)
            if not sub.is_live or (sub.resource_id is not None and sub.resource_id != resource_id):
                continue
            live += 1
            own: dict[str, Grant] = {}
            for feature_id, ent in self._plan_grants_of(sub.plan).items():
                limit = ent.usage_limit
                if feature_id in sub.billable_features:
                    limit = sub.billable_features[feature_id]
                own[feature_id] = Grant(
                    feature_id=feature_id,
                    usage_limit=limit,
                    unlimited=ent.unlimited,
                    soft_limit=ent.soft_limit,
                    reset_period=ent.reset_period,
                    anchor=sub.start_date,
                    updated_at=sub.updated_at,
                    display_name_override=ent.display_name_override,
                )
            for addon_id, quantity in sub.addons.items():
                addon = self.catalog.addons.get(addon_id)
                if addon is None:
                    continue
                for ent in addon.entitlements:
                    extra = None if ent.usage_limit is None else ent.usage_limit * quantity
                    grant = own.get(ent.feature_id)
                    if grant is None:
                        own[ent.feature_id] = Grant(
                            feature_id=ent.feature_id,
                            usage_limit=extra,
                            unlimited=ent.unlimited,
                            soft_limit=ent.soft_limit,
                            reset_period=ent.reset_period,
                            anchor=sub.start_date,
                            updated_at=sub.updated_at,
                        )
                    else:
                        if extra is not None:
                            grant.usage_limit = (grant.usage_limit or 0.0) + extra
                        grant.unlimited = grant.unlimited or ent.unlimited
            for feature_id, grant in own.items():
                current = grants.get(feature_id)
                if current is None or grant.more_generous_than(current):
                    grants[feature_id] = grant
        promos = 0
        for promo in self._promotions.get(customer_id, {}).values():
            if not promo.is_active(now):
                continue
            promos += 1
            grant = Grant(
                feature_id=promo.feature_id,
                usage_limit=promo.usage_limit,
                unlimited=promo.unlimited,
                soft_limit=promo.soft_limit,
                reset_period=promo.reset_period,
                anchor=promo.start_date,
                updated_at=promo.updated_at,
            )
            current = grants.get(promo.feature_id)
            if current is None or grant.more_generous_than(current):
                if current is not None and grant.reset_period is None:
                    grant.reset_period, grant.anchor = current.reset_period, current.anchor
                grants[promo.feature_id] = grant
        if not live and not promos:
            return "NoActiveSubscription", {}
        return None, grants

    def _usage_now(
        self, key: tuple[str, str | None, str], grant: Grant, now: datetime
    ) -> tuple[float, datetime | None, datetime | None, UsageRecord | None]:
        record = self._usage.get(key)
        start = end = None
        if grant.reset_period and grant.anchor is not None:
            start, end = period_bounds(grant.anchor, grant.reset_period, now)
        if record is None:
            return 0.0, start, end, None
        if start is not None and record.period_start != start:
            return 0.0, start, end, record
        return record.value, start, end, record

    def _value(
        self,
        *,
        customer_id: str,
        resource_id: str | None,
        feature: FeatureDef,
        grant: Grant,
        requested: float | None,
        now: datetime,
    ) -> EntitlementValue:
        usage: float | None = None
        start = end = updated = None
        if feature.is_metered:
            usage, start, end, record = self._usage_now(
                (customer_id, resource_id, feature.id), grant, now
            )
            updated = record.updated_at if record is not None else None
        wanted = requested or 0.0
        denial = None
        if (
            feature.is_metered
            and not grant.unlimited
            and not grant.soft_limit
            and grant.usage_limit is not None
            and (usage or 0.0) + wanted > grant.usage_limit
        ):
            denial = "RequestedUsageExceedingLimit"
        return EntitlementValue(
            feature_id=feature.id,
            customer_id=customer_id,
            resource_id=resource_id,
            is_granted=denial is None,
            access_denied_reason=denial,
            usage_limit=grant.usage_limit,
            unlimited=grant.unlimited,
            soft_limit=grant.soft_limit,
            current_usage=usage if feature.is_metered else 0.0,
            requested_usage=requested,
            reset_period=grant.reset_period,
            usage_period_anchor=grant.anchor if grant.reset_period else None,
            usage_period_start=start,
            usage_period_end=end,
            usage_updated_at=updated,
            entitlement_updated_at=grant.updated_at,
            display_name_override=grant.display_name_override,
        )

    def entitlements(
        self, customer_id: str, resource_id: str | None = None
    ) -> tuple[str | None, list[EntitlementValue]]:
        """Every entitlement of the customer (and resource), or a customer-level denial."""
        denial, grants = self.grants(customer_id, resource_id)
        if denial is not None:
            return denial, []
        now = self.now()
        features = self.catalog.features
        return None, [
            self._value(
                customer_id=customer_id,
                resource_id=resource_id,
                feature=features[fid],
                grant=grant,
                requested=None,
                now=now,
            )
            for fid, grant in grants.items()
            if fid in features
        ]

    def entitlement(
        self,
        customer_id: str,
        feature_id: str,
        resource_id: str | None = None,
        requested_usage: float | None = None,
    ) -> EntitlementValue:
        """One feature's entitlement, judged for ``requested_usage``."""
        denial, grants = self.grants(customer_id, resource_id)
        feature = self.catalog.features.get(feature_id)
        if denial is None and feature is None:
            denial = "FeatureNotFound"
        if denial is None and feature_id not in grants:
            denial = "NoFeatureEntitlementInSubscription"
        if denial is not None:
            return EntitlementValue(
                feature_id=feature_id,
                customer_id=customer_id,
                resource_id=resource_id,
                is_granted=False,
                access_denied_reason=denial,
                requested_usage=requested_usage,
            )
        assert feature is not None
        return self._value(
            customer_id=customer_id,
            resource_id=resource_id,
            feature=feature,
            grant=grants[feature_id],
            requested=requested_usage,
            now=self.now(),
        )

    # ------------------------------------------------------------------ usage

    def _metered_grant(self, customer_id: str, resource_id: str | None, feature_id: str) -> Grant:
        feature = self._require_feature(feature_id)
        denial, grants = self.grants(customer_id, resource_id)
        if denial == "CustomerNotFound":
            raise EmulatorError(ErrorCode.CUSTOMER_NOT_FOUND, f"Customer not found: {customer_id}")
        grant = grants.get(feature_id)
        if grant is None:
            raise EmulatorError(
                ErrorCode.NO_FEATURE_ENTITLEMENT,
                f"Customer {customer_id} has no entitlement to {feature_id}",
            )
        if not feature.is_metered:
            raise EmulatorError(
                ErrorCode.METERING_NOT_AVAILABLE, f"Feature {feature_id} is not metered"
            )
        if feature.meter is not None:
            raise EmulatorError(
                ErrorCode.REPORT_ON_METERED,
                f"Feature {feature_id} is fed by raw events ({feature.meter.event_name})",
            )
        return grant

    def _validate_report(self, report: UsageReport) -> tuple[FeatureDef, Grant]:
        grant = self._metered_grant(report.customer_id, report.resource_id, report.feature_id)
        feature = self.catalog.features[report.feature_id]
        if report.update_behavior not in {"DELTA", "SET"}:
            raise EmulatorError(ErrorCode.BAD_USER_INPUT, "updateBehavior must be DELTA or SET")
        if report.value < 0 and (
            report.update_behavior == "SET" or feature.meter_type != "Fluctuating"
        ):
            raise EmulatorError(
                ErrorCode.USAGE_DIFF_OUT_OF_RANGE,
                f"Negative usage is only allowed as a delta of a fluctuating meter "
                f"({report.feature_id} is {feature.meter_type})",
            )
        return feature, grant

    def _record_for(
        self, key: tuple[str, str | None, str], grant: Grant, now: datetime
    ) -> tuple[UsageRecord, datetime | None, datetime | None]:
        record = self._usage.get(key)
        if record is None:
            record = self._usage[key] = UsageRecord()
        start = end = None
        if grant.reset_period and grant.anchor is not None:
            start, end = period_bounds(grant.anchor, grant.reset_period, now)
            if record.period_start != start:
                record.value = 0.0
                record.uniques = None
                record.period_start = start
        return record, start, end

    def report_usage(self, report: UsageReport) -> UsageResult:
        """Apply one measurement; a seen idempotency key replays the first result."""
        return self.report_usage_bulk([report])[0]

    def report_usage_bulk(self, reports: list[UsageReport]) -> list[UsageResult]:
        """Apply measurements all-or-nothing: every one is validated before any is applied."""
        checked: list[tuple[UsageReport, tuple[str, str, str] | None, Grant | None]] = []
        for report in reports:
            replay_key = (
                (report.customer_id, report.feature_id, report.idempotency_key)
                if report.idempotency_key
                else None
            )
            if replay_key is not None and replay_key in self._usage_replays:
                checked.append((report, replay_key, None))
                continue
            checked.append((report, replay_key, self._validate_report(report)[1]))
        results = []
        now = self.now()
        for report, replay_key, grant in checked:
            if grant is None:
                assert replay_key is not None
                self.replayed_usage_reports += 1
                results.append(self._usage_replays[replay_key])
                continue
            if replay_key is not None and replay_key in self._usage_replays:
                # The same key twice in one bulk: the second is a replay of the first.
                self.replayed_usage_reports += 1
                results.append(self._usage_replays[replay_key])
                continue
            key = (report.customer_id, report.resource_id, report.feature_id)
            record, start, end = self._record_for(key, grant, now)
            before = record.value
            if report.update_behavior == "SET":
                record.value = report.value
            else:
                record.value = max(0.0, record.value + report.value)
            record.updated_at = now
            self.usage_ledger.add(
                key, report.created_at or now, record.value - before, period_start=start
            )
            self.applied_usage_reports += 1
            self.listener.usage_changed(report.customer_id, report.resource_id, report.feature_id)
            result = UsageResult(
                id=self._uuid(),
                customer_id=report.customer_id,
                feature_id=report.feature_id,
                resource_id=report.resource_id,
                value=report.value,
                current_usage=record.value,
                created_at=report.created_at or now,
                timestamp=now,
                usage_period_start=start,
                usage_period_end=end,
            )
            if replay_key is not None:
                self._usage_replays[replay_key] = result
            results.append(result)
        return results

    def report_events(self, events: Iterable[Mapping[str, Any]]) -> None:
        """Ingest raw events (``UsageEventReportInput`` dicts) through the feature meters.

        Each ``idempotencyKey`` counts once. Events are aggregated into the usage
        period current when they arrive; events of customers without an entitlement
        to a metered feature are accepted and ignored for it.
        """
        now = self.now()
        for event in events:
            key = str(event["idempotencyKey"])
            if key in self._event_keys:
                self.replayed_events += 1
                continue
            self._event_keys.add(key)
            self.applied_events += 1
            customer_id = str(event["customerId"])
            dimensions = event.get("dimensions") or {}
            if not isinstance(dimensions, Mapping):
                dimensions = {}
            for feature in self._meters.get(str(event["eventName"]), ()):
                meter = feature.meter
                assert meter is not None
                if any(str(dimensions.get(k)) != str(v) for k, v in meter.filters.items()):
                    continue
                _, grants = self.grants(customer_id, event.get("resourceId"))
                grant = grants.get(feature.id)
                if grant is None:
                    continue
                usage_key = (customer_id, event.get("resourceId"), feature.id)
                record, period_start, _ = self._record_for(usage_key, grant, now)
                before = record.value
                if meter.aggregation == "COUNT":
                    record.value += 1
                elif meter.aggregation == "SUM":
                    try:
                        record.value += float(dimensions.get(meter.dimension or "", 0) or 0)
                    except (TypeError, ValueError):
                        continue
                else:
                    if meter.dimension not in dimensions:
                        continue
                    if record.uniques is None:
                        record.uniques = set()
                    record.uniques.add(str(dimensions[meter.dimension or ""]))
                    record.value = float(len(record.uniques))
                record.updated_at = now
                self.usage_ledger.add(
                    usage_key,
                    now,
                    record.value - before,
                    period_start=period_start,
                    dimensions=dimensions,
                )
                self.listener.usage_changed(customer_id, event.get("resourceId"), feature.id)

    def usage_total(
        self, customer_id: str, feature_id: str, resource_id: str | None = None
    ) -> float:
        """Usage in the current period, as entitlements report it (0 after a reset).

        Example:
            >>> emu.state.usage_total("c-1", "feature-02-campaigns")  # doctest: +SKIP
            3.0
        """
        key = (customer_id, resource_id, feature_id)
        record = self._usage.get(key)
        if record is None:
            return 0.0
        _, grants = self.grants(customer_id, resource_id)
        grant = grants.get(feature_id)
        if grant is None:
            return record.value
        return self._usage_now(key, grant, self.now())[0]
