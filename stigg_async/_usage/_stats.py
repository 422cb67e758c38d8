"""Counters of the usage pipeline and the summary ``aclose()`` returns."""

from __future__ import annotations

from dataclasses import dataclass

from stigg_async._usage._items import EventRecord, UsageRecord

__all__ = ["UsageCloseReport", "UsageStats"]


@dataclass(frozen=True, slots=True)
class UsageStats:
    """A snapshot of the pipeline's counters (items unless said otherwise).

    Attributes:
        enqueued: items accepted by ``track_*``.
        sent: items the API acknowledged.
        retried: item re-sends after transient failures (an item retried twice counts 2).
        failed: items handed to ``on_error`` (refused by the API, given up on, or still
            undelivered when the client closed).
        dropped: items refused because the queue was full (never enqueued).
        pending: items queued or in flight.
        batches: batches formed from the queue.
        requests: HTTP requests made, retries and bisected halves included.

    ``enqueued == sent + failed + pending`` always holds.

    Example:
        >>> UsageStats().pending
        0
    """

    enqueued: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    dropped: int = 0
    pending: int = 0
    batches: int = 0
    requests: int = 0


@dataclass(frozen=True, slots=True)
class UsageCloseReport:
    """What ``aclose()`` could and could not deliver.

    Attributes:
        flushed: True when every item was delivered or definitively failed before
            the deadline.
        undelivered_usage: usage items still queued or in flight at the deadline
            (also passed to ``on_error``). Their ``idempotency_key`` makes re-sending
            them later safe; an in-flight one may in fact have landed.
        undelivered_events: the same for events.
        stats: the counters after closing.

    Example:
        >>> UsageCloseReport(flushed=True).undelivered
        0
    """

    flushed: bool
    undelivered_usage: tuple[UsageRecord, ...] = ()
    undelivered_events: tuple[EventRecord, ...] = ()
    stats: UsageStats = UsageStats()

    @property
    def undelivered(self) -> int:
        """How many items (usage and events) were not delivered."""
        return len(self.undelivered_usage) + len(self.undelivered_events)
