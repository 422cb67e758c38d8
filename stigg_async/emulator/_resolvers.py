"""Root-field resolvers: GraphQL arguments in, state calls, response dicts out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, TypeAlias

from graphql import GraphQLResolveInfo, GraphQLSchema

from stigg_async.emulator._credit_resolvers import (
    CREDIT_MUTATION_FIELDS,
    CREDIT_QUERY_FIELDS,
    credit_entitlement_views,
    feature_entitlement_v2,
)
from stigg_async.emulator._errors import EmulatorError, ErrorCode
from stigg_async.emulator._query import UNKNOWN, matches, paginate, sort_items
from stigg_async.emulator._records import Customer, SubscriptionRequest
from stigg_async.emulator._resolvers_admin import ADMIN_MUTATION_FIELDS, ADMIN_QUERY_FIELDS
from stigg_async.emulator._state import EmulatorState, UsageReport
from stigg_async.emulator._views import ENVIRONMENT_ID, Views

if TYPE_CHECKING:
    # Generic in graphql-core 3.3, plain in 3.2: only spelled out for the type checker.
    Info: TypeAlias = "GraphQLResolveInfo[Any]"
else:
    Info = GraphQLResolveInfo

__all__ = [
    "MUTATION_FIELDS",
    "QUERY_FIELDS",
    "ResolverContext",
    "install_resolvers",
    "subscription_request",
]

Resolver = Callable[..., Any]


@dataclass
class ResolverContext:
    """What every resolver can reach: the state and its views."""

    state: EmulatorState
    views: Views

    def now(self) -> datetime:
        return self.state.now()


def _ctx(info: Info) -> ResolverContext:
    context = info.context
    assert isinstance(context, ResolverContext)
    return context


def _coupon_of(data: Mapping[str, Any]) -> str | None:
    applied = data.get("appliedCoupon") or {}
    return (
        applied.get("couponId")
        or applied.get("promotionCode")
        or data.get("promotionCode")
        or data.get("couponRefId")
    )


def subscription_request(
    data: Mapping[str, Any], customer_id: str | None = None
) -> SubscriptionRequest:
    """A :class:`SubscriptionRequest` from a provision/create/estimate/preview input."""
    billing_info = data.get("billingInformation") or {}
    return SubscriptionRequest(
        customer_id=customer_id or str(data.get("customerId")),
        plan_id=str(data["planId"]),
        resource_id=data.get("resourceId"),
        subscription_id=data.get("subscriptionId") or data.get("refId"),
        billing_period=data.get("billingPeriod") or "MONTHLY",
        unit_quantity=data.get("unitQuantity") or data.get("priceUnitAmount"),
        billable_features={
            str(b["featureId"]): float(b["quantity"]) for b in data.get("billableFeatures") or ()
        },
        addons={
            str(a["addonId"]): int(a.get("quantity") if a.get("quantity") is not None else 1)
            for a in data.get("addons") or ()
        },
        metadata=data.get("additionalMetaData"),
        skip_trial=bool(data.get("skipTrial")),
        trial=data.get("isTrial"),
        start_date=data.get("startDate"),
        coupon_id=_coupon_of(data) or billing_info.get("couponId"),
        billing_id=data.get("billingId"),
        checkout=data.get("checkoutOptions") is not None,
        billing_country_code=data.get("billingCountryCode"),
    )


def _customer_id(data: Mapping[str, Any]) -> str | None:
    value = data.get("customerId") or data.get("refId")
    return str(value) if value else None


# ---------------------------------------------------------------------- customers


def provision_customer(_: Any, info: Info, input: dict[str, Any]) -> Any:
    ctx = _ctx(info)
    state = ctx.state
    customer_id = _customer_id(input)
    if customer_id is not None and state.get_customer(customer_id) is not None:
        raise EmulatorError(ErrorCode.DUPLICATED, f"Customer with id {customer_id} already exists")
    params = input.get("subscriptionParams")
    # Validate the plan before creating anything, so a bad plan leaves no customer behind.
    if params is not None and params.get("planId") not in state.catalog.plans:
        raise EmulatorError(ErrorCode.PLAN_NOT_FOUND, f"Plan not found: {params.get('planId')}")
    billing = input.get("billingInformation") or {}
    customer = state.provision_customer(
        customer_id,
        name=input.get("name"),
        email=input.get("email"),
        additional_meta_data=input.get("additionalMetaData"),
        payment_method_id=billing.get("paymentMethodId"),
        coupon_id=input.get("couponRefId"),
        billing_id=input.get("billingId"),
        crm_id=input.get("crmId"),
        salesforce_id=input.get("salesforceId"),
        created_at=input.get("createdAt"),
        billing_currency=billing.get("currency"),
    )
    subscription = None
    strategy = "SKIPPED_SUBSCRIPTION_CREATION"
    if params is not None:
        request = subscription_request(params, customer.customer_id)
        try:
            outcome = state.provision(request)
        except EmulatorError:
            state.customers.pop(customer.customer_id, None)
            raise
        subscription = outcome.subscription
        strategy = "REQUESTED_PLAN"
    return _provisioned_customer(ctx, customer, subscription, strategy)


def _provisioned_customer(
    ctx: ResolverContext, customer: Customer, subscription: Any, strategy: str
) -> dict[str, Any]:
    views = ctx.views
    return {
        "customer": views.customer(customer),
        "subscription": views.subscription(subscription) if subscription else None,
        "subscriptionDecisionStrategy": strategy,
        "subscriptionStrategyDecision": strategy,
        "entitlements": lambda **_: [
            views.entitlement(v) for v in ctx.state.entitlements(customer.customer_id)[1]
        ],
        "entitlementsV2": lambda **_: [
            views.entitlement(v, "FeatureEntitlement")
            for v in ctx.state.entitlements(customer.customer_id)[1]
        ],
    }


def update_one_customer(_: Any, info: Info, input: dict[str, Any]) -> Any:
    ctx = _ctx(info)
    customer_id = _customer_id(input)
    if customer_id is None:
        raise EmulatorError(ErrorCode.BAD_USER_INPUT, "customerId is required")
    mapping = {
        "name": "name",
        "email": "email",
        "additionalMetaData": "metadata",
        "couponRefId": "coupon_id",
        "billingId": "billing_id",
        "crmId": "crm_id",
        "salesforceId": "salesforce_id",
        "awsMarketplaceCustomerId": "aws_marketplace_customer_id",
    }
    changes = {attr: input[key] for key, attr in mapping.items() if key in input}
    billing = input.get("billingInformation") or {}
    if billing.get("paymentMethodId"):
        changes["payment_method_id"] = billing["paymentMethodId"]
    if billing.get("currency"):
        changes["billing_currency"] = billing["currency"]
    customer = ctx.state.update_customer(customer_id, **changes)
    return ctx.views.customer(customer)


def get_customer_by_ref_id(_: Any, info: Info, input: dict[str, Any]) -> Any:
    ctx = _ctx(info)
    customer = ctx.state.get_customer(str(input["customerId"]))
    return ctx.views.customer(customer) if customer else None


def _customer_field(customer: Customer, name: str) -> Any:
    if name == "searchQuery":
        return " ".join(
            filter(None, (customer.customer_id, customer.name, customer.email, customer.uuid))
        )
    return {
        "refId": customer.customer_id,
        "customerId": customer.customer_id,
        "id": customer.uuid,
        "email": customer.email,
        "name": customer.name,
        "billingId": customer.billing_id,
        "crmId": customer.crm_id,
        "salesforceId": customer.salesforce_id,
        "awsMarketplaceCustomerId": customer.aws_marketplace_customer_id,
        "createdAt": customer.created_at,
        "updatedAt": customer.updated_at,
        "deletedAt": customer.archived_at,
        "environmentId": ENVIRONMENT_ID,
    }.get(name, UNKNOWN)


def _search(filter_: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    # ``searchQuery: {iLike: "acme"}`` means "contains", case-insensitively.
    if not filter_ or "searchQuery" not in filter_ or not filter_["searchQuery"]:
        return filter_
    pattern = filter_["searchQuery"].get("iLike")
    rest = dict(filter_)
    if pattern is not None and "%" not in pattern:
        rest["searchQuery"] = {"iLike": f"%{pattern}%"}
    return rest


def customers(
    _: Any,
    info: Info,
    filter: dict[str, Any] | None = None,
    paging: dict[str, Any] | None = None,
    sorting: list[dict[str, Any]] | None = None,
) -> Any:
    ctx = _ctx(info)
    filter_ = _search(filter)
    # Archived customers are listed only when the filter asks about ``deletedAt``.
    archived = bool(filter_ and "deletedAt" in filter_)
    found = [
        c
        for c in ctx.state.customers.values()
        if (archived or c.archived_at is None) and matches(filter_, partial(_customer_field, c))
    ]
    found = sort_items(found, sorting, lambda c, k: _none_if_unknown(_customer_field(c, k)))
    return paginate(found, paging, ctx.views.customer)


def _none_if_unknown(value: Any) -> Any:
    return None if value is UNKNOWN else value


# ---------------------------------------------------------------------- subscriptions


def _provision_result(ctx: ResolverContext, request: SubscriptionRequest) -> dict[str, Any]:
    outcome = ctx.state.provision(request)
    sub = outcome.subscription
    views = ctx.views
    return {
        "id": outcome.id,
        "status": outcome.status,
        "checkoutUrl": outcome.checkout_url,
        "checkoutBillingId": outcome.id if sub is None else None,
        "isScheduled": bool(sub and sub.status == "NOT_STARTED"),
        "subscription": views.subscription(sub) if sub else None,
        "entitlements": lambda **_: [
            views.entitlement(v)
            for v in ctx.state.entitlements(request.customer_id, request.resource_id)[1]
        ],
        "entitlementsV2": lambda **_: [
            views.entitlement(v, "FeatureEntitlement")
            for v in ctx.state.entitlements(request.customer_id, request.resource_id)[1]
        ],
    }


def provision_subscription(_: Any, info: Info, input: dict[str, Any]) -> Any:
    return _provision_result(_ctx(info), subscription_request(input))


def create_subscription(_: Any, info: Info, subscription: dict[str, Any]) -> Any:
    ctx = _ctx(info)
    return ctx.views.subscription(ctx.state.create_subscription(subscription_request(subscription)))


def _subscription_key(data: Mapping[str, Any]) -> str:
    key = data.get("subscriptionId") or data.get("refId") or data.get("subscriptionRefId")
    if not key:
        raise EmulatorError(ErrorCode.BAD_USER_INPUT, "subscriptionId is required")
    return str(key)


def update_one_subscription(_: Any, info: Info, input: dict[str, Any]) -> Any:
    ctx = _ctx(info)
    if input.get("scheduleStrategy") in ("END_OF_BILLING_PERIOD", "END_OF_BILLING_MONTH"):
        from stigg_async.emulator._resolve_subscriptions_admin import schedule_update

        return schedule_update(ctx, _subscription_key(input), input)
    addons = input.get("addons")
    sub = ctx.state.update_subscription(
        _subscription_key(input),
        unit_quantity=input.get("unitQuantity"),
        billable_features={
            str(b["featureId"]): float(b["quantity"]) for b in input.get("billableFeatures") or ()
        },
        addons=None
        if addons is None
        else {str(a["addonId"]): int(a.get("quantity") or 1) for a in addons},
        additional_meta_data=input.get("additionalMetaData", ...),
        billing_period=input.get("billingPeriod"),
        trial_end_date=input.get("trialEndDate"),
        coupon_id=_coupon_of(input),
    )
    return ctx.views.subscription(sub)


def cancel_subscription(_: Any, info: Info, input: dict[str, Any]) -> Any:
    ctx = _ctx(info)
    sub = ctx.state.cancel_subscription(
        _subscription_key(input),
        when=input.get("subscriptionCancellationTime"),
        end_date=input.get("endDate"),
    )
    return ctx.views.subscription(sub)


def migrate_subscription_to_latest(
    _: Any,
    info: Info,
    input: dict[str, Any],
) -> Any:
    ctx = _ctx(info)
    return ctx.views.subscription(ctx.state.migrate_subscription(_subscription_key(input)))


def get_active_subscriptions(_: Any, info: Info, input: dict[str, Any]) -> Any:
    ctx = _ctx(info)
    customer_id = str(input["customerId"])
    ctx.state.require_customer(customer_id)
    resources: list[str | None] | None = None
    if input.get("resourceIds"):
        resources = list(input["resourceIds"])
    elif input.get("resourceId"):
        resources = [input["resourceId"]]
    return [ctx.views.subscription(s) for s in ctx.state.live_subscriptions(customer_id, resources)]


def get_subscription(_: Any, info: Info, input: dict[str, Any]) -> Any:
    ctx = _ctx(info)
    return ctx.views.subscription(ctx.state.get_subscription(_subscription_key(input)))


# ---------------------------------------------------------------------- pricing and coupons


def estimate_subscription(_: Any, info: Info, input: dict[str, Any]) -> Any:
    ctx = _ctx(info)
    return ctx.views.preview(ctx.state.estimate(subscription_request(input)))


def estimate_subscription_update(_: Any, info: Info, input: dict[str, Any]) -> Any:
    ctx = _ctx(info)
    addons = input.get("addons")
    estimate = ctx.state.estimate_update(
        _subscription_key(input),
        unit_quantity=input.get("unitQuantity"),
        billable_features={
            str(b["featureId"]): float(b["quantity"]) for b in input.get("billableFeatures") or ()
        },
        addons=None
        if addons is None
        else {str(a["addonId"]): int(a.get("quantity") or 1) for a in addons},
    )
    return ctx.views.preview(estimate)


def coupons(
    _: Any,
    info: Info,
    filter: dict[str, Any] | None = None,
    paging: dict[str, Any] | None = None,
    sorting: list[dict[str, Any]] | None = None,
) -> Any:
    ctx = _ctx(info)

    def field(coupon: Any, name: str) -> Any:
        return {
            "refId": coupon.id,
            "id": coupon.uuid,
            "name": coupon.name,
            "description": coupon.description,
            "status": coupon.status,
            "type": coupon.type,
            "billingId": None,
            "source": "STIGG",
            "environmentId": ENVIRONMENT_ID,
        }.get(name, UNKNOWN)

    found = [c for c in ctx.state.catalog.coupons.values() if matches(filter, partial(field, c))]
    found = sort_items(found, sorting, lambda c, k: _none_if_unknown(field(c, k)))
    return paginate(found, paging, ctx.views.coupon)


# ---------------------------------------------------------------------- promotions


def grant_promotional_entitlements(
    _: Any,
    info: Info,
    input: dict[str, Any],
) -> Any:
    ctx = _ctx(info)
    customer_id = str(input["customerId"])
    ctx.state.require_customer(customer_id)
    for item in input["promotionalEntitlements"]:
        if item["featureId"] not in ctx.state.catalog.features:
            raise EmulatorError(
                ErrorCode.FEATURE_NOT_FOUND, f"Feature not found: {item['featureId']}"
            )
    granted = [
        ctx.state.grant_promotion(
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
        for item in input["promotionalEntitlements"]
    ]
    return [ctx.views.promotion(p) for p in granted]


def revoke_promotional_entitlement(
    _: Any,
    info: Info,
    input: dict[str, Any],
) -> Any:
    ctx = _ctx(info)
    promo = ctx.state.revoke_promotion(str(input["customerId"]), str(input["featureId"]))
    return ctx.views.promotion(promo)


# ---------------------------------------------------------------------- entitlements


def entitlement(_: Any, info: Info, query: dict[str, Any]) -> Any:
    ctx = _ctx(info)
    customer_id = str(query["customerId"])
    ctx.state.require_customer(customer_id)
    options = query.get("options") or {}
    value = ctx.state.entitlement(
        customer_id,
        str(query["featureId"]),
        query.get("resourceId"),
        options.get("requestedUsage"),
    )
    return ctx.views.entitlement(value)


def cached_entitlements(_: Any, info: Info, query: dict[str, Any]) -> Any:
    ctx = _ctx(info)
    customer_id = str(query["customerId"])
    ctx.state.require_customer(customer_id)
    _, values = ctx.state.entitlements(customer_id, query.get("resourceId"))
    return [ctx.views.entitlement(v) for v in values]


def entitlements_state(_: Any, info: Info, query: dict[str, Any]) -> Any:
    ctx = _ctx(info)
    customer_id, resource_id = str(query["customerId"]), query.get("resourceId")
    denial, values = ctx.state.entitlements(customer_id, resource_id)
    views = ctx.views
    return {
        "accessDeniedReason": denial,
        "entitlements": [views.entitlement(v) for v in values],
        # Credit entitlements follow the feature ones, from the same state and denial.
        "entitlementsV2": lambda **_: (
            [feature_entitlement_v2(views, v) for v in values]
            + ([] if denial else credit_entitlement_views(ctx.state, customer_id, resource_id))
        ),
    }


# ---------------------------------------------------------------------- usage


def _usage_report(data: Mapping[str, Any]) -> UsageReport:
    return UsageReport(
        str(data["customerId"]),
        str(data["featureId"]),
        float(data["value"]),
        resource_id=data.get("resourceId"),
        update_behavior=data.get("updateBehavior") or "DELTA",
        idempotency_key=data.get("idempotencyKey"),
        created_at=data.get("createdAt"),
    )


def report_usage(_: Any, info: Info, input: dict[str, Any]) -> Any:
    ctx = _ctx(info)
    return ctx.views.usage(ctx.state.report_usage(_usage_report(input)))


def create_usage_measurement(
    _: Any,
    info: Info,
    usageMeasurement: dict[str, Any],  # noqa: N803
) -> Any:
    ctx = _ctx(info)
    return ctx.views.usage(ctx.state.report_usage(_usage_report(usageMeasurement)))


def report_usage_bulk(_: Any, info: Info, input: dict[str, Any]) -> Any:
    ctx = _ctx(info)
    results = ctx.state.report_usage_bulk([_usage_report(u) for u in input["usages"]])
    return [ctx.views.usage(r) for r in results]


def report_event(_: Any, info: Info, events: dict[str, Any]) -> Any:
    _ctx(info).state.report_events(events["usageEvents"])
    return None


QUERY_FIELDS: dict[str, Resolver] = {
    "getCustomerByRefId": get_customer_by_ref_id,
    "customers": customers,
    "getActiveSubscriptions": get_active_subscriptions,
    "getSubscription": get_subscription,
    "coupons": coupons,
    "entitlement": entitlement,
    "cachedEntitlements": cached_entitlements,
    "entitlementsState": entitlements_state,
    **ADMIN_QUERY_FIELDS,
    **CREDIT_QUERY_FIELDS,
}

MUTATION_FIELDS: dict[str, Resolver] = {
    "provisionCustomer": provision_customer,
    "updateOneCustomer": update_one_customer,
    "provisionSubscriptionV2": provision_subscription,
    "provisionSubscription": provision_subscription,
    "createSubscription": create_subscription,
    "updateOneSubscription": update_one_subscription,
    "cancelSubscription": cancel_subscription,
    "migrateSubscriptionToLatest": migrate_subscription_to_latest,
    "estimateSubscription": estimate_subscription,
    "estimateSubscriptionUpdate": estimate_subscription_update,
    "grantPromotionalEntitlements": grant_promotional_entitlements,
    "revokePromotionalEntitlement": revoke_promotional_entitlement,
    "reportUsage": report_usage,
    "reportUsageBulk": report_usage_bulk,
    "reportEvent": report_event,
    "createUsageMeasurement": create_usage_measurement,
    **ADMIN_MUTATION_FIELDS,
    **CREDIT_MUTATION_FIELDS,
}


def install_resolvers(schema: GraphQLSchema) -> None:
    """Attach the resolvers to the schema's root fields (every root field has one)."""
    # Imported here: these modules use this one's context and request helpers.
    from stigg_async.emulator import _resolve_catalog, _resolve_subscriptions_admin

    queries, mutations = dict(QUERY_FIELDS), dict(MUTATION_FIELDS)
    for module in (_resolve_catalog, _resolve_subscriptions_admin):
        queries.update(module.QUERY_FIELDS)
        mutations.update(module.MUTATION_FIELDS)
    for root, resolvers in (
        (schema.query_type, queries),
        (schema.mutation_type, mutations),
    ):
        assert root is not None
        missing = set(root.fields) - set(resolvers)
        if missing:
            raise RuntimeError(f"the emulator has no resolver for {sorted(missing)}")
        for name, resolver in resolvers.items():
            if name in root.fields:
                root.fields[name].resolve = resolver
