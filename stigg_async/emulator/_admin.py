"""Customer administration in the emulator: archive, imports, promotion groups, coupons, checkout.

Plain functions over :class:`~stigg_async.emulator._state.EmulatorState`, so the
state module stays about subscriptions and entitlements. Bulk imports validate
every item first and apply all or nothing; the error lists each failing item.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from stigg_async.emulator._catalog import CouponDef
from stigg_async.emulator._errors import EmulatorError, ErrorCode
from stigg_async.emulator._records import Customer, Promotion, SubscriptionRequest
from stigg_async.emulator._state import EmulatorState

__all__ = [
    "PaymentSession",
    "archive_customer",
    "create_coupon",
    "create_payment_session",
    "customer_statistics",
    "detach_payment_method",
    "entitlement_checks",
    "grant_promotion_group",
    "import_customers",
    "import_subscriptions",
    "record_entitlement_check",
    "revoke_promotion_group",
    "unarchive_customer",
    "unlink_promotion_group",
]

ENTITY_IS_ARCHIVED = "EntityIsArchivedError"
FAILED_TO_IMPORT_CUSTOMER = "FailedToImportCustomer"
IMPORT_SUBSCRIPTIONS_ERROR = "ImportSubscriptionsBulkError"
FEATURE_GROUP_NOT_FOUND = "FeatureGroupNotFoundError"
_PAYMENT_SESSIONS = "payment_sessions"
_IMPORT_TASKS = "import_tasks"
_ENTITLEMENT_CHECKS = "entitlement_checks"


# ---------------------------------------------------------------------- archive


def archive_customer(state: EmulatorState, customer_id: str) -> Customer:
    """Archive: hidden from lists, refused new subscriptions, entitlements denied."""
    customer = state.require_customer(customer_id)
    if customer.archived_at is None:
        customer.archived_at = customer.updated_at = state.now()
    return customer


def unarchive_customer(state: EmulatorState, customer_id: str) -> Customer:
    """Undo :func:`archive_customer`; the customer's subscriptions grant again."""
    customer = state.require_customer(customer_id)
    if customer.archived_at is not None:
        customer.archived_at = None
        customer.updated_at = state.now()
    return customer


def detach_payment_method(state: EmulatorState, customer_id: str) -> Customer:
    """Remove the customer's default payment method (paid plans then need a checkout)."""
    customer = state.require_customer(customer_id)
    if customer.payment_method_id is None:
        raise EmulatorError(
            "CannotRemovePaymentMethodFromCustomerError",
            f"Customer {customer_id} has no payment method",
        )
    customer.payment_method_id = None
    customer.updated_at = state.now()
    return customer


def customer_statistics(state: EmulatorState, customer_id: str) -> dict[str, Any]:
    """``CustomerStatistics``: live subscriptions counted by pricing type."""
    counts = Counter(s.plan.pricing_type for s in state.live_subscriptions(customer_id))
    return {
        "activeSubscriptionsByPricingType": [
            {"pricingType": pricing_type, "totalCount": float(counts[pricing_type])}
            for pricing_type in sorted(counts)
        ]
    }


# ---------------------------------------------------------------------- imports


def _failures_error(code: str, what: str, failures: list[dict[str, Any]]) -> EmulatorError:
    listed = "; ".join(f"[{f['index']}] {f['message']}" for f in failures[:5])
    more = f" and {len(failures) - 5} more" if len(failures) > 5 else ""
    return EmulatorError(
        code,
        f"{len(failures)} {what} could not be imported (nothing was imported): {listed}{more}",
        failures=failures,
    )


def _new_task(state: EmulatorState, kind: str, count: int) -> str:
    tasks = state.admin_records[_IMPORT_TASKS]
    task_id = f"import-{kind}-{len(tasks) + 1}"
    tasks[task_id] = {"kind": kind, "count": count, "createdAt": state.now()}
    return task_id


def import_customers(state: EmulatorState, items: Sequence[Mapping[str, Any]]) -> list[Customer]:
    """Create customers in bulk, all or nothing; duplicates and bad items are listed."""
    failures: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        customer_id = item.get("customerId") or item.get("refId")
        problem = None
        if not customer_id:
            problem = (ErrorCode.BAD_USER_INPUT, "customerId is required")
        elif customer_id in state.customers or customer_id in seen:
            problem = (ErrorCode.DUPLICATED, f"Customer with id {customer_id} already exists")
        if problem is not None:
            failures.append(
                {"index": index, "id": customer_id, "code": problem[0], "message": problem[1]}
            )
        if customer_id:
            seen.add(str(customer_id))
    if failures:
        raise _failures_error(FAILED_TO_IMPORT_CUSTOMER, "customer(s)", failures)
    created = []
    for item in items:
        customer = state.provision_customer(
            str(item.get("customerId") or item.get("refId")),
            name=item.get("name"),
            email=item.get("email"),
            additional_meta_data=item.get("additionalMetaData"),
            billing_id=item.get("billingId"),
            salesforce_id=item.get("salesforceId"),
        )
        if item.get("paymentMethodId"):
            state.set_payment_method(customer.customer_id, str(item["paymentMethodId"]))
        if item.get("updatedAt") is not None:
            customer.updated_at = item["updatedAt"]
        created.append(customer)
    return created


