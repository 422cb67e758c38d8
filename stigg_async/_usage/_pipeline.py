"""The buffered usage pipeline: bounded queue -> batches -> reportUsageBulk / reportEvent.

Every item carries an idempotency key minted when it is tracked and sent unchanged
on every attempt, so retrying an ambiguous failure (the write landed, the answer
was lost) cannot count it twice. Transient failures are retried with backoff while
the client is open; anything that will not be delivered goes to ``on_error``.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

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
from stigg_async._retry import RetryPolicy, is_transient, retry_delay
from stigg_async._usage._items import EventRecord, UsageRecord, make_event, make_usage
from stigg_async._usage._observer import UsageObserver, UsageOutcome
from stigg_async._usage._options import UsagePipelineOptions
from stigg_async._usage._queue import Batch, Lane, Signal
from stigg_async._usage._stats import UsageCloseReport, UsageStats

__all__ = ["MeasurementsCallback", "UsagePipeline", "UsageTransport"]

logger = logging.getLogger("stigg_async")

R = TypeVar("R", UsageRecord, EventRecord)

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
    """Queues usage and events, and delivers each exactly once in batches.

    The client builds one per ``AsyncStigg``, calls :meth:`start` when it opens and
    :meth:`aclose` when it closes. ``track_usage`` / ``track_event`` cost about a
    microsecond and never block; ``enqueue_usage`` / ``enqueue_event`` may wait for
    room when the queue is full (``full_queue_policy="wait"``).

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
    ) -> None:
        self._transport = transport
        self._policy = retry_policy
        self._clock = clock
        self._mono = clock.monotonic
        self._opts = opts = options or UsagePipelineOptions()
        self._on_measurements = on_measurements
        #: Told about every usage item accepted and how it ended (the entitlement store).
        self.observer: UsageObserver | None = None
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
        self._max_queue = opts.max_queue_size
        self._queued = 0  # records in both queues
        self._in_flight = 0  # records taken from a queue and not yet resolved
        self._enqueued = 0
        self._sent = 0
        self._retried = 0
        self._failed = 0
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
        self._report: UsageCloseReport | None = None
        self._close_lock: asyncio.Lock | None = None

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
        if self._closing:
            raise StiggClientStateError("usage cannot be tracked after the client is closed")
        return self._offer(self._usage, record)

    def track_usage_record(self, record: UsageRecord) -> bool:
        """Queue a usage record built (and validated) by the caller; False when full."""
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
        return await self._offer_waiting(self._usage, record)

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

    def _offer(self, lane: Lane[R], record: R) -> bool:
        if self._queued >= self._max_queue:
            self._drop()
            return False
        queue = lane.queue
        queue.append(record)
        lane.appended += 1
        self._queued += 1
        self._enqueued += 1
        observer = self.observer
        if observer is not None and lane is self._usage:
            observer.usage_accepted(record)  # type: ignore[arg-type]
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
                "stigg_async: usage queue full (%d items); dropped %d item(s) since the "
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

    async def flush(self, timeout: float | None = None) -> bool:
        """Send everything tracked before the call, now, without waiting for full batches.

        Returns True when each of those items was delivered or definitively failed
        (handed to ``on_error``) within ``timeout`` seconds (``None``: no limit).
        """
        if self._flusher is None and not self._closing:
            self.start()
        targets: list[tuple[Lane[Any], int]] = [
            (self._usage, self._usage.appended),
            (self._events, self._events.appended),
        ]
        for lane, target in targets:
            lane.flush_target = max(lane.flush_target, target)
        self._kick()
        deadline = None if timeout is None else self._mono() + timeout
        while not all(lane.done_upto(target) for lane, target in targets):
            if self._flusher is None or self._flusher.done():
                return False  # closed: nothing will make progress any more
            remaining = None if deadline is None else deadline - self._mono()
            if remaining is not None and remaining <= 0:
                return False
            await self._wait(self._progress.wait(), remaining)
        return True

    async def aclose(self, timeout: float | None = None) -> UsageCloseReport:
        """Deliver what is queued within ``timeout`` seconds, then stop; idempotent.

        ``timeout=None`` uses ``options.close_timeout``. Items still undelivered at
        the deadline go to ``on_error`` and are listed in the returned report; when
        it returns, no task of the pipeline is left running.
        """
        if self._close_lock is None:
            self._close_lock = asyncio.Lock()
        async with self._close_lock:
            if self._report is None:
                self._report = await self._close(
                    self._opts.close_timeout if timeout is None else timeout
                )
        return self._report

    async def _close(self, timeout: float) -> UsageCloseReport:
        self._closing = True
        self._room.notify()  # waiting enqueuers raise instead of waiting on
        flushed = True
        if self._queued + self._in_flight:
            if self._flusher is None:
                self._flusher = asyncio.get_running_loop().create_task(
                    self._run(), name="stigg_async usage flusher"
                )
            flushed = await self.flush(timeout)
        # Stop: the flusher and whatever is still being sent or retried.
        usage_batches = [*self._usage.inflight]
        event_batches = [*self._events.inflight]
        tasks = [b.task for b in usage_batches if b.task is not None]
        tasks += [b.task for b in event_batches if b.task is not None]
        if self._flusher is not None:
            tasks.append(self._flusher)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._progress.notify()
        usage = self._collect_undelivered(self._usage, usage_batches)
        events = self._collect_undelivered(self._events, event_batches)
        if usage or events:
            flushed = False
            logger.error(
                "stigg_async: closed with %d usage item(s) and %d event(s) undelivered; "
                "they were passed to on_error with their idempotency keys",
                len(usage),
                len(events),
            )
            error = StiggClientStateError(
                "not delivered before the client closed (an item that was in flight may "
                "have landed; re-sending it with its idempotency key is safe)"
            )
            if usage:
                # In flight at close: may have landed; counted until a refresh shows it.
                self._settle(self._usage, usage, UsageOutcome.UNKNOWN)
                self._fail(self._usage, usage, error, counted=False)
            if events:
                self._fail(self._events, events, error, counted=False)
        return UsageCloseReport(
            flushed=flushed,
            undelivered_usage=tuple(usage),
            undelivered_events=tuple(events),
            stats=self.stats,
        )

    def _collect_undelivered(self, lane: Lane[R], batches: Sequence[Batch[R]]) -> list[R]:
        """Take every unresolved record of ``lane`` out of the pipeline, oldest first."""
        records: list[R] = []
        for batch in sorted(batches, key=lambda b: b.lo):
            records.extend(batch.unresolved)
        lane.inflight.clear()
        if lane.held is not None:
            records.extend(lane.held.records)
            lane.held = None
        lane.set_inflight = False
        in_flight = len(records)
        records.extend(lane.queue)
        self._queued -= len(lane.queue)
        self._in_flight -= in_flight
        lane.queue.clear()
        self._failed += len(records)
        return records

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
                logger.exception("stigg_async: usage flusher error; continuing")
                await self._clock.sleep(self._opts.flush_interval)

    def _dispatch(self) -> float | None:
        """Start every batch that is due; return seconds until the next one is."""
        now = self._mono()
        waits = [
            w
            for w in (self._dispatch_lane(self._usage, now), self._dispatch_lane(self._events, now))
            if w is not None
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
            logger.exception("stigg_async: unexpected error sending a %s batch", lane.name)
            error = StiggResponseError(f"unexpected {type(exc).__name__} while sending")
            unresolved = batch.unresolved
            self._resolve(batch, len(batch.records))
            self._settle(lane, unresolved, UsageOutcome.UNKNOWN)
            self._fail(lane, unresolved, error)
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
        attempt = 0
        while True:
            self._requests += 1
            try:
                data = await self._transport.execute(
                    lane.op, variables, timeout=self._opts.request_timeout
                )
            except StiggError as exc:
                if is_transient(exc):
                    attempt += 1
                    reason = self._give_up_reason(records, attempt)
                    if reason is None:
                        self._retried += len(records)
                        delay = retry_delay(self._policy, attempt, self._clock.random(), exc)
                        logger.info(
                            "stigg_async: %s batch of %d failed (%s); retry %d in %.2fs",
                            lane.name,
                            len(records),
                            exc,
                            attempt,
                            delay,
                        )
                        await self._clock.sleep(delay)
                        continue
                    logger.warning(
                        "stigg_async: giving up on %d %s item(s) %s: %s",
                        len(records),
                        lane.name,
                        reason,
                        exc,
                    )
                elif self._opts.bisect_on_error and hi - lo > 1 and _bisectable(exc):
                    # One bad item refuses the whole batch: send the halves apart so
                    # the good items still land (their keys make re-sending safe).
                    mid = (lo + hi) // 2
                    await self._send(lane, batch, lo, mid)
                    await self._send(lane, batch, mid, hi)
                    return
                exc.retries = attempt
                self._resolve(batch, hi)
                outcome = UsageOutcome.UNKNOWN if is_transient(exc) else UsageOutcome.FAILED
                self._settle(lane, records, outcome)
                self._fail(lane, records, exc)
                return
            self._resolve(batch, hi)
            self._sent += len(records)
            if lane is self._usage:
                answers = data.get(lane.op.root_field)
                self._settle(lane, records, UsageOutcome.DELIVERED, answers)
                await self._deliver_measurements(answers)
            return

    def _settle(
        self, lane: Lane[R], records: Sequence[R], outcome: UsageOutcome, answers: Any = None
    ) -> None:
        """Tell the observer how usage items ended (each item exactly once)."""
        observer = self.observer
        if observer is None or lane is not self._usage:
            return
        by_index = answers if isinstance(answers, list) and len(answers) == len(records) else None
        for index, record in enumerate(records):
            answer = by_index[index] if by_index is not None else None
            try:
                observer.usage_settled(
                    record,  # type: ignore[arg-type]
                    outcome,
                    answer if isinstance(answer, Mapping) else None,
                )
            except Exception:  # the cache must never break delivery
                logger.exception("the usage observer raised; ignored")

    def _give_up_reason(self, records: Sequence[R], attempt: int) -> str | None:
        max_attempts = self._opts.max_attempts
        if max_attempts is not None and attempt >= max_attempts:
            return f"after {attempt} attempts"
        max_age = self._opts.max_item_age
        if max_age is not None and self._mono() - records[0][-1] >= max_age:
            return f"older than max_item_age={max_age}s"
        return None

    def _resolve(self, batch: Batch[Any], upto: int) -> None:
        self._in_flight -= upto - batch.resolved
        batch.resolved = upto

    def _fail(
        self, lane: Lane[R], records: Sequence[R], error: StiggError, *, counted: bool = True
    ) -> None:
        if counted:
            self._failed += len(records)
            # Undelivered usage is lost billing: an error, not a warning.
            logger.error(
                "stigg_async: %d %s item(s) not delivered: %s", len(records), lane.name, error
            )
        callback = self._opts.on_error
        if callback is None:
            return
        try:
            callback(list(records), error)
        except Exception:
            logger.exception("stigg_async: the usage on_error callback raised; ignored")

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
            logger.exception("stigg_async: the usage measurements callback raised; ignored")

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
