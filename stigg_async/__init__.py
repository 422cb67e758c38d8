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
from stigg_async._client import AsyncStigg
from stigg_async._clock import Clock, SystemClock
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
from stigg_async._redis._messages import Role as SharedCacheRole
from stigg_async._redis._messages import SharedTierStatus as SharedCacheStatus
from stigg_async._redis._options import SharedCacheOptions
from stigg_async._retry import RetryPolicy
from stigg_async._usage import (
    FullQueuePolicy,
    UsageCloseReport,
    UsagePipelineOptions,
    UsageStats,
)
from stigg_async._version import __version__

__all__ = [
    "AccessDeniedReason",
    "AddonNotFoundError",
    "AsyncStigg",
    "BillingPeriod",
    "CacheState",
    "CachedEntitlement",
    "Clock",
    "Coupon",
    "CouponNotFoundError",
    "CouponPage",
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
    "PaymentCollection",
    "PlanNotFoundError",
    "PrefetchSummary",
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
    "SharedCacheOptions",
    "SharedCacheRole",
    "SharedCacheStatus",
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
    "UsageCloseReport",
    "UsageEventReportInput",
    "UsageMeasurement",
    "UsagePipelineOptions",
    "UsageStats",
    "UsageUpdateBehavior",
    "__version__",
]
