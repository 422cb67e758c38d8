"""Options of the entitlement cache and its poller, and per-feature fallbacks."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from stigg_async._errors import StiggConfigurationError

__all__ = ["EntitlementCacheOptions", "Fallback"]


@dataclass(frozen=True, slots=True)
class Fallback:
    """What a check answers for one feature when nothing usable is cached.

    Used when the API has never answered for the customer (or its snapshot is older
    than ``max_staleness``). ``usage_limit`` makes the fallback metered: a check is
    granted only if ``requested_usage <= usage_limit``.

    Example:
        >>> Fallback(is_granted=True, usage_limit=10).is_granted
        True
    """

    is_granted: bool
    usage_limit: float | None = None
    has_unlimited_usage: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.is_granted, bool):
            raise StiggConfigurationError("Fallback.is_granted must be a bool")
        if self.usage_limit is not None and not _is_non_negative(self.usage_limit):
            raise StiggConfigurationError("Fallback.usage_limit must be a finite number >= 0")


def _is_non_negative(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    )


def _is_positive(value: Any) -> bool:
    return _is_non_negative(value) and value > 0


@dataclass(frozen=True, slots=True)
class EntitlementCacheOptions:
    """How the entitlement cache keeps answers local, fresh and bounded.

    Attributes:
        ttl: seconds a fetched snapshot counts as fresh (default 60). Past it, a check
            refreshes the key (waiting for it, unless the API is failing) and the poller
            keeps it current.
        max_staleness: the oldest a snapshot may be (seconds since it was fetched) and
            still be served while the API is failing (default 86,400 = one day; ``None``
            serves the last known data forever). Past it, checks answer from the fallback.
        max_entries: the most ``(customer_id, resource_id)`` keys kept (default 20,000);
            the least recently used is evicted first.
        idle_timeout: seconds a key may go unread before the poller stops refreshing it
            and drops it (default 3,600).
        poll: run the background poller (default ``True``).
        poll_interval: seconds between refresh cycles (default 30).
        safety_interval: seconds between refresh cycles while a push source (the
            stream) reports itself healthy (default 300): the poller is then only a
            safety net.
        denial_ttl: seconds a customer-level denial (``CustomerNotFound``,
            ``NoActiveSubscription``...) counts as fresh (default 5), so a customer
            who just signed up through another process is seen quickly.
        poll_jitter: fraction of ``poll_interval`` randomised each cycle (default 0.1,
            so 27-33 s), so many processes do not poll in lockstep.
        batch_size: customers per GraphQL request, as aliases (default 50). Halved and
            remembered when the server answers ``GraphQLAliasesLimitExceeded``.
        max_concurrent_batches: batch requests in flight at once (default 4).
        negative_ttl: seconds a failed fetch is remembered, so a failing key costs at
            most one request per this period from checks (default 10).
        error_backoff: seconds before the first retry cycle after a failed one
            (default 1); doubles per failure, capped at ``poll_interval``.
        auth_error_interval: seconds between attempts while the API key is rejected
            (HTTP 401/403) (default 300). Checks make no requests meanwhile.
        fetch_deadline: the longest a check waits for the network on a miss, over all
            retries, in seconds (default 10); past it the check answers from the fallback.
        fallbacks: per-feature-id :class:`Fallback`; features without one are denied
            with reason ``Unknown`` when nothing is known.

    Example:
        >>> opts = EntitlementCacheOptions(
        ...     ttl=120, fallbacks={"feature-03-custom-domain": Fallback(is_granted=True)}
        ... )
        >>> opts.poll_interval
        30.0
    """

    ttl: float = 60.0
    max_staleness: float | None = 86_400.0
    max_entries: int = 20_000
    idle_timeout: float = 3_600.0
    poll: bool = True
    poll_interval: float = 30.0
    safety_interval: float = 300.0
    denial_ttl: float = 5.0
    poll_jitter: float = 0.1
    batch_size: int = 50
    max_concurrent_batches: int = 4
    negative_ttl: float = 10.0
    error_backoff: float = 1.0
    auth_error_interval: float = 300.0
    fetch_deadline: float = 10.0
    fallbacks: Mapping[str, Fallback] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in (
            "ttl",
            "idle_timeout",
            "poll_interval",
            "safety_interval",
            "denial_ttl",
            "negative_ttl",
            "error_backoff",
            "auth_error_interval",
            "fetch_deadline",
        ):
            if not _is_positive(getattr(self, name)):
                raise StiggConfigurationError(f"{name} must be a positive, finite number")
            object.__setattr__(self, name, float(getattr(self, name)))
        if self.max_staleness is not None:
            if not _is_non_negative(self.max_staleness):
                raise StiggConfigurationError("max_staleness must be a number >= 0 or None")
            object.__setattr__(self, "max_staleness", float(self.max_staleness))
        if not _is_non_negative(self.poll_jitter) or self.poll_jitter > 1:
            raise StiggConfigurationError("poll_jitter must be between 0 and 1")
        for name in ("max_entries", "batch_size", "max_concurrent_batches"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise StiggConfigurationError(f"{name} must be a positive integer")
        if not isinstance(self.poll, bool):
            raise StiggConfigurationError("poll must be a bool")
        if not isinstance(self.fallbacks, Mapping):
            raise StiggConfigurationError("fallbacks must map feature ids to Fallback")
        for key, value in self.fallbacks.items():
            if not isinstance(key, str) or not isinstance(value, Fallback):
                raise StiggConfigurationError("fallbacks must map feature ids to Fallback")
        # A private copy: later changes to the caller's dict must not leak in.
        object.__setattr__(self, "fallbacks", MappingProxyType(dict(self.fallbacks)))

    @property
    def stale_window(self) -> float:
        """Seconds after fetching that a snapshot stops being served at all."""
        return math.inf if self.max_staleness is None else max(self.ttl, self.max_staleness)
