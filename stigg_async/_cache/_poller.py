"""The poller: a data source that refreshes every key in use on a schedule.

One cycle: ask the sink for the keys in use (it sweeps idle ones), then refresh them
through the :class:`~stigg_async._cache._refresher.Refresher` in batches. With no key
in use yet, a cycle sends a cheap authenticated probe instead, so readiness means
"the API answered this key", never "there was nothing to load".

Schedule: ``poll_interval`` with jitter (a longer ``safety_interval`` while another
source, the stream, reports itself healthy); after a failed cycle ``error_backoff``
doubling up to ``poll_interval`` (so recovery is noticed within one interval); while
the API key is rejected, one attempt per ``auth_error_interval``. The loop catches
everything but cancellation: it never dies from an exception.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from stigg_async._cache._options import EntitlementCacheOptions
from stigg_async._cache._refresher import Refresher
from stigg_async._cache._source import SourceState, StatusSink, StoreSink
from stigg_async._clock import Clock

__all__ = ["Poller"]

logger = logging.getLogger("stigg_async")


class Poller:
    """Refreshes the keys in use periodically (a :class:`DataSource` named ``"poller"``).

    Args:
        refresher: the one request path for entitlement fetches.
        options: the cache options (intervals, jitter, backoff).
        clock: the injectable clock (sleep, random, monotonic).
        relaxed: returns True while another source keeps the store current; the poller
            then waits ``options.safety_interval`` between cycles.
        suspended: returns True while a shared tier's refresher polls for this process;
            the poller then sends nothing and checks again every ``poll_interval``.
    """

    name = "poller"

    def __init__(
        self,
        *,
        refresher: Refresher,
        options: EntitlementCacheOptions,
        clock: Clock,
        relaxed: Callable[[], bool] = lambda: False,
        suspended: Callable[[], bool] = lambda: False,
    ) -> None:
        self._refresher = refresher
        self._options = options
        self._clock = clock
        self._relaxed = relaxed
        self._suspended = suspended
        self._failed_cycles = 0
        self._task: asyncio.Task[None] | None = None
        self._sink: StoreSink | None = None
        self._status: StatusSink | None = None
        self.cycles = 0
        self.errors = 0  # cycles that raised (a bug or a bad answer), survived

    def start(self, sink: StoreSink, status: StatusSink) -> None:
        """Start polling in the running loop (idempotent)."""
        if self._task is not None:
            return
        self._sink, self._status = sink, status
        self._task = asyncio.get_running_loop().create_task(
            self._run(sink, status), name="stigg-entitlements-poller"
        )

    @property
    def is_running(self) -> bool:
        """True while the polling task is alive."""
        return self._task is not None and not self._task.done()

    async def aclose(self) -> None:
        """Stop polling; leaves no task behind. Idempotent."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        if task is not asyncio.current_task():
            await asyncio.gather(task, return_exceptions=True)
        if self._status is not None:
            self._status.report(self.name, SourceState.OFF, reason="stopped")

    def forget_task(self) -> None:
        """In a forked child: the parent's task does not run here; drop it unawaited."""
        self._task = None

    async def _run(self, sink: StoreSink, status: StatusSink) -> None:
        options = self._options
        clock = self._clock
        while True:
            if self._suspended():
                # Another process (the shared tier's refresher) polls for this one.
                await clock.sleep(options.poll_interval)
                continue
            ok = False
            try:
                ok = await self.cycle(sink, status)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the poller must outlive any bug or bad answer
                self.errors += 1
                status.report(self.name, SourceState.INTERRUPTED, error=exc, reason="poll failed")
                logger.exception("entitlement poll cycle failed; continuing")
            now = clock.monotonic()
            relaxed = False
            if not self._refresher.auth_allows(now):
                delay = self._refresher.auth_until - now
            elif ok:
                self._failed_cycles = 0
                relaxed = self._relaxed()
                interval = options.safety_interval if relaxed else options.poll_interval
                delay = interval * (1 + options.poll_jitter * (2 * clock.random() - 1))
            else:
                self._failed_cycles += 1
                base = min(
                    options.poll_interval,
                    options.error_backoff * 2.0 ** min(self._failed_cycles - 1, 30),
                )
                delay = base * (1 - 0.5 * options.poll_jitter * clock.random())
            if relaxed:
                await self._relaxed_sleep(max(delay, 0.0))
            else:
                await clock.sleep(max(delay, 0.0))

    async def _relaxed_sleep(self, delay: float) -> None:
        """Sleep out the safety interval in ``poll_interval`` steps.

        Once the push source stops delivering, the poller takes over at its normal
        interval instead of up to ``safety_interval`` later.
        """
        step = self._options.poll_interval
        while delay > step:
            await self._clock.sleep(step)
            delay -= step
            if not self._relaxed():
                return
        await self._clock.sleep(delay)

    async def cycle(self, sink: StoreSink | None = None, status: StatusSink | None = None) -> bool:
        """One refresh of every key in use; True when no request failed as a whole."""
        sink = sink or self._sink
        status = status or self._status
        assert sink is not None, "start() the poller first"
        assert status is not None, "start() the poller first"
        self.cycles += 1
        keys = sink.keys_in_use()
        # The request path reports every answer and failure to the status itself.
        if not keys:
            error = await self._refresher.probe(None)
        else:
            error = (await self._refresher.refresh(keys, None)).error
        return error is None
