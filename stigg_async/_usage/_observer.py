"""How usage in flight reaches the entitlement store (DESIGN section 9).

The usage pipeline and the facade's awaited reports tell an observer about every
calculated-usage item they accept and how it ended; the entitlement store implements
the observer and counts accepted, unsettled amounts as *pending* usage, so a local
check sees usage that has not reached the server yet. The pipeline knows nothing
else of the cache.

Contract (one call of :meth:`UsageObserver.usage_settled` per accepted item):

* ``DELIVERED``: acknowledged; ``measurement`` is the server's answer for the item
  (a ``UsageMeasurementFragment``-shaped dict) when it has one. The amount leaves
  pending; the answer becomes the base if it is newer.
* ``FAILED``: definitely not applied (refused, or never sent). The amount leaves pending.
* ``UNKNOWN``: may have landed (the answer was lost after sending and retries did not
  settle it). The amount stays counted until a refresh that started after this call
  shows the server's truth.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any, Protocol

from stigg_async._usage._items import UsageRecord

__all__ = ["UsageObserver", "UsageOutcome"]


class UsageOutcome(str, Enum):
    """How one usage item ended."""

    DELIVERED = "delivered"
    FAILED = "failed"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return str(self.value)


class UsageObserver(Protocol):
    """Told about usage items in flight; implemented by the entitlement store."""

    def usage_accepted(self, record: UsageRecord) -> None:
        """``record`` was accepted (queued, or an awaited report is about to be sent)."""
        ...

    def usage_settled(
        self,
        record: UsageRecord,
        outcome: UsageOutcome,
        measurement: Mapping[str, Any] | None = None,
    ) -> None:
        """``record`` ended with ``outcome`` (exactly once per accepted record)."""
        ...
