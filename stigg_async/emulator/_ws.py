"""GraphQL subscriptions over websocket on ``GET /graphql``.

Speaks ``graphql-transport-ws`` (what Stigg's clients and gql use) and, because it
costs a few lines, the legacy ``graphql-ws`` (subscriptions-transport-ws). The
API key is read, in this order, from ``connection_init``'s payload
(``payload["X-API-KEY"]``, ``payload["headers"]["X-API-KEY"]`` as Stigg's Node SDK
sends it, ``payload["apiKey"]``), the upgrade request's ``X-API-KEY`` header, or the
``apiKey`` query parameter. Subscriptions run through graphql-core's ``subscribe``
over the emulator's schema with the hub's feeds as event sources.

Close codes follow graphql-transport-ws: 4400 bad message, 4401 subscribe before
ack, 4403 bad key, 4408 no ``connection_init`` in time, 4409 duplicate id, 4429
second ``connection_init``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from inspect import isawaitable
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    parse,
    subscribe,
    validate,
)

from stigg_async.emulator._pubsub import Feed, PubSub
from stigg_async.emulator._schema import Info, default_resolver
from stigg_async.emulator._state import EmulatorState
from stigg_async.emulator._time import format_datetime
from stigg_async.emulator._views import Views

if TYPE_CHECKING:
    from stigg_async.emulator._emulator import Emulator

__all__ = ["LEGACY_WS", "TRANSPORT_WS", "StreamEndpoint", "add_stream_routes"]

logger = logging.getLogger("stigg_async.emulator")

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"

#: Seconds between the server's keep-alive pings (``ping`` / legacy ``ka``).
KEEPALIVE_INTERVAL = 10.0
#: Seconds a client has to send ``connection_init`` after the upgrade.
INIT_TIMEOUT = 10.0


def _encode_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_encode_default).encode


@dataclass
class SubscriptionContext:
    """The context of one subscription: what resolvers read, plus the feeds it opened."""

    state: EmulatorState
    views: Views
    hub: PubSub
    feeds: list[Feed] = field(default_factory=list)

    def now(self) -> datetime:
        return self.state.now()


def _subscribe_field(_: Any, info: Info, **__: Any) -> Feed:
    context = info.context
    assert isinstance(context, SubscriptionContext)
    feed = context.hub.feed(info.field_name)
    context.feeds.append(feed)
    return feed


def _supplied_key(request: web.Request, payload: Any) -> str:
    if isinstance(payload, Mapping):
        for candidate in (payload, payload.get("headers")):
            if isinstance(candidate, Mapping):
                for name, value in candidate.items():
                    named = isinstance(name, str) and name.lower() in ("x-api-key", "apikey")
                    if named and isinstance(value, str) and value:
                        return value
    return request.headers.get("X-API-KEY") or request.query.get("apiKey") or ""


class _Documents:
    """Parse and validate each subscription text once (a small LRU)."""

    def __init__(self, emulator: Emulator, size: int = 256) -> None:
        self._schema = emulator._schema
        self._size = size
        self._cache: OrderedDict[str, tuple[DocumentNode | None, list[GraphQLError]]] = (
            OrderedDict()
        )

    def get(self, query: str) -> tuple[DocumentNode | None, list[GraphQLError]]:
        hit = self._cache.get(query)
        if hit is not None:
            self._cache.move_to_end(query)
            return hit
        try:
            document: DocumentNode | None = parse(query)
            errors = list(validate(self._schema, document)) if document else []
        except GraphQLError as error:
            document, errors = None, [error]
        if document is not None and not errors:
            ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            if any(op.operation is not OperationType.SUBSCRIPTION for op in ops):
                errors = [
                    GraphQLError(
                        "Only subscriptions are served over the websocket; "
                        "send queries and mutations with POST /graphql",
                        extensions={"code": "BadUserInput"},
                    )
                ]
        result = (document if not errors else None, errors)
        self._cache[query] = result
        if len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return result


class _Connection:
    """One websocket: its protocol, handshake state and running subscriptions."""

    def __init__(
        self, endpoint: StreamEndpoint, request: web.Request, ws: web.WebSocketResponse
    ) -> None:
        self.endpoint = endpoint
        self.emu = endpoint.emu
        self.hub = endpoint.emu.stream
        self.request = request
        self.ws = ws
        self.legacy = ws.ws_protocol == LEGACY_WS
        self.acknowledged = False
        self.initialised = False
        self.operations: dict[str, asyncio.Task[None]] = {}

    async def send(self, message: dict[str, Any]) -> None:
        if not self.ws.closed:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self.ws.send_str(_dumps(message))

    async def close(self, code: int, reason: str) -> None:
        await self.ws.close(code=code, message=reason.encode())

    async def run(self) -> None:
        keepalive = asyncio.get_running_loop().create_task(self._keepalive())
        init_timer = asyncio.get_running_loop().create_task(self._init_timeout())
        try:
            async for message in self.ws:
                if message.type is not WSMsgType.TEXT:
                    if message.type is WSMsgType.BINARY:
                        await self.close(4400, "Binary messages are not supported")
                    continue
                if not await self._handle(message.data):
                    break
        finally:
            keepalive.cancel()
            init_timer.cancel()
            for task in list(self.operations.values()):
                task.cancel()
            tasks = [keepalive, init_timer, *self.operations.values()]
            await asyncio.gather(*tasks, return_exceptions=True)
            self.operations.clear()

    async def _init_timeout(self) -> None:
        await self.emu.clock.sleep(INIT_TIMEOUT)
        if not self.initialised:
            await self.close(4408, "Connection initialisation timeout")

    async def _keepalive(self) -> None:
        interval = self.endpoint.keepalive_interval
        if interval <= 0:
            return
        while not self.ws.closed:
            await self.emu.clock.sleep(interval)
            if self.acknowledged:
                self.hub.counters.pings += 1
                await self.send({"type": "ka"} if self.legacy else {"type": "ping"})

    async def _handle(self, text: str) -> bool:
        """Handle one client message; False when the connection is to be closed."""
        try:
            message = json.loads(text)
        except ValueError:
            await self.close(4400, "Invalid message: not JSON")
            return False
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self.close(4400, "Invalid message: no type")
            return False
        kind = message["type"]
        if kind == "connection_init":
            return await self._init(message.get("payload"))
        if kind == "ping":
            self.hub.counters.pongs += 1
            reply: dict[str, Any] = {"type": "pong"}
            if "payload" in message:
                reply["payload"] = message["payload"]
            await self.send(reply)
            return True
        if kind == "pong":
            return True
        if kind == "connection_terminate":
            await self.close(1000, "Normal Closure")
            return False
        if kind in ("subscribe", "start"):
            return await self._subscribe(message)
        if kind in ("complete", "stop"):
            task = self.operations.pop(str(message.get("id")), None)
            if task is not None:
                task.cancel()
            return True
        await self.close(4400, f"Invalid message type {kind[:40]!r}")
        return False

    async def _init(self, payload: Any) -> bool:
        if self.initialised:
            await self.close(4429, "Too many initialisation requests")
            return False
        self.initialised = True
        supplied = _supplied_key(self.request, payload)
        if not hmac.compare_digest(supplied.encode(), self.emu._api_key.encode()):
            self.hub.counters.unauthorized += 1
            if self.legacy:
                await self.send(
                    {"type": "connection_error", "payload": {"message": "Unauthenticated"}}
                )
            await self.close(4403, "Forbidden")
            return False
        self.acknowledged = True
        await self.send({"type": "connection_ack"})
        if self.legacy:
            await self.send({"type": "ka"})
        return True

    async def _subscribe(self, message: dict[str, Any]) -> bool:
        if not self.acknowledged:
            await self.close(4401, "Unauthorized")
            return False
        op_id = message.get("id")
        payload = message.get("payload")
        if not isinstance(op_id, str) or not op_id or not isinstance(payload, dict):
            await self.close(4400, "Invalid subscribe message")
            return False
        if op_id in self.operations:
            await self.close(4409, f"Subscriber for {op_id[:40]} already exists")
            return False
        query = payload.get("query")
        if not isinstance(query, str):
            await self.close(4400, "Invalid subscribe message: no query")
            return False
        document, errors = self.endpoint.documents.get(query)
        if document is None:
            await self._error(op_id, errors)
            return True
        variables = payload.get("variables") or {}
        context = SubscriptionContext(self.emu.state, self.emu._views, self.hub)
        # The feeds register here, synchronously: a change made after this message
        # was handled reaches them (a client may ping after subscribing to be sure).
        result = subscribe(
            self.emu._schema,
            document,
            context_value=context,
            variable_values=variables if isinstance(variables, dict) else {},
            operation_name=payload.get("operationName"),
            field_resolver=default_resolver,
            subscribe_field_resolver=_subscribe_field,
        )
        if isawaitable(result):  # pragma: no cover - the subscribe resolver is synchronous
            result = await result
        if isinstance(result, ExecutionResult):
            for feed in context.feeds:
                feed.close()
            await self._error(op_id, list(result.errors or ()))
            return True
        task = asyncio.get_running_loop().create_task(
            self._pump(op_id, result, context), name=f"stigg-emulator-subscription-{op_id}"
        )
        self.operations[op_id] = task
        return True

    async def _error(self, op_id: str, errors: list[GraphQLError]) -> None:
        formatted = [dict(e.formatted) for e in errors] or [{"message": "Subscription failed"}]
        # graphql-transport-ws sends a list; the legacy protocol one object.
        await self.send(
            {"type": "error", "id": op_id, "payload": formatted[0] if self.legacy else formatted}
        )

    async def _pump(self, op_id: str, results: Any, context: SubscriptionContext) -> None:
        counters = self.hub.counters
        faults = self.hub.faults
        root = context.feeds[0].root_field if context.feeds else "?"
        try:
            async for result in results:
                assert isinstance(result, ExecutionResult)
                if faults.take_drop():
                    counters.dropped_messages += 1
                    continue
                body: dict[str, Any] = {"data": result.data}
                if result.errors:
                    body["errors"] = [dict(e.formatted) for e in result.errors]
                kind = "data" if self.legacy else "next"
                await self.send({"type": kind, "id": op_id, "payload": body})
                counters.sent(root)
            await self.send({"type": "complete", "id": op_id})
        finally:
            for feed in context.feeds:
                feed.close()
            with contextlib.suppress(Exception):
                await results.aclose()
            if self.operations.get(op_id) is asyncio.current_task():
                del self.operations[op_id]


class StreamEndpoint:
    """``GET /graphql``: upgrades to a websocket, or says how to use the endpoint."""

    def __init__(self, emulator: Emulator, *, keepalive_interval: float = KEEPALIVE_INTERVAL):
        self.emu = emulator
        self.keepalive_interval = keepalive_interval
        self.documents = _Documents(emulator)
        self._connections: dict[_Connection, None] = {}
        emulator.stream.drop_connections_hook = self.drop_all
        emulator.stream.open_connections = lambda: len(self._connections)

    def drop_all(self) -> int:
        """Cut every open socket without a close frame; returns how many."""
        dropped = 0
        for connection in list(self._connections):
            transport = connection.request.transport
            if transport is not None:
                transport.close()
                dropped += 1
        return dropped

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        hub = self.emu.stream
        ws = web.WebSocketResponse(protocols=(TRANSPORT_WS, LEGACY_WS), autoping=True)
        if not ws.can_prepare(request).ok:
            return web.json_response(
                {
                    "errors": [
                        {
                            "message": "GET /graphql serves GraphQL subscriptions over "
                            "websocket (graphql-transport-ws); send queries and mutations "
                            "with POST",
                            "extensions": {"code": "BadUserInput"},
                        }
                    ]
                },
                status=405,
                headers={"Allow": "POST"},
            )
        refuse = hub.faults.refuse_status
        if refuse is not None:
            hub.counters.refused += 1
            return web.json_response(
                {"errors": [{"message": f"Injected fault: upgrade refused (HTTP {refuse})"}]},
                status=refuse,
            )
        await ws.prepare(request)
        hub.counters.connections += 1
        connection = _Connection(self, request, ws)
        self._connections[connection] = None
        try:
            await connection.run()
        finally:
            self._connections.pop(connection, None)
            if not ws.closed:
                with contextlib.suppress(Exception):
                    await ws.close()
        return ws


def _stream_hook(emulator: Emulator) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """``/_emulator/stream``: GET counters; POST a fault; DELETE faults and counters."""

    async def handle(request: web.Request) -> web.StreamResponse:
        supplied = request.headers.get("X-API-KEY") or request.query.get("apiKey") or ""
        if not hmac.compare_digest(supplied.encode(), emulator._api_key.encode()):
            return web.json_response({"errors": [{"message": "Unauthenticated"}]}, status=401)
        hub = emulator.stream
        if request.method == "DELETE":
            hub.reset()
        elif request.method == "POST":
            raw = await request.read()
            try:
                body = json.loads(raw) if raw else {}
                if not isinstance(body, dict):
                    raise ValueError("expected a JSON object")
                _apply_hook(hub, body)
            except (ValueError, TypeError) as error:
                return web.json_response({"error": str(error)}, status=400)
        return web.json_response(hub.stats(), dumps=_dumps)

    return handle


def _apply_hook(hub: PubSub, body: Mapping[str, Any]) -> None:
    action = body.get("action")
    faults = hub.faults
    if action == "drop_connections":
        hub.drop_connections()
    elif action == "refuse_upgrades":
        status = body.get("status", 503)
        faults.refuse_status = None if status is None else int(status)
    elif action == "accept_upgrades":
        faults.refuse_status = None
    elif action == "pause":
        hub.pause()
    elif action == "resume":
        hub.resume()
    elif action == "delay":
        seconds = float(body.get("seconds", 0))
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        faults.delay = seconds
    elif action == "drop_messages":
        faults.drop_messages(int(body.get("count", 1)))
    elif action == "sweep":
        hub.sweep()
    else:
        raise ValueError(
            "action must be one of drop_connections, refuse_upgrades, accept_upgrades, "
            "pause, resume, delay, drop_messages, sweep"
        )


def add_stream_routes(app: web.Application, emulator: Emulator, hook_prefix: str) -> None:
    """Serve the websocket on ``GET /graphql`` and the stream test hook under ``hook_prefix``."""
    app.router.add_get("/graphql", StreamEndpoint(emulator).__call__)
    hook = _stream_hook(emulator)
    for method in ("GET", "POST", "DELETE"):
        app.router.add_route(method, f"{hook_prefix}/stream", hook)
