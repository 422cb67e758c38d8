"""stigg_async: the async Python SDK for Stigg, with a local entitlement cache.

Example:
    >>> import asyncio
    >>> from stigg_async import AsyncStigg
    >>> async def main() -> None:
    ...     async with AsyncStigg() as stigg:  # STIGG_SERVER_API_KEY from the environment
    ...         decision = await stigg.get_entitlement("customer-1", "feature-02-campaigns")
    ...         if decision.is_granted:
    ...             stigg.track_usage("customer-1", "feature-02-campaigns", 1)

Every model is in :mod:`stigg_async.models`; the most used ones are re-exported here.
Test helpers (an in-process emulator, a fake clock, pytest fixtures) are in
:mod:`stigg_async.testing`.
"""

# Names are imported on first use (PEP 562): ``import stigg_async`` stays cheap, and a
# program that only checks entitlements never loads what it does not call (the
# emulator, the integrations, the modules behind names it never touches).
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from stigg_async._version import __version__

if TYPE_CHECKING:
    from stigg_async._cache import (
        CachedEntitlement,
        CacheState,
        EntitlementCacheOptions,
        EntitlementCacheStats,
        EntitlementCacheStatus,
        EntitlementListener,
        EntitlementResult,
        EntitlementsChange,
        EntitlementSource,
        EntitlementsResult,
        Fallback,
        FeatureInfo,
        PrefetchSummary,
    )
    from stigg_async._client import (
        AsyncStigg,
    )
    from stigg_async._clock import (
        Clock,
        SystemClock,
    )
    from stigg_async._errors import (
        AddonNotFoundError,
        CouponNotFoundError,
        CustomerNotFoundError,
        DuplicatedEntityNotAllowedError,
        FeatureNotFoundError,
        GraphQLErrorDetail,
        PlanNotFoundError,
        PromotionalEntitlementNotFoundError,
        StiggAuthenticationError,
        StiggClientStateError,
        StiggConfigurationError,
        StiggConnectionError,
        StiggError,
        StiggGraphQLError,
        StiggHTTPError,
        StiggRateLimitError,
        StiggResponseError,
        StiggServerError,
        StiggTimeoutError,
        StiggValidationError,
        SubscriptionNotFoundError,
    )
    from stigg_async._models import (
        AccessDeniedReason,
        BillingPeriod,
        Coupon,
        CouponPage,
        Customer,
        CustomerPage,
        Entitlement,
        EntitlementResetPeriod,
        EntitlementsState,
        FeatureType,
        MeterType,
        PaymentCollection,
        PromotionalEntitlement,
        PromotionalEntitlementPeriod,
        ProvisionCustomerInput,
        ProvisionedCustomer,
        ProvisionSubscriptionInput,
        ProvisionSubscriptionResult,
        ProvisionSubscriptionStatus,
        ReportUsageInput,
        Subscription,
        SubscriptionCancellationTime,
        SubscriptionPreview,
        SubscriptionStatus,
        UsageEventReportInput,
        UsageMeasurement,
        UsageUpdateBehavior,
    )
    from stigg_async._retry import (
        RetryPolicy,
    )
    from stigg_async._types import (
        BillingPeriodName,
        CancellationAction,
        CancellationTime,
        CouponStatusName,
        MigrationTime,
        PromotionPeriod,
        UpdateBehavior,
    )
    from stigg_async._usage import (
        FullQueuePolicy,
        UsageCloseReport,
        UsagePipelineOptions,
        UsageStats,
    )