def import_customers_task(state: EmulatorState, items: Sequence[Mapping[str, Any]]) -> str:
    """``importCustomersBulk``: import, then answer the task id."""
    import_customers(state, items)
    return _new_task(state, "customers", len(items))


def _subscription_request(item: Mapping[str, Any]) -> SubscriptionRequest:
    return SubscriptionRequest(
        customer_id=str(item["customerId"]),
        plan_id=str(item["planId"]),
        resource_id=item.get("resourceId"),
        subscription_id=item.get("subscriptionId"),
        billing_period=item.get("billingPeriod") or "MONTHLY",
        unit_quantity=item.get("unitQuantity"),
        billable_features={
            str(b["featureId"]): float(b["quantity"]) for b in item.get("billableFeatures") or ()
        },
        addons={
            str(a["addonId"]): int(a["quantity"] if a.get("quantity") is not None else 1)
            for a in item.get("addons") or ()
        },
        metadata=item.get("additionalMetaData"),
        skip_trial=True,
        start_date=item.get("startDate"),
        billing_id=item.get("billingId"),
    )


def _subscription_problem(
    state: EmulatorState, item: Mapping[str, Any], seen: set[str]
) -> tuple[str, str] | None:
    customer = state.get_customer(str(item["customerId"]))
    if customer is None:
        return ErrorCode.CUSTOMER_NOT_FOUND, f"Customer not found: {item['customerId']}"
    if customer.archived_at is not None:
        return ENTITY_IS_ARCHIVED, f"Customer {customer.customer_id} is archived"
    plan = state.catalog.plans.get(str(item["planId"]))
    if plan is None:
        return ErrorCode.PLAN_NOT_FOUND, f"Plan not found: {item['planId']}"
    sub_id = item.get("subscriptionId")
    if sub_id and (sub_id in state.subscriptions or sub_id in seen):
        return ErrorCode.DUPLICATED, f"Subscription with id {sub_id} already exists"
    # Everything provisioning would refuse is checked here, so no item fails half-way.
    for addon in item.get("addons") or ():
        found = state.catalog.addons.get(addon["addonId"])
        if found is None:
            return ErrorCode.ADDON_NOT_FOUND, f"Addon not found: {addon['addonId']}"
        if addon["addonId"] not in plan.compatible_addons:
            return (
                ErrorCode.INCOMPATIBLE_ADDON,
                f"Addon {addon['addonId']} is not compatible with plan {plan.id}",
            )
        quantity = addon.get("quantity")
        if quantity is not None and (
            quantity < 0 or (found.max_quantity is not None and quantity > found.max_quantity)
        ):
            return ErrorCode.INVALID_QUANTITY, f"Invalid quantity for {addon['addonId']}"
    end = item.get("endDate")
    if end is not None and end <= (item.get("startDate") or state.now()):
        return ErrorCode.BAD_USER_INPUT, "endDate must be after startDate and in the future"
    return None


def import_subscriptions(state: EmulatorState, items: Sequence[Mapping[str, Any]]) -> list[str]:
    """Create subscriptions in bulk (no payment, no trial), all or nothing."""
    failures: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        problem = _subscription_problem(state, item, seen)
        if problem is not None:
            failures.append(
                {
                    "index": index,
                    "id": item.get("subscriptionId") or item.get("customerId"),
                    "code": problem[0],
                    "message": problem[1],
                }
            )
        if item.get("subscriptionId"):
            seen.add(str(item["subscriptionId"]))
    if failures:
        raise _failures_error(IMPORT_SUBSCRIPTIONS_ERROR, "subscription(s)", failures)
    created = []
    for item in items:
        outcome = state.provision(_subscription_request(item), enforce_payment=False)
        assert outcome.subscription is not None
        sub = outcome.subscription
        if item.get("endDate") is not None:
            state.cancel_subscription(
                sub.subscription_id, when="SPECIFIC_DATE", end_date=item["endDate"]
            )
        created.append(sub.subscription_id)
    return created


def import_subscriptions_task(state: EmulatorState, items: Sequence[Mapping[str, Any]]) -> str:
    """``importSubscriptionsBulk``: import, then answer the task id."""
    import_subscriptions(state, items)
    return _new_task(state, "subscriptions", len(items))


# ---------------------------------------------------------------------- promotion groups


def grant_promotion_group(
    state: EmulatorState,
    customer_id: str,
    group_id: str,
    grants: Sequence[Mapping[str, Any]],
) -> list[Promotion]:
    """Grant every promotion of a feature group, each tagged with the group."""
    state.require_customer(customer_id)
    if not grants:
        raise EmulatorError(ErrorCode.BAD_USER_INPUT, "promotionalEntitlements must not be empty")
    for item in grants:
        if item["featureId"] not in state.catalog.features:
            raise EmulatorError(
                ErrorCode.FEATURE_NOT_FOUND, f"Feature not found: {item['featureId']}"
            )
    granted = []
    for item in grants:
        promo = state.grant_promotion(
            customer_id,
            str(item["featureId"]),
            period=str(item["period"]),
            custom_end_date=item.get("customEndDate"),
            usage_limit=item.get("usageLimit"),
            unlimited=bool(item.get("hasUnlimitedUsage")),
            soft_limit=bool(item.get("hasSoftLimit")),
            reset_period=item.get("resetPeriod"),
            is_visible=item.get("isVisible") is not False,
        )
        promo.feature_group_ids = [group_id]
        granted.append(promo)
    return granted


