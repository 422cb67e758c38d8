"""The product catalog: features, plans, add-ons, coupons, loaded from JSON or YAML.

The file format is documented in ``docs/emulator.md``; ``default_catalog.json``
next to this module is a complete example modelled on Stigg's guides.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from stigg_async.emulator._credit_catalog import CreditCatalog

__all__ = [
    "AddonDef",
    "Catalog",
    "CatalogError",
    "CouponDef",
    "EntitlementDef",
    "FeatureDef",
    "MeterDef",
    "PlanDef",
    "PriceDef",
    "ProductDef",
    "TrialDef",
    "default_catalog_path",
    "stable_uuid",
]

_NAMESPACE = uuid.UUID("6f1d3a52-6c1e-4b7e-9d3f-5e0a8c2b9a10")
_FEATURE_TYPES = {"BOOLEAN", "NUMBER", "ENUM"}
_METER_TYPES = {"None", "Fluctuating", "Incremental"}
_RESET_PERIODS = {"HOUR", "DAY", "WEEK", "MONTH", "YEAR"}
_AGGREGATIONS = {"COUNT", "COUNT_UNIQUE", "SUM"}


class CatalogError(ValueError):
    """The catalog file is malformed or refers to something it does not define."""


def stable_uuid(kind: str, key: str) -> str:
    """A UUID that is the same on every run for the same catalog item.

    Example:
        >>> stable_uuid("plan", "plan-a") == stable_uuid("plan", "plan-a")
        True
    """
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{key}"))


def default_catalog_path() -> Path:
    """The path of the catalog the emulator loads when given none."""
    return Path(__file__).resolve().parent / "default_catalog.json"


@dataclass(frozen=True)
class MeterDef:
    """How raw events feed a feature: which events, and how they are aggregated."""

    event_name: str
    aggregation: str = "COUNT"
    dimension: str | None = None
    filters: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FeatureDef:
    """A feature (``feature-01-templates``): its type, meter and units."""

    id: str
    display_name: str
    feature_type: str = "BOOLEAN"
    meter_type: str = "None"
    units: str | None = None
    units_plural: str | None = None
    description: str | None = None
    metadata: Mapping[str, Any] | None = None
    meter: MeterDef | None = None

    @property
    def uuid(self) -> str:
        return stable_uuid("feature", self.id)

    @property
    def is_metered(self) -> bool:
        return self.feature_type == "NUMBER" and self.meter_type != "None"


@dataclass(frozen=True)
class EntitlementDef:
    """What a plan, add-on or promotion grants for one feature."""

    feature_id: str
    usage_limit: float | None = None
    unlimited: bool = False
    soft_limit: bool = False
    reset_period: str | None = None
    display_name_override: str | None = None


@dataclass(frozen=True)
class PriceDef:
    """One price point of a plan or add-on."""

    billing_model: str
    billing_period: str
    amount: float
    currency: str = "USD"
    feature_id: str | None = None
    min_unit_quantity: float | None = None
    max_unit_quantity: float | None = None
    key: str = ""
    #: The country this price applies to (ISO alpha-2); ``None`` is the default price.
    billing_country_code: str | None = None

    @property
    def uuid(self) -> str:
        return stable_uuid("price", self.key)


@dataclass(frozen=True)
class TrialDef:
    """A plan's default trial: ``duration`` ``units`` (DAY or MONTH)."""

    duration: int
    units: str = "DAY"


@dataclass(frozen=True)
class ProductDef:
    """A product: plans of one product replace each other unless it allows several."""

    id: str
    display_name: str
    description: str | None = None
    metadata: Mapping[str, Any] | None = None
    multiple_subscriptions: bool = False

    @property
    def uuid(self) -> str:
        return stable_uuid("product", self.id)


