"""Enums of the credit operations (values are the API's spellings)."""

from __future__ import annotations

from stigg_async._models._enums import _StrEnum

__all__ = [
    "CreditGrantStatus",
    "CreditGrantType",
    "CreditGrantTypeInput",
    "CreditLedgerEventType",
    "CreditUsageTimeRange",
    "EstimationRequestWarning",
    "GrantExpirationPeriod",
    "ThresholdType",
]


class CreditGrantType(_StrEnum):
    """Kind of a credit grant (how the credits came to be)."""

    OVERDRAFT = "OVERDRAFT"
    PAID = "PAID"
    PROMOTIONAL = "PROMOTIONAL"
    RECURRING = "RECURRING"


class CreditGrantTypeInput(_StrEnum):
    """Kind of grant a caller may create: bought, or given."""

    PAID = "PAID"
    PROMOTIONAL = "PROMOTIONAL"


class CreditGrantStatus(_StrEnum):
    """Lifecycle state of a credit grant."""

    ACTIVE = "ACTIVE"
    EXPIRED = "EXPIRED"
    PAYMENT_PENDING = "PAYMENT_PENDING"
    SCHEDULED = "SCHEDULED"
    VOIDED = "VOIDED"


class CreditLedgerEventType(_StrEnum):
    """What a credit ledger entry records."""

    CREDITS_CONSUMED = "CREDITS_CONSUMED"
    CREDITS_CONSUMPTION_TRANSFER_SOURCE = "CREDITS_CONSUMPTION_TRANSFER_SOURCE"
    CREDITS_CONSUMPTION_TRANSFER_TARGET = "CREDITS_CONSUMPTION_TRANSFER_TARGET"
    CREDITS_EXPIRED = "CREDITS_EXPIRED"
    CREDITS_GRANTED = "CREDITS_GRANTED"
    CREDITS_UPDATED = "CREDITS_UPDATED"
    CREDITS_VOIDED = "CREDITS_VOIDED"


class CreditUsageTimeRange(_StrEnum):
    """A span of credit usage history, ending now."""

    LAST_DAY = "LAST_DAY"
    LAST_MONTH = "LAST_MONTH"
    LAST_WEEK = "LAST_WEEK"
    LAST_YEAR = "LAST_YEAR"


class GrantExpirationPeriod(_StrEnum):
    """How long credits bought by an automatic recharge stay valid."""

    ONE_MONTH = "OneMonth"
    ONE_YEAR = "OneYear"


class ThresholdType(_StrEnum):
    """What an automatic recharge threshold counts: credits or their worth in money."""

    CREDIT_AMOUNT = "CreditAmount"
    DOLLAR_AMOUNT = "DollarAmount"


class EstimationRequestWarning(_StrEnum):
    """Why a cost estimate could not price (part of) a request."""

    FEATURE_NOT_CREDIT_BASED = "FEATURE_NOT_CREDIT_BASED"
    FEATURE_NOT_FOUND = "FEATURE_NOT_FOUND"
    RESOURCE_SCOPED_SUBSCRIPTION_EXISTS = "RESOURCE_SCOPED_SUBSCRIPTION_EXISTS"
