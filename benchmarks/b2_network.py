"""B2: the network path through the SDK against a raw aiohttp POST of the same request.

Both sides send the same document text, variables and headers to the same emulator
(a separate process on 127.0.0.1, so the measured loop runs only client code). The
raw side is one shared ``aiohttp.ClientSession`` posting JSON and decoding the JSON
answer; the SDK side is ``stigg.fetch_entitlement`` / ``stigg.report_usage`` with
everything they do (input models, retry wrapper, gql, result models, cache
write-through). Repeats alternate the order of the two sides; each figure is a
median over repeats, each ratio the median of the per-repeat ratios.
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import pstats
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from benchmarks._env import API_KEY, METERED_FEATURE, client, emulator_process
from benchmarks._harness import Config, Row, Target, median
from stigg_async import AsyncStigg
from stigg_async._operations import operation
from stigg_async._transport import user_agent

__all__ = ["profile", "run"]

CUSTOMER = "customer-b2"
FREE_PLAN = "plan-revvenu-basic"  # provisioned through the API: needs no payment method

Call = Callable[[], Awaitable[Any]]


class _Raw:
    """The baseline: a bare aiohttp POST with the SDK's document text and headers."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self._session = session
        self._url = url
        self._headers = {"X-API-KEY": API_KEY, "X-API-VERSION": "1", "User-Agent": user_agent()}

    async def post(self, name: str, variables: dict[str, Any]) -> Any:
        op = operation(name)
        payload = {"query": op.text, "operationName": op.name, "variables": variables}
        async with self._session.post(self._url, json=payload, headers=self._headers) as resp:
            body = await resp.json()
        if resp.status >= 400 or body.get("errors"):
            raise RuntimeError(f"raw request failed: {resp.status} {body}")
        return body["data"][op.root_field]

    async def fetch_entitlement(self) -> Any:
        query = {
            "customerId": CUSTOMER,
            "featureId": METERED_FEATURE,
            "options": {"requestedUsage": 1.0},
        }
        return await self.post("GetEntitlement", {"query": query})

    async def report_usage(self) -> Any:
        usage = {
            "customerId": CUSTOMER,
            "featureId": METERED_FEATURE,
            "value": 1.0,
            # Minted per call, as the SDK does, so both sides send the same bytes.
            "idempotencyKey": uuid.uuid4().hex,
        }
        return await self.post("ReportUsage", {"input": usage})


def _sdk_calls(stigg: AsyncStigg) -> dict[str, Call]:
    return {
        "entitlement": lambda: stigg.fetch_entitlement(
            CUSTOMER, METERED_FEATURE, requested_usage=1
        ),
        "report_usage": lambda: stigg.report_usage(
            customer_id=CUSTOMER, feature_id=METERED_FEATURE, value=1
        ),
    }


def _raw_calls(raw: _Raw) -> dict[str, Call]:
    return {"entitlement": raw.fetch_entitlement, "report_usage": raw.report_usage}


async def _sequential(call: Call, calls: int) -> float:
    """µs per call, one call at a time."""
    started = time.perf_counter()
    for _ in range(calls):
        await call()
    return (time.perf_counter() - started) / calls * 1e6


async def _concurrent(call: Call, calls: int, concurrency: int) -> float:
    """µs of wall time per call with ``concurrency`` calls in flight (1 / throughput)."""

    async def worker(n: int) -> None:
        for _ in range(n):
            await call()

    share, extra = divmod(calls, concurrency)
    started = time.perf_counter()
    await asyncio.gather(*(worker(share + (i < extra)) for i in range(concurrency)))
    return (time.perf_counter() - started) / calls * 1e6


async def _measure(config: Config, url: str) -> list[Row]:
    connector = aiohttp.TCPConnector(limit=100)  # the SDK's default pool size
    timeout = aiohttp.ClientTimeout(total=10)
    async with (
        client(url) as stigg,
        aiohttp.ClientSession(connector=connector, timeout=timeout) as session,
    ):
        await stigg.provision_customer(
            customer_id=CUSTOMER, subscription_params={"plan_id": FREE_PLAN}
        )
        sdk, raw = _sdk_calls(stigg), _raw_calls(_Raw(session, url))
        # Same answer both ways, and every connection of both pools warmed up.
        for kind in sdk:
            await sdk[kind]()
            await raw[kind]()
            await _concurrent(sdk[kind], config.concurrency * 2, config.concurrency)
            await _concurrent(raw[kind], config.concurrency * 2, config.concurrency)

        modes: dict[str, Callable[[Call], Awaitable[float]]] = {
            "sequential": lambda c: _sequential(c, config.net_calls),
            f"concurrency {config.concurrency}": lambda c: _concurrent(
                c, config.net_concurrent_calls, config.concurrency
            ),
        }
        rows: list[Row] = []
        for kind in sdk:
            for mode, measure in modes.items():
                sdk_us: list[float] = []
                raw_us: list[float] = []
                for repeat in range(config.repeats):
                    # Alternate who goes first, so warm-up or drift favours neither.
                    order = [("sdk", sdk[kind]), ("raw", raw[kind])]
                    if repeat % 2:
                        order.reverse()
                    for side, call in order:
                        (sdk_us if side == "sdk" else raw_us).append(await measure(call))
                ratios = [s / r for s, r in zip(sdk_us, raw_us, strict=True)]
                overheads = [s - r for s, r in zip(sdk_us, raw_us, strict=True)]
                key = (
                    f"B2.{kind}.{'seq' if mode == 'sequential' else 'c' + str(config.concurrency)}"
                )
                label = "entitlement query" if kind == "entitlement" else "report_usage"
                rows += [
                    Row(f"{key}.sdk", f"{label}, SDK, {mode}", median(sdk_us), "µs/call"),
                    Row(f"{key}.raw", f"{label}, raw aiohttp, {mode}", median(raw_us), "µs/call"),
                    Row(
                        f"{key}.ratio",
                        f"{label}, SDK / raw, {mode}",
                        median(ratios),
                        "×",
                        Target("<=", 1.25),
                        extra={"ratios": ratios},
                    ),
                    Row(
                        f"{key}.overhead",
                        f"{label}, SDK − raw per call, {mode}",
                        median(overheads),
                        "µs",
                    ),
                ]
    return rows


def run(config: Config) -> list[Row]:
    with emulator_process() as url:
        return asyncio.run(_measure(config, url))


async def _profile_loop(url: str, calls: int) -> str:
    async with client(url) as stigg:
        await stigg.provision_customer(
            customer_id=CUSTOMER, subscription_params={"plan_id": FREE_PLAN}
        )
        sdk = _sdk_calls(stigg)
        for call in sdk.values():
            await _sequential(call, 50)
        out = io.StringIO()
        for kind, call in sdk.items():
            profiler = cProfile.Profile()
            profiler.enable()
            await _sequential(call, calls)
            profiler.disable()
            out.write(f"\n=== {kind}: {calls} sequential SDK calls ===\n")
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("tottime").print_stats(30)
            stats.sort_stats("cumulative").print_stats(45)
        return out.getvalue()


def profile(calls: int = 2_000) -> str:
    """cProfile of the SDK side of B2 (``python -m benchmarks --profile-b2``)."""
    with emulator_process() as url:
        return asyncio.run(_profile_loop(url, calls))
