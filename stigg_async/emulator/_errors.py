"""Errors the emulator answers, each carrying a value of Stigg's ``ErrorCode`` enum."""

from __future__ import annotations

from typing import Any

__all__ = ["EmulatorError", "ErrorCode"]


class ErrorCode:
    """The ``ErrorCode`` values the emulator uses (the pruned schema omits the enum)."""

    BAD_USER_INPUT = "BadUserInput"
    UNAUTHENTICATED = "Unauthenticated"
    UNEXPECTED = "UnexpectedError"
    RATE_LIMIT = "RateLimitExceeded"
    OPERATION_TIMEOUT = "OperationTimeout"
    OBJECT_BUSY = "ObjectAlreadyBeingUsedByAnotherRequestError"
    ALIASES_LIMIT = "GraphQLAliasesLimitExceeded"
    UNSUPPORTED = "UnsupportedParameter"
    CUSTOMER_NOT_FOUND = "CustomerNotFound"
    DUPLICATED = "DuplicatedEntityNotAllowed"
    PLAN_NOT_FOUND = "PlanNotFound"
    ADDON_NOT_FOUND = "AddonNotFound"
    FEATURE_NOT_FOUND = "FeatureNotFound"
    COUPON_NOT_FOUND = "CouponNotFound"
    SUBSCRIPTION_NOT_FOUND = "SubscriptionNotFound"
    PROMO_NOT_FOUND = "PromotionalEntitlementNotFoundError"
    PAYMENT_METHOD_NOT_FOUND = "PaymentMethodNotFoundError"
    NO_FEATURE_ENTITLEMENT = "NoFeatureEntitlementInSubscription"
    METERING_NOT_AVAILABLE = "MeteringNotAvailableForFeatureType"
    REPORT_ON_METERED = "CannotReportUsageForEntitlementWithMeterError"
    USAGE_DIFF_OUT_OF_RANGE = "UsageMeasurementDiffOutOfRangeError"
    USAGE_OUT_OF_RANGE = "EntitlementUsageOutOfRangeError"
    ALREADY_CANCELED = "SubscriptionAlreadyCanceledOrExpired"
    INCOMPATIBLE_ADDON = "IncompatibleSubscriptionAddon"
    INVALID_CANCELLATION_DATE = "InvalidCancellationDate"
    INVALID_QUANTITY = "InvalidQuantity"


class EmulatorError(Exception):
    """A business error: becomes a GraphQL error whose ``extensions.code`` is ``code``.

    Example:
        >>> err = EmulatorError(ErrorCode.CUSTOMER_NOT_FOUND, "no customer 'c-1'")
        >>> err.extensions
        {'code': 'CustomerNotFound'}
    """

    def __init__(self, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        # graphql-core copies ``extensions`` from the original error into the GraphQLError.
        self.extensions: dict[str, Any] = {"code": code, **extra}
