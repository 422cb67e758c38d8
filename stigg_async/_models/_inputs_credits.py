"""Inputs of the credit operations: grants, consumption, balances, ledger, recharge, estimates."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field, ValidationInfo, field_validator, model_validator

from stigg_async._models._base import (
    Dimensions,
    FiniteFloat,
    Id,
    InputDateTime,
    JsonObject,
    NonNegativeFloat,
    StiggInput,
    StrictBool,
    Text,
)
from stigg_async._models._enums import (
    CreditGrantTypeInput,
    CreditLedgerEventType,
    CreditUsageTimeRange,
    GrantExpirationPeriod,
    PaymentCollectionMethod,
    ThresholdType,
    UsageUpdateBehavior,
)
from stigg_async._models._inputs import CursorPaging, EntitlementOptions
from stigg_async._models._inputs_admin import MoneyInputDTO

__all__ = [
    "ConsumeCreditInput",
    "ConsumeCreditsAsyncInput",
    "CreditBalanceSummaryInput",
    "CreditGrantInput",
    "CreditLedgerInput",
    "CreditUsageInput",
    "EstimateEventCostInput",
    "EstimateUsageCostInput",
    "GetAutoRechargeSettingsInput",
    "GetCreditGrantsInput",
    "GetEntitlementV2Input",
    "SaveAutoRechargeSettingsInput",
    "VoidCreditGrantInput",
]

#: A number of credits that must be finite and above zero.
PositiveCredits = Annotated[float, Field(strict=True, gt=0, allow_inf_nan=False)]
#: A display name: 1-255 characters of text.
DisplayName = Annotated[str, Field(strict=True, min_length=1, max_length=255)]


class CreditGrantInput(StiggInput):
    """Input of ``createCreditGrant``: give a customer credits in a currency.

    ``priority`` orders consumption (lower first); ``expire_at`` must be after
    ``effective_at`` (which defaults to now on the server).

    Example:
        >>> CreditGrantInput(
        ...     customer_id="customer-1", currency_id="currency-ai-credits", amount=100,
        ...     display_name="Welcome credits", grant_type="PROMOTIONAL",
        ... ).to_variables()
        {'customerId': 'customer-1', 'currencyId': 'currency-ai-credits', 'amount': 100.0, 'displayName': 'Welcome credits', 'grantType': 'PROMOTIONAL'}
    """  # noqa: E501

    customer_id: Id
    currency_id: Id
    amount: PositiveCredits
    display_name: DisplayName
    grant_type: CreditGrantTypeInput
    resource_id: Id | None = None
    priority: NonNegativeFloat | None = None
    effective_at: InputDateTime | None = None
    expire_at: InputDateTime | None = None
    comment: Text | None = None
    additional_meta_data: JsonObject | None = None
    cost: MoneyInputDTO | None = None
    payment_collection_method: PaymentCollectionMethod | None = None
    await_payment_confirmation: StrictBool | None = None

    @model_validator(mode="after")
    def _expires_after_it_starts(self) -> CreditGrantInput:
        if (
            self.expire_at is not None
            and self.effective_at is not None
            and self.expire_at <= self.effective_at
        ):
            raise ValueError("expire_at must be later than effective_at")
        return self


class VoidCreditGrantInput(StiggInput):
    """Input of ``voidCreditGrant``: the grant's id."""

    id: Id


class ConsumeCreditInput(StiggInput):
    """One consumption of credits; ``idempotency_key`` makes a retry count once.

    Example:
        >>> ConsumeCreditInput(
        ...     customer_id="customer-1", currency_id="currency-ai-credits", amount=2,
        ...     idempotency_key="k-1",
        ... ).to_variables()
        {'customerId': 'customer-1', 'currencyId': 'currency-ai-credits', 'amount': 2.0, 'idempotencyKey': 'k-1'}
    """  # noqa: E501

    customer_id: Id
    currency_id: Id
    amount: PositiveCredits
    idempotency_key: Id
    resource_id: Id | None = None
    dimensions: Dimensions | None = None
    created_at: InputDateTime | None = None


class ConsumeCreditsAsyncInput(StiggInput):
    """Input of ``consumeCreditsAsync``: consumptions the server applies later."""

    consumptions: Annotated[tuple[ConsumeCreditInput, ...], Field(min_length=1)]


