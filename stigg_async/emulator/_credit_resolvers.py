"""Root-field resolvers and response views of the credit operations.

``creditBalanceSummary``, ``creditGrants``, ``creditsLedger``, ``creditUsage``,
``createCreditGrant``, ``voidCreditGrant``, ``consumeCredits``, ``consumeCreditsAsync``,
``getAutoRechargeSettings``, ``saveAutoRechargeSettings``, ``estimateUsageCost``,
``estimateEventCost`` and ``entitlementV2``; plus the credit entitlements listed in
``entitlementsV2``. State lives in :class:`~stigg_async.emulator._credits.CreditsState`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypeAlias

from graphql import GraphQLResolveInfo

from stigg_async.emulator._catalog import FeatureDef, stable_uuid
from stigg_async.emulator._credit_catalog import CurrencyDef
from stigg_async.emulator._credits import (
    AutoRecharge,
    CreditErrorCode,
    CreditGrantRecord,
    CreditSnapshot,
    CreditsState,
    LedgerEntry,
)
from stigg_async.emulator._errors import EmulatorError, ErrorCode
from stigg_async.emulator._query import paginate
from stigg_async.emulator._records import EntitlementValue
from stigg_async.emulator._state import EmulatorState
from stigg_async.emulator._time import format_datetime
from stigg_async.emulator._views import ENVIRONMENT_ID, Views

if TYPE_CHECKING:
    Info: TypeAlias = "GraphQLResolveInfo[Any]"
else:
    Info = GraphQLResolveInfo

__all__ = [
    "CREDIT_MUTATION_FIELDS",
    "CREDIT_QUERY_FIELDS",
    "credit_entitlement_views",
    "feature_entitlement_v2",
]

Resolver = Callable[..., Any]
#: Errors that refuse a whole ``consumeCreditsAsync`` batch rather than drop one item.
_BATCH_FATAL = frozenset({ErrorCode.CUSTOMER_NOT_FOUND, CreditErrorCode.CURRENCY_NOT_FOUND})
_RANGES = {
    "LAST_DAY": timedelta(days=1),
    "LAST_WEEK": timedelta(weeks=1),
    "LAST_MONTH": timedelta(days=30),
    "LAST_YEAR": timedelta(days=365),
}


class _Context(Protocol):
    state: EmulatorState
    views: Views


def _ctx(info: Info) -> _Context:
    return info.context  # type: ignore[no-any-return]


def _credits(info: Info) -> CreditsState:
    credits: CreditsState = _ctx(info).state.credits
    return credits


class _Scope(NamedTuple):
    state: EmulatorState
    credits: CreditsState
    customer_id: str
    resource_id: str | None
    currency_id: str | None
    currency: CurrencyDef | None


def _scope(info: Info, input: Mapping[str, Any]) -> _Scope:
    """What a per-customer credit query reads: the customer must exist, and the
    currency too when one is named (each refused with the API's error otherwise)."""
    state = _ctx(info).state
    credits = _credits(info)
    customer_id, resource_id = str(input["customerId"]), input.get("resourceId")
    state.require_customer(customer_id)
    currency_id = input.get("currencyId")
    currency = credits.currency(currency_id) if currency_id is not None else None
    return _Scope(state, credits, customer_id, resource_id, currency_id, currency)


# ---------------------------------------------------------------------- views


def _slim_currency(currency: CurrencyDef) -> dict[str, Any]:
    return {
        "currencyId": currency.id,
        "displayName": currency.display_name,
        "symbol": currency.symbol,
        "units": {"singular": currency.unit_singular, "plural": currency.unit_plural},
    }


def _currency(currency: CurrencyDef) -> dict[str, Any]:
    epoch = datetime(2024, 1, 1, tzinfo=timezone.utc)
    return {
        **_slim_currency(currency),
        "id": stable_uuid("currency", currency.id),
        "description": currency.description,
        "additionalMetaData": currency.metadata,
        "unitSingular": currency.unit_singular,
        "unitPlural": currency.unit_plural,
        "createdAt": epoch,
        "updatedAt": epoch,
        "archivedAt": None,
    }


def _grant(state: EmulatorState, grant: CreditGrantRecord) -> dict[str, Any]:
    now = state.now()
    return {
        "__typename": "CreditGrant",
        "id": grant.id,
        "grantId": grant.id,
        "customerId": grant.customer_id,
        "resourceId": grant.resource_id,
        "currencyId": grant.currency_id,
        "amount": grant.amount,
        "consumedAmount": grant.consumed,
        "grantType": grant.grant_type,
        "displayName": grant.display_name,
        "priority": grant.priority if grant.priority != float("inf") else 1e9,
        "effectiveAt": grant.effective_at,
        "expireAt": grant.expire_at,
        "createdAt": grant.created_at,
        "updatedAt": grant.updated_at,
        "voidedAt": grant.voided_at,
        "comment": grant.comment,
        "additionalMetaData": grant.metadata,
        "cost": {"amount": round(grant.cost, 2), "currency": state.catalog.currency},
        "status": grant.status(now),
        "paymentCollection": "NOT_REQUIRED",
        "automaticRechargeConfigurationId": grant.recharge_id,
        "sourceType": None,
        "invoiceId": None,
        "latestInvoice": None,
    }


def _ledger_event(state: EmulatorState, entry: LedgerEntry) -> dict[str, Any]:
    credits: CreditsState = state.credits
    feature = state.catalog.features.get(entry.feature_id or "")
    return {
        "amount": entry.amount,
        "creditCurrencyId": entry.currency_id,
        "creditGrantId": entry.grant_id,
        "customerId": entry.customer_id,
        "resourceId": entry.resource_id,
        "eventId": entry.event_id,
        "eventType": entry.event_type,
        "featureId": entry.feature_id,
        "timestamp": format_datetime(entry.timestamp),
        "feature": lambda **_: _feature_view(state, feature),
        "grant": lambda **_: _grant(state, credits.grant(entry.grant_id)),
    }


def _feature_view(state: EmulatorState, feature: FeatureDef | None) -> Any:
    if feature is None:
        return None
    return Views(state).feature(feature)


def _credit_entitlement(
    currency: CurrencyDef, snap: CreditSnapshot, denial: str | None, requested: float
) -> dict[str, Any]:
    if denial is None and snap.current_usage + requested > snap.usage_limit + 1e-9:
        denial = "RequestedUsageExceedingLimit"
    return {
        "__typename": "CreditEntitlement",
        "isGranted": denial is None,
        "accessDeniedReason": denial,
        "currency": {
            "currencyId": currency.id,
            "displayName": currency.display_name,
            "description": currency.description,
            "additionalMetaData": currency.metadata,
            "unitSingular": currency.unit_singular,
            "unitPlural": currency.unit_plural,
        },
        "usageLimit": snap.usage_limit,
        "currentUsage": snap.current_usage,
        "hasSoftLimit": False,
        "usagePeriodEnd": None,
        "validUntil": snap.valid_until,
        "usageUpdatedAt": snap.updated_at,
        "entitlementUpdatedAt": snap.updated_at,
    }


def credit_entitlement_views(
    state: EmulatorState, customer_id: str, resource_id: str | None
) -> list[dict[str, Any]]:
    """The ``CreditEntitlement`` of every currency the customer ever held credits in."""
    credits: CreditsState = state.credits
    currencies = state.catalog.credits.currencies
    return [
        _credit_entitlement(
            currencies[cid], credits.snapshot((customer_id, resource_id, cid)), None, 0.0
        )
        for cid, _ in credits.accounts_of(customer_id, resource_id)
    ]


def feature_entitlement_v2(views: Views, value: EntitlementValue) -> dict[str, Any]:
    """A ``FeatureEntitlement``, with its ``creditRate`` when the feature costs credits."""
    view = views.entitlement(value, "FeatureEntitlement")
    cost = views.state.catalog.credits.costs.get(value.feature_id)
    if cost is not None:
        view["creditRate"] = {
            "amount": cost.amount,
            "currencyId": cost.currency_id,
            "costFormula": None,
            "customCurrencyId": stable_uuid("currency", cost.currency_id),
        }
    return view


def _recharge(ctx: _Context, settings: AutoRecharge) -> dict[str, Any]:
    state = ctx.state
    currency = state.credits.currency(settings.currency_id)
    customer = state.get_customer(settings.customer_id)
    return {
        "id": settings.id,
        "customerId": settings.customer_id,
        "currencyId": settings.currency_id,
        "environmentId": ENVIRONMENT_ID,
        "isEnabled": settings.is_enabled,
        "thresholdType": settings.threshold_type,
        "thresholdValue": settings.threshold_value,
        "targetBalance": settings.target_balance,
        "grantExpirationPeriod": settings.grant_expiration_period,
        "maxSpendLimit": settings.max_spend_limit,
        "currentMonthlySpend": round(settings.spend_in(state.now()), 2),
        "createdAt": settings.created_at,
        "updatedAt": settings.updated_at,
        "customCurrency": _currency(currency),
        "customer": lambda **_: ctx.views.customer(customer) if customer else None,
        "validationConfig": {
            "allowUnlimitedSpendLimit": True,
            "maxCreditPoolSize": None,
            "maxTargetBalance": None,
            "maxThresholdAmount": None,
            "minGrantAmount": None,
            "minTargetBalance": None,
        },
    }


# ---------------------------------------------------------------------- queries


def credit_balance_summary(_: Any, info: Info, input: dict[str, Any]) -> Any:
    _, credits, customer_id, resource_id, currency_id, _ = _scope(info, input)
    balances = []
    for cid, _account in credits.accounts_of(customer_id, resource_id, currency_id):
        snap = credits.snapshot((customer_id, resource_id, cid))
        granted = consumed = 0.0
        for entry in _account.ledger:
            if entry.event_type == "CREDITS_GRANTED":
                granted += entry.amount
            elif entry.event_type == "CREDITS_CONSUMED":
                consumed -= entry.amount
        balances.append(
            {
                "currency": _slim_currency(credits.currency(cid)),
                "currencyId": cid,
                "customerId": customer_id,
                "resourceId": resource_id,
                "currentBalance": snap.balance,
                "totalGranted": granted,
                "totalConsumed": consumed,
                "validUntil": snap.valid_until.timestamp() * 1000 if snap.valid_until else None,
            }
        )
    return {"customerId": customer_id, "resourceId": resource_id, "balances": balances}


def credit_grants(_: Any, info: Info, input: dict[str, Any]) -> Any:
    state = _ctx(info).state
    currency_id = input.get("currencyId")
    if currency_id is not None:
        _credits(info).currency(currency_id)
    found = _credits(info).grants_of(str(input["customerId"]), input.get("resourceId"), currency_id)
    return paginate(found, input.get("paging"), lambda g: _grant(state, g))


def credits_ledger(_: Any, info: Info, input: dict[str, Any]) -> Any:
    state, credits, customer_id, resource_id, currency_id, _ = _scope(info, input)
    kinds = set(input.get("eventType") or ())
    entries = [
        e
        for _, account in credits.accounts_of(customer_id, resource_id, currency_id)
        for e in account.ledger
        if not kinds or e.event_type in kinds
    ]
    # Newest first, as a ledger is read; ties keep the order they were written in.
    ordered = [e for _, e in sorted(enumerate(entries), key=lambda p: (p[1].timestamp, p[0]))]
    ordered.reverse()
    return paginate(ordered, input.get("paging"), lambda e: _ledger_event(state, e))


def credit_usage(_: Any, info: Info, input: dict[str, Any]) -> Any:
    state, credits, customer_id, resource_id, currency_id, currency = _scope(info, input)
    now = state.now()
    start = input.get("startDate") or now - _RANGES.get(
        input.get("timeRange") or "", _RANGES["LAST_MONTH"]
    )
    end = input.get("endDate") or now
    series: dict[str | None, dict[datetime, list[float]]] = defaultdict(lambda: defaultdict(list))
    for entry in credits.consumptions(customer_id, resource_id, currency_id):
        if start <= entry.timestamp <= end:
            day = entry.timestamp.replace(hour=0, minute=0, second=0, microsecond=0)
            series[entry.feature_id][day].append(-entry.amount)
    features = state.catalog.features
    out = []
    for feature_id in sorted(series, key=lambda f: f or ""):
        days = series[feature_id]
        ordered = sorted(days.items())
        points = [
            {"timestamp": day, "value": sum(values), "eventCount": len(values)}
            for day, values in ordered
        ]
        feature = features.get(feature_id or "")
        out.append(
            {
                "featureId": feature_id,
                "featureName": feature.display_name if feature else None,
                "points": points,
                "eventCount": sum(len(values) for _, values in ordered),
                "totalCredits": sum(sum(values) for _, values in ordered),
                "tags": [],
            }
        )
    return {
        "currency": _slim_currency(currency) if currency else None,
        "series": out,
        "pageInfo": {"hasNextPage": False, "hasPreviousPage": False},
    }


def get_auto_recharge_settings(_: Any, info: Info, input: dict[str, Any]) -> Any:
    settings = _credits(info).get_recharge(str(input["customerId"]), str(input["currencyId"]))
    return _recharge(_ctx(info), settings)


def _estimate(
    info: Info, customer_id: str, resource_id: str | None, units: Mapping[str, float]
) -> dict[str, Any]:
    state = _ctx(info).state
    state.require_customer(customer_id)
    costs_by_feature = state.catalog.credits.costs
    totals: dict[str, float] = {}
    breakdown: list[dict[str, Any]] = []
    warnings: list[str] = []
    for feature_id, quantity in units.items():
        if feature_id not in state.catalog.features:
            warnings.append("FEATURE_NOT_FOUND")
            continue
        cost = costs_by_feature.get(feature_id)
        if cost is None:
            warnings.append("FEATURE_NOT_CREDIT_BASED")
            continue
        amount = cost.amount * quantity
        totals[cost.currency_id] = totals.get(cost.currency_id, 0.0) + amount
        breakdown.append({"featureId": feature_id, "cost": amount, "currencyId": cost.currency_id})
    estimates = _credits(info).estimate(customer_id, resource_id, totals, breakdown)
    return {"estimates": estimates, "warnings": sorted(set(warnings))}


def estimate_usage_cost(_: Any, info: Info, input: dict[str, Any]) -> Any:
    return _estimate(
        info,
        str(input["customerId"]),
        input.get("resourceId"),
        {str(input["featureId"]): float(input["value"])},
    )


def estimate_event_cost(_: Any, info: Info, input: dict[str, Any]) -> Any:
    state = _ctx(info).state
    dimensions = input.get("dimensions") or {}
    units: dict[str, float] = {}
    for feature in state.catalog.features.values():
        meter = feature.meter
        if meter is None or meter.event_name != input["eventName"]:
            continue
        if any(str(dimensions.get(k)) != str(v) for k, v in meter.filters.items()):
            continue
        if meter.aggregation == "SUM":
            try:
                units[feature.id] = float(dimensions.get(meter.dimension or "", 0) or 0)
            except (TypeError, ValueError):
                units[feature.id] = 0.0
        else:
            units[feature.id] = 1.0
    result = _estimate(info, str(input["customerId"]), input.get("resourceId"), units)
    if not units:
        result["warnings"] = ["FEATURE_NOT_FOUND"]
    return result


def entitlement_v2(_: Any, info: Info, query: dict[str, Any]) -> Any:
    ctx = _ctx(info)
    state = ctx.state
    customer_id, resource_id = str(query["customerId"]), query.get("resourceId")
    requested = float((query.get("options") or {}).get("requestedUsage") or 0.0)
    currency_id, feature_id = query.get("currencyId"), query.get("featureId")
    if (currency_id is None) == (feature_id is None):
        raise EmulatorError(
            ErrorCode.BAD_USER_INPUT, "pass exactly one of featureId and currencyId"
        )
    if feature_id is not None:
        state.require_customer(customer_id)
        value = state.entitlement(customer_id, str(feature_id), resource_id, requested or None)
        return feature_entitlement_v2(ctx.views, value)
    credits = _credits(info)
    currency = credits.currency(str(currency_id))
    denial, _ = state.grants(customer_id, resource_id)
    snap = credits.snapshot((customer_id, resource_id, currency.id))
    return _credit_entitlement(currency, snap, denial, requested)


# ---------------------------------------------------------------------- mutations


def create_credit_grant(_: Any, info: Info, input: dict[str, Any]) -> Any:
    state = _ctx(info).state
    cost = input.get("cost")
    grant = _credits(info).create_grant(
        str(input["customerId"]),
        str(input["currencyId"]),
        float(input["amount"]),
        grant_type=str(input["grantType"]),
        display_name=input.get("displayName"),
        resource_id=input.get("resourceId"),
        priority=input.get("priority"),
        effective_at=input.get("effectiveAt"),
        expire_at=input.get("expireAt"),
        comment=input.get("comment"),
        metadata=input.get("additionalMetaData"),
        cost=float(cost["amount"]) if cost else None,
    )
    return _grant(state, grant)


def void_credit_grant(_: Any, info: Info, input: dict[str, Any]) -> Any:
    return _grant(_ctx(info).state, _credits(info).void_grant(str(input["id"])))


def _consume(info: Info, data: Mapping[str, Any]) -> dict[str, Any]:
    result = _credits(info).consume(
        str(data["customerId"]),
        str(data["currencyId"]),
        float(data["amount"]),
        str(data["idempotencyKey"]),
        resource_id=data.get("resourceId"),
        dimensions=data.get("dimensions"),
        created_at=data.get("createdAt"),
    )
    snap = result.snapshot
    return {
        "amount": result.amount,
        "currencyId": result.currency_id,
        "customerId": result.customer_id,
        "resourceId": result.resource_id,
        "timestamp": result.timestamp,
        "credit": {
            "currencyId": snap.currency_id,
            "currentUsage": snap.current_usage,
            "usageLimit": snap.usage_limit,
            "timestamp": result.timestamp,
            "usagePeriodEnd": None,
        },
    }


def consume_credits(_: Any, info: Info, input: dict[str, Any]) -> Any:
    return _consume(info, input)


def consume_credits_async(_: Any, info: Info, input: dict[str, Any]) -> Any:
    # Accepted as a batch: each consumption is applied on its own (a refused one, e.g.
    # for lack of credits, is dropped as the real asynchronous path would drop it).
    for item in input["consumptions"]:
        try:
            _consume(info, item)
        except EmulatorError as exc:
            if exc.code in _BATCH_FATAL:
                raise
    return _credits(info).mint_id()


def save_auto_recharge_settings(_: Any, info: Info, input: dict[str, Any]) -> Any:
    settings = _credits(info).save_recharge(
        str(input["customerId"]),
        str(input["currencyId"]),
        is_enabled=bool(input["isEnabled"]),
        threshold_type=input.get("thresholdType"),
        threshold_value=input.get("thresholdValue"),
        target_balance=input.get("targetBalance"),
        grant_expiration_period=input.get("grantExpirationPeriod"),
        max_spend_limit=input.get("maxSpendLimit"),
    )
    return _recharge(_ctx(info), settings)


CREDIT_QUERY_FIELDS: dict[str, Resolver] = {
    "creditBalanceSummary": credit_balance_summary,
    "creditGrants": credit_grants,
    "creditsLedger": credits_ledger,
    "creditUsage": credit_usage,
    "getAutoRechargeSettings": get_auto_recharge_settings,
    "estimateUsageCost": estimate_usage_cost,
    "estimateEventCost": estimate_event_cost,
    "entitlementV2": entitlement_v2,
}

CREDIT_MUTATION_FIELDS: dict[str, Resolver] = {
    "createCreditGrant": create_credit_grant,
    "voidCreditGrant": void_credit_grant,
    "consumeCredits": consume_credits,
    "consumeCreditsAsync": consume_credits_async,
    "saveAutoRechargeSettings": save_auto_recharge_settings,
}
