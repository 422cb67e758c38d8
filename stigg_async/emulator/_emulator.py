"""The in-process emulator: start, pause, resume and stop a server on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web
from graphql import GraphQLSchema

from stigg_async._clock import Clock, FakeClock, SystemClock
from stigg_async.emulator._catalog import Catalog
from stigg_async.emulator._counters import Counters
from stigg_async.emulator._faults import FaultInjector
from stigg_async.emulator._process import free_port
from stigg_async.emulator._pubsub import PubSub
from stigg_async.emulator._resolvers import install_resolvers
from stigg_async.emulator._schema import DocumentCache, build_emulator_schema
from stigg_async.emulator._server import build_app
from stigg_async.emulator._state import EmulatorState
from stigg_async.emulator._views import Views

__all__ = ["Emulator"]

CatalogSource = Catalog | Mapping[str, Any] | str | Path | None


@cache
def _shared_schema() -> GraphQLSchema:
    # Building the schema takes a noticeable moment; every emulator in the process shares it.
    schema = build_emulator_schema()
    install_resolvers(schema)
    return schema


class Emulator:
    """A local Stigg-compatible GraphQL server with in-memory state.

    Example:
        >>> async def demo() -> None:  # doctest: +SKIP
        ...     async with Emulator(api_key="test-key", clock=FakeClock()) as emu:
        ...         emu.state.provision_customer("c-1")
        ...         emu.state.provision_subscription("c-1", "plan-revvenu-basic")
        ...         print(emu.url)  # http://127.0.0.1:<port>/graphql

    Args:
        api_key: the key clients must send in ``X-API-KEY``.
        clock: the emulator's notion of now, and what latency faults wait on.
        catalog: a :class:`Catalog`, its mapping, a JSON/YAML path, or ``None`` (default catalog).
        host: the interface to listen on (loopback by default).
        port: the port (``0`` picks a free one; it is kept across :meth:`pause`/:meth:`resume`).
        max_aliases: the most aliased root fields one request may carry.
        seed: seeds generated ids and fault probabilities, so runs repeat.
    """

    def __init__(
        self,
        *,
        api_key: str = "test-key",
        clock: Clock | None = None,
        catalog: CatalogSource = None,
        host: str = "127.0.0.1",
        port: int = 0,
        max_aliases: int = 50,
        seed: int = 0,
    ) -> None:
        if not api_key:
            raise ValueError("the emulator needs a non-empty api_key")
        self._api_key = api_key
        self.clock: Clock = clock if clock is not None else SystemClock()
        self._offset = timedelta()
        self.host = host
        self._port = port
        self.max_aliases = max_aliases
        self.state = EmulatorState(Catalog.coerce(catalog), now=self._now, seed=seed)
        self.counters = Counters()
        self.faults = FaultInjector(seed=seed)
        self._views = Views(self.state)
        #: The websocket side: subscriptions hub, stream faults and counters.
        self.stream = PubSub(self.state, self._views, self.clock)
        self.state.listener = self.stream
        self._schema = _shared_schema()
        self._documents = DocumentCache(self._schema)
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None

    def _now(self) -> datetime:
        return self.clock.now() + self._offset

    def __repr__(self) -> str:
        where = self.base_url if self._runner is not None else "stopped"
        return f"Emulator({where}, customers={len(self.state.customers)})"

    # ------------------------------------------------------------------ addresses

    @property
    def port(self) -> int:
        """The port it listens on (known once started)."""
        return self._port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (checkout and hook URLs hang off it)."""
        return f"http://{self.host}:{self._port}"

    @property
    def url(self) -> str:
        """The GraphQL endpoint: ``http://127.0.0.1:PORT/graphql``."""
        return f"{self.base_url}/graphql"

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> Emulator:
        """Start listening (on a free port if ``port`` was 0)."""
        if self._runner is not None:
            return self
        if self._port == 0:
            self._port = free_port(self.host)
        self.state.base_url = self.base_url
        runner = web.AppRunner(build_app(self), access_log=None, handle_signals=False)
        await runner.setup()
        self._runner = runner
        await self._listen()
        return self

    async def _listen(self) -> None:
        assert self._runner is not None
        site = web.TCPSite(self._runner, self.host, self._port, reuse_address=True)
        await site.start()
        self._site = site

    async def pause(self) -> None:
        """Stop listening and cut open connections, keeping state and the port (an outage)."""
        if self._site is None:
            return
        await self._site.stop()
        self._site = None
        server = self._runner.server if self._runner is not None else None
        if server is not None:
            for connection in server.connections:
                connection.force_close()
        await asyncio.sleep(0)

    async def resume(self) -> None:
        """Listen again on the same port after :meth:`pause`."""
        if self._runner is None:
            await self.start()
        elif self._site is None:
            await self._listen()

    @property
    def paused(self) -> bool:
        """Whether it is started but not listening."""
        return self._runner is not None and self._site is None

    async def stop(self) -> None:
        """Stop the server and close every connection."""
        runner, self._runner, self._site = self._runner, None, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Emulator:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # ------------------------------------------------------------------ test hooks

    def reset(self) -> None:
        """Forget all customers, subscriptions, usage, counters and fault rules.

        The catalog and the clock stay as they are.
        """
        self.state.reset()
        self.counters.reset()
        self.faults.clear()
        self.stream.reset()

    def load_catalog(self, catalog: CatalogSource) -> None:
        """Replace the catalog (a :class:`Catalog`, mapping, path, or ``None`` for the default)."""
        self.state.load_catalog(Catalog.coerce(catalog))

    def advance_time(self, seconds: float) -> None:
        """Move the emulator's time forward (a :class:`FakeClock` is advanced, waking sleepers)."""
        if seconds < 0:
            raise ValueError("time cannot move backwards")
        if isinstance(self.clock, FakeClock):
            self.clock.advance(seconds)
        else:
            self._offset += timedelta(seconds=seconds)
        self.stream.sweep()  # publish trial ends and expiries that time alone brought

    def stats(self) -> dict[str, Any]:
        """Totals for verification: applied and replayed usage reports and events."""
        state = self.state
        return {
            "customers": len(state.customers),
            "subscriptions": len(state.subscriptions),
            "appliedUsageReports": state.applied_usage_reports,
            "replayedUsageReports": state.replayed_usage_reports,
            "appliedEvents": state.applied_events,
            "replayedEvents": state.replayed_events,
        }