def _group_members(state: EmulatorState, customer_id: str, group_id: str) -> list[Promotion]:
    state.require_customer(customer_id)
    members = [p for p in state.promotions(customer_id) if group_id in p.feature_group_ids]
    if not members:
        raise EmulatorError(
            FEATURE_GROUP_NOT_FOUND,
            f"Customer {customer_id} has no promotional entitlements of group {group_id}",
        )
    return members


def revoke_promotion_group(
    state: EmulatorState, customer_id: str, group_id: str
) -> list[Promotion]:
    """Revoke every promotion granted through the group."""
    members = _group_members(state, customer_id, group_id)
    return [state.revoke_promotion(customer_id, p.feature_id) for p in members]


def unlink_promotion_group(
    state: EmulatorState, customer_id: str, group_id: str
) -> list[Promotion]:
    """Detach the promotions from the group: they stay granted, on their own."""
    members = _group_members(state, customer_id, group_id)
    now = state.now()
    for promo in members:
        promo.feature_group_ids = [g for g in promo.feature_group_ids if g != group_id]
        promo.updated_at = now
    return members


# ---------------------------------------------------------------------- coupons and checkout


def create_coupon(state: EmulatorState, data: Mapping[str, Any]) -> CouponDef:
    """Add a coupon to the catalog (``createOneCoupon``)."""
    ref_id = str(data["refId"])
    if ref_id in state.catalog.coupons:
        raise EmulatorError(ErrorCode.DUPLICATED, f"Coupon with id {ref_id} already exists")
    coupon_type = data.get("type") or ("FIXED" if data.get("amountsOff") else "PERCENTAGE")
    if coupon_type == "PERCENTAGE":
        value = data.get("percentOff", data.get("discountValue"))
        if value is None or not 0 < float(value) <= 100:
            raise EmulatorError(
                ErrorCode.BAD_USER_INPUT, "a PERCENTAGE coupon needs percentOff in (0, 100]"
            )
    else:
        amounts = data.get("amountsOff") or ()
        value = amounts[0]["amount"] if amounts else data.get("discountValue")
        if value is None or float(value) <= 0:
            raise EmulatorError(
                ErrorCode.BAD_USER_INPUT, "a FIXED coupon needs a positive amountsOff"
            )
    coupon = CouponDef(
        id=ref_id,
        name=str(data["name"]),
        discount_value=float(value),
        type=coupon_type,
        description=data.get("description"),
        metadata=data.get("additionalMetaData"),
        duration_in_months=data.get("durationInMonths"),
    )
    state.catalog.coupons[ref_id] = coupon
    return coupon


@dataclass(frozen=True)
class PaymentSession:
    """A payment-method setup session for one customer and plan."""

    token: str
    customer_id: str
    plan_id: str
    billing_country_code: str | None
    created_at: datetime


def create_payment_session(
    state: EmulatorState, customer_id: str, plan_id: str, country: str | None
) -> PaymentSession:
    """Open a payment session (its token doubles as the checkout's setup secret)."""
    customer = state.require_customer(customer_id)
    if customer.archived_at is not None:
        raise EmulatorError(ENTITY_IS_ARCHIVED, f"Customer {customer_id} is archived")
    if plan_id not in state.catalog.plans:
        raise EmulatorError(ErrorCode.PLAN_NOT_FOUND, f"Plan not found: {plan_id}")
    sessions = state.admin_records[_PAYMENT_SESSIONS]
    token = f"seti_emu_{customer_id}_{len(sessions) + 1}"
    session = PaymentSession(token, customer_id, plan_id, country, state.now())
    sessions[token] = session
    return session


def latest_payment_session(
    state: EmulatorState, customer_id: str, plan_id: str
) -> PaymentSession | None:
    """The newest payment session of this customer and plan, if any."""
    found = [
        s
        for s in state.admin_records[_PAYMENT_SESSIONS].values()
        if s.customer_id == customer_id and s.plan_id == plan_id
    ]
    return found[-1] if found else None


# ---------------------------------------------------------------------- entitlement analytics


def record_entitlement_check(state: EmulatorState, data: Mapping[str, Any]) -> None:
    """Keep one reported check (``reportEntitlementCheckRequested``), in arrival order."""
    checks = state.admin_records[_ENTITLEMENT_CHECKS]
    checks[str(len(checks))] = dict(data)


def entitlement_checks(state: EmulatorState) -> list[dict[str, Any]]:
    """Every check reported so far, oldest first (a test hook for analytics)."""
    return list(state.admin_records[_ENTITLEMENT_CHECKS].values())
