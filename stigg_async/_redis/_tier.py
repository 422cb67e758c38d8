"""The shared tier: one process refreshes for the fleet, all share snapshots and usage.

A :class:`RedisTier` per process holds the connection, the lease (with its fencing
number) and the process's :class:`Role`; it reads and writes snapshots, takes the
per-key fill lock on a Redis miss, counts the fleet's pending usage and decides a
``consume`` in one Lua script. It never raises into a check: every Redis failure is
recorded, turns the role to ``STANDALONE`` (the cache then polls on its own) and
answers "nothing known" (``None`` / ``{}``); the lease loop rejoins when Redis is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from stigg_async._cache._source import Key
from stigg_async._clock import Clock, SystemClock
from stigg_async._redis import _scripts
from stigg_async._redis._codec import decode_state, encode_state, epoch_ms, meters
from stigg_async._redis._keys import Namespace, decode_key, encode_key
from stigg_async._redis._messages import (
    ConsumeDecision,
    Role,
    SharedState,
    SharedTierStatus,
    state_message,
    usage_message,
)
from stigg_async._redis._options import SharedCacheOptions
from stigg_async._usage._items import UsageRecord

__all__ = ["FAILURES", "RedisTier", "SharedTierStatus", "WriteResult"]

logger = logging.getLogger("stigg_async")

#: What a Redis call may raise when Redis is down, slow or restarting.
FAILURES: tuple[type[BaseException], ...] = (RedisError, OSError, asyncio.TimeoutError)

_HEALTHY = (Role.LEADER, Role.FOLLOWER)
_CHUNK = 200  # commands per pipeline round trip
# Script calls in flight per process: a burst of consumes queues here instead of
# exhausting the connection pool (which redis-py reports as an error).
_MAX_IN_FLIGHT = 32


class WriteResult:
    """What :meth:`RedisTier.write_state` did (plain ints, as the script answers)."""

    WRITTEN = 1
    PRESENT = 0  # a fill found the key already written
    OLDER_FENCE = -1  # refused: a newer refresher holds the lease
    OLDER_FETCH = -2  # refused: a newer fetch of the same refresher was written


def _describe(exc: BaseException) -> str:
    # Class name and a short message: redis-py messages name host and port, never
    # the password of a URL.
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def _float(value: Any) -> float:
    if isinstance(value, bytes):
        value = value.decode()
    return float(value) if value not in (None, "") else 0.0


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisTier:
    """One process's side of the shared tier (see the module docstring).

    Example:
        >>> tier = RedisTier(SharedCacheOptions(redis_url=url), api_key=key)  # doctest: +SKIP
        >>> await tier.start()  # doctest: +SKIP
        >>> tier.role  # doctest: +SKIP
        <Role.LEADER: 'leader'>
    """

    def __init__(
        self,
        options: SharedCacheOptions,
        *,
        api_key: str,
        clock: Clock | None = None,
    ) -> None:
        self.options = options
        self.ns = Namespace(options.namespace(api_key))
        self._clock: Clock = clock or SystemClock()
        #: Identifies this process's own messages on the channel.
        self.origin = secrets.token_hex(8)
        self._token = secrets.token_hex(16)
        self._owns_client = options.client is None
        self._client: Any = options.client
        self._scripts: dict[str, AsyncScript] = {}
        self._gate = asyncio.Semaphore(_MAX_IN_FLIGHT)
        self.role = Role.OFF
        self.fence = 0
        self._held = False
        self._since = self._clock.now()
        self.last_error: str | None = None
        #: The last Redis failure itself (for status reports).
        self.last_exception: BaseException | None = None
        self._listeners: list[Callable[[Role], None]] = []
        self._loop_task: asyncio.Task[None] | None = None
        self._writer_task: asyncio.Task[None] | None = None
        self._outbox: dict[Key, tuple[str, Any, float]] = {}
        self._outbox_ready = asyncio.Event()
        self._wake = asyncio.Event()  # a failure: try to rejoin soon, not at the next renewal
        self._fill_waiters: dict[Key, list[asyncio.Future[None]]] = {}
        self._ttl_ms = int(options.lease_ttl * 1000)
        self._state_ttl_ms = int(options.state_ttl * 1000)
        self._pending_ttl_ms = int(options.pending_ttl * 1000)
        self._lock_ttl_ms = int(options.fill_lock_ttl * 1000)
        # Counters (plain attributes, read by status and benchmarks).
        self.writes = 0
        self.refused_writes = 0
        self.failures = 0

    # -- lifecycle -----------------------------------------------------------------

    @property
    def client(self) -> Any:
        """The ``redis.asyncio.Redis`` client in use (``None`` before :meth:`start`)."""
        return self._client

    async def start(self, *, run_loop: bool = True) -> None:
        """Connect and take a role (never raises on Redis being down). Idempotent.

        With ``run_loop=False`` nothing runs in the background: tests drive the lease
        with :meth:`tick` and the writes with :meth:`flush`.
        """
        if self._client is None:
            url = self.options.resolve_url()
            if url is None:
                from stigg_async._errors import StiggConfigurationError

                raise StiggConfigurationError(
                    "the shared tier needs redis_url, a client or STIGG_REDIS_URL"
                )
            timeout = self.options.operation_timeout
            self._client = Redis.from_url(
                url,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                # One attempt per call: the tier has its own fallback and rejoin.
                retry=Retry(NoBackoff(), 0),
                max_connections=_MAX_IN_FLIGHT * 2,
            )
        if not self._scripts:
            for name in ("ACQUIRE_LEASE", "RENEW_LEASE", "RELEASE_LEASE", "WRITE_STATE"):
                self._scripts[name] = self._client.register_script(getattr(_scripts, name))
            for name in ("CONSUME", "TRACK", "SETTLE", "APPLY_USAGE"):
                self._scripts[name] = self._client.register_script(getattr(_scripts, name))
        await self.tick()
        if run_loop:
            if self._loop_task is None:
                self._loop_task = asyncio.create_task(self._lease_loop(), name="stigg-redis-lease")
            if self._writer_task is None:
                self._writer_task = asyncio.create_task(self._writer(), name="stigg-redis-writer")

    async def aclose(self) -> None:
        """Stop, hand the lease over (so another process leads at once), close. Idempotent."""
        for task in (self._loop_task, self._writer_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._loop_task = self._writer_task = None
        if self._held and self._client is not None:
            with contextlib.suppress(*FAILURES):
                await self._run("RELEASE_LEASE", [self.ns.lease], [self._token])
        self._held = False
        self.fence = 0
        self._set_role(Role.OFF)
        if self._owns_client and self._client is not None:
            client, self._client = self._client, None
            self._scripts.clear()
            with contextlib.suppress(*FAILURES):
                await client.aclose()

    def add_role_listener(self, listener: Callable[[Role], None]) -> None:
        """Call ``listener(role)`` on every role change (it must not raise)."""
        self._listeners.append(listener)

    def status(self) -> SharedTierStatus:
        """This process's role, since when, and the last Redis failure."""
        return SharedTierStatus(self.role, self._since, self.fence, self.last_error)

    @property
    def healthy(self) -> bool:
        """True while Redis answers (role ``LEADER`` or ``FOLLOWER``)."""
        return self.role in _HEALTHY

    def _set_role(self, role: Role) -> None:
        if role is self.role:
            return
        logger.info("shared cache: %s -> %s", self.role, role)
        self.role = role
        self._since = self._clock.now()
        for listener in list(self._listeners):
            try:
                listener(role)
            except Exception:  # a listener must never break the tier
                logger.exception("shared cache: role listener failed")

    def report_failure(self, exc: BaseException) -> None:
        """Record a Redis failure seen outside the tier (the subscriber's connection)."""
        self._failed(exc)

    def local_started(self, fetched_ms: int) -> float:
        """A fetch time in epoch ms (another process's) on this process's monotonic clock."""
        return self._local_started(fetched_ms)

    def _failed(self, exc: BaseException) -> None:
        self.failures += 1
        self.last_exception = exc
        self.last_error = _describe(exc)
        self._wake.set()
        if self.role in _HEALTHY:
            logger.warning(
                "shared cache: Redis unreachable (%s); polling on our own",
                self.last_error,
            )
            self._set_role(Role.STANDALONE)

    async def _run(self, name: str, keys: list[str], args: list[Any]) -> Any:
        script = self._scripts[name]
        async with self._gate:
            # A caller-owned client may have no socket timeout: bound every call here
            # (after the queue: waiting for a turn is not Redis being slow).
            return await asyncio.wait_for(
                script(keys=keys, args=args), self.options.operation_timeout * 2
            )

    def _now_ms(self) -> int:
        return epoch_ms(self._clock.now())

    def _started_ms(self, started: float) -> int:
        return self._now_ms() - int(max(0.0, self._clock.monotonic() - started) * 1000)

    def _local_started(self, fetched_ms: int) -> float:
        return self._clock.monotonic() - max(0, self._now_ms() - fetched_ms) / 1000

    # -- the lease -----------------------------------------------------------------

    async def tick(self) -> Role:
        """One lease step: renew (leader) or try to take over (others). Never raises."""
        if self._client is None:
            return self.role
        try:
            if self._held:
                if await self._run("RENEW_LEASE", [self.ns.lease], [self._token, self._ttl_ms]):
                    self._set_role(Role.LEADER)
                    return self.role
                self._lost_lease()
            fence = await self._run(
                "ACQUIRE_LEASE", [self.ns.lease, self.ns.fence], [self._token, self._ttl_ms]
            )
            if fence:
                self.fence, self._held = int(fence), True
                self._set_role(Role.LEADER)
            else:
                self._set_role(Role.FOLLOWER)
        except FAILURES as exc:
            self._failed(exc)
        return self.role

    def _lost_lease(self) -> None:
        self._held = False
        self.fence = 0
        if self.role is Role.LEADER:
            self._set_role(Role.FOLLOWER)

    async def _lease_loop(self) -> None:
        renew = self.options.effective_renew_interval
        while True:
            try:
                await self._clock.sleep(renew if self.healthy else self.options.reconnect_interval)
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:  # the loop must never die
                logger.exception("shared cache: lease step failed")

    async def _sleep_unless_woken(self, seconds: float) -> None:
        self._wake.clear()
        sleeper = asyncio.ensure_future(self._clock.sleep(seconds))
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for future in (sleeper, waker):
                future.cancel()

    # -- snapshots -----------------------------------------------------------------

    async def read_states(self, keys: Sequence[Key]) -> dict[Key, SharedState]:
        """The snapshots Redis holds for ``keys`` (absent keys are left out). Never raises."""
        out: dict[Key, SharedState] = {}
        if not keys or not self.healthy:
            return out
        try:
            for i in range(0, len(keys), _CHUNK):
                chunk = keys[i : i + _CHUNK]
                async with self._client.pipeline(transaction=False) as pipe:
                    for key in chunk:
                        pipe.hmget(self.ns.state(key), "d", "t", "f")
                    rows = await asyncio.wait_for(
                        pipe.execute(), self.options.operation_timeout * 2
                    )
                for key, (blob, fetched, fence) in zip(chunk, rows, strict=True):
                    if blob is None:
                        continue
                    try:
                        raw = decode_state(blob)
                    except ValueError:
                        continue  # unreadable: treated as a miss, rewritten by a refresh
                    started = self._local_started(int(_float(fetched)))
                    out[key] = SharedState(raw, started, int(_float(fence)))
        except FAILURES as exc:
            self._failed(exc)
        return out

    def _write_args(
        self, key: Key, raw: Mapping[str, Any], started: float, fence: int
    ) -> tuple[list[str], list[Any]]:
        fetched_ms = self._started_ms(started)
        denial, meter = meters(raw, fetched_ms)
        args: list[Any] = [
            fence,
            encode_state(raw),
            fetched_ms,
            self._state_ttl_ms,
            denial or "",
            fetched_ms - self._pending_ttl_ms,
            self.ns.channel,
            state_message(self.origin, key, raw, fetched_ms),
        ]
        for feature_id, text in meter.items():
            args += [feature_id, text]
        keys = [self.ns.state(key), self.ns.fence, self.ns.pending(key), self.ns.in_flight(key)]
        return keys, args

    async def write_state(self, key: Key, raw: Mapping[str, Any], *, started: float) -> int | None:
        """Write ``raw`` (fetched at monotonic ``started``) into Redis and publish it.

        The leader writes with its fencing number (refused if a newer leader exists);
        other processes only *fill* a key Redis does not hold. Returns a
        :class:`WriteResult` value, or ``None`` when Redis is unreachable.
        """
        if not self.healthy:
            return None
        fence = self.fence if self.role is Role.LEADER else 0
        keys, args = self._write_args(key, raw, started, fence)
        try:
            result = int(await self._run("WRITE_STATE", keys, args))
        except FAILURES as exc:
            self._failed(exc)
            return None
        self._count_write(result)
        return result

    def _count_write(self, result: int) -> None:
        if result == WriteResult.WRITTEN:
            self.writes += 1
        elif result < 0:
            self.refused_writes += 1
            if result == WriteResult.OLDER_FENCE:
                self._lost_lease()  # a newer refresher exists: stop acting as one

    def note_fetched(self, key: Key, raw: Mapping[str, Any], started: float) -> None:
        """Queue ``raw`` (fetched from the API at ``started``) for writing. Never raises.

        The cache calls this for every state it fetched; the writer task sends the
        queue in pipelined batches (the newest state per key).
        """
        if self.healthy:
            self._outbox[key] = ("state", raw, started)
            self._outbox_ready.set()

    def note_usage(self, change: Mapping[str, Any]) -> None:
        """Queue a usage change (a ``UsageMeasurementFragment`` dict) for the fleet."""
        customer_id, feature_id = change.get("customerId"), change.get("featureId")
        if self.healthy and isinstance(customer_id, str) and isinstance(feature_id, str):
            resource_id = change.get("resourceId")
            key = (customer_id, resource_id if isinstance(resource_id, str) else None)
            self._outbox[(f"{encode_key(key)}\x00{feature_id}", None)] = ("usage", change, 0.0)
            self._outbox_ready.set()

    async def flush(self) -> None:
        """Send everything queued by :meth:`note_fetched` / :meth:`note_usage` now."""
        while self._outbox:
            batch = list(self._outbox.items())[:_CHUNK]
            for key, _ in batch:
                del self._outbox[key]
            if not self.healthy:
                continue  # dropped: the refresher repopulates Redis when it is back
            fence = self.fence if self.role is Role.LEADER else 0
            try:
                async with self._client.pipeline(transaction=False) as pipe:
                    for key, (kind, payload, started) in batch:
                        if kind == "state":
                            keys, args = self._write_args(key, payload, started, fence)
                            # Buffered in the pipeline: the await returns at once.
                            await self._scripts["WRITE_STATE"](keys=keys, args=args, client=pipe)
                        else:
                            await self._usage_call(payload, pipe)
                    results = await asyncio.wait_for(
                        pipe.execute(), self.options.operation_timeout * 4
                    )
            except FAILURES as exc:
                self._failed(exc)
                continue
            for (_, (kind, _, _)), result in zip(batch, results, strict=True):
                if kind == "state":
                    self._count_write(int(result))

    def _usage_call(self, change: Mapping[str, Any], client: Any) -> Any:
        customer_id = str(change["customerId"])
        resource_id = change.get("resourceId")
        key = (customer_id, resource_id if isinstance(resource_id, str) else None)
        measured = epoch_ms(change.get("timestamp")) or self._now_ms()
        usage = change.get("currentUsage")
        return self._scripts["APPLY_USAGE"](
            keys=[self.ns.state(key)],
            args=[
                str(change["featureId"]),
                repr(float(usage)) if isinstance(usage, (int, float)) else "0",
                measured,
                self.ns.channel,
                usage_message(self.origin, key, change, measured),
            ],
            client=client,
        )

    async def apply_usage(self, change: Mapping[str, Any]) -> bool | None:
        """Make a usage change the base of its meter in Redis (newest wins) and publish it.

        Returns whether it applied, ``None`` when Redis is unreachable.
        """
        if not self.healthy:
            return None
        try:
            return bool(await asyncio.wait_for(self._usage_call(change, None), 1.0))
        except FAILURES as exc:
            self._failed(exc)
            return None
        except (KeyError, ValueError, TypeError):
            return False

    async def _writer(self) -> None:
        while True:
            try:
                await self._outbox_ready.wait()
                self._outbox_ready.clear()
                await self.flush()
            except asyncio.CancelledError:
                raise
            except Exception:  # the writer must never die
                logger.exception("shared cache: write failed")

    # -- misses: one fetch for the fleet -----------------------------------------------

    async def fetch_once(
        self,
        key: Key,
        fetch: Callable[[Key], Awaitable[Mapping[str, Any] | None]],
    ) -> SharedState | None:
        """A key missing locally: Redis first, else one process of the fleet fetches it.

        The process that takes the key's short lock calls ``fetch(key)`` (the API),
        writes the answer into Redis and publishes it; the others wait for that (at
        most ``fill_lock_ttl``) and read it. With Redis unreachable, ``fetch`` is
        called directly. Returns the state (``None`` when ``fetch`` found nothing).
        """
        found = (await self.read_states([key])).get(key)
        if found is not None or not self.healthy:
            if found is not None:
                return found
            return await self._fetch_direct(key, fetch)
        lock = self.ns.fill_lock(key)
        try:
            got = await asyncio.wait_for(
                self._client.set(lock, self._token, nx=True, px=self._lock_ttl_ms),
                self.options.operation_timeout * 2,
            )
        except FAILURES as exc:
            self._failed(exc)
            return await self._fetch_direct(key, fetch)
        if got:
            try:
                state = await self._fetch_direct(key, fetch)
                if state is not None:
                    await self.write_state(key, state.raw, started=state.started)
                return state
            finally:
                with contextlib.suppress(*FAILURES):
                    await self._run("RELEASE_LEASE", [lock], [self._token])
        await self.wait_for_fill(key, self.options.fill_lock_ttl)
        found = (await self.read_states([key])).get(key)
        return found if found is not None else await self._fetch_direct(key, fetch)

    async def _fetch_direct(
        self, key: Key, fetch: Callable[[Key], Awaitable[Mapping[str, Any] | None]]
    ) -> SharedState | None:
        started = self._clock.monotonic()
        raw = await fetch(key)
        return None if raw is None else SharedState(dict(raw), started, 0)

    async def acquire_fill_lock(self, key: Key) -> bool | None:
        """Take ``key``'s short fetch lock: True taken, False held by another, None down."""
        if not self.healthy:
            return None
        try:
            got = await asyncio.wait_for(
                self._client.set(
                    self.ns.fill_lock(key), self._token, nx=True, px=self._lock_ttl_ms
                ),
                self.options.operation_timeout * 2,
            )
        except FAILURES as exc:
            self._failed(exc)
            return None
        return bool(got)

    async def release_fill_lock(self, key: Key) -> None:
        """Release ``key``'s fetch lock if this process holds it."""
        with contextlib.suppress(*FAILURES):
            await self._run("RELEASE_LEASE", [self.ns.fill_lock(key)], [self._token])

    async def wait_for_fill(self, key: Key, timeout: float) -> bool:
        """Wait until a state of ``key`` is published (see :meth:`filled`) or ``timeout``."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._fill_waiters.setdefault(key, []).append(future)
        timer = asyncio.ensure_future(self._clock.sleep(timeout))
        try:
            await asyncio.wait({future, timer}, return_when=asyncio.FIRST_COMPLETED)
            return future.done()
        finally:
            timer.cancel()
            waiters = self._fill_waiters.get(key)
            if waiters is not None and future in waiters:
                waiters.remove(future)
                if not waiters:
                    del self._fill_waiters[key]

    def filled(self, key: Key) -> None:
        """A state of ``key`` was published (called by the subscriber)."""
        for future in self._fill_waiters.pop(key, ()):
            if not future.done():
                future.set_result(None)

    # -- the fleet's keys ----------------------------------------------------------

    async def announce(self, keys: Iterable[Key]) -> bool:
        """Record ``keys`` as in use by this process (the refresher refreshes them)."""
        if not self.healthy:
            return False
        now = self._now_ms()
        members = {encode_key(key): now for key in keys}
        if not members:
            return True
        items = list(members.items())
        try:
            for i in range(0, len(items), 1000):
                await asyncio.wait_for(
                    self._client.zadd(self.ns.fleet_keys, dict(items[i : i + 1000])),
                    self.options.operation_timeout * 2,
                )
        except FAILURES as exc:
            self._failed(exc)
            return False
        return True

    async def fleet_keys(self) -> list[Key] | None:
        """Every key some process announced within ``key_idle_timeout`` (``None``: down)."""
        if not self.healthy:
            return None
        cutoff = self._now_ms() - int(self.options.key_idle_timeout * 1000)
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                pipe.zremrangebyscore(self.ns.fleet_keys, "-inf", cutoff)
                pipe.zrange(self.ns.fleet_keys, 0, -1)
                _, members = await asyncio.wait_for(
                    pipe.execute(), self.options.operation_timeout * 2
                )
        except FAILURES as exc:
            self._failed(exc)
            return None
        return [decode_key(_text(m)) for m in members]

    # -- usage across the fleet ----------------------------------------------------------

    async def consume(
        self,
        key: Key,
        feature_id: str,
        amount: float,
        idempotency_key: str,
    ) -> ConsumeDecision | None:
        """Decide and count ``amount`` of ``feature_id`` for the whole fleet, atomically.

        Grants iff ``base + pending + amount <= limit`` (soft and unlimited grant; an
        expired usage period counts the base as 0), and on a grant adds ``amount`` to
        the fleet's pending usage under ``idempotency_key`` (the key the usage report
        will carry, so its acknowledgement settles it). ``None`` when Redis is
        unreachable: the caller decides locally and labels the answer.
        """
        if not self.healthy:
            return None
        try:
            verdict, reason, usage, pending = await self._run(
                "CONSUME",
                [self.ns.state(key), self.ns.pending(key), self.ns.in_flight(key)],
                [
                    feature_id,
                    repr(float(amount)),
                    self._now_ms(),
                    idempotency_key,
                    self._pending_ttl_ms,
                ],
            )
        except FAILURES as exc:
            self._failed(exc)
            return None
        reason_text = _text(reason)
        return ConsumeDecision(_text(verdict), reason_text or None, _float(usage), _float(pending))

    async def track(self, record: UsageRecord) -> bool | None:
        """Count a tracked DELTA item in the fleet's pending usage (once per key)."""
        if not self.healthy or record.update_behavior != "DELTA":
            return None
        key = (record.customer_id, record.resource_id)
        try:
            return bool(
                await self._run(
                    "TRACK",
                    [self.ns.pending(key), self.ns.in_flight(key)],
                    [
                        record.feature_id,
                        repr(float(record.value)),
                        self._now_ms(),
                        record.idempotency_key,
                        self._pending_ttl_ms,
                    ],
                )
            )
        except FAILURES as exc:
            self._failed(exc)
            return None

    async def settle(
        self,
        record: UsageRecord,
        outcome: str,
        measurement: Mapping[str, Any] | None = None,
    ) -> int | None:
        """End one item's pending count: ``delivered`` / ``failed`` remove it exactly
        once per idempotency key (whichever process calls); ``unknown`` keeps it until a
        refresh that starts later. A delivered ``measurement`` becomes the meter's base
        if newer, and is published. Returns the script's answer, ``None`` when down.
        """
        if not self.healthy:
            return None
        key = (record.customer_id, record.resource_id)
        usage, measured, message = "", 0, b""
        if measurement is not None and isinstance(measurement.get("currentUsage"), (int, float)):
            usage = repr(float(measurement["currentUsage"]))
            measured = epoch_ms(measurement.get("timestamp")) or self._now_ms()
            message = usage_message(self.origin, key, measurement, measured)
        try:
            return int(
                await self._run(
                    "SETTLE",
                    [self.ns.pending(key), self.ns.in_flight(key), self.ns.state(key)],
                    [
                        record.idempotency_key,
                        outcome,
                        self._now_ms(),
                        record.feature_id,
                        usage,
                        measured,
                        self.ns.channel if message else "",
                        message,
                    ],
                )
            )
        except FAILURES as exc:
            self._failed(exc)
            return None

    async def pending(self, key: Key, feature_id: str) -> float | None:
        """The fleet's pending usage of one feature (for status and tests)."""
        if not self.healthy:
            return None
        try:
            value = await asyncio.wait_for(
                self._client.hget(self.ns.pending(key), feature_id),
                self.options.operation_timeout * 2,
            )
        except FAILURES as exc:
            self._failed(exc)
            return None
        return _float(value)
