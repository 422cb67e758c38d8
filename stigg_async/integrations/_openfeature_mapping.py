"""From Stigg's answers to OpenFeature's: values, reasons, error codes, provider status.

Pure functions, no I/O: the provider (:mod:`stigg_async.integrations.openfeature`)
reads the context, asks the client, and hands the answer here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import Enum
from typing import Any, Literal, TypeVar

from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import FlagMetadata, FlagResolutionDetails, FlagValueType, Reason
from openfeature.provider import ProviderStatus

from stigg_async._cache import (
    CacheState,
    EntitlementCacheStatus,
    EntitlementResult,
    EntitlementSource,
)
from stigg_async._errors import StiggAuthenticationError
from stigg_async._models import AccessDeniedReason

__all__ = [
    "NumberValue",
    "Query",
    "error",
    "provider_status",
    "read_context",
    "resolve_boolean",
    "resolve_number",
    "resolve_object",
]

T = TypeVar("T")

#: What a number flag resolves to.
NumberValue = Literal["usage_limit", "remaining_usage"]

_REASONS: Mapping[EntitlementSource, Reason] = {
    EntitlementSource.FRESH_CACHE: Reason.CACHED,
    EntitlementSource.NETWORK: Reason.TARGETING_MATCH,
    EntitlementSource.STALE_CACHE: Reason.STALE,
    EntitlementSource.FALLBACK: Reason.DEFAULT,
}

# Denials that say the question itself was wrong rather than "no": the caller's
# default is returned with the matching OpenFeature error code.
_ERRORS: Mapping[AccessDeniedReason, ErrorCode] = {
    AccessDeniedReason.FEATURE_NOT_FOUND: ErrorCode.FLAG_NOT_FOUND,
    AccessDeniedReason.FEATURE_TYPE_MISMATCH: ErrorCode.TYPE_MISMATCH,
}


# The status names the failure's class first (``describe_error``): a rejected key.
_AUTH_ERROR = StiggAuthenticationError.__name__


class Query:
    """One resolution's question: whose entitlement, which resource, how much usage."""

    __slots__ = ("customer_id", "requested_usage", "resource_id")

    def __init__(
        self, customer_id: str, resource_id: str | None, requested_usage: float | None
    ) -> None:
        self.customer_id = customer_id
        self.resource_id = resource_id
        self.requested_usage = requested_usage


def error(default: T, code: ErrorCode, message: str) -> FlagResolutionDetails[T]:
    """The caller's default with an OpenFeature error code and a message."""
    return FlagResolutionDetails(
        value=default, reason=Reason.ERROR, error_code=code, error_message=message
    )


def read_context(
    context: EvaluationContext | None, resource_attribute: str, usage_attribute: str
) -> Query | tuple[ErrorCode, str]:
    """The query an evaluation context asks, or why it cannot be asked."""
    if context is None or not context.targeting_key:
        return (
            ErrorCode.TARGETING_KEY_MISSING,
            "the evaluation context needs a targeting key: the Stigg customer id",
        )
    attributes = context.attributes or {}
    resource = attributes.get(resource_attribute)
    if resource is not None and (not isinstance(resource, str) or not resource.strip()):
        return (
            ErrorCode.INVALID_CONTEXT,
            f"context attribute {resource_attribute!r} must be a non-empty string",
        )
    usage = attributes.get(usage_attribute)
    if usage is not None and (
        isinstance(usage, bool)
        or not isinstance(usage, (int, float))
        or not math.isfinite(usage)
        or usage < 0
    ):
        return (
            ErrorCode.INVALID_CONTEXT,
            f"context attribute {usage_attribute!r} must be a finite number >= 0",
        )
    return Query(context.targeting_key, resource, usage)


def _metadata(result: EntitlementResult) -> FlagMetadata:
    meta: dict[str, bool | int | float | str] = {
        "source": result.source.value,
        "is_granted": result.is_granted,
        "current_usage": result.current_usage,
        "has_unlimited_usage": result.has_unlimited_usage,
    }
    if result.access_denied_reason is not None:
        meta["access_denied_reason"] = result.access_denied_reason.value
    if result.usage_limit is not None:
        meta["usage_limit"] = result.usage_limit
    if result.requested_usage is not None:
        meta["requested_usage"] = result.requested_usage
    return meta


