"""Catalog and pricing-page results: paywall, mock paywall, products, SDK configuration."""

from __future__ import annotations

from typing import Annotated

from stigg_async._models._base import Items, JsonObject, StiggModel, lenient
from stigg_async._models._catalog import Addon, Plan, Price, Product
from stigg_async._models._common import Connection, Money
from stigg_async._models._customer import Customer
from stigg_async._models._enums import (
    BillingCadence,
    BillingModel,
    BillingPeriod,
    Currency,
    PricingType,
    TiersMode,
)
from stigg_async._models._subscription import Subscription, SubscriptionResource

__all__ = [
    "MockPaywall",
    "MockPaywallAddon",
    "MockPaywallPlan",
    "Paywall",
    "PaywallAddon",
    "PaywallCurrency",
    "PaywallPlan",
    "PaywallPrice",
    "PaywallPricePoint",
    "PlanSummary",
    "ProductEdge",
    "ProductPage",
    "SdkConfiguration",
]


class PaywallAddon(Addon):
    """An add-on offered with a paywall plan, with its prices."""

    prices: Items[Price] = ()


class PaywallPlan(Plan):
    """A plan of the paywall: its entitlements, prices (for the country asked) and add-ons."""

    prices: Items[Price] = ()
    compatible_addons: Items[PaywallAddon] = ()


class PaywallCurrency(StiggModel):
    """The currency a paywall's prices are in."""

    code: Annotated[Currency | str, lenient(Currency)]
    symbol: str | None = None


class PaywallPricePoint(StiggModel):
    """The price of one plan for one billing period, as a pricing page shows it."""

    plan_id: str
    billing_period: Annotated[BillingPeriod | str, lenient(BillingPeriod)]
    amount: float
    currency: Annotated[Currency | str, lenient(Currency)]
    billing_country_code: str | None = None
    additional_charges_may_apply: bool | None = None


class Paywall(StiggModel):
    """What a pricing page needs (``paywall``): plans in order, and the customer's current ones.

    Example:
        >>> p = Paywall.model_validate({
        ...     "currency": {"code": "USD", "symbol": "$"},
        ...     "plans": [{"refId": "plan-revvenu-basic"}, {"refId": "plan-revvenu-growth"}],
        ...     "activeSubscriptions": [
        ...         {"refId": "s-1", "status": "ACTIVE", "plan": {"refId": "plan-revvenu-growth"}}
        ...     ],
        ... })
        >>> ([plan.ref_id for plan in p.plans], p.current_plan_ids)
        (['plan-revvenu-basic', 'plan-revvenu-growth'], ('plan-revvenu-growth',))
    """

    currency: PaywallCurrency
    plans: Items[PaywallPlan] = ()
    customer: Customer | None = None
    active_subscriptions: Items[Subscription] = ()
    resource: SubscriptionResource | None = None
    paywall_calculated_price_points: Items[PaywallPricePoint] = ()

    @property
    def current_plan_ids(self) -> tuple[str, ...]:
        """The plans the customer is subscribed to now (empty without a customer)."""
        return tuple(s.plan.ref_id for s in self.active_subscriptions if s.plan is not None)

    def is_current(self, plan_id: str) -> bool:
        """True when the customer is subscribed to ``plan_id`` now."""
        return plan_id in self.current_plan_ids


class PaywallPrice(StiggModel):
    """A price of a mock-paywall plan or add-on."""

    billing_model: Annotated[BillingModel | str, lenient(BillingModel)]
    billing_period: Annotated[BillingPeriod | str, lenient(BillingPeriod)]
    billing_cadence: Annotated[BillingCadence | str, lenient(BillingCadence)] | None = None
    billing_country_code: str | None = None
    feature_id: str | None = None
    min_unit_quantity: float | None = None
    max_unit_quantity: float | None = None
    block_size: float | None = None
    tiers_mode: Annotated[TiersMode | str, lenient(TiersMode)] | None = None
    price: Money | None = None


class PlanSummary(StiggModel):
    """A plan named by id (a mock-paywall plan's base plan)."""

    ref_id: str
    display_name: str | None = None


class MockPaywallAddon(StiggModel):
    """An add-on of a mock-paywall plan."""

    ref_id: str
    display_name: str | None = None
    description: str | None = None
    max_quantity: float | None = None
    prices: Items[PaywallPrice] = ()


class MockPaywallPlan(StiggModel):
    """A plan of the mock paywall (the catalog as a pricing page, without a customer)."""

    ref_id: str
    display_name: str | None = None
    description: str | None = None
    pricing_type: Annotated[PricingType | str, lenient(PricingType)] | None = None
    additional_meta_data: JsonObject | None = None
    product: Product | None = None
    base_plan: PlanSummary | None = None
    prices: Items[PaywallPrice] = ()
    compatible_addons: Items[MockPaywallAddon] = ()


class MockPaywall(StiggModel):
    """The ``mockPaywall``: the catalog's plans for a pricing-page preview."""

    plans: Items[MockPaywallPlan] = ()


class ProductEdge(StiggModel):
    """One product in a page, with its cursor."""

    node: Product
    cursor: str | None = None


class ProductPage(Connection):
    """A page of products (the ``products`` connection).

    Example:
        >>> page = ProductPage.model_validate(
        ...     {"edges": [{"node": {"refId": "product-revvenu"}, "cursor": "c1"}],
        ...      "pageInfo": {"hasNextPage": False}, "totalCount": 1}
        ... )
        >>> [p.ref_id for p in page.items]
        ['product-revvenu']
    """

    edges: Items[ProductEdge] = ()

    @property
    def items(self) -> tuple[Product, ...]:
        """The products of this page, in order."""
        return tuple(edge.node for edge in self.edges)


class SdkConfiguration(StiggModel):
    """The environment's SDK settings (``sdkConfiguration``), read by official SDKs at start."""

    is_widget_watermark_enabled: bool | None = None
    sentry_dsn: str | None = None
    show_watermark: bool | None = None
