"""Credit results: balances, grants, the ledger, consumption, recharge settings, estimates.

Also the two members of ``EntitlementUnion`` that ``entitlementV2`` answers:
:class:`CreditEntitlement` and :class:`FeatureEntitlement`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Annotated, Any

from stigg_async._models._base import Items, JsonObject, StiggModel, UtcDateTime, lenient
from stigg_async._models._common import Connection, Feature, Money, PageInfo
from stigg_async._models._enums import (
    AccessDeniedReason,
    CreditGrantStatus,
    CreditGrantType,
    CreditLedgerEventType,
    EntitlementResetPeriod,
    EstimationRequestWarning,
    GrantExpirationPeriod,
    PaymentCollection,
    ThresholdType,
)
from stigg_async._models._parse import parse_result

__all__ = [
    "AutoRechargeSettings",
    "CreditBalance",
    "CreditBalanceSummary",
    "CreditConsumption",
    "CreditCostEstimation",
    "CreditEntitlement",
    "CreditGrant",
    "CreditGrantEdge",
    "CreditGrantPage",
    "CreditLedgerEdge",
    "CreditLedgerEvent",
    "CreditLedgerPage",
    "CreditRate",
    "CreditUsage",
    "CreditUsagePoint",
    "CreditUsageSeries",
    "CreditUsageSeriesTag",
    "CurrencyEstimate",
    "CurrencyUnits",
    "CustomCurrency",
    "EntitlementCurrency",
    "EstimationBreakdownItem",
    "FeatureEntitlement",
    "OptimisticCreditBalance",
    "parse_entitlement_v2",
]

_Reason = Annotated[AccessDeniedReason | str, lenient(AccessDeniedReason)]


class CurrencyUnits(StiggModel):
    """How a currency's units are spelled."""

    singular: str | None = None
    plural: str | None = None


class CustomCurrency(StiggModel):
    """A custom credit currency (as selected on balances, usage and recharge settings)."""

    currency_id: str
    display_name: str | None = None
    symbol: str | None = None
    units: CurrencyUnits | None = None


class EntitlementCurrency(StiggModel):
    """The currency of a credit entitlement."""

    currency_id: str
    display_name: str | None = None
    description: str | None = None
    unit_singular: str | None = None
    unit_plural: str | None = None
    additional_meta_data: JsonObject | None = None


class CreditBalance(StiggModel):
    """A customer's balance in one currency.

    Example:
        >>> b = CreditBalance.model_validate(
        ...     {"currencyId": "currency-ai-credits", "currentBalance": 70,
        ...      "totalGranted": 100, "totalConsumed": 30}
        ... )
        >>> (b.current_balance, b.total_granted, b.total_consumed)
        (70.0, 100.0, 30.0)
    """

    currency_id: str
    current_balance: float
    total_granted: float = 0.0
    total_consumed: float = 0.0
    customer_id: str | None = None
    resource_id: str | None = None
    valid_until: float | None = None
    currency: CustomCurrency | None = None


class CreditBalanceSummary(StiggModel):
    """A customer's balances, one per currency."""

    customer_id: str
    resource_id: str | None = None
    balances: Items[CreditBalance] = ()

    def balance(self, currency_id: str) -> float:
        """The current balance in ``currency_id`` (0 when the customer has none).

        Example:
            >>> s = CreditBalanceSummary.model_validate({"customerId": "c", "balances": [
            ...     {"currencyId": "cur", "currentBalance": 7}]})
            >>> (s.balance("cur"), s.balance("other"))
            (7.0, 0.0)
        """
        for item in self.balances:
            if item.currency_id == currency_id:
                return item.current_balance
        return 0.0


class CreditGrant(StiggModel):
    """A block of credits granted to a customer.

    Example:
        >>> g = CreditGrant.model_validate(
        ...     {"id": "g-1", "amount": 100, "consumedAmount": 30, "grantType": "PAID",
        ...      "status": "ACTIVE", "currencyId": "currency-ai-credits"}
        ... )
        >>> (g.grant_type, g.status, g.consumed_amount)
        (<CreditGrantType.PAID: 'PAID'>, <CreditGrantStatus.ACTIVE: 'ACTIVE'>, 30.0)
    """

    id: str
    amount: float
    currency_id: str | None = None
    customer_id: str | None = None
    resource_id: str | None = None
    grant_id: str | None = None
    consumed_amount: float = 0.0
    grant_type: Annotated[CreditGrantType | str, lenient(CreditGrantType)] | None = None
    status: Annotated[CreditGrantStatus | str, lenient(CreditGrantStatus)] | None = None
    display_name: str | None = None
    priority: float | None = None
    effective_at: UtcDateTime | None = None
    expire_at: UtcDateTime | None = None
    created_at: UtcDateTime | None = None
    updated_at: UtcDateTime | None = None
    voided_at: UtcDateTime | None = None
    comment: str | None = None
    additional_meta_data: JsonObject | None = None
    payment_collection: Annotated[PaymentCollection | str, lenient(PaymentCollection)] | None = None
    automatic_recharge_configuration_id: str | None = None
    source_type: str | None = None
    invoice_id: str | None = None
    cost: Money | None = None


