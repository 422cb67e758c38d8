"""Root fields of the catalog and pricing pages: paywall, mockPaywall, products, sdkConfiguration.

Everything is read from the catalog and the customer's live subscriptions; prices go
through the same pricing code as the estimates (:meth:`EmulatorState.price_of`).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, TypeAlias

from graphql import GraphQLResolveInfo

from stigg_async.emulator._catalog import AddonDef, PlanDef, PriceDef
from stigg_async.emulator._errors import EmulatorError, ErrorCode
from stigg_async.emulator._query import UNKNOWN, matches, paginate, sort_items
from stigg_async.emulator._state import prices_for
from stigg_async.emulator._views import ENVIRONMENT_ID

if TYPE_CHECKING:
    from stigg_async.emulator._resolvers import ResolverContext

    Info: TypeAlias = "GraphQLResolveInfo[Any]"
else:
    Info = GraphQLResolveInfo

__all__ = ["MUTATION_FIELDS", "QUERY_FIELDS"]

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "DKK": "kr.", "JPY": "¥", "INR": "₹"}
_PERIODS = ("MONTHLY", "ANNUALLY")


def _ctx(info: Info) -> ResolverContext:
    return info.context  # type: ignore[no-any-return]


def _visible_plans(ctx: ResolverContext, data: dict[str, Any]) -> list[PlanDef]:
    catalog = ctx.state.catalog
    product_id = data.get("productId")
    if product_id is not None and product_id not in catalog.products:
        raise EmulatorError(ErrorCode.BAD_USER_INPUT, f"Product not found: {product_id}")
    # Catalog order is the paywall's order (cheapest first in the default catalog).
    return [
        plan
        for plan in catalog.plans.values()
        if (product_id is None or plan.product_id == product_id)
        and (data.get("includeHiddenPlans") or "PAYWALL" not in plan.hidden_from_widgets)
    ]


def _country_prices(
    ctx: ResolverContext,
    prices: tuple[PriceDef, ...],
    package_uuid: str,
    country: str | None,
    every_country: bool = False,
) -> list[dict[str, Any]]:
    if every_country:
        return [ctx.views.price(p, package_uuid) for p in prices]
    chosen = [p for period in _PERIODS for p in prices_for(prices, period, country)]
    return [ctx.views.price(p, package_uuid) for p in chosen]


def _plan(
    ctx: ResolverContext, plan: PlanDef, country: str | None, every_country: bool
) -> dict[str, Any]:
    view = dict(ctx.views.plan(plan))  # the cached view is shared: copy before narrowing
    view["prices"] = _country_prices(ctx, plan.prices, plan.uuid, country, every_country)
    return view


def _price_points(
    ctx: ResolverContext, plans: list[PlanDef], country: str | None
) -> list[dict[str, Any]]:
    state = ctx.state
    points = []
    for plan in plans:
        for period in _PERIODS:
            prices = prices_for(plan.prices, period, country)
            if not prices:
                continue
            per_unit = next((p for p in prices if p.billing_model == "PER_UNIT"), None)
            feature = state.catalog.features.get(per_unit.feature_id or "") if per_unit else None
            # The price of one unit (the minimum quantity is applied at checkout).
            quantities = {per_unit.feature_id: 1.0} if per_unit and per_unit.feature_id else {}
            points.append(
                {
                    "planId": plan.id,
                    "billingPeriod": period,
                    "billingCountryCode": prices[0].billing_country_code,
                    "amount": state.price_of(plan, period, quantities, {}, country),
                    "currency": prices[0].currency,
                    "additionalChargesMayApply": any(
                        p.billing_model == "USAGE_BASED" for p in prices
                    ),
                    "feature": ctx.views.feature(feature) if feature else None,
                }
            )
    return points


def paywall(_: Any, info: Info, input: dict[str, Any]) -> Any:
    ctx = _ctx(info)
    state = ctx.state
    country = input.get("billingCountryCode")
    plans = _visible_plans(ctx, input)
    customer_id = input.get("customerId")
    resource_id = input.get("resourceId")
    customer = state.require_customer(str(customer_id)) if customer_id else None
    if resource_id and customer is None:
        raise EmulatorError(ErrorCode.BAD_USER_INPUT, "resourceId needs a customerId")
    local = [p for plan in plans for p in prices_for(plan.prices, None, country)]
    currency = local[0].currency if local else state.catalog.currency
    active = None
    if customer is not None:
        resources = [resource_id] if resource_id else None
        active = [
            ctx.views.subscription(s)
            for s in state.live_subscriptions(customer.customer_id, resources)
        ]
    return {
        "plans": [
            _plan(ctx, p, country, bool(input.get("fetchAllCountriesPrices"))) for p in plans
        ],
        "currency": {"code": currency, "symbol": _SYMBOLS.get(currency, currency)},
        "customer": ctx.views.customer(customer) if customer else None,
        "activeSubscriptions": active,
        "resource": (
            {
                "resourceId": resource_id,
                "createdAt": customer.created_at,
                "customer": ctx.views.customer(customer),
                "environmentId": ENVIRONMENT_ID,
                "subscriptions": lambda **_: active,
            }
            if resource_id and customer is not None
            else None
        ),
        "paywallCalculatedPricePoints": _price_points(ctx, plans, country),
        "configuration": None,
    }


def _paywall_addon(ctx: ResolverContext, addon: AddonDef, country: str | None) -> dict[str, Any]:
    view = dict(ctx.views.addon(addon))
    view["prices"] = _country_prices(ctx, addon.prices, addon.uuid, country)
    view["packageEntitlements"] = view["entitlements"]
    view["entitlements"] = []
    return view


def mock_paywall(_: Any, info: Info, input: dict[str, Any]) -> Any:
    ctx = _ctx(info)
    catalog = ctx.state.catalog
    country = input.get("billingCountryCode")
    plans = []
    for plan in _visible_plans(ctx, input):
        product = catalog.products[plan.product_id]
        base = catalog.plans.get(plan.base_plan_id or "")
        view = ctx.views.plan(plan)
        plans.append(
            {
                "refId": plan.id,
                "displayName": plan.display_name,
                "description": plan.description,
                "additionalMetaData": plan.metadata,
                "pricingType": plan.pricing_type,
                "billingId": None,
                "product": {
                    "refId": product.id,
                    "displayName": product.display_name,
                    "description": product.description,
                    "additionalMetaData": product.metadata,
                },
                "basePlan": {"refId": base.id, "displayName": base.display_name} if base else None,
                "prices": _country_prices(ctx, plan.prices, plan.uuid, country),
                "packageEntitlements": view["entitlements"],
                "inheritedPackageEntitlements": view["inheritedEntitlements"],
                "entitlements": [],
                "inheritedEntitlements": [],
                "compatibleAddons": [
                    _paywall_addon(ctx, catalog.addons[a], country)
                    for a in plan.compatible_addons
                    if a in catalog.addons
                ],
                "defaultTrialConfig": view["defaultTrialConfig"],
            }
        )
    return {"plans": plans, "configuration": None}


def _product_field(product: Any, name: str) -> Any:
    return {
        "refId": product.id,
        "id": product.uuid,
        "displayName": product.display_name,
        "description": product.description,
        "multipleSubscriptions": product.multiple_subscriptions,
        "isDefaultProduct": False,
        "status": "PUBLISHED",
    }.get(name, UNKNOWN)


def products(
    _: Any,
    info: Info,
    filter: dict[str, Any] | None = None,
    paging: dict[str, Any] | None = None,
    sorting: list[dict[str, Any]] | None = None,
) -> Any:
    ctx = _ctx(info)
    found = [
        p
        for p in ctx.state.catalog.products.values()
        if matches(filter, partial(_product_field, p))
    ]
    found = sort_items(found, sorting, lambda p, k: _known(_product_field(p, k)))
    return paginate(found, paging, ctx.views.product)


def _known(value: Any) -> Any:
    return None if value is UNKNOWN else value


def sdk_configuration(_: Any, info: Info) -> Any:
    # The emulator has no widgets to watermark and reports no errors to Sentry.
    return {"isWidgetWatermarkEnabled": False, "sentryDsn": None, "showWatermark": False}


QUERY_FIELDS = {
    "paywall": paywall,
    "mockPaywall": mock_paywall,
    "products": products,
    "sdkConfiguration": sdk_configuration,
}
MUTATION_FIELDS: dict[str, Any] = {}
