"""The websocket data source: Stigg's GraphQL subscriptions keep the store current.

One ``graphql-transport-ws`` connection (gql's ``AIOHTTPWebsocketsTransport``)
carries three environment-wide subscriptions (documents in
``operations/subscriptions/``):

* ``entitlementsUpdatedV2``: a customer's whole entitlements state, upserted into
  the store for keys in use (pending usage is the store's and stays);
* ``usageUpdatedV2``: a new ``currentUsage`` for one metered entitlement, applied as
  the new base (never added: the store's pending amounts stay as they are);
* ``packagePublished``: plans changed, so every key in use is refreshed.

Pushes for customers the store does not hold are skipped after one dict lookup.
A push that cannot be applied exactly (an unexpected shape, a credit entitlement)
makes the source refresh that customer's keys instead. After every (re)connect the
source refreshes the keys in use, once the server has confirmed the subscriptions
(a ping/pong after subscribing), so nothing changed while it was away is lost; it
never empties anything. Disconnects are retried with jittered exponential backoff;
an upgrade the server refuses (HTTP 4xx/5xx) or a rejected key is reported ``OFF``
with the reason and retried slowly, while the poller keeps the cache current.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import aiohttp
from gql import GraphQLRequest
from gql.transport.aiohttp_websockets import AIOHTTPWebsocketsTransport

from stigg_async import _fork
from stigg_async._cache._source import Key, SourceState, StatusSink, StoreSink
from stigg_async._clock import Clock, SystemClock
from stigg_async._errors import (
    StiggAuthenticationError,
    StiggConfigurationError,
    StiggConnectionError,
    StiggError,
    StiggHTTPError,
    redact,
)
from stigg_async._resources import operations_dir
from stigg_async._transport import check_api_url, user_agent

__all__ = ["StreamOptions", "StreamSource", "stream_url", "subscription_document"]

logger = logging.getLogger("stigg_async")

#: Close codes with which a graphql-transport-ws server refuses the key.
_AUTH_CLOSE_CODES = frozenset({4401, 4403})
_SUBSCRIPTIONS = ("EntitlementsUpdated", "UsageUpdated", "PackagePublished", "CreditBalanceUpdated")


class _KeyRedactor(logging.Filter):
    """Keeps the API key out of gql's websocket logs (it logs every frame at DEBUG)."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            scrubbed = redact(message, *self.secrets)
            if scrubbed != message:
                record.msg, record.args = scrubbed, None
        return True


_REDACTOR = _KeyRedactor()
for _name in (
    "gql.transport.common.base",
    "gql.transport.websockets",
    "gql.transport.common.adapters.aiohttp",
):
    logging.getLogger(_name).addFilter(_REDACTOR)


@cache
def subscription_document(name: str) -> str:
    """The text of ``operations/subscriptions/<name>.graphql``.

    Example:
        >>> "usageUpdatedV2" in subscription_document("UsageUpdated")
        True
    """
    path: Path = operations_dir() / "subscriptions" / f"{name}.graphql"
    return path.read_text(encoding="utf-8")


def stream_url(api_url: str) -> str:
    """The websocket URL for an API URL: same host and path, ``ws``/``wss`` scheme.

    Example:
        >>> stream_url("https://api.stigg.io/graphql")
        'wss://api.stigg.io/graphql'
    """
    url = check_api_url(api_url)
    return str(url.with_scheme("wss" if url.scheme == "https" else "ws"))


