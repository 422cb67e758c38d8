"""Root resolvers for customer administration, imports, promotion groups, coupons,
checkout and usage history (the rest live in ``_resolvers``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

from graphql import GraphQLResolveInfo

from stigg_async.emulator import _admin
from stigg_async.emulator._errors import EmulatorError, ErrorCode
from stigg_async.emulator._ledger import Series, buckets, history
from stigg_async.emulator._query import paginate
from stigg_async.emulator._records import Subscription
from stigg_async.emulator._state import EmulatorState
from stigg_async.emulator._time import period_bounds
from stigg_async.emulator._views import ENVIRONMENT_ID, Views

if TYPE_CHECKING:
    Info: TypeAlias = "GraphQLResolveInfo[Any]"
else:
    Info = GraphQLResolveInfo

__all__ = ["ADMIN_MUTATION_FIELDS", "ADMIN_QUERY_FIELDS"]

Resolver = Callable[..., Any]
_PERIODIC_RESET = "PERIODIC_RESET"


class _Context(Protocol):
    state: EmulatorState
    views: Views


def _ctx(info: Info) -> _Context:
    context: _Context = info.context
    return context


# ---------------------------------------------------------------------- customers


def archive_customer(_: Any, info: Info, input: dict[str, Any]) -> Any:
    ctx = _ctx(info)
    return ctx.views.customer(_admin.archive_customer(ctx.state, str(input["customerId"])))


def unarchive_customer(_: Any, info: Info, input: dict[str, Any]) -> Any:
    ctx = _ctx(info)
    return ctx.views.customer(_admin.unarchive_customer(ctx.state, str(input["customerId"])))


def detach_customer_payment_method(_: Any, info: Info, input: dict[str, Any]) -> Any:
    ctx = _ctx(info)
    return ctx.views.customer(_admin.detach_payment_method(ctx.state, str(input["customerId"])))


def _portal_subscription(ctx: _Context, sub: Subscription) -> dict[str, Any]:
    state, views = ctx.state, ctx.views
    catalog = state.catalog
    start, end = state.billing_period_bounds(sub)
    view = views.subscription(sub)
    prices = [p for p in sub.plan.prices if p.billing_period == sub.billing_period]

    def feature(feature_id: str | None) -> dict[str, Any] | None:
        found = catalog.features.get(feature_id or "")
        return views.feature(found) if found else None

    amount = state.price_of(sub.plan, sub.billing_period, sub.billable_features, sub.addons)
    unit = next((p for p in prices if p.billing_model == "PER_UNIT"), None)
    trial_days = None
    if sub.status == "IN_TRIAL" and sub.trial_end_date is not None:
        trial_days = max(0, (sub.trial_end_date - state.now()).days)
    return {
        "subscriptionId": sub.subscription_id,
        "planId": sub.plan.id,
        "planName": sub.plan.display_name,
        "pricingType": sub.plan.pricing_type,
        "status": sub.status,
        "billingPeriodRange": {"start": start, "end": end},
        "trialRemainingDays": trial_days,
        "totalPrice": view["totalPrice"],
        "scheduledUpdates": [],
        "addons": [
            {
                "addonId": addon_id,
                "displayName": catalog.addons[addon_id].display_name,
                "description": catalog.addons[addon_id].description,
                "quantity": quantity,
            }
            for addon_id, quantity in sub.addons.items()
            if addon_id in catalog.addons
        ],
        "prices": [
            {
                "billingModel": p.billing_model,
                "billingPeriod": p.billing_period,
                "price": views.money(p.amount, p.currency),
                "feature": feature(p.feature_id),
            }
            for p in prices
        ],
        "pricing": {
            "pricingType": sub.plan.pricing_type,
            "billingPeriod": sub.billing_period if prices else None,
            "billingModel": prices[0].billing_model if prices else None,
            "price": views.money(amount) if sub.plan.is_paid else None,
            "unitQuantity": (
                int(sub.billable_features.get(unit.feature_id or "", 0)) if unit else None
            ),
            "feature": feature(unit.feature_id) if unit else None,
        },
    }


def customer_portal(_: Any, info: Info, input: dict[str, Any]) -> Any:
    ctx = _ctx(info)
    state, views = ctx.state, ctx.views
    customer = state.require_customer(str(input["customerId"]))
    cid = customer.customer_id
    resource_id = input.get("resourceId")
    product_id = input.get("productId")
    subs = [
        s
        for s in state.live_subscriptions(cid)
        if (product_id is None or s.plan.product_id == product_id)
        and (resource_id is None or s.resource_id == resource_id)
    ]
    invoices = [s.invoice for s in state.customer_subscriptions(cid) if s.invoice is not None]
    open_invoice = next((i for i in invoices if i.status == "OPEN" and i.payment_url), None)
    portal_url = None
    if open_invoice is not None:
        portal_url = open_invoice.payment_url
    elif customer.payment_method_id or invoices:
        portal_url = f"{state.base_url}/billing-portal/{cid}"
    now = state.now()
    plans = [p for p in state.catalog.plans.values() if p.is_paid]
    current = {s.plan.id for s in subs}
    _, values = state.entitlements(cid, resource_id)
    method = customer.payment_method_id
    return {
        "subscriptions": [_portal_subscription(ctx, s) for s in subs],
        "entitlements": [views.entitlement(v) for v in values],
        "entitlementsV2": [views.entitlement(v, "FeatureEntitlement") for v in values],
        "promotionalEntitlements": [
            {
                "displayName": state.catalog.features[p.feature_id].display_name,
                "description": state.catalog.features[p.feature_id].description,
                "period": p.period,
                "startDate": p.start_date,
                "endDate": p.end_date,
                "usageLimit": p.usage_limit,
                "hasUnlimitedUsage": p.unlimited,
                "hasSoftLimit": p.soft_limit,
            }
            for p in state.promotions(cid)
            if p.is_active(now) and p.is_visible and p.feature_id in state.catalog.features
        ],
        "billingInformation": {
            "name": customer.name,
            "email": customer.email,
            "defaultPaymentMethodId": method,
            "defaultPaymentMethodType": "CARD" if method else None,
            "defaultPaymentMethodLast4Digits": "4242" if method else None,
            "defaultPaymentExpirationMonth": 12 if method else None,
            "defaultPaymentExpirationYear": 2034 if method else None,
        },
        "billingPortalUrl": portal_url,
        "canUpgradeSubscription": any(p.id not in current for p in plans),
        "showWatermark": False,
        "configuration": None,
        "resource": (
            {
                "resourceId": resource_id,
                "createdAt": customer.created_at,
                "environmentId": ENVIRONMENT_ID,
                "customer": lambda **_: views.customer(customer),
                "subscriptions": lambda **_: [views.subscription(s) for s in subs],
            }
            if resource_id is not None
            else None
        ),
    }


# ---------------------------------------------------------------------- imports


def import_one_customer(_: Any, info: Info, input: dict[str, Any]) -> Any:
    ctx = _ctx(info)
    return ctx.views.customer(_admin.import_customers(ctx.state, [input])[0])


def import_customers_bulk(_: Any, info: Info, input: dict[str, Any]) -> Any:
    return _admin.import_customers_task(_ctx(info).state, input["customers"])


def import_subscriptions_bulk(_: Any, info: Info, input: dict[str, Any]) -> Any:
    return _admin.import_subscriptions_task(_ctx(info).state, input["subscriptions"])


# ---------------------------------------------------------------------- promotion groups


def _group_view(ctx: _Context, promos: list[Any]) -> list[dict[str, Any]]:
    views = []
    for promo in promos:
        view = dict(ctx.views.promotion(promo))
        view["featureGroupIds"] = list(promo.feature_group_ids)
        views.append(view)
    return views


def grant_promotional_entitlements_group(_: Any, info: Info, input: dict[str, Any]) -> Any:
    ctx = _ctx(info)
    promos = _admin.grant_promotion_group(
        ctx.state,
        str(input["customerId"]),
        str(input["featureGroupId"]),
        input["promotionalEntitlements"],
    )
    return _group_view(ctx, promos)


def revoke_promotional_entitlements_group(_: Any, info: Info, input: dict[str, Any]) -> Any:
    ctx = _ctx(info)
    promos = _admin.revoke_promotion_group(
        ctx.state, str(input["customerId"]), str(input["featureGroupId"])
    )
    return _group_view(ctx, promos)


def unlink_promotional_entitlements_group(_: Any, info: Info, input: dict[str, Any]) -> Any:
    ctx = _ctx(info)
    promos = _admin.unlink_promotion_group(
        ctx.state, str(input["customerId"]), str(input["featureGroupId"])
    )
    return _group_view(ctx, promos)


# ---------------------------------------------------------------------- coupons and checkout


def create_one_coupon(_: Any, info: Info, input: dict[str, Any]) -> Any:
    ctx = _ctx(info)
    return ctx.views.coupon(_admin.create_coupon(ctx.state, input))


def create_payment_session(_: Any, info: Info, input: dict[str, Any]) -> Any:
    ctx = _ctx(info)
    session = _admin.create_payment_session(
        ctx.state,
        str(input["customerId"]),
        str(input["planId"]),
        input.get("billingCountryCode"),
    )
    return {"token": session.token}


def checkout_state(_: Any, info: Info, input: dict[str, Any]) -> Any:
    ctx = _ctx(info)
    state, views = ctx.state, ctx.views
    customer_id, plan_id = str(input["customerId"]), str(input["planId"])
    session = _admin.latest_payment_session(state, customer_id, plan_id)
    if session is None:
        session = _admin.create_payment_session(
            state, customer_id, plan_id, input.get("billingCountryCode")
        )
    plan = state.catalog.plans[plan_id]
    resource_id = input.get("resourceId")
    active = next(
        (
            s
            for s in state.live_subscriptions(customer_id, [resource_id])
            if s.plan.product_id == (input.get("productId") or plan.product_id)
        ),
        None,
    )
    customer = state.require_customer(customer_id)
    return {
        "customer": views.customer(customer),
        "plan": views.plan(plan),
        "activeSubscription": views.subscription(active) if active else None,
        "setupSecret": session.token,
        "billingIntegration": {
            "billingIdentifier": "STRIPE",
            "credentials": {"accountId": "acct_emulator", "publicKey": "pk_test_emulator"},
            "billingCredentials": {
                "__typename": "StripeCheckoutCredentials",
                "accountId": "acct_emulator",
                "publicKey": "pk_test_emulator",
                "setupSecret": session.token,
            },
        },
        "configuration": None,
        "resource": None,
    }


# ---------------------------------------------------------------------- usage history


def _series(
    state: EmulatorState,
    *,
    customer_id: str,
    feature_id: str,
    resource_id: str | None,
    start: datetime,
    end: datetime | None,
    group_by: list[str],
) -> tuple[list[Series], list[dict[str, Any]], datetime]:
    state.require_customer(customer_id)
    if feature_id not in state.catalog.features:
        raise EmulatorError(ErrorCode.FEATURE_NOT_FOUND, f"Feature not found: {feature_id}")
    end = end or state.now()
    try:
        points = buckets(start, end)
    except ValueError as exc:
        raise EmulatorError(ErrorCode.BAD_USER_INPUT, str(exc)) from None
    _, grants = state.grants(customer_id, resource_id)
    grant = grants.get(feature_id)
    period_of: Callable[[datetime], datetime | None] | None = None
    markers: list[dict[str, Any]] = []
    if grant is not None and grant.reset_period and grant.anchor is not None:
        anchor, reset = grant.anchor, grant.reset_period
        period_of = lambda at: period_bounds(anchor, reset, at)[0]  # noqa: E731
        boundary = period_bounds(anchor, reset, start)[1]
        while boundary <= end:
            markers.append({"timestamp": boundary, "type": _PERIODIC_RESET})
            boundary = period_bounds(anchor, reset, boundary)[1]
    entries = state.usage_ledger.entries(customer_id, resource_id, feature_id)
    return history(entries, points, period_of, group_by), markers, end


def usage_history(
    _: Any,
    info: Info,
    usageHistoryInput: dict[str, Any],  # noqa: N803
) -> Any:
    data = usageHistoryInput
    series, markers, end = _series(
        _ctx(info).state,
        customer_id=str(data["customerRefId"]),
        feature_id=str(data["featureRefId"]),
        resource_id=data.get("resourceRefId"),
        start=data["startDate"],
        end=data.get("endDate"),
        group_by=list(data.get("groupBy") or ()),
    )

    def points(one: Series) -> list[dict[str, Any]]:
        return [{"date": at, "value": v, "isResetPoint": r} for at, v, r in one.points]

    grouped = bool(data.get("groupBy"))
    return {
        "startDate": data["startDate"],
        "endDate": end,
        "markers": markers,
        "usageMeasurements": [] if grouped else points(series[0]),
        "groups": [
            {
                "groupInfo": [{"key": k, "value": v} for k, v in one.tags],
                "usageMeasurements": points(one),
            }
            for one in series
        ]
        if grouped
        else None,
    }


def usage_history_v2(_: Any, info: Info, input: dict[str, Any]) -> Any:
    series, markers, _end = _series(
        _ctx(info).state,
        customer_id=str(input["customerId"]),
        feature_id=str(input["featureId"]),
        resource_id=input.get("resourceId"),
        start=input["startDate"],
        end=input.get("endDate"),
        group_by=list(input.get("groupBy") or ()),
    )
    page = paginate(
        series,
        input.get("paging"),
        lambda one: {
            "tags": [{"key": k, "value": v} for k, v in one.tags],
            "points": [{"timestamp": at, "value": v, "isResetPoint": r} for at, v, r in one.points],
        },
    )
    return {
        "series": [edge["node"] for edge in page["edges"]],
        "markers": markers,
        "pageInfo": page["pageInfo"],
    }


# ---------------------------------------------------------------------- entitlement analytics


def report_entitlement_check_requested(
    _: Any,
    info: Info,
    entitlementCheckRequested: dict[str, Any],  # noqa: N803
) -> Any:
    # Denied checks of unknown customers or features are analytics too: all are kept, so
    # one such check never fails the aliased batch it travels in.
    _admin.record_entitlement_check(_ctx(info).state, entitlementCheckRequested)
    return True


ADMIN_QUERY_FIELDS: Mapping[str, Resolver] = {
    "customerPortal": customer_portal,
    "checkoutState": checkout_state,
    "usageHistory": usage_history,
    "usageHistoryV2": usage_history_v2,
}

ADMIN_MUTATION_FIELDS: Mapping[str, Resolver] = {
    "archiveCustomer": archive_customer,
    "unarchiveCustomer": unarchive_customer,
    "detachCustomerPaymentMethod": detach_customer_payment_method,
    "importOneCustomer": import_one_customer,
    "importCustomersBulk": import_customers_bulk,
    "importSubscriptionsBulk": import_subscriptions_bulk,
    "grantPromotionalEntitlementsGroup": grant_promotional_entitlements_group,
    "revokePromotionalEntitlementsGroup": revoke_promotional_entitlements_group,
    "unlinkPromotionalEntitlementsGroup": unlink_promotional_entitlements_group,
    "createOneCoupon": create_one_coupon,
    "createPaymentSession": create_payment_session,
    "reportEntitlementCheckRequested": report_entitlement_check_requested,
}
