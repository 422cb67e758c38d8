"""``consume`` across a fleet: the decision and the count made in Redis, in one script.

Used by the facade when a shared tier is configured and healthy. The local cache
still answers everything that is not about usage (customer denials, features
without a meter); a metered consume asks Redis, which counts the whole fleet's
pending usage. ``None`` means "decide locally": Redis failed, or the answer is a
fallback (nothing known about the customer yet).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from stigg_async._cache import EntitlementCache, EntitlementResult
from stigg_async._cache._model import EntitlementSource
from stigg_async._clock import Clock
from stigg_async._errors import StiggQueueFullError
from stigg_async._models._enums import AccessDeniedReason
from stigg_async._redis._messages import ConsumeDecision
from stigg_async._usage import UsagePipeline
from stigg_async._usage._items import make_usage
from stigg_async._usage._keys import new_key

if TYPE_CHECKING:
    from stigg_async._redis._wiring import SharedCache

__all__ = ["consume_shared", "fleet_result"]

_EXCEEDED = AccessDeniedReason.REQUESTED_USAGE_EXCEEDING_LIMIT


class _Host(Protocol):
    _entitlements: EntitlementCache
    _usage: UsagePipeline
    _clock: Clock

    async def _ensure_open(self) -> None: ...


def _reason(text: str | None) -> AccessDeniedReason:
    try:
        return AccessDeniedReason(text)
    except ValueError:
        return AccessDeniedReason.UNKNOWN


def fleet_result(
    local: EntitlementResult, decision: ConsumeDecision, amount: float
) -> EntitlementResult:
    """The answer for a fleet decision, on the local answer's entitlement and age."""
    granted = decision.is_granted
    reason = None if granted else _reason(decision.reason)
    pending = decision.pending - amount if decision.verdict == "grant" else decision.pending
    return EntitlementResult(
        local.entitlement,
        granted,
        reason,
        amount,
        decision.usage,
        local.source,
        local[6],  # the stamp: the age of the data the decision used
        local.feature_id,
        max(pending, 0.0),
    )


async def consume_shared(
    host: _Host,
    shared: SharedCache,
    *,
    customer: str,
    feature: str,
    resource: str | None,
    amount: float,
) -> EntitlementResult | None:
    """Consume ``amount`` for the whole fleet; ``None``: decide locally instead."""
    cache = host._entitlements
    result = cache.store.fast_check(customer, feature, resource, amount)
    if result is None:
        if not cache.is_started:
            await host._ensure_open()
        result = await cache.get(customer, feature, resource, amount)
    if result.source is EntitlementSource.FALLBACK:
        return None
    info = result.feature
    if info is None or not info.is_metered:
        return result  # not about usage: the local answer is the answer
    if not result.is_granted and result.access_denied_reason is not _EXCEEDED:
        return result
    key = new_key()
    decision = await shared.consume(
        (customer, resource),
        feature,
        amount,
        key,
        refresh=lambda: cache.refresh(customer, resource),
    )
    if decision is None:
        return None
    answer = fleet_result(result, decision, amount)
    if not decision.is_granted:
        return answer
    record = make_usage(
        customer, feature, amount, "DELTA", resource, None, key, None, host._clock.monotonic()
    )
    if not host._usage.track_usage_record(record):
        await shared.tier.settle(record, "failed")  # nothing tracked: free the fleet's count
        raise StiggQueueFullError(
            "the usage queue is full: nothing was consumed (raise "
            "UsagePipelineOptions.max_queue_size, or retry shortly)",
            operation="consume",
        )
    return answer.with_idempotency_key(key)
