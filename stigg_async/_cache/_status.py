"""Status and counters of the entitlement cache, as immutable snapshots for callers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from types import MappingProxyType

__all__ = [
    "CacheState",
    "EntitlementCacheStats",
    "EntitlementCacheStatus",
    "_Health",
    "describe_error",
]


class CacheState(str, Enum):
    """Where the cache and its poller stand.

    * ``INITIALIZING``: started, the first refresh has not completed yet;
    * ``VALID``: the last refresh succeeded; answers are current;
    * ``INTERRUPTED``: the last refresh failed; known answers are served (stale), see
      :attr:`EntitlementCacheStatus.last_error` for why;
    * ``CLOSED``: stopped; no background work remains.
    """

    INITIALIZING = "initializing"
    VALID = "valid"
    INTERRUPTED = "interrupted"
    CLOSED = "closed"

    def __str__(self) -> str:
        return str(self.value)


@dataclass(frozen=True, slots=True)
class EntitlementCacheStatus:
    """A point-in-time view of the cache's health.

    Attributes:
        state: the :class:`CacheState`.
        since: wall-clock time (UTC) the cache entered ``state``.
        last_error: a short, secret-free description of the last failure
            (``"StiggAuthenticationError: HTTP 401: ..."``), or ``None``.
        reason: why the cache is in this state, in words (``"authentication failed;
            retrying every 300s"``), or ``None`` when ``VALID``.
        last_success: wall-clock time of the last successful refresh, if any.

    Example:
        >>> status = stigg.entitlement_status  # doctest: +SKIP
        >>> status.state is CacheState.VALID  # doctest: +SKIP
        True
    """

    state: CacheState
    since: datetime
    last_error: str | None = None
    reason: str | None = None
    last_success: datetime | None = None

    @property
    def is_healthy(self) -> bool:
        """True when the last refresh succeeded."""
        return self.state is CacheState.VALID


@dataclass(frozen=True, slots=True)
class EntitlementCacheStats:
    """Counters since the cache started (monotonic, never reset).

    Attributes:
        hits: checks answered from a fresh cached snapshot.
        stale_hits: checks answered from a snapshot past its fresh window.
        misses: checks that found nothing cached for their key.
        fallbacks: checks answered from the fallback (nothing usable was known).
        network_answers: checks answered by a fetch they waited for.
        refreshes: keys successfully (re)loaded from the API.
        failures: failed requests (any cause).
        requests: GraphQL requests sent.
        evictions: keys dropped (LRU bound or idle).
        usage_updates: cached entitlements updated from usage reports.
        batch_size: the current aliases-per-request limit (halves on refusal).
        batch_sizes: how many requests were sent with each number of aliases.
        entries: keys currently cached.
    """

    hits: int = 0
    stale_hits: int = 0
    misses: int = 0
    fallbacks: int = 0
    network_answers: int = 0
    refreshes: int = 0
    failures: int = 0
    requests: int = 0
    evictions: int = 0
    usage_updates: int = 0
    batch_size: int = 0
    batch_sizes: Mapping[int, int] = field(default_factory=lambda: MappingProxyType({}))
    entries: int = 0


class _Health:
    """The mutable state behind :class:`EntitlementCacheStatus` and the counters.

    Counters are plain attributes: the check path increments ``hits`` as an attribute
    add (a few ns), never a method call or a lock.
    """

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self.state = CacheState.INITIALIZING
        self.since = now()
        self.last_error: str | None = None
        self.reason: str | None = None
        self.last_success: datetime | None = None
        self.hits = 0
        self.stale_hits = 0
        self.misses = 0
        self.fallbacks = 0
        self.network_answers = 0
        self.refreshes = 0
        self.failures = 0
        self.requests = 0
        self.evictions = 0
        self.usage_updates = 0
        self.batch_sizes: Counter[int] = Counter()

    def enter(self, state: CacheState, reason: str | None = None) -> None:
        if state is not self.state:
            self.state = state
            self.since = self._now()
        self.reason = reason

    def succeeded(self) -> None:
        self.last_success = self._now()
        if self.state is not CacheState.CLOSED:
            self.enter(CacheState.VALID)

    def is_valid(self) -> bool:
        return self.state is CacheState.VALID

    def status(self) -> EntitlementCacheStatus:
        return EntitlementCacheStatus(
            state=self.state,
            since=self.since,
            last_error=self.last_error,
            reason=self.reason,
            last_success=self.last_success,
        )


def describe_error(exc: BaseException) -> str:
    """A short, secret-free description: the class name and the (scrubbed) message.

    StiggErrors are built from status codes, server messages and codes only (the
    transport redacts the API key), so their text is safe to show; other exceptions
    are reduced to their class name.
    """
    from stigg_async._errors import StiggError

    if isinstance(exc, StiggError):
        return f"{type(exc).__name__}: {str(exc)[:300]}"
    return type(exc).__name__