@dataclass(frozen=True)
class PlanDef:
    """A plan with its own entitlements (a ``base_plan``'s are inherited), prices, trial."""

    id: str
    product_id: str
    display_name: str
    pricing_type: str = "FREE"
    description: str | None = None
    entitlements: tuple[EntitlementDef, ...] = ()
    prices: tuple[PriceDef, ...] = ()
    base_plan_id: str | None = None
    compatible_addons: tuple[str, ...] = ()
    default_trial: TrialDef | None = None
    metadata: Mapping[str, Any] | None = None
    version: int = 1
    #: Widgets that do not show this plan (``PAYWALL`` hides it from the paywall).
    hidden_from_widgets: tuple[str, ...] = ()

    @property
    def uuid(self) -> str:
        return stable_uuid("plan", f"{self.id}@{self.version}")

    @property
    def is_paid(self) -> bool:
        return self.pricing_type == "PAID"


@dataclass(frozen=True)
class AddonDef:
    """An add-on: each unit adds its entitlements' limits on top of the plan's."""

    id: str
    product_id: str
    display_name: str
    description: str | None = None
    entitlements: tuple[EntitlementDef, ...] = ()
    prices: tuple[PriceDef, ...] = ()
    pricing_type: str = "PAID"
    max_quantity: float | None = None
    metadata: Mapping[str, Any] | None = None
    version: int = 1

    @property
    def uuid(self) -> str:
        return stable_uuid("addon", f"{self.id}@{self.version}")


@dataclass(frozen=True)
class CouponDef:
    """A coupon: a PERCENTAGE or FIXED discount."""

    id: str
    name: str
    discount_value: float
    type: str = "PERCENTAGE"
    status: str = "ACTIVE"
    description: str | None = None
    metadata: Mapping[str, Any] | None = None
    duration_in_months: float | None = None

    @property
    def uuid(self) -> str:
        return stable_uuid("coupon", self.id)


