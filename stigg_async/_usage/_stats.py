"""Counters of the usage pipeline and the reports ``flush()`` and ``aclose()`` return."""

from __future__ import annotations

from dataclasses import dataclass

from stigg_async._usage._items import CreditRecord, EventRecord, UsageRecord

__all__ = ["FlushReport", "UsageCloseReport", "UsageStats"]


@dataclass(frozen=True, slots=True)
class UsageStats:
    """A snapshot of the pipeline's counters (items unless said otherwise).

    Attributes:
        enqueued: items accepted by ``track_*``.
        sent: items the API acknowledged (delivered).
        retried: item re-sends after transient failures (an item retried twice counts 2).
        failed: items that were definitely not applied: refused by the API, or never
            sent (given up on before sending, or still queued when the client closed).
            They went to ``on_error`` with an error whose ``may_have_landed`` is False.
        may_have_landed: items whose outcome is unknown: a request carrying them was
            sent and its answer was lost, and retrying did not settle it before giving
            up or closing. They went to ``on_error`` with ``may_have_landed=True``;
            re-sending them with their idempotency keys is safe.
        dropped: items refused because the queue was full (never enqueued).
        pending: items queued or in flight.
        batches: batches formed from the queue.
        requests: HTTP requests made, retries and bisected halves included.
        delivery_problem: why delivery is held up right now (for example a rejected
            API key, during ``auth_grace_period``), or ``None``.

    ``enqueued == sent + failed + may_have_landed + pending`` always holds.

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
    may_have_landed: int = 0
    delivery_problem: str | None = None


@dataclass(frozen=True, slots=True)
class FlushReport:
    """What happened to the items a ``flush()`` (or ``aclose()``) waited for.

    Counts cover the items tracked before the call.

    Attributes:
        delivered: acknowledged by the API.
        failed: definitely not applied (refused, or never sent); passed to ``on_error``.
        may_have_landed: sent, answer lost, not settled by retries; passed to
            ``on_error``. Re-sending them with their idempotency keys is safe.
        pending: still queued or in flight when the call's ``timeout`` ran out; they
            stay queued and are retried (``aclose()`` leaves none pending).

    ``delivered_all`` is True only when every item was delivered; the report's truth
    value is ``delivered_all``, so ``if not await stigg.flush(): ...`` catches any
    failed, unknown or still pending item.

    Example:
        >>> report = FlushReport(delivered=3, failed=0, may_have_landed=1, pending=0)
        >>> report.settled, report.delivered_all, bool(report)
        (True, False, False)
    """

    delivered: int = 0
    failed: int = 0
    may_have_landed: int = 0
    pending: int = 0

    @property
    def settled(self) -> bool:
        """True when no item is pending: each was delivered, failed, or may have landed."""
        return self.pending == 0

    @property
    def delivered_all(self) -> bool:
        """True when every item was delivered (nothing failed, unknown or pending)."""
        return self.pending == 0 and self.failed == 0 and self.may_have_landed == 0

    def __bool__(self) -> bool:
        return self.delivered_all


@dataclass(frozen=True, slots=True)
class UsageCloseReport(FlushReport):
    """What ``aclose()`` delivered, and what it could not (a :class:`FlushReport`).

    Attributes:
        undelivered_usage: usage items not delivered (``failed`` or ``may_have_landed``;
            also passed to ``on_error``). Their ``idempotency_key`` makes re-sending them
            later safe; one that was in flight may in fact have landed.
        undelivered_events: the same for events.
        undelivered_credits: the same for credit consumptions (``track_credits``).
        stats: the counters after closing.

    Example:
        >>> UsageCloseReport(delivered=2).flushed
        True
    """

    undelivered_usage: tuple[UsageRecord, ...] = ()
    undelivered_events: tuple[EventRecord, ...] = ()
    undelivered_credits: tuple[CreditRecord, ...] = ()
    stats: UsageStats = UsageStats()

    @property
    def flushed(self) -> bool:
        """True when every item was delivered before closing (``delivered_all``)."""
        return self.delivered_all

    @property
    def undelivered(self) -> int:
        """How many items (usage, events and credit consumptions) were not delivered."""
        return (
            len(self.undelivered_usage)
            + len(self.undelivered_events)
            + len(self.undelivered_credits)
        )