def _refusal(result: EntitlementResult, default: T) -> FlagResolutionDetails[T] | None:
    """An error resolution when the answer cannot stand for a value, else ``None``."""
    reason = result.access_denied_reason
    refused: FlagResolutionDetails[T] | None = None
    if reason is not None and reason in _ERRORS:
        refused = error(default, _ERRORS[reason], f"Stigg answered {reason.value}")
    elif result.source is EntitlementSource.FALLBACK and reason is AccessDeniedReason.UNKNOWN:
        # Nothing is known for this customer (not loaded yet, or the API is failing)
        # and no fallback is configured for the feature: the caller's default stands.
        refused = error(
            default,
            ErrorCode.GENERAL,
            "no entitlement data for this customer yet and no fallback configured "
            "for the feature; a fetch has been started",
        )
    if refused is not None:
        refused.flag_metadata = _metadata(result)
    return refused


def resolve_boolean(result: EntitlementResult, default: bool) -> FlagResolutionDetails[bool]:
    """``is_granted``, with the reason taken from where the answer came from."""
    refused = _refusal(result, default)
    if refused is not None:
        return refused
    return FlagResolutionDetails(
        value=result.is_granted,
        reason=_REASONS[result.source],
        variant="granted" if result.is_granted else "denied",
        flag_metadata=_metadata(result),
    )


def resolve_number(
    result: EntitlementResult, default: T, which: NumberValue, kind: type[int] | type[float]
) -> FlagResolutionDetails[T]:
    """The usage limit or the remaining usage as ``kind``.

    Unlimited usage is ``math.inf`` for a float flag; an integer flag, which has no
    infinity, gets the caller's default with reason ``DEFAULT``, as does an entitlement
    with no number at all (a boolean feature, a denied customer).
    """
    refused = _refusal(result, default)
    if refused is not None:
        return refused
    number = result.usage_limit if which == "usage_limit" else result.remaining_usage
    if result.has_unlimited_usage and kind is float:
        number = math.inf
    elif result.has_unlimited_usage:
        number = None
    if number is None:
        return FlagResolutionDetails(
            value=default, reason=Reason.DEFAULT, flag_metadata=_metadata(result)
        )
    value: Any = int(number) if kind is int else float(number)
    return FlagResolutionDetails(
        value=value, reason=_REASONS[result.source], flag_metadata=_metadata(result)
    )


def _plain(value: object) -> FlagValueType | None:
    if isinstance(value, Enum):
        value = value.value  # the API's spelling, e.g. "MONTH"
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def entitlement_object(result: EntitlementResult) -> dict[str, FlagValueType]:
    """The whole entitlement as JSON-like data (absent values are left out)."""
    fields: dict[str, object] = {
        "feature_id": result.feature_id,
        "is_granted": result.is_granted,
        "access_denied_reason": result.access_denied_reason,
        "requested_usage": result.requested_usage,
        "current_usage": result.current_usage,
        "usage_limit": result.usage_limit,
        "remaining_usage": result.remaining_usage,
        "has_unlimited_usage": result.has_unlimited_usage,
        "has_soft_limit": result.has_soft_limit,
        "reset_period": result.reset_period,
        "usage_period_start": result.usage_period_start,
        "usage_period_end": result.usage_period_end,
        "next_reset_date": result.next_reset_date,
        "source": result.source,
    }
    out: dict[str, FlagValueType] = {}
    for name, value in fields.items():
        plain = _plain(value)
        if plain is not None:
            out[name] = plain
    feature = result.feature
    if feature is not None:
        described = {
            "id": feature.id,
            "display_name": feature.display_name,
            "feature_type": feature.feature_type,
            "meter_type": feature.meter_type,
            "units": feature.units,
            "units_plural": feature.units_plural,
        }
        out["feature"] = {
            name: plain for name, value in described.items() if (plain := _plain(value)) is not None
        }
    return out


def resolve_object(
    result: EntitlementResult,
    default: Sequence[FlagValueType] | Mapping[str, FlagValueType],
) -> FlagResolutionDetails[Sequence[FlagValueType] | Mapping[str, FlagValueType]]:
    """The full entitlement as a mapping."""
    refused = _refusal(result, default)
    if refused is not None:
        return refused
    return FlagResolutionDetails(
        value=entitlement_object(result),
        reason=_REASONS[result.source],
        variant="granted" if result.is_granted else "denied",
        flag_metadata=_metadata(result),
    )


def provider_status(status: EntitlementCacheStatus) -> ProviderStatus:
    """The OpenFeature status that stands for the cache's.

    Interrupted after a success means answers are served from older data (``STALE``);
    interrupted before any success, or because the API key is rejected, means the
    provider cannot answer for customers it has not seen (``ERROR``); a closed client
    will never answer again (``FATAL``).
    """
    if status.state is CacheState.CLOSED:
        return ProviderStatus.FATAL
    if status.state is CacheState.INTERRUPTED:
        rejected = (status.last_error or "").startswith(_AUTH_ERROR)
        if rejected or status.last_success is None:
            return ProviderStatus.ERROR
        return ProviderStatus.STALE
    return ProviderStatus.READY
