"""What a data source sees of the cache: a narrow sink to feed, a status to report to.

Data sources (the poller, the websocket stream, the shared Redis tier) produce
snapshots or changes for the keys in use. They receive a :class:`StoreSink` and a
:class:`StatusSink` when started and know nothing else of the cache or the facade
(DESIGN section 10). Raw payloads are the API's own shapes, so every source feeds
the store through the same parsing:

* an *entitlements state* is the ``entitlementsState`` object
  ``{"accessDeniedReason": ..., "entitlements": [EntitlementFragment, ...]}``
  (the stream's ``entitlementsUpdatedV2`` payload has the same two fields);
* a *usage change* is a ``UsageMeasurementFragment``-shaped dict (``customerId``,
  ``featureId``, ``resourceId``, ``currentUsage``, ``usagePeriodStart``/``End``,
  ``nextResetDate``, ``timestamp``): the server's new base for that entitlement.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import Enum
from typing import Any, Protocol

__all__ = ["DataSource", "Key", "SourceState", "StatusSink", "StoreSink"]

Key = tuple[str, "str | None"]


class SourceState(str, Enum):
    """What one data source says of itself.

    * ``INITIALIZING``: started, has not delivered yet;
    * ``VALID``: delivering (the poller's last cycle succeeded; the stream is connected);
    * ``INTERRUPTED``: failing, see the reported error; it keeps trying;
    * ``OFF``: stopped or disabled (closed, refused, not configured).
    """

    INITIALIZING = "initializing"
    VALID = "valid"
    INTERRUPTED = "interrupted"
    OFF = "off"

    def __str__(self) -> str:
        return str(self.value)


class StoreSink(Protocol):
    """The store's side of a data source: what it may read and feed. Never raises."""

    def keys_in_use(self) -> list[Key]:
        """Every key cached or wanted (recently read)."""
        ...

    def has_customer(self, customer_id: str) -> bool:
        """True when any key of ``customer_id`` is cached or wanted (O(1))."""
        ...

    def keys_of(self, customer_id: str) -> list[Key]:
        """The cached or wanted keys of one customer (all resources)."""
        ...

    def upsert_state(self, key: Key, raw: Mapping[str, Any], *, started: float) -> bool:
        """Store a full entitlements state for ``key``, fetched at monotonic ``started``.

        Pending usage is kept; an answer older than a usage change already applied
        does not roll that usage back. False if ``raw`` could not be parsed.
        """
        ...

    def apply_usage(self, change: Mapping[str, Any]) -> bool:
        """Make a usage change the new base of its cached entitlement (newest wins).

        False when the key or feature is not cached (nothing to do) or the change is
        older than what is known.
        """
        ...

    def mark_stale(self, keys: Iterable[Key]) -> None:
        """Treat ``keys`` as needing a refresh (served labelled stale until then)."""
        ...

    async def refresh_keys(self, keys: Sequence[Key]) -> None:
        """Fetch ``keys`` from the API now, in batches, through the one request path."""
        ...


class StatusSink(Protocol):
    """Where a data source reports its health; the cache's state derives from it."""

    def report(
        self,
        source: str,
        state: SourceState,
        *,
        error: BaseException | None = None,
        reason: str | None = None,
    ) -> None:
        """Record that ``source`` (e.g. ``"poller"``, ``"stream"``, ``"redis"``) is in ``state``."""
        ...


class DataSource(Protocol):
    """A producer of entitlement data for the store (poller, stream, shared tier)."""

    #: A short name used in status reports (``"poller"``, ``"stream"``, ``"redis"``).
    name: str

    def start(self, sink: StoreSink, status: StatusSink) -> None:
        """Begin feeding ``sink`` (inside the running loop). Idempotent."""
        ...

    async def aclose(self) -> None:
        """Stop and leave no task or socket behind. Idempotent."""
        ...
