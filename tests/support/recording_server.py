"""A tiny GraphQL-over-HTTP test server on 127.0.0.1 that records what it receives.

Each test queues the answers it wants (status, JSON body or raw text, headers, or a
dropped connection) and then reads back the exact requests the SDK sent.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Reply:
    """One canned answer."""

    body: Any = None
    status: int = 200
    text: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    hang: bool = False


@dataclass
class Received:
    """One request as the server saw it."""

    headers: dict[str, str]
    payload: dict[str, Any]

    @property
    def query(self) -> str:
        return str(self.payload.get("query", ""))

    @property
    def variables(self) -> dict[str, Any]:
        return dict(self.payload.get("variables") or {})

    @property
    def operation_name(self) -> str | None:
        name = self.payload.get("operationName")
        return str(name) if name is not None else None


class RecordingServer:
    """Serve queued replies at ``/graphql``; when the queue is empty, repeat ``default``."""

    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.default: Reply | None = None
        self.received: list[Received] = []
        self._runner: web.AppRunner | None = None
        self._release = asyncio.Event()
        self.url = ""

    def reply(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def data(self, data: dict[str, Any]) -> None:
        """Queue one 200 answer with ``{"data": data}``."""
        self.replies.append(Reply(body={"data": data}))

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        payload = await request.json()
        self.received.append(Received(dict(request.headers), payload))
        reply = self.replies.pop(0) if self.replies else self.default
        if reply is None:
            return web.json_response({"errors": [{"message": "no reply queued"}]}, status=500)
        if reply.drop:
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        if reply.hang:
            await self._release.wait()
        if reply.text is not None:
            return web.Response(
                text=reply.text,
                status=reply.status,
                headers=reply.headers,
                content_type="text/plain",
            )
        return web.Response(
            text=json.dumps(reply.body),
            status=reply.status,
            headers=reply.headers,
            content_type="application/json",
        )

    async def start(self) -> RecordingServer:
        app = web.Application()
        app.router.add_post("/graphql", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/graphql"
        return self

    async def stop(self) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()
