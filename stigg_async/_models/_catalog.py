"""Catalog results: products, plans, add-ons, their prices and entitlements."""

from __future__ import annotations

from typing import Annotated

from stigg_async._models._base import Items, JsonObject, StiggModel, lenient
from stigg_async._models._common import Feature, Money
from stigg_async._models._enums import (
    BillingCadence,
    BillingModel,
    BillingPeriod,
    EntitlementResetPeriod,
    PackageStatus,
    PricingType,
    TiersMode,
)

__all__ = ["Addon", "PackageEntitlement", "Plan", "Price", "Product"]


class Price(StiggModel):
    """One price of a plan or add-on (flat fee, per unit, usage based...).

    Example:
        >>> p = Price.model_validate({
        ...     "billingModel": "PER_UNIT", "billingPeriod": "MONTHLY",
        ...     "price": {"amount": 6, "currency": "USD"},
        ...     "feature": {"refId": "feature-01-templates"},
        ... })
        >>> (p.billing_model, p.price.amount if p.price else None)
        (<BillingModel.PER_UNIT: 'PER_UNIT'>, 6.0)
    """

    id: str | None = None
    billing_model: Annotated[BillingModel | str, lenient(BillingModel)] | None = None
    billing_period: Annotated[BillingPeriod | str, lenient(BillingPeriod)] | None = None
    billing_cadence: Annotated[BillingCadence | str, lenient(BillingCadence)] | None = None
    billing_id: str | None = None
    billing_country_code: str | None = None
    min_unit_quantity: float | None = None
    max_unit_quantity: float | None = None
    block_size: float | None = None
    tiers_mode: Annotated[TiersMode | str, lenient(TiersMode)] | None = None
    price: Money | None = None
    feature: Feature | None = None


class PackageEntitlement(StiggModel):
    """What a plan or add-on grants for one feature."""

    feature_id: str | None = None
    usage_limit: float | None = None
    has_unlimited_usage: bool | None = None
    has_soft_limit: bool | None = None
    reset_period: (
        Annotated[EntitlementResetPeriod | str, lenient(EntitlementResetPeriod)] | None
    ) = None
    is_custom: bool | None = None
    display_name_override: str | None = None
    feature: Feature | None = None


class Product(StiggModel):
    """A product of the catalog."""

    ref_id: str
    id: str | None = None
    display_name: str | None = None
    description: str | None = None
    additional_meta_data: JsonObject | None = None


class Plan(StiggModel):
    """A plan (a package of entitlements and prices).

    Example:
        >>> Plan.model_validate({"id": "08b2", "refId": "plan-revvenu-basic"}).ref_id
        'plan-revvenu-basic'
    """

    ref_id: str
    id: str | None = None
    display_name: str | None = None
    description: str | None = None
    billing_id: str | None = None
    version_number: int | None = None
    pricing_type: Annotated[PricingType | str, lenient(PricingType)] | None = None
    status: Annotated[PackageStatus | str, lenient(PackageStatus)] | None = None
    additional_meta_data: JsonObject | None = None
    product: Product | None = None
    base_plan: Plan | None = None
    entitlements: Items[PackageEntitlement] = ()


class Addon(StiggModel):
    """An add-on that can be bought on top of a plan."""

    ref_id: str
    id: str | None = None
    display_name: str | None = None
    description: str | None = None
    billing_id: str | None = None
    pricing_type: Annotated[PricingType | str, lenient(PricingType)] | None = None
    max_quantity: float | None = None
    additional_meta_data: JsonObject | None = None
    entitlements: Items[PackageEntitlement] = ()
