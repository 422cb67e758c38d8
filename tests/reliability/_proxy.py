"""A fault-injecting HTTP proxy on 127.0.0.1, between the SDK and the emulator.

It forwards ``POST /graphql`` to the emulator and, for a seeded share of requests,
spoils the exchange the way real networks and gateways do. Kinds marked *after* run
the request at the emulator first (the write lands) and then lose or spoil the
answer, which is what makes an outcome ambiguous:

* ``truncate_after``: a 200 with the first half of the body (consistent Content-Length);
* ``cut_after``: the connection is closed instead of answering;
* ``cut_mid_body``: headers for the full body, half of it, then the connection closes;
* ``5xx_after``: a 502 instead of the answer;
* ``5xx_before`` / ``cut_before``: a 503 or a closed connection, nothing forwarded
  (the client cannot tell these from the *after* kinds);
* ``429_before``: rate limited, nothing forwarded (a definite refusal);
* ``slow``: forwarded after ``slow_seconds`` (longer than the client's timeout: the
  client gives up, the write lands later);
* ``delay``: forwarded after a short random delay.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import aiohttp
from aiohttp import web

__all__ = ["AFTER_KINDS", "FaultProxy"]

#: Faults that forward first: the request runs at the emulator, its answer is lost.
AFTER_KINDS = frozenset({"truncate_after", "cut_after", "cut_mid_body", "5xx_after", "slow"})

# Shares of the failing kinds (they add up to 1; scaled by the fault rate).
_SHARES = {
    "truncate_after": 0.25,
    "cut_after": 0.15,
    "cut_mid_body": 0.15,
    "5xx_after": 0.15,
    "5xx_before": 0.08,
    "429_before": 0.08,
    "cut_before": 0.08,
    "slow": 0.06,
}
_FORWARDED_HEADERS = ("X-API-KEY", "X-API-VERSION", "Content-Type", "User-Agent")


class FaultProxy:
    """Serve ``/graphql`` on 127.0.0.1, forwarding to ``upstream`` with injected faults.

    ``fault_rate`` is the share of requests that fail in one of the ways above;
    another ``delay_rate`` share is only delayed. ``enabled=False`` forwards cleanly.
    """

    def __init__(
        self,
        upstream: str,
        *,
        fault_rate: float,
        seed: int = 0,
        delay_rate: float = 0.1,
        slow_seconds: float = 0.4,
    ) -> None:
        self.upstream = upstream
        self.fault_rate = fault_rate
        self.delay_rate = delay_rate
        self.slow_seconds = slow_seconds
        self.enabled = True
        self.counts: Counter[str] = Counter()
        self.in_flight = 0
        self._rng = random.Random(seed)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        self.url = ""

    @property
    def faults(self) -> int:
        """Requests that failed in some way (delays not counted)."""
        return sum(n for kind, n in self.counts.items() if kind not in ("ok", "delay"))

    def _pick(self) -> str:
        if not self.enabled:
            return "ok"
        roll = self._rng.random()
        if roll < self.fault_rate:
            pick = self._rng.random()
            for kind, share in _SHARES.items():
                if pick < share:
                    return kind
                pick -= share
            return "5xx_before"
        if roll < self.fault_rate + self.delay_rate:
            return "delay"
        return "ok"

    async def start(self) -> FaultProxy:
        self._session = aiohttp.ClientSession()
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

    async def wait_idle(self) -> None:
        """Wait until no request is being forwarded (slow ones land late)."""
        await asyncio.wait_for(self._idle.wait(), 30)

    async def stop(self) -> None:
        await self.wait_idle()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        kind = self._pick()
        self.counts[kind] += 1
        self.in_flight += 1
        self._idle.clear()
        try:
            return await self._answer(request, body, kind)
        finally:
            self.in_flight -= 1
            if not self.in_flight:
                self._idle.set()

    async def _answer(self, request: web.Request, body: bytes, kind: str) -> web.StreamResponse:
        if kind == "cut_before":
            return _cut(request)
        if kind == "5xx_before":
            return web.Response(status=503, text="proxy: upstream unavailable")
        if kind == "429_before":
            return web.Response(status=429, text="proxy: slow down")
        if kind == "slow":
            await asyncio.sleep(self.slow_seconds)
        elif kind == "delay":
            await asyncio.sleep(self._rng.uniform(0.002, 0.02))
        headers = {h: request.headers[h] for h in _FORWARDED_HEADERS if h in request.headers}
        assert self._session is not None
        async with self._session.post(self.upstream, data=body, headers=headers) as upstream:
            status = upstream.status
            payload = await upstream.read()
        if kind == "truncate_after":
            return web.Response(
                status=200, body=payload[: len(payload) // 2], content_type="application/json"
            )
        if kind == "cut_after":
            return _cut(request)
        if kind == "cut_mid_body":
            response = web.StreamResponse(status=200)
            response.content_type = "application/json"
            response.content_length = len(payload)
            await response.prepare(request)
            await response.write(payload[: len(payload) // 2])
            assert request.transport is not None
            request.transport.close()
            return response
        if kind == "5xx_after":
            return web.Response(status=502, text="proxy: bad gateway")
        return web.Response(status=status, body=payload, content_type="application/json")


def _cut(request: web.Request) -> web.StreamResponse:
    assert request.transport is not None
    request.transport.close()
    return web.Response()
