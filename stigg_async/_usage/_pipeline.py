"""The buffered usage pipeline: bounded queue -> batches -> reportUsageBulk / reportEvent
/ consumeCreditsAsync.

Every item carries an idempotency key minted when it is tracked and sent unchanged
on every attempt, so retrying an ambiguous failure (the write landed, the answer
was lost) cannot count it twice. Transient failures are retried with backoff while
the client is open; anything that will not be delivered goes to ``on_error``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar, cast

from stigg_async._clock import Clock
from stigg_async._errors import (
    StiggAuthenticationError,
    StiggClientStateError,
    StiggError,
    StiggGraphQLError,
    StiggHTTPError,
    StiggResponseError,
)
from stigg_async._operations import Operation, operation
from stigg_async._retry import UNLIMITED_RETRIES, RetryPolicy, is_transient, run_with_retries
from stigg_async._usage._items import (
    CreditRecord,
    EventRecord,
    UsageRecord,
    make_credit,
    make_event,
    make_usage,
)
from stigg_async._usage._observer import UsageObserver, UsageOutcome
from stigg_async._usage._options import UsagePipelineOptions
from stigg_async._usage._queue import Batch, Lane, Signal, Tally
from stigg_async._usage._stats import FlushReport, UsageCloseReport, UsageStats
from stigg_async._validation import check_timeout

__all__ = ["MeasurementsCallback", "UsagePipeline", "UsageTransport"]

logger = logging.getLogger("stigg_async")

R = TypeVar("R", UsageRecord, EventRecord, CreditRecord)

#: Receives the raw camelCase measurements ``reportUsageBulk`` answered with.
MeasurementsCallback = Callable[[list[Mapping[str, Any]]], object]


class UsageTransport(Protocol):
    """What the pipeline needs of the transport (``GraphQLTransport`` fits)."""

    async def execute(
        self,
        op: Operation,
        variables: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
    ) -> dict[str, Any]: ...


def _matching(records: Sequence[Any], measurements: Any) -> list[Mapping[str, Any] | None] | None:
    """The answer of each record in a ``reportUsageBulk`` result (same order), if it fits."""
    if not isinstance(measurements, list) or len(measurements) != len(records):
        return None
    out: list[Mapping[str, Any] | None] = []
    for record, answer in zip(records, measurements, strict=True):
        fits = (
            isinstance(answer, Mapping)
            and answer.get("customerId") == record.customer_id
            and answer.get("featureId") == record.feature_id
        )
        out.append(answer if fits else None)
    return out


def _bisectable(exc: StiggError) -> bool:
    """True when one bad item could explain the refusal of a whole batch."""
    if isinstance(exc, StiggGraphQLError):
        return True
    return (
        isinstance(exc, StiggHTTPError)
        and not isinstance(exc, StiggAuthenticationError)
        and 400 <= exc.status < 500
    )


class UsagePipeline:
    """Queues usage, events and credit consumptions, and delivers each once in batches.

    The client builds one per ``AsyncStigg``, calls :meth:`start` when it opens and
    :meth:`aclose` when it closes. ``track_usage`` / ``track_event`` /
    ``track_credits`` cost about a microsecond and never block; ``enqueue_usage`` /
    ``enqueue_event`` / ``enqueue_credits`` may wait for room when the queue is full
    (``full_queue_policy="wait"``).

    Example:
        >>> async def main(transport, clock) -> None:  # doctest: +SKIP
        ...     pipeline = UsagePipeline(transport=transport, retry_policy=RetryPolicy(),
        ...                              clock=clock)
        ...     pipeline.start()
        ...     pipeline.track_usage("customer-1", "feature-02-campaigns", 1)
        ...     await pipeline.flush()
        ...     report = await pipeline.aclose()
    """

    def __init__(
        self,
        *,
        transport: UsageTransport,
        retry_policy: RetryPolicy,
        clock: Clock,
        options: UsagePipelineOptions | None = None,
        on_measurements: MeasurementsCallback | None = None,
        observer: UsageObserver | None = None,
    ) -> None:
        self._transport = transport
        self._clock = clock
        self._mono = clock.monotonic
        self._opts = opts = options or UsagePipelineOptions()
        # The client's backoff shape, with the pipeline's own limits: no overall
        # deadline, and attempts capped only by max_attempts (items wait while open).
        attempts = opts.max_attempts
        self._policy = dataclasses.replace(
            retry_policy,
            max_retries=UNLIMITED_RETRIES if attempts is None else attempts - 1,
            deadline=None,
        )
        self._on_measurements = on_measurements
        self._observer = observer
        self._usage: Lane[UsageRecord] = Lane(
            "usage",
            operation("ReportUsageBulk"),
            "usages",
            opts.usage_batch_size,
            UsageRecord.to_input,
        )
        self._events: Lane[EventRecord] = Lane(
            "events",
            operation("ReportEvent"),
            "usageEvents",
            opts.event_batch_size,
            EventRecord.to_input,
        )
        self._credits: Lane[CreditRecord] = Lane(
            "credits",
            operation("ConsumeCreditsAsync"),
            "consumptions",
            opts.usage_batch_size,
            CreditRecord.to_input,
        )
        self._lanes: tuple[Lane[Any], ...] = (self._usage, self._events, self._credits)
        self._max_queue = opts.max_queue_size
        self._queued = 0  # records in all queues
        self._in_flight = 0  # records taken from a queue and not yet resolved
        self._enqueued = 0
        self._sent = 0
        self._retried = 0
        self._failed = 0
        self._unknown = 0  # items that may have landed
        self._dropped = 0
        self._batches = 0
        self._requests = 0
        self._drops_unlogged = 0
        self._last_drop_log: float | None = None
        self._kicked = False
        self._kick_future: asyncio.Future[None] | None = None
        self._room = Signal()  # items left a queue
        self._progress = Signal()  # a batch was resolved
        self._flusher: asyncio.Task[None] | None = None
        self._closing = False
        self._abandoned = False  # a cancelled aclose(): stop waiting for delivery
        self._close_task: asyncio.Task[UsageCloseReport] | None = None
        self._tallies: list[tuple[Lane[Any], Tally]] = []
        self._auth_since: float | None = None  # first key rejection of an outage
        self._auth_status = 0

    def set_observer(self, observer: UsageObserver | None) -> None:
        """Tell ``observer`` about every calculated-usage item accepted from now on."""
        self._observer = observer

    # -- enqueue (the hot path) -----------------------------------------------------

    def track_usage(
        self,
        customer_id: str,
        feature_id: str,
        value: float,
        *,
        update_behavior: str = "DELTA",
        resource_id: str | None = None,
        dimensions: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        created_at: datetime | None = None,
    ) -> bool:
        """Queue one usage report without waiting; False when the queue is full.

        Raises:
            StiggValidationError: bad input (nothing is queued).
            StiggClientStateError: the pipeline is closed.
        """
        record = make_usage(
            customer_id,
            feature_id,
            value,
            update_behavior,
            resource_id,
            dimensions,
            idempotency_key,
            created_at,
            self._mono(),
        )
        return self.track_usage_record(record)

    def track_usage_record(self, record: UsageRecord) -> bool:
        """Queue a usage record built (and validated) by ``make_usage``; False when full.

        Raises:
            StiggClientStateError: the pipeline is closed.
        """
        if self._closing:
            raise StiggClientStateError("usage cannot be tracked after the client is closed")
        accepted = self._offer(self._usage, record)
        if accepted and self._observer is not None:
            self._accepted(record)
        return accepted

    def enqueue_counted(self, record: UsageRecord) -> bool:
        """Queue a valid usage record the observer already counts; False when full.

        For a caller that is the observer itself (the store's ``consume``): the
        record is not announced again, but its outcome is, as for every record.

        Raises:
            StiggClientStateError: the pipeline is closed.
        """
        if self._closing:
            raise StiggClientStateError("usage cannot be tracked after the client is closed")
        return self._offer(self._usage, record)

    def track_event(
        self,
        customer_id: str,
        event_name: str,
        *,
        resource_id: str | None = None,
        dimensions: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        timestamp: datetime | None = None,
    ) -> bool:
        """Queue one raw event without waiting; False when the queue is full.

        Raises:
            StiggValidationError: bad input (nothing is queued).
            StiggClientStateError: the pipeline is closed.
        """
        record = make_event(
            customer_id,
            event_name,
            resource_id,
            dimensions,
            idempotency_key,
            timestamp,
            self._mono(),
        )
        if self._closing:
            raise StiggClientStateError("events cannot be tracked after the client is closed")
        return self._offer(self._events, record)

    async def enqueue_usage(
        self,
        customer_id: str,
        feature_id: str,
        value: float,
        *,
        update_behavior: str = "DELTA",
        resource_id: str | None = None,
        dimensions: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        created_at: datetime | None = None,
    ) -> bool:
        """Queue one usage report, waiting for room under ``full_queue_policy="wait"``."""
        record = make_usage(
            customer_id,
            feature_id,
            value,
            update_behavior,
            resource_id,
            dimensions,
            idempotency_key,
            created_at,
            self._mono(),
        )
        accepted = await self._offer_waiting(self._usage, record)
        if accepted and self._observer is not None:
            self._accepted(record)
        return accepted

    async def enqueue_event(
        self,
        customer_id: str,
        event_name: str,
        *,
        resource_id: str | None = None,
        dimensions: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        timestamp: datetime | None = None,
    ) -> bool:
        """Queue one raw event, waiting for room under ``full_queue_policy="wait"``."""
        record = make_event(
            customer_id,
            event_name,
            resource_id,
            dimensions,
            idempotency_key,
            timestamp,
            self._mono(),
        )
        return await self._offer_waiting(self._events, record)

    def track_credits(
        self,
        customer_id: str,
        currency_id: str,
        amount: float,
        *,
        resource_id: str | None = None,
        dimensions: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        created_at: datetime | None = None,
    ) -> bool:
        """Queue one credit consumption without waiting; False when the queue is full.

        Raises:
            StiggValidationError: bad input (nothing is queued).
            StiggClientStateError: the pipeline is closed.
        """
        record = make_credit(
            customer_id,
            currency_id,
            amount,
            resource_id,
            dimensions,
            idempotency_key,
            created_at,
            self._mono(),
        )
        if self._closing:
            raise StiggClientStateError("credits cannot be tracked after the client is closed")
        accepted = self._offer(self._credits, record)
        if accepted and self._observer is not None:
            self._accepted(record.as_usage())
        return accepted

    async def enqueue_credits(
        self,
        customer_id: str,
        currency_id: str,
        amount: float,
        *,
        resource_id: str | None = None,
        dimensions: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        created_at: datetime | None = None,
    ) -> bool:
        """Queue one credit consumption, waiting for room under ``full_queue_policy="wait"``."""
        record = make_credit(
            customer_id,
            currency_id,
            amount,
            resource_id,
            dimensions,
            idempotency_key,
            created_at,
            self._mono(),
        )
        accepted = await self._offer_waiting(self._credits, record)
        if accepted and self._observer is not None:
            self._accepted(record.as_usage())
        return accepted

    def _offer(self, lane: Lane[R], record: R) -> bool:
        if self._queued >= self._max_queue:
            self._drop()
            return False
        queue = lane.queue
        queue.append(record)
        lane.appended += 1
        self._queued += 1
        self._enqueued += 1
        size = len(queue)
        # Wake the flusher when a lane stops being empty (to time its partial batch)
        # and when it holds a full batch; not on every item.
        if size in (1, lane.batch_size):
            self._kick()
        return True

    async def _offer_waiting(self, lane: Lane[R], record: R) -> bool:
        if self._closing:
            raise StiggClientStateError("usage cannot be tracked after the client is closed")
        if self._queued < self._max_queue or self._opts.full_queue_policy == "drop":
            return self._offer(lane, record)
        self._kick()
        limit = self._opts.enqueue_timeout
        deadline = None if limit is None else self._mono() + limit
        while self._queued >= self._max_queue:
            remaining = None if deadline is None else deadline - self._mono()
            if remaining is not None and remaining <= 0:
                break
            await self._wait(self._room.wait(), remaining)
            if self._closing:
                raise StiggClientStateError("usage cannot be tracked after the client is closed")
        return self._offer(lane, record)

    def _drop(self) -> None:
        self._dropped += 1
        self._drops_unlogged += 1
        self._kick()  # a full queue is a reason to send now
        now = self._mono()
        last = self._last_drop_log
        if last is None or now - last >= self._opts.drop_log_interval:
            self._last_drop_log = now
            logger.warning(
                "usage queue full (%d items); dropped %d item(s) since the "
                "last report (%d in total). Raise max_queue_size or use the awaitable "
                "track_*_async calls with full_queue_policy='wait'.",
                self._max_queue,
                self._drops_unlogged,
                self._dropped,
            )
            self._drops_unlogged = 0

    def _kick(self) -> None:
        if not self._kicked:
            self._kicked = True
            future = self._kick_future
            if future is not None and not future.done():
                future.set_result(None)

    # -- life cycle ---------------------------------------------------------------------

    @property
    def stats(self) -> UsageStats:
        """A snapshot of the counters."""
        return UsageStats(
            enqueued=self._enqueued,
            sent=self._sent,
            retried=self._retried,
            failed=self._failed,
            dropped=self._dropped,
            pending=self._queued + self._in_flight,
            batches=self._batches,
            requests=self._requests,
            may_have_landed=self._unknown,
            delivery_problem=self._delivery_problem(),
        )

    def _delivery_problem(self) -> str | None:
        since = self._auth_since
        if since is None:
            return None
        grace = self._opts.auth_grace_period
        limit = "until the client closes" if grace is None else f"for up to {grace:g}s"
        return (
            f"the API key was rejected (HTTP {self._auth_status}) for "
            f"{self._mono() - since:.0f}s; buffered usage is kept and retried every "
            f"{self._opts.auth_retry_interval:g}s {limit}. Check STIGG_SERVER_API_KEY."
        )

    @property
    def is_closed(self) -> bool:
        """True once :meth:`aclose` has begun; tracking then raises."""
        return self._closing

    def start(self) -> None:
        """Start the background flusher in the running loop (idempotent)."""
        if self._flusher is not None or self._closing:
            return
        loop = asyncio.get_running_loop()
        self._flusher = loop.create_task(self._run(), name="stigg_async usage flusher")

    async def flush(self, timeout: float | None = None) -> FlushReport:
        """Send everything tracked before the call, now, without waiting for full batches.

        Waits up to ``timeout`` seconds (``None``: no limit) and reports what happened
        to those items: delivered, failed, may have landed, or still pending.

        Raises:
            StiggValidationError: ``timeout`` is not ``None`` or a finite number >= 0
                (checked before anything is done).
        """
        timeout = check_timeout(timeout)
        if self._flusher is None and not self._closing:
            self.start()
        targets: list[tuple[Lane[Any], Tally]] = [
            (lane, Tally(lane.appended)) for lane in self._lanes
        ]
        for lane, tally in targets:
            lane.flush_target = max(lane.flush_target, tally.target)
        self._tallies.extend(targets)
        try:
            self._kick()
            deadline = None if timeout is None else self._mono() + timeout
            while not all(lane.done_upto(tally.target) for lane, tally in targets):
                if self._flusher is None or self._flusher.done() or self._abandoned:
                    break  # closed: nothing will make progress any more
                remaining = None if deadline is None else deadline - self._mono()
                if remaining is not None and remaining <= 0:
                    break
                await self._wait(self._progress.wait(), remaining)
        finally:
            for entry in targets:
                self._tallies.remove(entry)
        return FlushReport(
            delivered=sum(t.delivered for _, t in targets),
            failed=sum(t.failed for _, t in targets),
            may_have_landed=sum(t.unknown for _, t in targets),
            pending=sum(lane.unresolved_below(t.target) for lane, t in targets),
        )

    async def aclose(self, timeout: float | None = None) -> UsageCloseReport:
        """Deliver what is queued within ``timeout`` seconds, then stop; idempotent.

        ``timeout=None`` uses ``options.close_timeout``. Items still undelivered at
        the deadline go to ``on_error`` and are counted in the returned report; when
        it returns, no task of the pipeline is left running. Later calls return the
        same report.

        Cancelling it is safe: delivery is abandoned at once (in-flight items are
        reported as may-have-landed, queued ones as failed), the pipeline's tasks are
        stopped and awaited, and the report is kept for the next call.
        """
        timeout = check_timeout(timeout)
        if self._close_task is None:
            self._closing = True
            self._room.notify()  # waiting enqueuers raise instead of waiting on
            limit = self._opts.close_timeout if timeout is None else timeout
            self._close_task = asyncio.get_running_loop().create_task(
                self._close(limit), name="stigg_async usage close"
            )
        task = self._close_task
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if not task.done():
                self.abandon()
                # Bounded: once abandoned, closing only cancels tasks and counts.
                await asyncio.wait((task,))
            raise

    def abandon(self) -> None:
        """Stop waiting for delivery: a running ``aclose()`` wraps up at once."""
        self._abandoned = True
        self._progress.notify()

    async def _close(self, timeout: float) -> UsageCloseReport:
        tallies: list[tuple[Lane[Any], Tally]] = [
            (lane, Tally(lane.appended)) for lane in self._lanes
        ]
        self._tallies.extend(tallies)
        if self._queued + self._in_flight and not self._abandoned:
            if self._flusher is None:
                self._flusher = asyncio.get_running_loop().create_task(
                    self._run(), name="stigg_async usage flusher"
                )
            await self.flush(timeout)
        # Stop: the flusher and whatever is still being sent or retried.
        inflight = [[*lane.inflight] for lane in self._lanes]
        tasks = [b.task for batches in inflight for b in batches if b.task is not None]
        if self._flusher is not None:
            tasks.append(self._flusher)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._progress.notify()
        usage, events, credits = (
            self._collect_undelivered(lane, batches)
            for lane, batches in zip(self._lanes, inflight, strict=True)
        )
        for entry in tallies:
            self._tallies.remove(entry)
        undelivered_usage = [*usage[0], *usage[1]]
        undelivered_events = [*events[0], *events[1]]
        undelivered_credits = [*credits[0], *credits[1]]
        if undelivered_usage or undelivered_events or undelivered_credits:
            logger.error(
                "closed with %d usage item(s), %d event(s) and %d credit "
                "consumption(s) undelivered (%d of them may have landed); they were passed "
                "to on_error with their idempotency keys",
                len(undelivered_usage),
                len(undelivered_events),
                len(undelivered_credits),
                len(usage[0]) + len(events[0]) + len(credits[0]),
            )
        return UsageCloseReport(
            delivered=sum(t.delivered for _, t in tallies),
            failed=sum(t.failed for _, t in tallies),
            may_have_landed=sum(t.unknown for _, t in tallies),
            pending=0,
            undelivered_usage=tuple(undelivered_usage),
            undelivered_events=tuple(undelivered_events),
            undelivered_credits=tuple(cast("list[CreditRecord]", undelivered_credits)),
            stats=self.stats,
        )

    def _collect_undelivered(
        self, lane: Lane[R], batches: Sequence[Batch[R]]
    ) -> tuple[list[R], list[R]]:
        """Settle every unresolved record of ``lane``: (may have landed, never sent)."""
        unknown: list[R] = []
        failed: list[R] = []
        for batch in sorted(batches, key=lambda b: b.lo):
            landed = batch.landed or batch.sending
            records = batch.unresolved
            self._settle(
                lane,
                batch,
                len(batch.records),
                UsageOutcome.UNKNOWN if landed else UsageOutcome.FAILED,
            )
            (unknown if landed else failed).extend(records)
        lane.inflight.clear()
        lane.set_inflight = False
        if lane.held is not None:
            held, lane.held = lane.held, None
            failed.extend(held.unresolved)
            self._settle(lane, held, len(held.records), UsageOutcome.FAILED)
        if lane.queue:
            queued = list(lane.queue)
            batch = Batch(queued, lane.head(), False)
            lane.queue.clear()
            self._queued -= len(queued)
            self._in_flight += len(queued)  # _settle takes them out of "in flight"
            self._settle(lane, batch, len(queued), UsageOutcome.FAILED)
            failed.extend(queued)
        if unknown:
            self._fail(
                lane,
                unknown,
                StiggClientStateError(
                    "not delivered before the client closed; the request was sent and "
                    "its answer lost, so these may have landed: re-sending them with "
                    "their idempotency keys is safe",
                    may_have_landed=True,
                ),
                log=False,
            )
        if failed:
            self._fail(
                lane,
                failed,
                StiggClientStateError(
                    "not delivered before the client closed (never sent); re-send them "
                    "with their idempotency keys"
                ),
                log=False,
            )
        return unknown, failed

    # -- the flusher ----------------------------------------------------------------------

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                self._kicked = False
                wait = self._dispatch()
                if self._kicked:
                    continue
                self._kick_future = loop.create_future()
                await self._wait(self._kick_future, wait)
                self._kick_future = None
            except asyncio.CancelledError:
                raise
            except Exception:  # never let the flusher die: usage would pile up unseen
                logger.exception("usage flusher error; continuing")
                await self._clock.sleep(self._opts.flush_interval)

    def _dispatch(self) -> float | None:
        """Start every batch that is due; return seconds until the next one is."""
        now = self._mono()
        waits = [
            w for w in (self._dispatch_lane(lane, now) for lane in self._lanes) if w is not None
        ]
        return max(0.0, min(waits)) if waits else None

    def _dispatch_lane(self, lane: Lane[R], now: float) -> float | None:
        max_in_flight = self._opts.max_concurrent_requests
        while True:
            if lane.set_inflight:
                return None  # its completion kicks the flusher
            if lane.held is not None:
                if lane.inflight:
                    return None
                held, lane.held = lane.held, None
                self._launch(lane, held)
                continue
            if len(lane.inflight) >= max_in_flight:
                return None
            queue = lane.queue
            if not queue:
                return None
            size = len(queue)
            if size < lane.batch_size and not self._closing and lane.flush_target <= lane.head():
                due = queue[0].tracked_at + self._opts.flush_interval
                if due > now:
                    return due - now
            lo = lane.head()
            records = lane.take(min(size, lane.batch_size))
            self._queued -= len(records)
            self._in_flight += len(records)
            self._batches += 1
            self._room.notify()
            has_set = lane is self._usage and any(r[3] == "SET" for r in records)
            batch: Batch[R] = Batch(records, lo, has_set)
            if has_set and lane.inflight:
                lane.held = batch  # a SET must not overtake (or be overtaken by) DELTAs
                return None
            self._launch(lane, batch)

    def _launch(self, lane: Lane[R], batch: Batch[R]) -> None:
        lane.inflight.add(batch)
        if batch.has_set:
            lane.set_inflight = True
        batch.task = asyncio.get_running_loop().create_task(
            self._deliver(lane, batch), name=f"stigg_async {lane.name} batch"
        )

    async def _deliver(self, lane: Lane[R], batch: Batch[R]) -> None:
        try:
            await self._send(lane, batch, 0, len(batch.records))
        except asyncio.CancelledError:
            raise  # aclose() accounts for what this batch left unresolved
        except Exception as exc:  # a bug or a foreign transport: never lose the items
            logger.exception("unexpected error sending a %s batch", lane.name)
            # Whatever broke may have broken after the request left: say so.
            error = StiggResponseError(
                f"unexpected {type(exc).__name__} while sending", may_have_landed=True
            )
            self._settle(lane, batch, len(batch.records), UsageOutcome.UNKNOWN, error)
        finally:
            if batch in lane.inflight:
                lane.inflight.discard(batch)
                if batch.has_set:
                    lane.set_inflight = False
                self._progress.notify()
                self._kick()

    async def _send(self, lane: Lane[R], batch: Batch[R], lo: int, hi: int) -> None:
        records = batch.records[lo:hi]
        # Items without their own time are stamped with the time they were tracked:
        # a retried batch must not move usage into a later billing period.
        now_wall, now_mono = self._clock.now(), self._mono()
        stamp = self._opts.stamp_time
        payload = [
            lane.build(r, now_wall - timedelta(seconds=now_mono - r[-1]) if stamp else None)
            for r in records
        ]
        variables = {lane.var_name: {lane.list_field: payload}}
        attempts = 0

        async def attempt() -> dict[str, Any]:
            nonlocal attempts
            if attempts:
                self._retried += len(records)
            attempts += 1
            self._requests += 1
            batch.sending = True
            try:
                return await self._transport.execute(
                    lane.op, variables, timeout=self._opts.request_timeout
                )
            except asyncio.CancelledError:
                batch.landed = True  # cancelled on the wire: the request may have run
                raise
            finally:
                batch.sending = False

        def failed(exc: StiggError) -> None:
            if exc.may_have_landed:
                batch.landed = True
            if isinstance(exc, StiggAuthenticationError):
                self._auth_status = exc.status
                if self._auth_since is None:
                    self._auth_since = self._mono()
                    logger.error("%s", self._delivery_problem())

        def give_up(exc: StiggError, attempt_number: int) -> bool:
            reason = self._give_up_reason(records, exc)
            if reason is not None:
                logger.warning(
                    "giving up on %d %s item(s) after %d attempt(s), %s: %s",
                    len(records),
                    lane.name,
                    attempt_number,
                    reason,
                    exc,
                )
            return reason is not None

        try:
            data = await run_with_retries(
                attempt,
                policy=self._policy,
                clock=self._clock,
                operation=lane.op.name,
                on_failure=failed,
                retry_if=self._retryable,
                give_up=give_up,
                min_wait=self._min_wait,
                log_level=logging.INFO,
            )
        except StiggError as exc:
            if (
                not self._retryable(exc)
                and self._opts.bisect_on_error
                and hi - lo > 1
                and _bisectable(exc)
            ):
                # One bad item refuses the whole batch: send the halves apart so
                # the good items still land (their keys make re-sending safe).
                mid = (lo + hi) // 2
                await self._send(lane, batch, lo, mid)
                await self._send(lane, batch, mid, hi)
                return
            unknown = batch.landed or exc.may_have_landed
            if unknown:
                exc.may_have_landed = True
            outcome = UsageOutcome.UNKNOWN if unknown else UsageOutcome.FAILED
            self._settle(lane, batch, hi, outcome, exc)
            return
        if self._auth_since is not None:
            logger.warning("the API key is accepted again; delivering usage")
            self._auth_since = None
        measurements = data.get(lane.op.root_field) if isinstance(data, dict) else None
        self._settle(lane, batch, hi, UsageOutcome.DELIVERED, measurements=measurements)
        if lane is self._usage:
            await self._deliver_measurements(measurements)

    def _retryable(self, exc: StiggError) -> bool:
        if is_transient(exc):
            return True
        # A rejected key is often fixed within minutes (a rotated secret, a deploy):
        # buffered usage waits for it, for a bounded time.
        return isinstance(exc, StiggAuthenticationError) and self._auth_grace_left()

    def _auth_grace_left(self) -> bool:
        grace = self._opts.auth_grace_period
        since = self._auth_since
        return grace is None or since is None or self._mono() - since < grace

    def _min_wait(self, exc: StiggError) -> float:
        if isinstance(exc, StiggAuthenticationError):
            return self._opts.auth_retry_interval
        return 0.0

    def _give_up_reason(self, records: Sequence[R], exc: StiggError) -> str | None:
        if isinstance(exc, StiggAuthenticationError) and not self._auth_grace_left():
            return (
                f"the API key was rejected for auth_grace_period={self._opts.auth_grace_period:g}s"
            )
        max_age = self._opts.max_item_age
        if max_age is not None and self._mono() - records[0][-1] >= max_age:
            return f"older than max_item_age={max_age:g}s"
        return None

    def _settle(
        self,
        lane: Lane[R],
        batch: Batch[R],
        upto: int,
        outcome: UsageOutcome,
        error: StiggError | None = None,
        *,
        measurements: Any = None,
    ) -> None:
        """Resolve ``batch.records[batch.resolved:upto]`` with ``outcome``: count, tell."""
        start = batch.resolved
        records = batch.records[start:upto]
        if not records:
            return
        self._in_flight -= len(records)
        batch.resolved = upto
        n = len(records)
        if outcome is UsageOutcome.DELIVERED:
            self._sent += n
        elif outcome is UsageOutcome.FAILED:
            self._failed += n
        else:
            self._unknown += n
        if self._tallies:
            seq = batch.lo + start
            for tally_lane, tally in self._tallies:
                if tally_lane is lane:
                    tally.count(seq, seq + n, outcome.value)
        if self._observer is not None:
            if lane is self._usage:
                self._settled(records, outcome, measurements)
            elif lane is self._credits:
                # consumeCreditsAsync only acknowledges: the server applies the items
                # later, so a delivered one stays pending until a refresh that started
                # after now shows the new balance (the UNKNOWN contract).
                applied_later = (
                    UsageOutcome.UNKNOWN if outcome is UsageOutcome.DELIVERED else outcome
                )
                credits = cast("Sequence[CreditRecord]", records)
                self._settled([r.as_usage() for r in credits], applied_later, None)
        if error is not None:
            self._fail(lane, records, error)

    def _accepted(self, record: UsageRecord) -> None:
        observer = self._observer
        if observer is None:
            return
        try:
            observer.usage_accepted(record)
        except Exception:  # the observer must never break tracking
            logger.exception("the usage observer raised; ignored")

    def _settled(self, records: Sequence[Any], outcome: UsageOutcome, measurements: Any) -> None:
        observer = self._observer
        if observer is None:
            return
        answers = _matching(records, measurements) if outcome is UsageOutcome.DELIVERED else None
        for index, record in enumerate(records):
            try:
                observer.usage_settled(record, outcome, answers[index] if answers else None)
            except Exception:  # the observer must never break delivery
                logger.exception("the usage observer raised; ignored")

    def _fail(
        self, lane: Lane[R], records: Sequence[R], error: StiggError, *, log: bool = True
    ) -> None:
        if log:
            # Undelivered usage is lost billing: an error, not a warning.
            kind = "may have landed" if error.may_have_landed else "not delivered"
            logger.error("%d %s item(s) %s: %s", len(records), lane.name, kind, error)
        callback = self._opts.on_error
        if callback is None:
            return
        try:
            callback(list(records), error)
        except Exception:
            logger.exception("the usage on_error callback raised; ignored")

    async def _deliver_measurements(self, measurements: Any) -> None:
        callback = self._on_measurements
        if callback is None or not isinstance(measurements, list) or not measurements:
            return
        try:
            result = callback(measurements)
            if inspect.isawaitable(result):
                await result
        except asyncio.CancelledError:
            raise
        except Exception:  # the cache must never break delivery
            logger.exception("the usage measurements callback raised; ignored")

    # -- helpers ------------------------------------------------------------------------

    async def _wait(self, future: Awaitable[None], timeout: float | None) -> bool:
        """Await ``future`` for at most ``timeout`` seconds of the injected clock."""
        fut = asyncio.ensure_future(future)
        if timeout is None:
            await fut
            return True
        sleeper = asyncio.ensure_future(self._clock.sleep(timeout))
        try:
            await asyncio.wait((fut, sleeper), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in (fut, sleeper):
                if not waiter.done():
                    waiter.cancel()
            # Let the cancelled sleeper finish so no task is left pending.
            await asyncio.wait((sleeper,))
        return fut.done() and not fut.cancelled()

    def __repr__(self) -> str:
        stats = self.stats
        return (
            f"UsagePipeline(pending={stats.pending}, sent={stats.sent}, "
            f"failed={stats.failed}, closed={self._closing})"
        )