class CreditBalanceSummaryInput(StiggInput):
    """Input of ``creditBalanceSummary``: a customer's balances (one currency, or all)."""

    customer_id: Id
    currency_id: Id | None = None
    resource_id: Id | None = None


class GetCreditGrantsInput(StiggInput):
    """Input of ``creditGrants``: one page of a customer's grants."""

    customer_id: Id
    currency_id: Id | None = None
    resource_id: Id | None = None
    paging: CursorPaging | None = None


class CreditLedgerInput(StiggInput):
    """Input of ``creditsLedger``: one page of ledger entries, optionally of some kinds."""

    customer_id: Id
    currency_id: Id | None = None
    resource_id: Id | None = None
    event_type: tuple[CreditLedgerEventType, ...] | None = None
    paging: CursorPaging | None = None


class CreditUsageInput(StiggInput):
    """Input of ``creditUsage``: credits consumed over time, per feature."""

    customer_id: Id
    currency_id: Id | None = None
    resource_id: Id | None = None
    time_range: CreditUsageTimeRange | None = None
    start_date: InputDateTime | None = None
    end_date: InputDateTime | None = None
    group_by: tuple[Id, ...] | None = None
    paging: CursorPaging | None = None


class GetAutoRechargeSettingsInput(StiggInput):
    """Input of ``getAutoRechargeSettings``."""

    customer_id: Id
    currency_id: Id


class SaveAutoRechargeSettingsInput(StiggInput):
    """Input of ``saveAutoRechargeSettings``: top up to ``target_balance`` below a threshold.

    Example:
        >>> SaveAutoRechargeSettingsInput(
        ...     customer_id="customer-1", currency_id="currency-ai-credits", is_enabled=True,
        ...     threshold_value=50, target_balance=200,
        ... ).to_variables()["targetBalance"]
        200.0
    """

    customer_id: Id
    currency_id: Id
    is_enabled: StrictBool
    threshold_type: ThresholdType | None = None
    threshold_value: NonNegativeFloat | None = None
    target_balance: NonNegativeFloat | None = None
    grant_expiration_period: GrantExpirationPeriod | None = None
    max_spend_limit: NonNegativeFloat | None = None

    @field_validator("target_balance")
    @classmethod
    def _target_above_threshold(cls, value: float | None, info: ValidationInfo) -> float | None:
        threshold = info.data.get("threshold_value")
        if value is not None and threshold is not None and value <= threshold:
            raise ValueError("must be greater than threshold_value")
        return value

    @model_validator(mode="after")
    def _enabled_needs_both(self) -> SaveAutoRechargeSettingsInput:
        if self.is_enabled and (self.threshold_value is None or self.target_balance is None):
            raise ValueError("threshold_value and target_balance are required when enabled")
        return self


class EstimateUsageCostInput(StiggInput):
    """Input of ``estimateUsageCost``: what reporting ``value`` of a feature would cost."""

    customer_id: Id
    feature_id: Id
    value: FiniteFloat
    resource_id: Id | None = None
    update_behavior: UsageUpdateBehavior | None = None
    dimensions: Dimensions | None = None


class EstimateEventCostInput(StiggInput):
    """Input of ``estimateEventCost``: what one raw event would cost."""

    customer_id: Id
    event_name: Id
    resource_id: Id | None = None
    dimensions: Dimensions | None = None


class GetEntitlementV2Input(StiggInput):
    """Query of ``entitlementV2``: one feature's or one currency's entitlement (sent as ``$query``).

    Example:
        >>> GetEntitlementV2Input(
        ...     customer_id="customer-1", currency_id="currency-ai-credits",
        ...     options=EntitlementOptions(requested_usage=5),
        ... ).as_operation_variables()
        {'query': {'customerId': 'customer-1', 'currencyId': 'currency-ai-credits', 'options': {'requestedUsage': 5.0}}}
    """  # noqa: E501

    variable_name: ClassVar[str] = "query"

    customer_id: Id
    feature_id: Id | None = None
    currency_id: Id | None = None
    resource_id: Id | None = None
    options: EntitlementOptions | None = None

    @model_validator(mode="after")
    def _one_of_feature_or_currency(self) -> GetEntitlementV2Input:
        if (self.feature_id is None) == (self.currency_id is None):
            raise ValueError("pass exactly one of feature_id and currency_id")
        return self