def _require(item: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in item or item[key] is None:
        raise CatalogError(f"{where}: missing '{key}'")
    return item[key]


def _entitlements(raw: Any, where: str) -> tuple[EntitlementDef, ...]:
    result = []
    for item in raw or ():
        feature_id = str(_require(item, "feature", where))
        reset = item.get("resetPeriod")
        if reset is not None and reset not in _RESET_PERIODS:
            raise CatalogError(f"{where}: unknown resetPeriod {reset!r}")
        limit = item.get("usageLimit")
        result.append(
            EntitlementDef(
                feature_id=feature_id,
                usage_limit=None if limit is None else float(limit),
                unlimited=bool(item.get("hasUnlimitedUsage", False)),
                soft_limit=bool(item.get("hasSoftLimit", False)),
                reset_period=reset,
                display_name_override=item.get("displayNameOverride"),
            )
        )
    return tuple(result)


def _prices(raw: Any, owner: str, currency: str) -> tuple[PriceDef, ...]:
    result = []
    for index, item in enumerate(raw or ()):
        where = f"{owner} price #{index}"
        result.append(
            PriceDef(
                billing_model=str(_require(item, "billingModel", where)),
                billing_period=str(item.get("billingPeriod", "MONTHLY")),
                amount=float(_require(item, "amount", where)),
                currency=str(item.get("currency", currency)),
                feature_id=item.get("feature"),
                min_unit_quantity=item.get("minUnitQuantity"),
                max_unit_quantity=item.get("maxUnitQuantity"),
                key=f"{owner}:{index}",
                billing_country_code=item.get("billingCountryCode"),
            )
        )
    return tuple(result)


def _meter(raw: Any, where: str) -> MeterDef | None:
    if raw is None:
        return None
    aggregation = str(raw.get("aggregation", "COUNT"))
    if aggregation not in _AGGREGATIONS:
        raise CatalogError(f"{where}: unknown meter aggregation {aggregation!r}")
    if aggregation != "COUNT" and not raw.get("field"):
        raise CatalogError(f"{where}: meter aggregation {aggregation} needs a 'field'")
    return MeterDef(
        event_name=str(_require(raw, "eventName", where)),
        aggregation=aggregation,
        dimension=raw.get("field"),
        filters=dict(raw.get("filters") or {}),
    )


@dataclass
class Catalog:
    """Everything a customer can subscribe to; immutable once loaded.

    Example:
        >>> catalog = Catalog.default()
        >>> catalog.plans["plan-revvenu-basic"].pricing_type
        'FREE'
    """

    currency: str = "USD"
    products: dict[str, ProductDef] = field(default_factory=dict)
    features: dict[str, FeatureDef] = field(default_factory=dict)
    plans: dict[str, PlanDef] = field(default_factory=dict)
    addons: dict[str, AddonDef] = field(default_factory=dict)
    coupons: dict[str, CouponDef] = field(default_factory=dict)
    credits: CreditCatalog = field(default_factory=CreditCatalog)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Catalog:
        """Build and cross-check a catalog from its JSON/YAML structure."""
        if not isinstance(data, Mapping):
            raise CatalogError("a catalog must be a mapping")
        currency = str(data.get("currency", "USD"))
        catalog = cls(currency=currency)
        for item in data.get("products") or ():
            pid = str(_require(item, "id", "product"))
            catalog.products[pid] = ProductDef(
                id=pid,
                display_name=str(item.get("displayName", pid)),
                description=item.get("description"),
                metadata=item.get("additionalMetaData"),
                multiple_subscriptions=bool(item.get("multipleSubscriptions", False)),
            )
        for item in data.get("features") or ():
            fid = str(_require(item, "id", "feature"))
            ftype = str(item.get("featureType", "BOOLEAN"))
            meter_type = str(item.get("meterType", "None"))
            if ftype not in _FEATURE_TYPES or meter_type not in _METER_TYPES:
                raise CatalogError(f"feature {fid}: bad featureType/meterType")
            catalog.features[fid] = FeatureDef(
                id=fid,
                display_name=str(item.get("displayName", fid)),
                feature_type=ftype,
                meter_type=meter_type,
                units=item.get("featureUnits"),
                units_plural=item.get("featureUnitsPlural"),
                description=item.get("description"),
                metadata=item.get("additionalMetaData"),
                meter=_meter(item.get("meter"), f"feature {fid}"),
            )
        default_product = next(iter(catalog.products), None)
        for item in data.get("addons") or ():
            aid = str(_require(item, "id", "addon"))
            catalog.addons[aid] = AddonDef(
                id=aid,
                product_id=str(item.get("product", default_product)),
                display_name=str(item.get("displayName", aid)),
                description=item.get("description"),
                entitlements=_entitlements(item.get("entitlements"), f"addon {aid}"),
                prices=_prices(item.get("prices"), f"addon:{aid}", currency),
                pricing_type=str(item.get("pricingType", "PAID")),
                max_quantity=item.get("maxQuantity"),
                metadata=item.get("additionalMetaData"),
                version=int(item.get("versionNumber", 1)),
            )
        for item in data.get("plans") or ():
            plid = str(_require(item, "id", "plan"))
            trial = item.get("defaultTrialConfig")
            catalog.plans[plid] = PlanDef(
                id=plid,
                product_id=str(item.get("product", default_product)),
                display_name=str(item.get("displayName", plid)),
                pricing_type=str(item.get("pricingType", "FREE")),
                description=item.get("description"),
                entitlements=_entitlements(item.get("entitlements"), f"plan {plid}"),
                prices=_prices(item.get("prices"), f"plan:{plid}", currency),
                base_plan_id=item.get("basePlan"),
                compatible_addons=tuple(item.get("compatibleAddons") or ()),
                hidden_from_widgets=tuple(item.get("hiddenFromWidgets") or ()),
                default_trial=(
                    TrialDef(duration=int(trial["duration"]), units=str(trial.get("units", "DAY")))
                    if trial
                    else None
                ),
                metadata=item.get("additionalMetaData"),
                version=int(item.get("versionNumber", 1)),
            )
        for item in data.get("coupons") or ():
            cid = str(_require(item, "id", "coupon"))
            catalog.coupons[cid] = CouponDef(
                id=cid,
                name=str(item.get("name", cid)),
                discount_value=float(_require(item, "discountValue", f"coupon {cid}")),
                type=str(item.get("type", "PERCENTAGE")),
                status=str(item.get("status", "ACTIVE")),
                description=item.get("description"),
                metadata=item.get("additionalMetaData"),
                duration_in_months=item.get("durationInMonths"),
            )
        catalog.credits = CreditCatalog.from_dict(data, catalog.features)
        catalog._check()
        return catalog

    def _check(self) -> None:
        def check_ents(ents: tuple[EntitlementDef, ...], where: str) -> None:
            for ent in ents:
                if ent.feature_id not in self.features:
                    raise CatalogError(f"{where}: unknown feature {ent.feature_id!r}")

        for plan in self.plans.values():
            if plan.product_id not in self.products:
                raise CatalogError(f"plan {plan.id}: unknown product {plan.product_id!r}")
            if plan.base_plan_id and plan.base_plan_id not in self.plans:
                raise CatalogError(f"plan {plan.id}: unknown basePlan {plan.base_plan_id!r}")
            for addon_id in plan.compatible_addons:
                if addon_id not in self.addons:
                    raise CatalogError(f"plan {plan.id}: unknown add-on {addon_id!r}")
            check_ents(plan.entitlements, f"plan {plan.id}")
        for addon in self.addons.values():
            check_ents(addon.entitlements, f"addon {addon.id}")

    @classmethod
    def load(cls, path: str | Path) -> Catalog:
        """Load a catalog file: ``.json``, or ``.yaml``/``.yml`` when PyYAML is installed."""
        path = Path(path)
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() in {".yaml", ".yml"}:
            try:
                import yaml
            except ImportError as exc:  # pragma: no cover - depends on the environment
                raise CatalogError(
                    "YAML catalogs need PyYAML: pip install PyYAML (or the [yaml] extra)"
                ) from exc
            return cls.from_dict(yaml.safe_load(text))
        return cls.from_dict(json.loads(text))

    @classmethod
    def default(cls) -> Catalog:
        """The bundled catalog modelled on Stigg's guides (``product-revvenu``)."""
        return cls.load(default_catalog_path())

    @classmethod
    def coerce(cls, source: Catalog | Mapping[str, Any] | str | Path | None) -> Catalog:
        """Accept a catalog, its mapping, a file path, or ``None`` for the default."""
        if source is None:
            return cls.default()
        if isinstance(source, Catalog):
            return source
        if isinstance(source, Mapping):
            return cls.from_dict(source)
        return cls.load(source)

    def versioned_against(self, previous: Catalog) -> Catalog:
        """This catalog with plan/add-on versions bumped where they changed since ``previous``.

        Existing subscriptions keep the plan object they were created with
        (grandfathering); ``migrateSubscriptionToLatest`` moves them to these.
        """
        for plan_id, plan in list(self.plans.items()):
            old = previous.plans.get(plan_id)
            if old is not None:
                changed = plan != replace(old, version=plan.version)
                floor = old.version + 1 if changed else old.version
                self.plans[plan_id] = replace(plan, version=max(plan.version, floor))
        for addon_id, addon in list(self.addons.items()):
            old_addon = previous.addons.get(addon_id)
            if old_addon is not None:
                changed = addon != replace(old_addon, version=addon.version)
                floor = old_addon.version + 1 if changed else old_addon.version
                self.addons[addon_id] = replace(addon, version=max(addon.version, floor))
        return self

    def plan_entitlements(self, plan: PlanDef) -> dict[str, EntitlementDef]:
        """A plan's entitlements by feature id, its base plans' first, its own overriding."""
        chain: list[PlanDef] = []
        current: PlanDef | None = plan
        while current is not None and current not in chain and len(chain) < 16:
            chain.append(current)
            current = self.plans.get(current.base_plan_id) if current.base_plan_id else None
        merged: dict[str, EntitlementDef] = {}
        for item in reversed(chain):
            for ent in item.entitlements:
                merged[ent.feature_id] = ent
        return merged