@dataclass(frozen=True)
class StreamOptions:
    """How the stream connects and reconnects.

    Attributes:
        backoff_initial: first wait after a lost connection (seconds; doubles per failure).
        backoff_max: longest wait between reconnection attempts.
        refused_retry: wait after a refused upgrade or a rejected key (slow on purpose).
        connect_timeout: seconds for the upgrade plus ``connection_ack``.
        ping_interval: seconds between the client's keep-alive pings (``None``: none);
            a missing pong within half of it counts as a lost connection.

    Example:
        >>> StreamOptions(backoff_max=10).backoff_initial
        0.5
    """

    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    refused_retry: float = 300.0
    connect_timeout: float = 10.0
    ping_interval: float | None = 20.0

    def __post_init__(self) -> None:
        for name in ("backoff_initial", "backoff_max", "refused_retry", "connect_timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise StiggConfigurationError(f"stream option {name} must be a number")
            if not math.isfinite(value) or value <= 0:
                raise StiggConfigurationError(f"stream option {name} must be positive")
        if self.backoff_initial > self.backoff_max:
            raise StiggConfigurationError("stream option backoff_initial exceeds backoff_max")
        ping = self.ping_interval
        if ping is not None and (isinstance(ping, bool) or not ping > 0):
            raise StiggConfigurationError("stream option ping_interval must be positive or None")


@dataclass
class StreamStats:
    """What the stream did: connections, pushes and what became of them."""

    connects: int = 0
    disconnects: int = 0
    refused: int = 0
    entitlement_pushes: int = 0
    usage_pushes: int = 0
    package_pushes: int = 0
    credit_pushes: int = 0
    applied: int = 0
    skipped: int = 0
    refresh_requests: int = 0
    refreshed_keys: int = 0

    @property
    def pushes(self) -> int:
        return (
            self.entitlement_pushes + self.usage_pushes + self.package_pushes + self.credit_pushes
        )


class _RefusedError(Exception):
    """The server will not stream to us (refused upgrade or rejected key)."""

    def __init__(self, error: StiggError, reason: str) -> None:
        super().__init__(reason)
        self.error = error
        self.reason = reason


def _epoch_ms(value: Any) -> float | None:
    """``validUntil``: a DateTime on FeatureEntitlement, epoch milliseconds on Entitlement."""
    if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return value
    if isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000.0
    raise ValueError("validUntil is neither a date-time nor a number")


def _state_from_push(payload: Mapping[str, Any]) -> dict[str, Any] | None:
    """An ``entitlementsState``-shaped dict from an ``entitlementsUpdatedV2`` push.

    ``None`` when it cannot be converted exactly (then the customer is refreshed).
    Credit entitlements are left out: the entitlement queries the cache reads do not
    return them either.
    """
    items = payload.get("entitlements")
    if not isinstance(items, list):
        return None
    customer_id, resource_id = payload.get("customerId"), payload.get("resourceId")
    entitlements: list[dict[str, Any]] = []
    for item in items:
        if not isinstance(item, Mapping):
            return None
        kind = item.get("__typename")
        if kind == "CreditEntitlement":
            continue
        if kind not in (None, "FeatureEntitlement") or not isinstance(item.get("feature"), Mapping):
            return None
        try:
            valid_until = _epoch_ms(item.get("validUntil"))
        except ValueError:
            return None
        entitlement = {k: v for k, v in item.items() if k != "__typename"}
        entitlement.update(
            customerId=customer_id,
            resourceId=resource_id,
            requestedUsage=None,
            # The API reports the next reset as the end of the usage period.
            nextResetDate=item.get("usagePeriodEnd"),
            validUntil=valid_until,
        )
        entitlements.append(entitlement)
    return {"accessDeniedReason": payload.get("accessDeniedReason"), "entitlements": entitlements}


def _usage_change(payload: Mapping[str, Any]) -> dict[str, Any] | None:
    """A ``UsageMeasurementFragment``-shaped change from a ``usageUpdatedV2`` push."""
    reference, usage = payload.get("entitlementReference"), payload.get("usage")
    if not isinstance(reference, Mapping) or not isinstance(usage, Mapping):
        return None
    feature_id, current = reference.get("id"), usage.get("currentUsage")
    if reference.get("type", "FEATURE") != "FEATURE" or not isinstance(feature_id, str):
        return None
    if isinstance(current, bool) or not isinstance(current, (int, float)):
        return None
    return {
        "customerId": payload.get("customerId"),
        "featureId": feature_id,
        "resourceId": payload.get("resourceId") or None,
        "currentUsage": current,
        "usagePeriodStart": usage.get("usagePeriodStart"),
        "usagePeriodEnd": usage.get("usagePeriodEnd"),
        "nextResetDate": usage.get("usagePeriodEnd"),
        "timestamp": usage.get("usageUpdatedAt"),
    }


class StreamSource:
    """A :class:`~stigg_async._cache._source.DataSource` fed by Stigg's websocket stream.

    Example:
        >>> source = StreamSource(api_url="https://api.stigg.io/graphql", api_key="k")
        >>> source.name
        'stream'
        >>> # inside the loop: source.start(store_sink, status_sink); later: await source.aclose()
    """

    name = "stream"

    def __init__(
        self,
        *,
        api_url: str,
        api_key: str,
        clock: Clock | None = None,
        options: StreamOptions | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if not isinstance(api_key, str) or not api_key.strip():
            raise StiggConfigurationError("the stream needs a non-empty API key")
        self.url = stream_url(api_url)
        self._api_key = api_key
        _REDACTOR.secrets.add(api_key)
        self._clock: Clock = clock or SystemClock()
        self.options = options or StreamOptions()
        self._headers = {
            "X-API-KEY": api_key,
            "X-API-VERSION": "1",
            "User-Agent": user_agent(),
            **(headers or {}),
        }
        self.stats = StreamStats()
        self._reset_runtime()

    def _reset_runtime(self) -> None:
        self._sink: StoreSink | None = None
        self._status: StatusSink | None = None
        self._task: asyncio.Task[None] | None = None
        self._refresher: asyncio.Task[None] | None = None
        self._pending_refresh: dict[Key, None] = {}
        self._session: aiohttp.ClientSession | None = None
        self._transport: AIOHTTPWebsocketsTransport | None = None
        self._closed = False
        self._state: SourceState | None = None
        self._generation = _fork.generation()
        #: Set while subscribed and confirmed (tests and benchmarks wait on it).
        self.connected = asyncio.Event()

    def __repr__(self) -> str:
        return f"StreamSource(url={self.url!r}, state={self.state})"

    @property
    def state(self) -> SourceState:
        """What the source last reported (``OFF`` before start and after close)."""
        return self._state or SourceState.OFF

    # -- DataSource ------------------------------------------------------------------

    def start(self, sink: StoreSink, status: StatusSink) -> None:
        """Connect and subscribe in the background (inside the running loop). Idempotent."""
        if self._closed or self._task is not None:
            return
        loop = asyncio.get_running_loop()
        self._sink, self._status = sink, status
        self._report(SourceState.INITIALIZING, reason="connecting")
        self._task = loop.create_task(self._run(), name="stigg-entitlements-stream")

    async def aclose(self) -> None:
        """Close the socket and stop every task; nothing is left behind. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._generation != _fork.generation():
            # Inherited through fork: the parent's socket and tasks are not ours to touch.
            self._task = self._refresher = None
            self._session = self._transport = None
            return
        pending = {t for t in (self._task, self._refresher) if t is not None}
        while pending:
            # Cancel again until done: on Python < 3.12 asyncio.wait_for (used inside
            # gql's connect) can swallow a cancellation that races its inner result.
            for task in pending:
                task.cancel()
            _, pending = await asyncio.wait(pending, timeout=1.0)
        self._task = self._refresher = None
        await self._close_transport(self._transport)
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()
        self._report(SourceState.OFF, reason="closed")

    def forget_after_fork(self) -> None:
        """In a forked child: drop the parent's socket and tasks without touching them.

        Closing them would close the parent's socket. The cache calls this, then
        :meth:`start` again in the child's loop: the child connects with its own socket
        and refreshes the keys in use. A closed source stays closed.

        Example:
            >>> if os.fork() == 0:  # doctest: +SKIP
            ...     source.forget_after_fork()
            ...     source.start(sink, status)
        """
        if self._generation == _fork.generation():
            return
        closed = self._closed
        self._reset_runtime()
        self._closed = closed

    # -- connection loop ----------------------------------------------------------------

    async def _run(self) -> None:
        failures = 0
        while not self._closed:
            connects = self.stats.connects
            state = SourceState.INTERRUPTED
            try:
                await self._connect_and_listen()
                error: StiggError = StiggConnectionError("the stream was closed by the server")
            except asyncio.CancelledError:
                raise
            except _RefusedError as refused:
                self.stats.refused += 1
                error, state = refused.error, SourceState.OFF
            except Exception as exc:  # never let the stream die
                error = self._connection_error(exc)
            if self._closed:
                return
            self.connected.clear()
            if state is SourceState.OFF:
                failures = 0
                reason = error.message.removeprefix("entitlement stream: ")
                delay = self.options.refused_retry * (0.8 + 0.4 * self._clock.random())
            else:
                # A connection that was up starts the backoff over.
                failures = 1 if self.stats.connects > connects else failures + 1
                reason = f"stream disconnected ({error.message}); reconnecting"
                delay = self._backoff(failures)
            if state is SourceState.OFF and self._state is not SourceState.OFF:
                # The status logs interruptions; a refusal it only records.
                logger.info("entitlement stream off: %s", reason)
            self._report(state, error=error, reason=reason)
            await self._clock.sleep(delay)

    def _backoff(self, failures: int) -> float:
        options = self.options
        ceiling = min(options.backoff_max, options.backoff_initial * 2.0 ** min(failures - 1, 30))
        return ceiling * (0.5 + 0.5 * self._clock.random())

    def _connection_error(self, exc: BaseException) -> StiggError:
        if isinstance(exc, StiggError):
            return exc
        text = redact(f"{type(exc).__name__}: {exc}", self._api_key)[:200]
        return StiggConnectionError(f"entitlement stream: {text}")

    def _new_transport(self) -> AIOHTTPWebsocketsTransport:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        payload = {"X-API-KEY": self._api_key, "headers": dict(self._headers)}
        return AIOHTTPWebsocketsTransport(
            url=self.url,
            subprotocols=[AIOHTTPWebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
            headers=self._headers,
            init_payload=payload,
            session=self._session,
            connect_timeout=self.options.connect_timeout,
            ack_timeout=self.options.connect_timeout,
            ping_interval=self.options.ping_interval,
            close_timeout=2,
        )

    async def _connect_and_listen(self) -> None:
        transport = self._transport = self._new_transport()
        consumers: list[asyncio.Task[None]] = []
        try:
            await self._connect(transport)
            handlers: list[tuple[str, Callable[[Mapping[str, Any]], None]]] = [
                ("EntitlementsUpdated", self._on_entitlements),
                ("UsageUpdated", self._on_usage),
                ("PackagePublished", self._on_package),
                ("CreditBalanceUpdated", self._on_credit_balance),
            ]
            loop = asyncio.get_running_loop()
            for name, handler in handlers:
                consumers.append(
                    loop.create_task(
                        self._consume(transport, name, handler), name=f"stigg-stream-{name}"
                    )
                )
            await self._confirm_subscribed(transport, len(consumers))
            if self._closed:
                return
            self.stats.connects += 1
            self._report(SourceState.VALID, reason="streaming")
            self.connected.set()
            if self.stats.connects > 1:
                logger.info("entitlement stream reconnected")
            # Subscribed first, then refreshed: a change is either in the answer or pushed.
            sink = self._sink
            if sink is not None:
                self._refresh_soon(sink.keys_in_use())
            done, _ = await asyncio.wait(consumers, return_when=asyncio.FIRST_COMPLETED)
            self.stats.disconnects += 1
            for task in done:
                exc = task.exception()
                if exc is not None:
                    raise exc
        finally:
            for task in consumers:
                task.cancel()
            await asyncio.gather(*consumers, return_exceptions=True)
            await self._close_transport(transport)

    async def _connect(self, transport: AIOHTTPWebsocketsTransport) -> None:
        try:
            await transport.connect()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            refused = self._refusal(transport, exc)
            if refused is not None:
                raise refused from None
            raise

    def _refusal(
        self, transport: AIOHTTPWebsocketsTransport, exc: BaseException
    ) -> _RefusedError | None:
        handshake = (
            exc.__cause__ if isinstance(exc.__cause__, aiohttp.WSServerHandshakeError) else None
        )
        if handshake is not None:
            status = handshake.status
            kind = StiggAuthenticationError if status in (401, 403) else StiggHTTPError
            reason = (
                f"websocket upgrade refused (HTTP {status}); the poller keeps the cache current"
            )
            return _RefusedError(kind(f"entitlement stream: {reason}", status=status), reason)
        websocket = getattr(transport.adapter, "websocket", None)
        code = getattr(websocket, "close_code", None)
        if code in _AUTH_CLOSE_CODES:
            reason = f"the API key was refused by the stream (close code {code})"
            return _RefusedError(
                StiggAuthenticationError(f"entitlement stream: {reason}", status=403), reason
            )
        return None

    async def _confirm_subscribed(self, transport: AIOHTTPWebsocketsTransport, count: int) -> None:
        """Wait until the server has handled our subscribe messages (ping/pong after them)."""
        for _ in range(10_000):
            if len(transport.listeners) >= count:
                break
            await asyncio.sleep(0)
        transport.pong_received.clear()
        await transport.send_ping()
        # asyncio.wait, not wait_for: it never swallows our own cancellation.
        pong = asyncio.ensure_future(transport.pong_received.wait())
        try:
            done, _ = await asyncio.wait([pong], timeout=self.options.connect_timeout)
        finally:
            pong.cancel()
        if not done:
            raise StiggConnectionError("entitlement stream: no pong after subscribing")

    async def _consume(
        self,
        transport: AIOHTTPWebsocketsTransport,
        name: str,
        handler: Callable[[Mapping[str, Any]], None],
    ) -> None:
        request = GraphQLRequest(subscription_document(name))
        async for result in transport.subscribe(request):
            data = result.data
            if not isinstance(data, Mapping) or len(data) != 1:
                logger.debug("ignoring a stream message without data")
                continue
            payload = next(iter(data.values()))
            if not isinstance(payload, Mapping):
                continue
            try:
                handler(payload)
            except Exception:  # a bad push must not stop the stream
                logger.debug("could not apply a stream push", exc_info=True)

    async def _close_transport(self, transport: AIOHTTPWebsocketsTransport | None) -> None:
        if transport is self._transport:
            self._transport = None
        if transport is None:
            return
        with contextlib.suppress(Exception):
            await transport.close()
        with contextlib.suppress(Exception):
            await transport.adapter.close()

    # -- applying pushes ------------------------------------------------------------

    def _on_entitlements(self, payload: Mapping[str, Any]) -> None:
        self.stats.entitlement_pushes += 1
        sink = self._sink
        customer_id = payload.get("customerId")
        if sink is None or not isinstance(customer_id, str) or not sink.has_customer(customer_id):
            self.stats.skipped += 1
            return
        key: Key = (customer_id, payload.get("resourceId") or None)
        if key not in sink.keys_of(customer_id):
            self.stats.skipped += 1
            return
        state = _state_from_push(payload)
        if state is not None and sink.upsert_state(key, state, started=self._clock.monotonic()):
            self.stats.applied += 1
        else:
            self._refresh_soon([key])

    def _on_usage(self, payload: Mapping[str, Any]) -> None:
        self.stats.usage_pushes += 1
        sink = self._sink
        customer_id = payload.get("customerId")
        if sink is None or not isinstance(customer_id, str) or not sink.has_customer(customer_id):
            self.stats.skipped += 1
            return
        change = _usage_change(payload)
        if change is None:
            # A credit usage or an unexpected shape: the store cannot apply it exactly.
            self._refresh_soon(sink.keys_of(customer_id))
            return
        if (customer_id, change["resourceId"]) not in sink.keys_of(customer_id):
            self.stats.skipped += 1
            return
        if sink.apply_usage(change):
            self.stats.applied += 1
        else:
            self.stats.skipped += 1  # not cached, or older than what the store knows

    def _on_package(self, payload: Mapping[str, Any]) -> None:
        self.stats.package_pushes += 1
        sink = self._sink
        if sink is not None:
            self._refresh_soon(sink.keys_in_use())

    def _on_credit_balance(self, payload: Mapping[str, Any]) -> None:
        # A balance is not the credit entitlement the store keeps (limit and usage):
        # refresh the customer's keys to get it exactly.
        self.stats.credit_pushes += 1
        sink = self._sink
        customer_id = payload.get("customerId")
        if sink is None or not isinstance(customer_id, str) or not sink.has_customer(customer_id):
            self.stats.skipped += 1
            return
        self._refresh_soon(sink.keys_of(customer_id))

    # -- refreshes ----------------------------------------------------------------------

    def _refresh_soon(self, keys: list[Key]) -> None:
        """Refresh ``keys`` in the background; keys asked for meanwhile join the next round."""
        if not keys or self._closed:
            return
        self._pending_refresh.update(dict.fromkeys(keys))
        if self._refresher is None or self._refresher.done():
            self._refresher = asyncio.get_running_loop().create_task(
                self._refresh_loop(), name="stigg-stream-refresh"
            )

    async def _refresh_loop(self) -> None:
        while self._pending_refresh and self._sink is not None:
            keys = list(self._pending_refresh)
            self._pending_refresh.clear()
            self.stats.refresh_requests += 1
            self.stats.refreshed_keys += len(keys)
            try:
                await self._sink.refresh_keys(keys)
            except asyncio.CancelledError:
                raise
            except Exception:  # the sink should not raise; the poller covers it if it does
                logger.debug("stream refresh failed", exc_info=True)

    # -- status ---------------------------------------------------------------------

    def _report(
        self, state: SourceState, *, error: BaseException | None = None, reason: str | None = None
    ) -> None:
        self._state = state
        status = self._status
        if status is None:
            return
        try:
            status.report(self.name, state, error=error, reason=reason)
        except Exception:  # a status sink must never break the stream
            logger.debug("status sink failed", exc_info=True)