#: Where each public name is defined; imported from there on first access.
_LAZY: dict[str, str] = {
    "AccessDeniedReason": "stigg_async._models",
    "AddonNotFoundError": "stigg_async._errors",
    "AsyncStigg": "stigg_async._client",
    "BillingPeriod": "stigg_async._models",
    "BillingPeriodName": "stigg_async._types",
    "CacheState": "stigg_async._cache",
    "CachedEntitlement": "stigg_async._cache",
    "CancellationAction": "stigg_async._types",
    "CancellationTime": "stigg_async._types",
    "Clock": "stigg_async._clock",
    "Coupon": "stigg_async._models",
    "CouponNotFoundError": "stigg_async._errors",
    "CouponPage": "stigg_async._models",
    "CouponStatusName": "stigg_async._types",
    "Customer": "stigg_async._models",
    "CustomerNotFoundError": "stigg_async._errors",
    "CustomerPage": "stigg_async._models",
    "DuplicatedEntityNotAllowedError": "stigg_async._errors",
    "Entitlement": "stigg_async._models",
    "EntitlementCacheOptions": "stigg_async._cache",
    "EntitlementCacheStats": "stigg_async._cache",
    "EntitlementCacheStatus": "stigg_async._cache",
    "EntitlementListener": "stigg_async._cache",
    "EntitlementResetPeriod": "stigg_async._models",
    "EntitlementResult": "stigg_async._cache",
    "EntitlementSource": "stigg_async._cache",
    "EntitlementsChange": "stigg_async._cache",
    "EntitlementsResult": "stigg_async._cache",
    "EntitlementsState": "stigg_async._models",
    "Fallback": "stigg_async._cache",
    "FeatureInfo": "stigg_async._cache",
    "FeatureNotFoundError": "stigg_async._errors",
    "FeatureType": "stigg_async._models",
    "FullQueuePolicy": "stigg_async._usage",
    "GraphQLErrorDetail": "stigg_async._errors",
    "MeterType": "stigg_async._models",
    "MigrationTime": "stigg_async._types",
    "PaymentCollection": "stigg_async._models",
    "PlanNotFoundError": "stigg_async._errors",
    "PrefetchSummary": "stigg_async._cache",
    "PromotionPeriod": "stigg_async._types",
    "PromotionalEntitlement": "stigg_async._models",
    "PromotionalEntitlementNotFoundError": "stigg_async._errors",
    "PromotionalEntitlementPeriod": "stigg_async._models",
    "ProvisionCustomerInput": "stigg_async._models",
    "ProvisionSubscriptionInput": "stigg_async._models",
    "ProvisionSubscriptionResult": "stigg_async._models",
    "ProvisionSubscriptionStatus": "stigg_async._models",
    "ProvisionedCustomer": "stigg_async._models",
    "ReportUsageInput": "stigg_async._models",
    "RetryPolicy": "stigg_async._retry",
    "StiggAuthenticationError": "stigg_async._errors",
    "StiggClientStateError": "stigg_async._errors",
    "StiggConfigurationError": "stigg_async._errors",
    "StiggConnectionError": "stigg_async._errors",
    "StiggError": "stigg_async._errors",
    "StiggGraphQLError": "stigg_async._errors",
    "StiggHTTPError": "stigg_async._errors",
    "StiggRateLimitError": "stigg_async._errors",
    "StiggResponseError": "stigg_async._errors",
    "StiggServerError": "stigg_async._errors",
    "StiggTimeoutError": "stigg_async._errors",
    "StiggValidationError": "stigg_async._errors",
    "Subscription": "stigg_async._models",
    "SubscriptionCancellationTime": "stigg_async._models",
    "SubscriptionNotFoundError": "stigg_async._errors",
    "SubscriptionPreview": "stigg_async._models",
    "SubscriptionStatus": "stigg_async._models",
    "SystemClock": "stigg_async._clock",
    "UpdateBehavior": "stigg_async._types",
    "UsageCloseReport": "stigg_async._usage",
    "UsageEventReportInput": "stigg_async._models",
    "UsageMeasurement": "stigg_async._models",
    "UsagePipelineOptions": "stigg_async._usage",
    "UsageStats": "stigg_async._usage",
    "UsageUpdateBehavior": "stigg_async._models",
}

__all__ = [
    "AccessDeniedReason",
    "AddonNotFoundError",
    "AsyncStigg",
    "BillingPeriod",
    "BillingPeriodName",
    "CacheState",
    "CachedEntitlement",
    "CancellationAction",
    "CancellationTime",
    "Clock",
    "Coupon",
    "CouponNotFoundError",
    "CouponPage",
    "CouponStatusName",
    "Customer",
    "CustomerNotFoundError",
    "CustomerPage",
    "DuplicatedEntityNotAllowedError",
    "Entitlement",
    "EntitlementCacheOptions",
    "EntitlementCacheStats",
    "EntitlementCacheStatus",
    "EntitlementListener",
    "EntitlementResetPeriod",
    "EntitlementResult",
    "EntitlementSource",
    "EntitlementsChange",
    "EntitlementsResult",
    "EntitlementsState",
    "Fallback",
    "FeatureInfo",
    "FeatureNotFoundError",
    "FeatureType",
    "FullQueuePolicy",
    "GraphQLErrorDetail",
    "MeterType",
    "MigrationTime",
    "PaymentCollection",
    "PlanNotFoundError",
    "PrefetchSummary",
    "PromotionPeriod",
    "PromotionalEntitlement",
    "PromotionalEntitlementNotFoundError",
    "PromotionalEntitlementPeriod",
    "ProvisionCustomerInput",
    "ProvisionSubscriptionInput",
    "ProvisionSubscriptionResult",
    "ProvisionSubscriptionStatus",
    "ProvisionedCustomer",
    "ReportUsageInput",
    "RetryPolicy",
    "StiggAuthenticationError",
    "StiggClientStateError",
    "StiggConfigurationError",
    "StiggConnectionError",
    "StiggError",
    "StiggGraphQLError",
    "StiggHTTPError",
    "StiggRateLimitError",
    "StiggResponseError",
    "StiggServerError",
    "StiggTimeoutError",
    "StiggValidationError",
    "Subscription",
    "SubscriptionCancellationTime",
    "SubscriptionNotFoundError",
    "SubscriptionPreview",
    "SubscriptionStatus",
    "SystemClock",
    "UpdateBehavior",
    "UsageCloseReport",
    "UsageEventReportInput",
    "UsageMeasurement",
    "UsagePipelineOptions",
    "UsageStats",
    "UsageUpdateBehavior",
    "__version__",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'stigg_async' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups are plain module attributes
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