class CreditGrantEdge(StiggModel):
    """One grant in a page, with its cursor."""

    node: CreditGrant
    cursor: str | None = None


class CreditGrantPage(Connection):
    """A page of credit grants (the ``creditGrants`` connection)."""

    edges: Items[CreditGrantEdge] = ()

    @property
    def items(self) -> tuple[CreditGrant, ...]:
        """The grants of this page, in order."""
        return tuple(edge.node for edge in self.edges)


class CreditLedgerEvent(StiggModel):
    """One ledger entry: a signed change of a balance, tied to one grant.

    Example:
        >>> e = CreditLedgerEvent.model_validate(
        ...     {"amount": -2, "eventType": "CREDITS_CONSUMED", "creditGrantId": "g-1",
        ...      "creditCurrencyId": "cur", "timestamp": "2026-01-01T00:00:00.000Z"}
        ... )
        >>> (e.amount, e.event_type, e.occurred_at.year)
        (-2.0, <CreditLedgerEventType.CREDITS_CONSUMED: 'CREDITS_CONSUMED'>, 2026)
    """

    amount: float
    event_type: Annotated[CreditLedgerEventType | str, lenient(CreditLedgerEventType)]
    credit_grant_id: str | None = None
    credit_currency_id: str | None = None
    customer_id: str | None = None
    resource_id: str | None = None
    event_id: str | None = None
    feature_id: str | None = None
    #: As sent (the schema types it as a string); :attr:`occurred_at` reads it as a time.
    timestamp: str | None = None

    @property
    def occurred_at(self) -> datetime | None:
        """:attr:`timestamp` as an aware UTC datetime (ISO 8601 or epoch milliseconds)."""
        text = self.timestamp
        if not text:
            return None
        try:
            if text.lstrip("-").replace(".", "", 1).isdigit():
                return datetime.fromtimestamp(float(text) / 1000.0, tz=timezone.utc)
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except (ValueError, OverflowError, OSError):
            return None
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


class CreditLedgerEdge(StiggModel):
    """One ledger entry in a page, with its cursor."""

    node: CreditLedgerEvent
    cursor: str | None = None


class CreditLedgerPage(Connection):
    """A page of the credit ledger (the ``creditsLedger`` connection), newest first."""

    edges: Items[CreditLedgerEdge] = ()

    @property
    def items(self) -> tuple[CreditLedgerEvent, ...]:
        """The entries of this page, in order."""
        return tuple(edge.node for edge in self.edges)


class CreditUsagePoint(StiggModel):
    """Credits consumed in one time bucket."""

    timestamp: UtcDateTime
    value: float
    event_count: int = 0


class CreditUsageSeriesTag(StiggModel):
    """A dimension value a usage series is grouped by."""

    key: str
    value: str


class CreditUsageSeries(StiggModel):
    """Credits consumed over time by one feature (or group)."""

    feature_id: str | None = None
    feature_name: str | None = None
    event_count: int = 0
    total_credits: float = 0.0
    points: Items[CreditUsagePoint] = ()
    tags: Items[CreditUsageSeriesTag] = ()


class CreditUsage(StiggModel):
    """A customer's credit consumption over time (``creditUsage``)."""

    currency: CustomCurrency | None = None
    series: Items[CreditUsageSeries] = ()
    page_info: PageInfo = PageInfo()


class OptimisticCreditBalance(StiggModel):
    """The credit entitlement right after a consumption, as the server computed it."""

    currency_id: str
    current_usage: float
    usage_limit: float
    timestamp: UtcDateTime | None = None
    usage_period_end: UtcDateTime | None = None

    @property
    def balance(self) -> float:
        """Credits left: ``usage_limit - current_usage``."""
        return self.usage_limit - self.current_usage


class CreditConsumption(StiggModel):
    """The acknowledgement of one ``consumeCredits``.

    Example:
        >>> c = CreditConsumption.model_validate(
        ...     {"amount": 2, "currencyId": "cur", "customerId": "c-1",
        ...      "timestamp": "2026-01-01T00:00:00.000Z",
        ...      "credit": {"currencyId": "cur", "currentUsage": 32, "usageLimit": 100}}
        ... )
        >>> c.credit.balance if c.credit else None
        68.0
    """

    amount: float
    currency_id: str
    customer_id: str
    resource_id: str | None = None
    timestamp: UtcDateTime | None = None
    credit: OptimisticCreditBalance | None = None


