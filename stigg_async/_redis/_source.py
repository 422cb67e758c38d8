"""The shared tier as a data source: published changes in, the fleet's keys out.

:class:`RedisSource` subscribes to the tier's channel and feeds the store every
state and usage change another process published (for keys this process has or
wants), re-reads its keys from Redis after every (re)connection, and announces the
keys it uses so the refresher covers them. While this process leads, it runs the
fleet's refresh cycle through ``StoreSink.refresh_keys`` (the cache writes what it fetches
into Redis through ``RedisTier.note_fetched``).

Status: ``VALID`` while subscribed (reason: the role), ``INTERRUPTED`` while Redis is
unreachable (the cache then polls on its own), ``OFF`` once closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from stigg_async._cache._source import SourceState, StatusSink, StoreSink
from stigg_async._clock import Clock, SystemClock
from stigg_async._redis._messages import Role, decode_message
from stigg_async._redis._tier import FAILURES, RedisTier

__all__ = ["RedisSource"]

logger = logging.getLogger("stigg_async")

_POLL = 0.1  # seconds one read of the channel waits before housekeeping runs
# Cancelling a read in the middle can leave redis-py's pub/sub connection waiting
# forever in its close; the loop is asked to stop and given this long first.
_STOP_GRACE = 2.0


class RedisSource:
    """A ``DataSource`` fed by the other processes of the fleet through Redis.

    Example:
        >>> source = RedisSource(tier)  # doctest: +SKIP
        >>> source.start(store_sink, status_sink)  # doctest: +SKIP
    """

    name = "redis"

    def __init__(self, tier: RedisTier, *, clock: Clock | None = None) -> None:
        self.tier = tier
        self._clock: Clock = clock or SystemClock()
        self._sink: StoreSink | None = None
        self._status: StatusSink | None = None
        self._task: asyncio.Task[None] | None = None
        self._refresh_task: asyncio.Task[None] | None = None
        self._role_changed = asyncio.Event()
        self._subscribed = False
        self._stopping = False
        self._next_refresh = 0.0
        self._next_announce = 0.0
        options = tier.options
        self._announce_every = min(options.refresh_interval, options.key_idle_timeout / 3)
        #: Changes applied from other processes (for stats and tests).
        self.applied = 0
        self.fleet_refreshes = 0
        tier.add_role_listener(self._on_role)

    # -- DataSource ----------------------------------------------------------------

    def start(self, sink: StoreSink, status: StatusSink) -> None:
        """Begin subscribing (inside the running loop). Idempotent."""
        if self._task is not None:
            return
        self._sink, self._status = sink, status
        self._report()
        self._task = asyncio.create_task(self._run(), name="stigg-redis-source")

    async def aclose(self) -> None:
        """Unsubscribe and stop; no task or connection remains. Idempotent."""
        self._stopping = True
        self._role_changed.set()
        if self._task is not None:
            await asyncio.wait({self._task}, timeout=_STOP_GRACE)
        for task in (self._task, self._refresh_task):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._task = self._refresh_task = None
        self._subscribed = False
        if self._status is not None:
            self._status.report(self.name, SourceState.OFF, reason="closed")

    # -- status --------------------------------------------------------------------

    def _on_role(self, role: Role) -> None:
        self._role_changed.set()
        if role is Role.LEADER:
            self._next_refresh = 0.0  # a new refresher repopulates at once
        self._report()

    def _report(self) -> None:
        status = self._status
        if status is None:
            return
        role = self.tier.role
        if role is Role.STANDALONE:
            status.report(
                self.name,
                SourceState.INTERRUPTED,
                error=self.tier.last_exception,
                reason="Redis unreachable; this process polls the API on its own",
            )
        elif role is Role.OFF:
            status.report(self.name, SourceState.INITIALIZING, reason="connecting to Redis")
        elif self._subscribed:
            status.report(self.name, SourceState.VALID, reason=f"{role} of the fleet")
        else:
            status.report(self.name, SourceState.INITIALIZING, reason=f"{role}; subscribing")

    # -- the subscriber ------------------------------------------------------------

    async def _run(self) -> None:
        while not self._stopping:
            try:
                if not self.tier.healthy:
                    self._role_changed.clear()
                    self._report()
                    await self._role_changed.wait()
                    continue
                if self._stopping:
                    return
                await self._subscribe()
            except asyncio.CancelledError:
                raise
            except FAILURES as exc:
                self.tier.report_failure(exc)
            except Exception:  # the subscriber must never die
                logger.exception("shared cache: subscriber failed")
                await self._clock.sleep(self.tier.options.reconnect_interval)
            finally:
                self._subscribed = False

    async def _subscribe(self) -> None:
        pubsub = self.tier.client.pubsub()
        try:
            await asyncio.wait_for(
                pubsub.subscribe(self.tier.ns.channel), self.tier.options.operation_timeout * 2
            )
            self._subscribed = True
            # Changes published while this process was away are in Redis: read them.
            await self.resync()
            await self.announce()
            self._report()
            while self.tier.healthy and not self._stopping:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=_POLL)
                if message is not None and message.get("type") == "message":
                    self.apply(message["data"])
                await self._housekeeping()
        finally:
            with contextlib.suppress(*FAILURES):
                await asyncio.wait_for(pubsub.aclose(), self.tier.options.operation_timeout * 2)

    def apply(self, data: Any) -> bool:
        """Apply one channel message to the store; True when the store took it."""
        message = decode_message(data)
        sink = self._sink
        if message is None or sink is None or message.origin == self.tier.origin:
            return False
        key = message.key
        if message.kind == "state":
            self.tier.filled(key)
            if not sink.has_customer(key[0]):
                return False  # not used here: keep memory for the keys this process reads
            applied = sink.upsert_state(
                key, message.raw, started=self.tier.local_started(message.fetched_ms)
            )
        else:
            applied = sink.apply_usage(message.raw)
        self.applied += int(applied)
        return applied

    async def resync(self) -> int:
        """Read this process's keys from Redis into the store; returns how many.

        Keys Redis does not hold (it restarted) are marked stale, so the next read
        fetches them once for the fleet.
        """
        sink = self._sink
        if sink is None:
            return 0
        keys = sink.keys_in_use()
        found = await self.tier.read_states(keys)
        for key, state in found.items():
            sink.upsert_state(key, state.raw, started=state.started)
        if self.tier.healthy:
            missing = [key for key in keys if key not in found]
            if missing:
                sink.mark_stale(missing)
        return len(found)

    async def announce(self) -> bool:
        """Tell the refresher which keys this process uses."""
        sink = self._sink
        if sink is None:
            return False
        self._next_announce = self._clock.monotonic() + self._announce_every
        return await self.tier.announce(sink.keys_in_use())

    async def refresh_fleet(self) -> int:
        """The refresher's cycle: refresh every key the fleet uses. Returns how many."""
        sink = self._sink
        if sink is None or self.tier.role is not Role.LEADER:
            return 0
        self._next_refresh = self._clock.monotonic() + self.tier.options.refresh_interval
        keys = await self.tier.fleet_keys()
        if keys is None:
            return 0
        wanted = list(dict.fromkeys([*keys, *sink.keys_in_use()]))
        await sink.refresh_keys(wanted)
        self.fleet_refreshes += 1
        return len(wanted)

    async def _housekeeping(self) -> None:
        now = self._clock.monotonic()
        if now >= self._next_announce:
            await self.announce()
        if (
            self.tier.role is Role.LEADER
            and now >= self._next_refresh
            and (self._refresh_task is None or self._refresh_task.done())
        ):
            self._next_refresh = now + self.tier.options.refresh_interval
            # In a task: the channel keeps being read while the API answers.
            self._refresh_task = asyncio.create_task(self._refresh_safely())

    async def _refresh_safely(self) -> None:
        try:
            await self.refresh_fleet()
        except asyncio.CancelledError:
            raise
        except Exception:  # a failed cycle is retried at the next interval
            logger.exception("shared cache: fleet refresh failed")
