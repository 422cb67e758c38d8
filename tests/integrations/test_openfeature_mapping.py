"""The pure parts of the OpenFeature provider: reading the context, deriving the status."""

from __future__ import annotations

import math
from datetime import datetime, timezone

import pytest
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode
from openfeature.provider import ProviderStatus

from stigg_async import CacheState, EntitlementCacheStatus
from stigg_async.integrations._openfeature_mapping import Query, provider_status, read_context

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def read(context: EvaluationContext | None) -> Query | tuple[ErrorCode, str]:
    return read_context(context, "resource_id", "requested_usage")


def test_the_targeting_key_is_the_customer_and_attributes_scope_the_check() -> None:
    """Customer from the targeting key; resource and requested usage from attributes."""
    query = read(EvaluationContext("c-1", {"resource_id": "site-a", "requested_usage": 2}))
    assert isinstance(query, Query)
    assert (query.customer_id, query.resource_id, query.requested_usage) == ("c-1", "site-a", 2)
    plain = read(EvaluationContext("c-1"))
    assert isinstance(plain, Query)
    assert (plain.resource_id, plain.requested_usage) == (None, None)


@pytest.mark.parametrize("context", [None, EvaluationContext(), EvaluationContext("")])
def test_no_targeting_key_is_targeting_key_missing(context: EvaluationContext | None) -> None:
    """Without a customer id there is no question to ask."""
    answer = read(context)
    assert not isinstance(answer, Query)
    assert answer[0] is ErrorCode.TARGETING_KEY_MISSING


@pytest.mark.parametrize(
    "attributes",
    [
        {"requested_usage": -1},
        {"requested_usage": math.nan},
        {"requested_usage": math.inf},
        {"requested_usage": True},
        {"requested_usage": "3"},
        {"resource_id": ""},
        {"resource_id": 7},
    ],
)
def test_malformed_attributes_are_invalid_context(attributes: dict[str, object]) -> None:
    """Bad usage or resource values are refused before anything is asked."""
    answer = read(EvaluationContext("c-1", attributes))  # type: ignore[arg-type]
    assert not isinstance(answer, Query)
    assert answer[0] is ErrorCode.INVALID_CONTEXT


def status(
    state: CacheState, *, last_error: str | None = None, ever_succeeded: bool = True
) -> EntitlementCacheStatus:
    return EntitlementCacheStatus(
        state=state,
        since=NOW,
        last_error=last_error,
        reason=None,
        last_success=NOW if ever_succeeded else None,
    )


@pytest.mark.parametrize(
    ("cache", "expected"),
    [
        (status(CacheState.INITIALIZING, ever_succeeded=False), ProviderStatus.READY),
        (status(CacheState.VALID), ProviderStatus.READY),
        (status(CacheState.INTERRUPTED, last_error="StiggServerError: 503"), ProviderStatus.STALE),
        (
            status(CacheState.INTERRUPTED, last_error="StiggServerError", ever_succeeded=False),
            ProviderStatus.ERROR,
        ),
        (
            status(CacheState.INTERRUPTED, last_error="StiggAuthenticationError: HTTP 401"),
            ProviderStatus.ERROR,
        ),
        (status(CacheState.CLOSED), ProviderStatus.FATAL),
    ],
)
def test_provider_status_follows_the_cache(
    cache: EntitlementCacheStatus, expected: ProviderStatus
) -> None:
    """Stale data served is STALE; nothing servable or a rejected key is ERROR; closed FATAL."""
    assert provider_status(cache) is expected
