"""Root fields for subscriptions at full breadth: list, previews, apply, transfer, schedules.

Previews are priced by the estimates' pricing code; transfers and delegation move
the subscription (entitlements follow, being computed from live subscriptions); an
update with a scheduled strategy records a schedule that ``cancelSchedule`` drops.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, TypeAlias

from graphql import GraphQLResolveInfo

from stigg_async.emulator._catalog import PriceDef
from stigg_async.emulator._errors import EmulatorError, ErrorCode
from stigg_async.emulator._query import UNKNOWN, Nested, matches, paginate, sort_items
from stigg_async.emulator._records import ScheduledUpdate, Subscription
from stigg_async.emulator._state import prices_for
from stigg_async.emulator._time import add_months

if TYPE_CHECKING:
    from stigg_async.emulator._resolvers import ResolverContext

    Info: TypeAlias = "GraphQLResolveInfo[Any]"
else:
    Info = GraphQLResolveInfo

__all__ = ["MUTATION_FIELDS", "QUERY_FIELDS", "schedule_update"]

#: Strategies that defer an update to the end of the billing period.
SCHEDULED_STRATEGIES = frozenset({"END_OF_BILLING_PERIOD", "END_OF_BILLING_MONTH"})


def _ctx(info: Info) -> ResolverContext:
    return info.context  # type: ignore[no-any-return]


def _request(data: Mapping[str, Any]) -> Any:
    # Imported here: _resolvers imports this module when it installs the resolvers.
    from stigg_async.emulator._resolvers import subscription_request

    return subscription_request(data)


# ------------------------------------------------------------------ subscriptions list


def _field(ctx: ResolverContext, sub: Subscription, name: str) -> Any:
    state = ctx.state
    customer = state.customers.get(sub.customer_id)
    if name == "customer":
        return Nested(
            lambda k: {
                "customerId": sub.customer_id,
                "refId": sub.customer_id,
                "id": customer.uuid if customer else None,
                "email": customer.email if customer else None,
                "name": customer.name if customer else None,
            }.get(k, UNKNOWN)
        )
    if name == "plan":
        return Nested(
            lambda k: {
                "refId": sub.plan.id,
                "id": sub.plan.uuid,
                "displayName": sub.plan.display_name,
            }.get(k, UNKNOWN)
        )
    if name == "resource":
        return Nested(lambda k: {"resourceId": sub.resource_id}.get(k, UNKNOWN))
    return {
        "subscriptionId": sub.subscription_id,
        "customerId": sub.customer_id,
        "resourceId": sub.resource_id,
        "productId": sub.plan.product_id,
        "status": sub.status,
        "pricingType": sub.plan.pricing_type,
        "paymentCollection": sub.payment_collection,
        "billingId": sub.billing_id,
        "salesforceId": None,
        "startDate": sub.start_date,
        "endDate": sub.end_date,
        "createdAt": sub.created_at,
        "cancellationDate": sub.cancellation_date,
    }.get(name, UNKNOWN)


def _known(value: Any) -> Any:
    return None if value is UNKNOWN or isinstance(value, Nested) else value


def subscriptions(
    _: Any,
    info: Info,
    filter: dict[str, Any] | None = None,
    paging: dict[str, Any] | None = None,
    sorting: list[dict[str, Any]] | None = None,
) -> Any:
    ctx = _ctx(info)
    state = ctx.state
    everyone = [s for c in list(state.customers) for s in state.customer_subscriptions(c)]
    found = [s for s in everyone if matches(filter, partial(_field, ctx, s))]
    found = sort_items(found, sorting, lambda s, k: _known(_field(ctx, s, k)))

    def node(sub: Subscription) -> dict[str, Any]:
        # SubscriptionQuery.customerId is the customer's own id, not its UUID.
        return {**ctx.views.subscription(sub), "customerId": sub.customer_id}

    return paginate(found, paging, node)


# ------------------------------------------------------------------ previews


def _money(ctx: ResolverContext, amount: float, currency: str | None = None) -> dict[str, Any]:
    return ctx.views.money(round(amount, 2), currency)


def _invoice(ctx: ResolverContext, sub_total: float, total: float) -> dict[str, Any]:
    return {
        "subTotal": _money(ctx, sub_total),
        "total": _money(ctx, total),
        "totalExcludingTax": _money(ctx, total),
        "tax": _money(ctx, 0.0),
        "discount": _money(ctx, sub_total - total) if total != sub_total else None,
        "minimumSpendAdjustment": _money(ctx, 0.0),
    }


def preview_subscription(_: Any, info: Info, input: dict[str, Any]) -> Any:
    ctx = _ctx(info)
    state = ctx.state
    request = _request(input)
    estimate = state.estimate(request)
    plan = state.catalog.plans[request.plan_id]
    current = next(
        (
            s
            for s in state.live_subscriptions(request.customer_id)
            if s.plan.product_id == plan.product_id and s.resource_id == request.resource_id
        ),
        None,
    )
    trial = state.catalog.plans[request.plan_id].default_trial is not None and not (
        request.skip_trial
        or request.plan_id in state.require_customer(request.customer_id).trialed_plans
    )
    downgrade = False
    if current is not None:
        current_price = state.price_of(
            current.plan, current.billing_period, current.billable_features, current.addons
        )
        downgrade = estimate["sub_total"] < current_price
    # A trial (or a downgrade, which waits for the period's end) charges nothing today.
    due_now = 0.0 if trial or downgrade else estimate["total"]
    immediate = _invoice(ctx, 0.0 if trial or downgrade else estimate["sub_total"], due_now)
    immediate["proration"] = None
    return {
        "billingPeriodRange": {"start": estimate["start"], "end": estimate["end"]},
        "immediateInvoice": immediate,
        "recurringInvoice": _invoice(ctx, estimate["sub_total"], estimate["total"]),
        "isPlanDowngrade": downgrade,
        "hasScheduledUpdates": bool(current and current.scheduled_updates),
        "freeItems": [],
    }


def _after_schedules(sub: Subscription) -> tuple[dict[str, int], str, float | None]:
    """Add-ons, billing period and unit quantity once the pending schedules have run."""
    addons, period, units = dict(sub.addons), sub.billing_period, None
    for update in sub.scheduled_updates:
        changes = update.changes
        if changes.get("addons") is not None:
            addons = dict(changes["addons"])
        period = changes.get("billing_period") or period
        if changes.get("unit_quantity") is not None:
            units = float(changes["unit_quantity"])
    return addons, period, units


def _line_amount(price: PriceDef, quantities: Mapping[str, float]) -> tuple[float, float]:
    """(amount, quantity) of one price line, as the estimates price it."""
    if price.billing_model == "FLAT_FEE":
        return price.amount, 1.0
    if price.billing_model == "PER_UNIT":
        quantity = quantities.get(price.feature_id or "", price.min_unit_quantity or 1)
        return price.amount * quantity, quantity
    return 0.0, 0.0  # usage is billed in arrears, on the invoice after this one


def preview_next_invoice(_: Any, info: Info, input: dict[str, Any]) -> Any:
    ctx = _ctx(info)
    state = ctx.state
    sub = state.get_subscription(str(input["subscriptionId"]))
    if not sub.is_live:
        raise EmulatorError(
            ErrorCode.ALREADY_CANCELED, f"Subscription {sub.subscription_id} is {sub.status}"
        )
    addons, period, units = _after_schedules(sub)
    quantities = dict(sub.billable_features)
    if units is not None:
        quantities = dict.fromkeys(quantities, units)
    _, starts = state.billing_period_bounds(sub)
    ends = add_months(starts, 12 if period == "ANNUALLY" else 1)
    window = {"start": starts, "end": ends}
    lines = []
    for price in prices_for(sub.plan.prices, period, None):
        amount, quantity = _line_amount(price, quantities)
        lines.append(
            {
                "type": "BaseCharge",
                "description": sub.plan.display_name,
                "costDescription": f"{quantity:g} x {price.amount:g} {price.currency}",
                "amount": _money(ctx, amount, price.currency),
                "unitPrice": _money(ctx, price.amount, price.currency),
                "quantity": round(quantity),
                "proration": False,
                "period": window,
                "price": ctx.views.price(price, sub.plan.uuid),
            }
        )
    for addon_id, count in addons.items():
        addon = state.catalog.addons.get(addon_id)
        if addon is not None:
            lines.append(
                {
                    "type": "AddonCharge",
                    "description": addon.display_name,
                    "costDescription": f"{count} x {addon.display_name}",
                    "amount": _money(ctx, state.addons_price(period, {addon_id: count})),
                    "quantity": count,
                    "proration": False,
                    "period": window,
                }
            )
    sub_total = state.price_of(sub.plan, period, quantities, addons)
    total = state.discounted(sub_total, sub.coupon_id)
    invoice = _invoice(ctx, sub_total, total)
    invoice.update({"amountDue": _money(ctx, total), "lines": lines, "lastUpdatedAt": state.now()})
    return invoice


# ------------------------------------------------------------------ apply, transfer, delegate


def apply_subscription(_: Any, info: Info, input: dict[str, Any]) -> Any:
    ctx = _ctx(info)
    state = ctx.state
    request = _request(input)
    customer = state.require_customer(request.customer_id)
    if input.get("paymentMethodId"):
        # Applying with a payment method attaches it, as the billing integration would.
        customer.payment_method_id = str(input["paymentMethodId"])
    outcome = state.provision(request)
    sub = outcome.subscription
    views = ctx.views
    return {
        "subscription": views.subscription(sub) if sub else None,
        "entitlements": lambda **_: [
            views.entitlement(v)
            for v in state.entitlements(request.customer_id, request.resource_id)[1]
        ],
        "entitlementsV2": lambda **_: [
            views.entitlement(v, "FeatureEntitlement")
            for v in state.entitlements(request.customer_id, request.resource_id)[1]
        ],
    }


def _free_resource(ctx: ResolverContext, sub: Subscription, resource_id: str | None) -> None:
    product = ctx.state.catalog.products.get(sub.plan.product_id)
    if product is not None and product.multiple_subscriptions:
        return
    for other in ctx.state.live_subscriptions(sub.customer_id, [resource_id]):
        if other is not sub and other.plan.product_id == sub.plan.product_id:
            raise EmulatorError(
                ErrorCode.DUPLICATED,
                f"Resource {resource_id} already has a subscription to {sub.plan.product_id}",
            )


def transfer_subscription(_: Any, info: Info, input: dict[str, Any]) -> Any:
    ctx = _ctx(info)
    state = ctx.state
    customer_id = str(input["customerId"])
    state.require_customer(customer_id)
    source, destination = input["sourceResourceId"], input["destinationResourceId"]
    moving = state.live_subscriptions(customer_id, [source])
    if not moving:
        raise EmulatorError(
            ErrorCode.SUBSCRIPTION_NOT_FOUND,
            f"Customer {customer_id} has no active subscription on resource {source}",
        )
    for sub in moving:
        _free_resource(ctx, sub, destination)
    for sub in moving:
        state.reassign_subscription(sub, resource_id=destination, move_resource=True)
    return ctx.views.subscription(moving[0])


def transfer_subscription_to_resource(_: Any, info: Info, input: dict[str, Any]) -> Any:
    ctx = _ctx(info)
    sub = ctx.state.get_subscription(str(input["subscriptionId"]))
    destination = input.get("destinationResourceId")
    if not sub.is_live:
        raise EmulatorError(
            ErrorCode.ALREADY_CANCELED, f"Subscription {sub.subscription_id} is {sub.status}"
        )
    _free_resource(ctx, sub, destination)
    ctx.state.reassign_subscription(sub, resource_id=destination, move_resource=True)
    return ctx.views.subscription(sub)


def delegate_subscription_to_customer(_: Any, info: Info, input: dict[str, Any]) -> Any:
    ctx = _ctx(info)
    state = ctx.state
    sub = state.get_subscription(str(input["subscriptionId"]))
    destination = input.get("destinationCustomerId")
    if not destination:
        raise EmulatorError(ErrorCode.BAD_USER_INPUT, "destinationCustomerId is required")
    state.require_customer(str(destination))
    if sub.paying_customer_id is None:
        # The original customer keeps paying; the destination gets the entitlements.
        sub.paying_customer_id = sub.customer_id
    state.reassign_subscription(sub, customer_id=str(destination))
    if sub.paying_customer_id == sub.customer_id:
        sub.paying_customer_id = None  # delegated back to its payer
    return ctx.views.subscription(sub)


# ------------------------------------------------------------------ schedules


def schedule_update(ctx: ResolverContext, subscription_id: str, input: Mapping[str, Any]) -> Any:
    """Record an ``updateOneSubscription`` with a scheduled strategy instead of applying it."""
    state = ctx.state
    sub = state.get_subscription(subscription_id)
    if not sub.is_live:
        raise EmulatorError(
            ErrorCode.ALREADY_CANCELED, f"Subscription {subscription_id} is {sub.status}"
        )
    _, end = state.billing_period_bounds(sub)
    addons = input.get("addons")
    changes: dict[str, Any] = {
        "addons": None
        if addons is None
        else {str(a["addonId"]): int(a.get("quantity") or 1) for a in addons},
        "billing_period": input.get("billingPeriod"),
        "unit_quantity": input.get("unitQuantity"),
    }
    kinds = [
        kind
        for kind, key in (("Addon", "addons"), ("BillingPeriod", "billing_period"))
        if changes[key] is not None
    ] + (["UnitAmount"] if changes["unit_quantity"] is not None else [])
    for kind in kinds or ["UnitAmount"]:
        state.schedule(
            sub,
            ScheduledUpdate(
                schedule_type=kind, execution_time=end, created_at=state.now(), changes=changes
            ),
        )
    return ctx.views.subscription(sub)


def cancel_schedule(_: Any, info: Info, input: dict[str, Any]) -> Any:
    ctx = _ctx(info)
    sub = ctx.state.get_subscription(str(input["subscriptionId"]))
    status = input.get("status") or "Scheduled"
    kept = [u for u in sub.scheduled_updates if u.status != status]
    if len(kept) == len(sub.scheduled_updates):
        raise EmulatorError(
            ErrorCode.BAD_USER_INPUT,
            f"Subscription {sub.subscription_id} has no {status} updates to cancel",
        )
    sub.scheduled_updates = kept
    sub.updated_at = ctx.state.now()
    return sub.subscription_id


QUERY_FIELDS = {"subscriptions": subscriptions}
MUTATION_FIELDS = {
    "previewSubscription": preview_subscription,
    "previewNextInvoice": preview_next_invoice,
    "applySubscription": apply_subscription,
    "transferSubscription": transfer_subscription,
    "transferSubscriptionToResource": transfer_subscription_to_resource,
    "delegateSubscriptionToCustomer": delegate_subscription_to_customer,
    "cancelSchedule": cancel_schedule,
}
