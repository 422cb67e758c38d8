"""The entitlement cache: local, sub-microsecond checks kept fresh by a poller.

Public surface (re-exported by ``stigg_async``): the options, the result types, the
status and counters. ``EntitlementCache`` itself is built and owned by ``AsyncStigg``.
"""

from stigg_async._cache._core import EntitlementCache, EntitlementListener, PrefetchSummary
from stigg_async._cache._credits import CachedCreditEntitlement, CreditEntitlementResult
from stigg_async._cache._model import (
    CachedEntitlement,
    EntitlementResult,
    EntitlementsChange,
    EntitlementSource,
    EntitlementsResult,
    FeatureInfo,
)
from stigg_async._cache._options import EntitlementCacheOptions, Fallback
from stigg_async._cache._status import CacheState, EntitlementCacheStats, EntitlementCacheStatus

__all__ = [
    "CacheState",
    "CachedCreditEntitlement",
    "CachedEntitlement",
    "CreditEntitlementResult",
    "EntitlementCache",
    "EntitlementCacheOptions",
    "EntitlementCacheStats",
    "EntitlementCacheStatus",
    "EntitlementListener",
    "EntitlementResult",
    "EntitlementSource",
    "EntitlementsChange",
    "EntitlementsResult",
    "Fallback",
    "FeatureInfo",
    "PrefetchSummary",
]
