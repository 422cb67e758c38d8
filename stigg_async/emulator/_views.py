"""Records and catalog items rendered as the dicts GraphQL resolves fields from.

Relations are zero-argument-or-keyword lambdas so they are only built when a
client selects them; catalog views never change between catalog loads and are
cached.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from functools import partial
from typing import Any

from stigg_async.emulator._admin import customer_statistics
from stigg_async.emulator._catalog import (
    AddonDef,
    CouponDef,
    EntitlementDef,
    FeatureDef,
    PlanDef,
    PriceDef,
    ProductDef,
    stable_uuid,
)
from stigg_async.emulator._query import UNKNOWN, Nested, matches, sort_items
from stigg_async.emulator._records import (
    Customer,
    EntitlementValue,
    Invoice,
    Promotion,
    ScheduledUpdate,
    Subscription,
    UsageResult,
)
from stigg_async.emulator._state import EmulatorState

__all__ = ["ENVIRONMENT_ID", "Views"]

#: The single environment the emulator serves.
ENVIRONMENT_ID = stable_uuid("environment", "emulator")
#: When catalog items claim to have been created.
_CATALOG_EPOCH = datetime(2024, 1, 1, tzinfo=timezone.utc)

_RESET_CONFIG = {
    "MONTH": {"__typename": "MonthlyResetPeriodConfig", "monthlyAccordingTo": "SubscriptionStart"},
    "WEEK": {"__typename": "WeeklyResetPeriodConfig", "weeklyAccordingTo": "SubscriptionStart"},
    "YEAR": {"__typename": "YearlyResetPeriodConfig", "yearlyAccordingTo": "SubscriptionStart"},
}


def _promotion_field(promo: Promotion, now: datetime, name: str) -> Any:
    return {
        "status": "Active" if promo.is_active(now) else "Expired",
        "createdAt": promo.created_at,
        "updatedAt": promo.updated_at,
        "id": promo.uuid,
        "environmentId": ENVIRONMENT_ID,
    }.get(name, UNKNOWN)


class Views:
    """Builds response dicts for one :class:`EmulatorState`."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self._cache: dict[tuple[str, str], dict[str, Any]] = {}
        self._catalog_id = id(state.catalog)

    def _cached(self, kind: str, key: str) -> dict[str, Any] | None:
        if id(self.state.catalog) != self._catalog_id:
            self._cache.clear()
            self._catalog_id = id(self.state.catalog)
        return self._cache.get((kind, key))

    def money(self, amount: float, currency: str | None = None) -> dict[str, Any]:
        return {"amount": round(amount, 2), "currency": currency or self.state.catalog.currency}

    # ------------------------------------------------------------------ catalog

    def feature(self, feature: FeatureDef) -> dict[str, Any]:
        """A ``Feature`` (also good for ``EntitlementFeature``)."""
        view = self._cached("feature", feature.id)
        if view is None:
            meter = None
            if feature.meter is not None:
                meter = {
                    "id": stable_uuid("meter", feature.id),
                    "aggregation": {
                        "field": feature.meter.dimension,
                        "function": {"COUNT_UNIQUE": "UNIQUE"}.get(
                            feature.meter.aggregation, feature.meter.aggregation
                        ),
                    },
                    "filters": [],
                    "environmentId": ENVIRONMENT_ID,
                    "createdAt": _CATALOG_EPOCH,
                    "updatedAt": _CATALOG_EPOCH,
                }
            view = {
                "__typename": "Feature",
                "id": feature.uuid,
                "refId": feature.id,
                "displayName": feature.display_name,
                "description": feature.description,
                "featureType": feature.feature_type,
                "meterType": feature.meter_type,
                "featureUnits": feature.units,
                "featureUnitsPlural": feature.units_plural,
                "additionalMetaData": feature.metadata,
                "featureStatus": "ACTIVE",
                "environmentId": ENVIRONMENT_ID,
                "createdAt": _CATALOG_EPOCH,
                "updatedAt": _CATALOG_EPOCH,
                "hasMeter": feature.meter is not None,
                "hasEntitlements": True,
                "meter": meter,
            }
            self._cache[("feature", feature.id)] = view
        return view

    def package_entitlement(self, ent: EntitlementDef, package_uuid: str) -> dict[str, Any]:
        feature = self.state.catalog.features[ent.feature_id]
        return {
            "__typename": "PackageEntitlement",
            "id": stable_uuid("package-entitlement", f"{package_uuid}:{ent.feature_id}"),
            "featureId": feature.uuid,
            "feature": self.feature(feature),
            "packageId": package_uuid,
            "usageLimit": ent.usage_limit,
            "hasUnlimitedUsage": True if ent.unlimited else None,
            "hasSoftLimit": True if ent.soft_limit else None,
            "resetPeriod": ent.reset_period,
            "resetPeriodConfiguration": _RESET_CONFIG.get(ent.reset_period or ""),
            "displayNameOverride": ent.display_name_override,
            "hiddenFromWidgets": [],
            "isCustom": None,
            "isGranted": True,
            "behavior": "Increment",
            "environmentId": ENVIRONMENT_ID,
            "createdAt": _CATALOG_EPOCH,
            "updatedAt": _CATALOG_EPOCH,
        }

    def price(self, price: PriceDef, package_id: str) -> dict[str, Any]:
        feature = self.state.catalog.features.get(price.feature_id or "")
        return {
            "__typename": "Price",
            "id": price.uuid,
            "billingModel": price.billing_model,
            "billingPeriod": price.billing_period,
            "billingCadence": "RECURRING",
            "billingId": None,
            "billingCountryCode": price.billing_country_code,
            "minUnitQuantity": price.min_unit_quantity,
            "maxUnitQuantity": price.max_unit_quantity,
            "price": self.money(price.amount, price.currency),
            "tiersMode": None,
            "tiers": None,
            "feature": self.feature(feature) if feature else None,
            "featureId": feature.id if feature else None,
            "isOverridePrice": False,
            "packageId": package_id,
            "environmentId": ENVIRONMENT_ID,
            "createdAt": _CATALOG_EPOCH,
        }

    def product(self, product: ProductDef) -> dict[str, Any]:
        view = self._cached("product", product.id)
        if view is None:
            catalog = self.state.catalog
            view = {
                "__typename": "Product",
                "id": product.uuid,
                "refId": product.id,
                "displayName": product.display_name,
                "description": product.description,
                "additionalMetaData": product.metadata,
                "multipleSubscriptions": product.multiple_subscriptions,
                "isDefaultProduct": False,
                "hasSubscriptions": True,
                "status": "PUBLISHED",
                "environmentId": ENVIRONMENT_ID,
                "createdAt": _CATALOG_EPOCH,
                "updatedAt": _CATALOG_EPOCH,
                "productSettings": {
                    "downgradePlan": None,
                    "subscriptionStartPlan": None,
                    "subscriptionCancellationTime": "END_OF_BILLING_PERIOD",
                },
                "autoCancellationRules": [],
                "plans": lambda **_: [
                    self.plan(p) for p in catalog.plans.values() if p.product_id == product.id
                ],
                "addons": lambda **_: [
                    self.addon(a) for a in catalog.addons.values() if a.product_id == product.id
                ],
            }
            self._cache[("product", product.id)] = view
        return view

    def plan(self, plan: PlanDef) -> dict[str, Any]:
        """A ``Plan`` (cached per plan version)."""
        key = f"{plan.id}@{plan.version}"
        view = self._cached("plan", key)
        if view is not None:
            return view
        catalog = self.state.catalog
        base = catalog.plans.get(plan.base_plan_id) if plan.base_plan_id else None
        own = [self.package_entitlement(e, plan.uuid) for e in plan.entitlements]
        own_ids = {e.feature_id for e in plan.entitlements}
        product = catalog.products.get(plan.product_id)

        def inherited(includeOverridden: bool = False, **_: Any) -> list[dict[str, Any]]:  # noqa: N803
            if base is None:
                return []
            merged = catalog.plan_entitlements(base)
            return [
                self.package_entitlement(e, base.uuid)
                for fid, e in merged.items()
                if includeOverridden or fid not in own_ids
            ]

        view = {
            "__typename": "Plan",
            "id": plan.uuid,
            "refId": plan.id,
            "displayName": plan.display_name,
            "description": plan.description,
            "additionalMetaData": plan.metadata,
            "billingId": None,
            "billingLinkUrl": None,
            "versionNumber": plan.version,
            "isLatest": lambda **_: (
                catalog.plans.get(plan.id) is None or catalog.plans[plan.id].version == plan.version
            ),
            "isParent": any(p.base_plan_id == plan.id for p in catalog.plans.values()),
            "status": "PUBLISHED",
            "type": "PLAN",
            "pricingType": plan.pricing_type,
            "productId": plan.product_id,
            "product": self.product(product) if product else None,
            "basePlan": self.plan(base) if base else None,
            "entitlements": own,
            "inheritedEntitlements": inherited,
            "compatibleAddons": lambda **_: [
                self.addon(catalog.addons[a]) for a in plan.compatible_addons if a in catalog.addons
            ],
            "prices": [self.price(p, plan.uuid) for p in plan.prices],
            "defaultTrialConfig": (
                {"duration": plan.default_trial.duration, "units": plan.default_trial.units}
                if plan.default_trial
                else None
            ),
            "hiddenFromWidgets": list(plan.hidden_from_widgets),
            "environmentId": ENVIRONMENT_ID,
            "createdAt": _CATALOG_EPOCH,
            "updatedAt": _CATALOG_EPOCH,
        }
        self._cache[("plan", key)] = view
        return view

    def addon(self, addon: AddonDef) -> dict[str, Any]:
        key = f"{addon.id}@{addon.version}"
        view = self._cached("addon", key)
        if view is None:
            product = self.state.catalog.products.get(addon.product_id)
            view = {
                "__typename": "Addon",
                "id": addon.uuid,
                "refId": addon.id,
                "displayName": addon.display_name,
                "description": addon.description,
                "additionalMetaData": addon.metadata,
                "billingId": None,
                "versionNumber": addon.version,
                "isLatest": True,
                "status": "PUBLISHED",
                "type": "ADDON",
                "pricingType": addon.pricing_type,
                "maxQuantity": addon.max_quantity,
                "productId": addon.product_id,
                "product": self.product(product) if product else None,
                "entitlements": [
                    self.package_entitlement(e, addon.uuid) for e in addon.entitlements
                ],
                "prices": lambda **_: [self.price(p, addon.uuid) for p in addon.prices],
                "dependencies": [],
                "hasSubscriptions": False,
                "hiddenFromWidgets": [],
                "environmentId": ENVIRONMENT_ID,
                "createdAt": _CATALOG_EPOCH,
                "updatedAt": _CATALOG_EPOCH,
            }
            self._cache[("addon", key)] = view
        return view

    def coupon(self, coupon: CouponDef) -> dict[str, Any]:
        state = self.state
        return {
            "__typename": "Coupon",
            "id": coupon.uuid,
            "refId": coupon.id,
            "name": coupon.name,
            "description": coupon.description,
            "discountValue": coupon.discount_value,
            "percentOff": coupon.discount_value if coupon.type == "PERCENTAGE" else None,
            "amountsOff": [self.money(coupon.discount_value)] if coupon.type == "FIXED" else None,
            "durationInMonths": coupon.duration_in_months,
            "type": coupon.type,
            "status": coupon.status,
            "source": "STIGG",
            "additionalMetaData": coupon.metadata,
            "billingId": None,
            "billingLinkUrl": None,
            "syncStates": [],
            "environmentId": ENVIRONMENT_ID,
            "createdAt": _CATALOG_EPOCH,
            "updatedAt": _CATALOG_EPOCH,
            "customers": lambda **_: [
                self.customer(c) for c in state.customers.values() if c.coupon_id == coupon.id
            ],
        }

    # ------------------------------------------------------------------ customers

    def customer(self, customer: Customer) -> dict[str, Any]:
        """A ``Customer`` with lazy subscriptions and promotional entitlements."""
        state = self.state
        cid = customer.customer_id
        method = customer.payment_method_id
        coupon = state.catalog.coupons.get(customer.coupon_id or "")

        def subscriptions(
            filter: Mapping[str, Any] | None = None,
            sorting: Any = None,
            **_: Any,
        ) -> list[dict[str, Any]]:
            subs = [
                s
                for s in state.customer_subscriptions(cid)
                if matches(filter, partial(self._subscription_field, s))
            ]
            subs = sort_items(subs, sorting, self._subscription_field)
            return [self.subscription(s) for s in subs]

        def promotions(
            filter: Mapping[str, Any] | None = None,
            **_: Any,
        ) -> list[dict[str, Any]]:
            now = state.now()
            return [
                self.promotion(p)
                for p in state.promotions(cid)
                if matches(filter, partial(_promotion_field, p, now))
            ]

        def live() -> list[Subscription]:
            return state.live_subscriptions(cid)

        return {
            "__typename": "Customer",
            "id": customer.uuid,
            "customerId": cid,
            "refId": cid,
            "name": customer.name,
            "email": customer.email,
            "createdAt": customer.created_at,
            "updatedAt": customer.updated_at,
            "deletedAt": customer.archived_at,
            "statistics": lambda **_: customer_statistics(state, cid),
            "billingId": customer.billing_id,
            "billingLinkUrl": None,
            "billingCurrency": customer.billing_currency,
            "crmId": customer.crm_id,
            "salesforceId": customer.salesforce_id,
            "awsMarketplaceCustomerId": customer.aws_marketplace_customer_id,
            "additionalMetaData": customer.metadata,
            "excludeFromExperiment": customer.exclude_from_experiment,
            "environmentId": ENVIRONMENT_ID,
            "hasPaymentMethod": bool(method),
            "defaultPaymentMethodId": method,
            "defaultPaymentMethodType": "CARD" if method else None,
            "defaultPaymentMethodCardBrand": "visa" if method else None,
            "defaultPaymentMethodLast4Digits": "4242" if method else None,
            "defaultPaymentExpirationMonth": 12 if method else None,
            "defaultPaymentExpirationYear": 2034 if method else None,
            "coupon": self.coupon(coupon) if coupon else None,
            "subscriptions": subscriptions,
            "promotionalEntitlements": promotions,
            "hasActiveSubscription": lambda **_: bool(live()),
            "totalActiveSubscription": lambda **_: float(len(live())),
            "hasActiveResource": lambda **_: any(s.resource_id for s in live()),
            "totalActivePromotionalEntitlements": lambda **_: float(
                sum(1 for p in state.promotions(cid) if p.is_active(state.now()))
            ),
            "trialedPlans": lambda **_: [
                {
                    "planRefId": plan_id,
                    "planId": plan_id,
                    "productId": state.catalog.plans[plan_id].product_id,
                    "productRefId": state.catalog.plans[plan_id].product_id,
                }
                for plan_id in sorted(customer.trialed_plans)
                if plan_id in state.catalog.plans
            ],
            "eligibleForTrial": lambda **_: [
                {
                    "productId": product_id,
                    "productRefId": product_id,
                    "eligible": any(
                        p.default_trial and p.id not in customer.trialed_plans
                        for p in state.catalog.plans.values()
                        if p.product_id == product_id
                    ),
                }
                for product_id in state.catalog.products
            ],
            "syncStates": [],
        }

    def _subscription_field(self, sub: Subscription, name: str) -> Any:
        values: dict[str, Any] = {
            "status": sub.status,
            "subscriptionId": sub.subscription_id,
            "refId": sub.subscription_id,
            "id": sub.uuid,
            "pricingType": sub.plan.pricing_type,
            "paymentCollection": sub.payment_collection,
            "startDate": sub.start_date,
            "createdAt": sub.created_at,
            "endDate": sub.end_date,
            "cancellationDate": sub.cancellation_date,
            "effectiveEndDate": sub.effective_end_date,
            "trialEndDate": sub.trial_end_date,
            "resourceId": sub.resource_id,
            "billingId": sub.billing_id,
            "environmentId": ENVIRONMENT_ID,
        }
        if name == "plan":
            return Nested(
                lambda k: {
                    "refId": sub.plan.id,
                    "id": sub.plan.uuid,
                    "displayName": sub.plan.display_name,
                    "productId": sub.plan.product_id,
                    "pricingType": sub.plan.pricing_type,
                    "versionNumber": sub.plan.version,
                }.get(k, UNKNOWN)
            )
        if name == "resource":
            return Nested(lambda k: {"resourceId": sub.resource_id}.get(k, UNKNOWN))
        return values.get(name, UNKNOWN)

    # ------------------------------------------------------------------ subscriptions

    def invoice(self, invoice: Invoice | None) -> dict[str, Any] | None:
        if invoice is None:
            return None
        return {
            "__typename": "SubscriptionInvoice",
            "billingId": invoice.billing_id,
            "status": invoice.status,
            "createdAt": invoice.created_at,
            "updatedAt": invoice.updated_at,
            "requiresAction": invoice.requires_action,
            "paymentUrl": invoice.payment_url,
            "paymentSecret": invoice.payment_secret,
            "errorMessage": invoice.error_message,
            "pdfUrl": None,
            "billingReason": "SUBSCRIPTION_CREATION",
            "currency": invoice.currency,
            "total": invoice.total,
            "subTotal": invoice.total,
            "totalExcludingTax": invoice.total,
            "subTotalExcludingTax": invoice.total,
            "tax": 0.0,
            "amountDue": invoice.total if invoice.status == "OPEN" else 0.0,
            "attemptCount": 1.0,
        }

    def subscription(self, sub: Subscription) -> dict[str, Any]:
        """A ``CustomerSubscription`` with its plan, add-ons, prices and invoice."""
        state = self.state
        catalog = state.catalog
        period_start, period_end = state.billing_period_bounds(sub)
        view: dict[str, Any] = {}

        def customer(**_: Any) -> dict[str, Any] | None:
            found = state.get_customer(sub.customer_id)
            return self.customer(found) if found else None

        def addons(**_: Any) -> list[dict[str, Any]]:
            result = []
            for addon_id, quantity in sub.addons.items():
                addon = catalog.addons.get(addon_id)
                if addon is None:
                    continue
                price = next(
                    (p for p in addon.prices if p.billing_period == sub.billing_period), None
                )
                result.append(
                    {
                        "id": stable_uuid("subscription-addon", f"{sub.uuid}:{addon_id}"),
                        "addonId": addon_id,
                        "quantity": float(quantity),
                        "addon": self.addon(addon),
                        "price": self.price(price, addon.uuid) if price else None,
                        "createdAt": sub.created_at,
                        "updatedAt": sub.updated_at,
                        "subscription": lambda **_: view,
                    }
                )
            return result

        def prices(**_: Any) -> list[dict[str, Any]]:
            return [
                {
                    "id": stable_uuid("subscription-price", f"{sub.uuid}:{p.key}"),
                    "usageLimit": sub.billable_features.get(p.feature_id or "")
                    if p.billing_model == "PER_UNIT"
                    else None,
                    "billingModel": p.billing_model,
                    "featureId": p.feature_id,
                    "price": self.price(p, sub.plan.uuid),
                    "subscriptionId": sub.subscription_id,
                    "environmentId": ENVIRONMENT_ID,
                    "createdAt": sub.created_at,
                    "updatedAt": sub.updated_at,
                    "subscription": lambda **_: view,
                }
                for p in sub.plan.prices
                if p.billing_period == sub.billing_period
            ]

        total_price = None
        if sub.plan.is_paid:
            amount = state.price_of(sub.plan, sub.billing_period, sub.billable_features, sub.addons)
            total_price = {
                "subTotal": self.money(amount),
                "total": self.money(state.discounted(amount, sub.coupon_id)),
                "addonsTotal": self.money(state.addons_price(sub.billing_period, sub.addons)),
            }
        resource = None
        if sub.resource_id is not None:
            resource = {
                "resourceId": sub.resource_id,
                "createdAt": sub.created_at,
                "environmentId": ENVIRONMENT_ID,
                "customer": customer,
                "subscriptions": lambda **_: [
                    self.subscription(s)
                    for s in state.live_subscriptions(sub.customer_id, [sub.resource_id])
                ],
            }
        latest = catalog.plans.get(sub.plan.id)
        view.update(
            {
                "__typename": "CustomerSubscription",
                "id": sub.uuid,
                "subscriptionId": sub.subscription_id,
                "refId": sub.subscription_id,
                "status": sub.status,
                "startDate": sub.start_date,
                "endDate": sub.end_date,
                "trialEndDate": sub.trial_end_date,
                "cancellationDate": sub.cancellation_date,
                "effectiveEndDate": sub.effective_end_date,
                "createdAt": sub.created_at,
                "currentBillingPeriodStart": period_start,
                "currentBillingPeriodEnd": period_end,
                "billingCycleAnchor": sub.start_date,
                "billingPeriod": sub.billing_period,
                "billingId": sub.billing_id,
                "billingLinkUrl": None,
                "billingSyncError": None,
                "additionalMetaData": sub.metadata,
                "environmentId": ENVIRONMENT_ID,
                "customerId": (
                    state.customers[sub.customer_id].uuid
                    if sub.customer_id in state.customers
                    else None
                ),
                "customer": customer,
                "payingCustomer": lambda **_: (
                    self.customer(state.customers[sub.paying_customer_id])
                    if sub.paying_customer_id in state.customers
                    else None
                ),
                "paymentCollection": sub.payment_collection,
                "paymentCollectionMethod": "CHARGE",
                "pricingType": sub.plan.pricing_type,
                "plan": self.plan(sub.plan),
                "addons": addons,
                "prices": prices,
                "totalPrice": total_price,
                "latestInvoice": self.invoice(sub.invoice),
                "resource": resource,
                "resourceId": sub.resource_id,
                "wasInTrial": sub.was_in_trial,
                "isCustomPriceSubscription": False,
                "outdatedPricePackages": (
                    [sub.plan.id]
                    if latest is not None and latest.version != sub.plan.version
                    else []
                ),
                "futureUpdates": [],
                "scheduledUpdates": lambda **_: [
                    self.scheduled_update(u) for u in sub.scheduled_updates
                ],
                "experimentInfo": None,
                "syncStates": [],
            }
        )
        return view

    def scheduled_update(self, update: ScheduledUpdate) -> dict[str, Any]:
        """A ``SubscriptionScheduledUpdate``."""
        return {
            "subscriptionScheduleType": update.schedule_type,
            "scheduleStatus": update.status,
            "scheduledExecutionTime": update.execution_time,
            "createdAt": update.created_at,
            "billingId": None,
            "scheduleVariables": None,
            "targetPackage": None,
        }

    def promotion(self, promo: Promotion) -> dict[str, Any]:
        state = self.state
        feature = state.catalog.features.get(promo.feature_id)
        customer = state.get_customer(promo.customer_id)
        return {
            "__typename": "PromotionalEntitlement",
            "id": promo.uuid,
            "status": "Active" if promo.is_active(state.now()) else "Expired",
            "period": promo.period,
            "usageLimit": promo.usage_limit,
            "hasUnlimitedUsage": True if promo.unlimited else None,
            "unlimited": promo.unlimited,
            "hasSoftLimit": True if promo.soft_limit else None,
            "resetPeriod": promo.reset_period,
            "resetPeriodConfiguration": _RESET_CONFIG.get(promo.reset_period or ""),
            "startDate": promo.start_date,
            "endDate": promo.end_date,
            "isVisible": promo.is_visible,
            "featureId": feature.uuid if feature else promo.feature_id,
            "feature": self.feature(feature) if feature else None,
            "createdAt": promo.created_at,
            "updatedAt": promo.updated_at,
            "environmentId": ENVIRONMENT_ID,
            "customer": lambda **_: self.customer(customer) if customer else None,
        }

    # ------------------------------------------------------------------ entitlements and usage

    def entitlement(self, value: EntitlementValue, typename: str = "Entitlement") -> dict[str, Any]:
        """An ``Entitlement`` (or, with ``typename``, a ``FeatureEntitlement``)."""
        feature = self.state.catalog.features.get(value.feature_id)
        return {
            "__typename": typename,
            "isGranted": value.is_granted,
            "accessDeniedReason": value.access_denied_reason,
            "customerId": value.customer_id,
            "resourceId": value.resource_id,
            "usageLimit": value.usage_limit,
            "hasUnlimitedUsage": value.unlimited,
            "hasSoftLimit": value.soft_limit,
            "currentUsage": value.current_usage,
            "requestedUsage": value.requested_usage,
            "resetPeriod": value.reset_period,
            "resetPeriodConfiguration": _RESET_CONFIG.get(value.reset_period or ""),
            "usagePeriodAnchor": value.usage_period_anchor,
            "usagePeriodStart": value.usage_period_start,
            "usagePeriodEnd": value.usage_period_end,
            "nextResetDate": value.usage_period_end,
            "usageUpdatedAt": value.usage_updated_at,
            "entitlementUpdatedAt": value.entitlement_updated_at,
            "displayNameOverride": value.display_name_override,
            "hiddenFromWidgets": [],
            "feature": self.feature(feature) if feature else None,
            "meterId": stable_uuid("meter", feature.id) if feature and feature.meter else None,
        }

    def usage(self, result: UsageResult) -> dict[str, Any]:
        """A ``UsageMeasurementWithCurrentUsage``."""
        return {
            "id": result.id,
            "customerId": result.customer_id,
            "featureId": result.feature_id,
            "resourceId": result.resource_id,
            "value": result.value,
            "currentUsage": result.current_usage,
            "createdAt": result.created_at,
            "timestamp": result.timestamp,
            "usagePeriodStart": result.usage_period_start,
            "usagePeriodEnd": result.usage_period_end,
            "nextResetDate": result.usage_period_end,
            "environmentId": ENVIRONMENT_ID,
        }

    def preview(self, estimate: Mapping[str, Any]) -> dict[str, Any]:
        """A ``SubscriptionPreview`` from :meth:`EmulatorState.estimate` or ``estimate_update``."""
        sub_total, total = estimate["sub_total"], estimate["total"]
        proration = estimate.get("proration")
        full = estimate.get("new_price", sub_total)
        return {
            "subTotal": self.money(sub_total),
            "total": self.money(total),
            "totalExcludingTax": self.money(total),
            "tax": self.money(0.0),
            "taxDetails": None,
            "discount": None,
            "discountAmount": self.money(sub_total - total) if total != sub_total else None,
            "minimumSpendAdjustment": self.money(0.0),
            "billingPeriodRange": {"start": estimate["start"], "end": estimate["end"]},
            "isPlanDowngrade": False,
            "hasScheduledUpdates": False,
            "credits": None,
            "subscription": {
                "subTotal": self.money(full),
                "total": self.money(full if proration else total),
                "totalExcludingTax": self.money(full if proration else total),
                "tax": self.money(0.0),
                "discountAmount": None,
                "discount": None,
                "taxDetails": None,
            },
            "proration": (
                {
                    "prorationDate": proration["date"],
                    "credit": self.money(proration["credit"]),
                    "debit": self.money(proration["debit"]),
                    "netAmount": self.money(proration["net"]),
                    "hasProrations": True,
                }
                if proration
                else None
            ),
        }
