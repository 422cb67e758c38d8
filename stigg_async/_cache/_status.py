"""Status and counters of the entitlement cache, as immutable snapshots for callers.

Data sources (the poller, the stream, the shared tier) report their own state to
:class:`_Health` (the cache's :class:`~stigg_async._cache._source.StatusSink`); the
cache's state derives from theirs: valid while any source delivers, interrupted
while none does and one is failing.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from types import MappingProxyType

from stigg_async._cache._source import SourceState

__all__ = [
    "CacheState",
    "EntitlementCacheStats",
    "EntitlementCacheStatus",
    "SourceState",
    "_Health",
    "describe_error",
]

logger = logging.getLogger("stigg_async")


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
        sources: each data source's own state (``{"poller": SourceState.VALID,
            "stream": SourceState.INTERRUPTED}``): which source is live.

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
    sources: Mapping[str, SourceState] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def is_healthy(self) -> bool:
        """True when the last refresh succeeded."""
        return self.state is CacheState.VALID


@dataclass(frozen=True, slots=True)
class EntitlementCacheStats:
    """Counters since the cache started (monotonic, never reset).

    Attributes:
        hits: checks answered from a fresh cached snapshot (``fast_hits`` of them by
            the store's fast path, the rest by the slow path).
        fast_hits: warm checks answered by the fast path.
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
        pending_usage_items: usage items accepted and not yet settled (their amounts
            count against limits in local checks).
    """

    hits: int = 0
    fast_hits: int = 0
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
    pending_usage_items: int = 0


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

        self.sources: dict[str, SourceState] = {}
        self._reasons: dict[str, str | None] = {}
        self.answered = False  # the API has answered a request with this key

    def enter(self, state: CacheState, reason: str | None = None) -> None:
        if state is not self.state:
            self.state = state
            self.since = self._now()
        self.reason = reason

    def report(
        self,
        source: str,
        state: SourceState,
        *,
        error: BaseException | None = None,
        reason: str | None = None,
    ) -> None:
        """Record a data source's state; the cache's state follows (a StatusSink)."""
        if self.state is CacheState.CLOSED:
            return
        before = self.sources.get(source)
        self.sources[source] = state
        if error is not None:
            self.last_error = describe_error(error)
            reason = reason or f"{source}: {self.last_error}"
        self._reasons[source] = reason
        if state is SourceState.VALID:
            self.last_success = self._now()
            if before is not SourceState.VALID:
                if before is SourceState.INTERRUPTED:
                    logger.info("%s recovered", source)
                elif not self.answered:
                    logger.info("%s: first successful refresh; entitlements are live", source)
        elif state is SourceState.INTERRUPTED and before is not SourceState.INTERRUPTED:
            from stigg_async._errors import StiggAuthenticationError

            # A rejected key is a configuration error, not weather: say it loudly, once.
            log = logger.error if isinstance(error, StiggAuthenticationError) else logger.warning
            log("%s interrupted: %s", source, reason)
        self._derive()

    def _derive(self) -> None:
        states = self.sources
        if any(s is SourceState.VALID for s in states.values()):
            self.answered = True
            self.enter(CacheState.VALID)
            return
        failing = [name for name, s in states.items() if s is SourceState.INTERRUPTED]
        if failing:
            self.enter(CacheState.INTERRUPTED, self._reasons.get(failing[0]))
        elif self.state is not CacheState.INITIALIZING:
            self.enter(CacheState.INITIALIZING, "no data source is delivering")

    def close(self) -> None:
        self.enter(CacheState.CLOSED, "closed")

    def is_valid(self) -> bool:
        return self.state is CacheState.VALID

    def status(self) -> EntitlementCacheStatus:
        return EntitlementCacheStatus(
            state=self.state,
            since=self.since,
            last_error=self.last_error,
            reason=self.reason,
            last_success=self.last_success,
            sources=MappingProxyType(dict(self.sources)),
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