class AutoRechargeSettings(StiggModel):
    """A customer's automatic recharge settings for one currency."""

    currency_id: str
    customer_id: str
    is_enabled: bool
    id: str | None = None
    threshold_type: Annotated[ThresholdType | str, lenient(ThresholdType)] | None = None
    threshold_value: float | None = None
    target_balance: float | None = None
    grant_expiration_period: (
        Annotated[GrantExpirationPeriod | str, lenient(GrantExpirationPeriod)] | None
    ) = None
    max_spend_limit: float | None = None
    current_monthly_spend: float | None = None
    created_at: UtcDateTime | None = None
    updated_at: UtcDateTime | None = None
    custom_currency: CustomCurrency | None = None


class EstimationBreakdownItem(StiggModel):
    """The cost of one feature inside an estimate."""

    feature_id: str
    cost: float
    warning_code: str | None = None


class CurrencyEstimate(StiggModel):
    """What a request would cost in one currency, and the balance after it."""

    currency_id: str
    current_balance: float
    estimated_cost: float
    balance_after_estimate: float
    would_overdraft: bool
    breakdown: Items[EstimationBreakdownItem] = ()


class CreditCostEstimation(StiggModel):
    """The answer of ``estimateUsageCost`` / ``estimateEventCost``.

    Example:
        >>> e = CreditCostEstimation.model_validate({"warnings": ["FEATURE_NOT_FOUND"],
        ...                                          "estimates": []})
        >>> e.warnings
        (<EstimationRequestWarning.FEATURE_NOT_FOUND: 'FEATURE_NOT_FOUND'>,)
    """

    estimates: Items[CurrencyEstimate] = ()
    warnings: Items[
        Annotated[EstimationRequestWarning | str, lenient(EstimationRequestWarning)]
    ] = ()


class CreditEntitlement(StiggModel):
    """A customer's entitlement to spend credits of one currency.

    ``usage_limit`` is the credits granted (active grants), ``current_usage`` what was
    consumed of them; :attr:`balance` is what is left.

    Example:
        >>> e = CreditEntitlement.model_validate(
        ...     {"isGranted": True, "usageLimit": 100, "currentUsage": 30,
        ...      "currency": {"currencyId": "currency-ai-credits", "displayName": "AI credits"}}
        ... )
        >>> (e.currency_id, e.balance)
        ('currency-ai-credits', 70.0)
    """

    is_granted: bool
    currency: EntitlementCurrency
    access_denied_reason: _Reason | None = None
    usage_limit: float | None = None
    current_usage: float | None = None
    has_soft_limit: bool | None = None
    usage_period_end: UtcDateTime | None = None
    valid_until: UtcDateTime | None = None
    usage_updated_at: UtcDateTime | None = None
    entitlement_updated_at: UtcDateTime | None = None

    @property
    def currency_id(self) -> str:
        """The currency's id."""
        return self.currency.currency_id

    @property
    def balance(self) -> float:
        """Credits left (``usage_limit - current_usage``; 0 when unknown)."""
        return (self.usage_limit or 0.0) - (self.current_usage or 0.0)


class CreditRate(StiggModel):
    """What one unit of a feature costs in credits."""

    amount: float
    currency_id: str
    cost_formula: str | None = None


class FeatureEntitlement(StiggModel):
    """A customer's entitlement to one feature, as ``entitlementV2`` answers it."""

    is_granted: bool
    access_denied_reason: _Reason | None = None
    usage_limit: float | None = None
    current_usage: float | None = None
    has_unlimited_usage: bool = False
    has_soft_limit: bool | None = None
    reset_period: (
        Annotated[EntitlementResetPeriod | str, lenient(EntitlementResetPeriod)] | None
    ) = None
    usage_period_anchor: UtcDateTime | None = None
    usage_period_start: UtcDateTime | None = None
    usage_period_end: UtcDateTime | None = None
    usage_updated_at: UtcDateTime | None = None
    entitlement_updated_at: UtcDateTime | None = None
    valid_until: UtcDateTime | None = None
    enum_values: Items[str] = ()
    credit_rate: CreditRate | None = None
    feature: Feature | None = None

    @property
    def feature_id(self) -> str | None:
        """The feature's ``ref_id``."""
        return self.feature.ref_id if self.feature is not None else None


def parse_entitlement_v2(
    raw: Any, *, operation: str | None = None
) -> CreditEntitlement | FeatureEntitlement:
    """One ``EntitlementUnion`` member, chosen by ``__typename`` (or by its shape).

    Raises:
        StiggResponseError: the answer does not have the expected shape.

    Example:
        >>> parse_entitlement_v2({"__typename": "CreditEntitlement", "isGranted": True,
        ...                       "currency": {"currencyId": "cur"}}).currency_id
        'cur'
    """
    kind = raw.get("__typename") if isinstance(raw, Mapping) else None
    if kind == "CreditEntitlement" or (
        kind is None and isinstance(raw, Mapping) and "currency" in raw
    ):
        return parse_result(CreditEntitlement, raw, operation=operation)
    return parse_result(FeatureEntitlement, raw, operation=operation)
