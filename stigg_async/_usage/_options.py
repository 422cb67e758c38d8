"""Options of the buffered usage pipeline."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from stigg_async._errors import StiggConfigurationError, StiggError
from stigg_async._validation import check_bool, check_count, check_seconds

if TYPE_CHECKING:
    from stigg_async._usage._items import CreditRecord, EventRecord, UsageRecord

__all__ = ["FullQueuePolicy", "UsageErrorCallback", "UsagePipelineOptions"]

#: What a full queue does to a new item: ``"wait"`` for room, or ``"drop"`` it.
FullQueuePolicy = Literal["wait", "drop"]

#: ``on_error(items, error)``: items that will not be delivered, and why.
#: ``items`` all have one type: a list of :class:`UsageRecord`, of :class:`EventRecord`
#: or of :class:`CreditRecord`.
UsageErrorCallback = Callable[
    ["Sequence[UsageRecord] | Sequence[EventRecord] | Sequence[CreditRecord]", StiggError],
    object,
]


@dataclass(frozen=True, slots=True)
class UsagePipelineOptions:
    """How buffered usage and events are queued, batched and delivered.

    Attributes:
        max_queue_size: items waiting to be sent (usage and events together) before the
            queue counts as full. Items already in flight do not count.
        full_queue_policy: ``"wait"`` (default): the awaitable ``track_*_async`` calls
            wait up to ``enqueue_timeout`` seconds for room, then refuse the item.
            ``"drop"``: a full queue refuses at once. Either way a refused item is
            counted in ``dropped``, logged (at most once per ``drop_log_interval``)
            and reported by the call's return value (``False``). The synchronous
            ``track_*`` calls can never wait, so they refuse at once under both.
        enqueue_timeout: longest wait for room under ``"wait"`` (``None``: no limit).
        usage_batch_size: usage items per ``reportUsageBulk`` request, and credit
            consumptions (``track_credits``) per ``consumeCreditsAsync`` request.
        event_batch_size: events per ``reportEvent`` request.
        flush_interval: seconds an item may wait for its batch to fill before a
            partial batch is sent.
        max_concurrent_requests: requests in flight per kind (usage, events, credits). Usage
            batches holding a ``SET`` are always sent alone, in order, because a ``SET``
            does not commute with the items around it (``DELTA`` items do).
        request_timeout: seconds per request (``None``: the client's timeout).
        max_attempts: give up on a batch after this many failed attempts (``None``:
            retry transient failures while the client is open).
        max_item_age: give up on a batch whose oldest item was tracked this many
            seconds ago (``None``: no limit). An item given up on goes to ``on_error``.
        close_timeout: seconds ``aclose()`` waits for delivery when no timeout is given.
        bisect_on_error: when the API refuses a whole batch with a business error or a
            4xx, send its halves separately (recursively) so one bad item does not
            take the good ones with it. Idempotency keys make re-sending safe.
        stamp_time: record the time of the ``track_*`` call on items that carry none
            (``createdAt`` for usage, ``timestamp`` for events), so buffering and
            retries never move usage into another billing period.
        on_error: ``on_error(items, error)``, called with items that will not be
            delivered (permanent API error, given up, or still undelivered at close).
            ``error.may_have_landed`` tells which kind: False means definitely not
            applied; True means the outcome is unknown (sent, answer lost), and
            re-sending the items with their idempotency keys is safe. One call never
            mixes the two. Exceptions it raises are logged and ignored.
        drop_log_interval: at most one "queue full" log line per this many seconds.
        auth_grace_period: seconds buffered items survive an API key rejection (HTTP
            401/403), counted from the first rejection of an outage, so a key fixed
            within it loses nothing (``None``: until closed). Meanwhile batches are
            retried every ``auth_retry_interval`` seconds and ``usage_stats
            .delivery_problem`` says why; past it they fail (``on_error``, ``failed``).
        auth_retry_interval: seconds between attempts while the key is rejected.

    Raises:
        StiggConfigurationError: a field is out of range or of the wrong type.

    Example:
        >>> opts = UsagePipelineOptions(usage_batch_size=250, full_queue_policy="drop")
        >>> opts.usage_batch_size, opts.full_queue_policy
        (250, 'drop')
    """

    max_queue_size: int = 100_000
    full_queue_policy: FullQueuePolicy = "wait"
    enqueue_timeout: float | None = 5.0
    usage_batch_size: int = 500
    event_batch_size: int = 1_000
    flush_interval: float = 1.0
    max_concurrent_requests: int = 4
    request_timeout: float | None = None
    max_attempts: int | None = None
    max_item_age: float | None = None
    close_timeout: float = 10.0
    bisect_on_error: bool = True
    stamp_time: bool = True
    on_error: UsageErrorCallback | None = None
    drop_log_interval: float = 60.0
    auth_grace_period: float | None = 600.0
    auth_retry_interval: float = 30.0

    def __post_init__(self) -> None:
        for name in (
            "max_queue_size",
            "usage_batch_size",
            "event_batch_size",
            "max_concurrent_requests",
        ):
            check_count(getattr(self, name), name)
        if self.max_attempts is not None:
            check_count(self.max_attempts, "max_attempts")
        if self.full_queue_policy not in ("wait", "drop"):
            raise StiggConfigurationError("full_queue_policy must be 'wait' or 'drop'")
        _seconds(self, "flush_interval")
        _seconds(self, "close_timeout", allow_zero=True)
        _seconds(self, "drop_log_interval", allow_zero=True)
        _seconds(self, "enqueue_timeout", allow_zero=True, optional=True)
        _seconds(self, "request_timeout", optional=True)
        _seconds(self, "max_item_age", optional=True)
        _seconds(self, "auth_grace_period", allow_zero=True, optional=True)
        _seconds(self, "auth_retry_interval")
        check_bool(self.bisect_on_error, "bisect_on_error")
        check_bool(self.stamp_time, "stamp_time")
        if self.on_error is not None and not callable(self.on_error):
            raise StiggConfigurationError("on_error must be callable")


def _seconds(
    opts: UsagePipelineOptions, name: str, *, allow_zero: bool = False, optional: bool = False
) -> None:
    value = getattr(opts, name)
    if value is None and optional:
        return
    seconds = check_seconds(value, name, allow_zero=allow_zero, optional=optional)
    object.__setattr__(opts, name, seconds)
