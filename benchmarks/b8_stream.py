"""B8: the websocket stream: propagation latency, pushes applied per second, cost at scale.

*Propagation*: another client (a plain aiohttp session) reports usage or grants a
promotional entitlement over HTTP; the figure is the time from just before its
request is sent until the local answer of a warm client (``peek_entitlement``)
shows the change, seen through the cache's change listener. Measured with default
options (stream on; the poller at its safety interval) and with ``streaming=False``
and the poller at ``poll_interval=1`` for comparison: without the stream the
latency is a fraction of the poll interval (at the default 30 s, up to 30 s).
Changes go to distinct customers a few milliseconds apart, so the poller run takes
seconds, not minutes.

*Throughput*: usage changes made in the emulator one per loop turn; pushes the
stream source applied per second, until the last one is applied. The emulator runs
in the same process and loop, so its publishing work is included (a lower bound).

*Scale*: 10,000 cached customers, usage pushes at a fixed rate for a few seconds:
CPU time of the process per wall second (emulator included) and growth of its
resident memory (the poller off, so only the stream works). Every check in the
runs is local: requests by the client are counted.
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
from collections.abc import Callable
from typing import Any

import aiohttp

from benchmarks._env import API_KEY, METERED_FEATURE, PLAN, emulator, seed
from benchmarks._harness import Config, Row, Target
from stigg_async import AsyncStigg, EntitlementCacheOptions
from stigg_async._cache._source import SourceState
from stigg_async._cache._stream import StreamSource
from stigg_async.emulator import Emulator
from stigg_async.emulator._state import UsageReport

__all__ = ["run"]

REPORT = "mutation ($input: ReportUsageInput!) { reportUsage(input: $input) { currentUsage } }"
GRANT = """mutation ($input: GrantPromotionalEntitlementsInput!) {
  grantPromotionalEntitlements(input: $input) { id } }"""
GAP = 0.005  # seconds between two changes by the other client


def _p(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _stream_of(stigg: AsyncStigg) -> StreamSource:
    sources = stigg._entitlements._sources  # the benchmark looks inside on purpose
    return next(s for s in sources if isinstance(s, StreamSource))


async def _until(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            return False
        await asyncio.sleep(0.001)
    return True


def _extra_feature(emu: Emulator) -> str:
    plan = emu.state.catalog.plans[PLAN]
    have = set(emu.state.catalog.plan_entitlements(plan))
    return next(f for f in sorted(emu.state.catalog.features) if f not in have)


async def _propagation(
    config: Config, *, streaming: bool
) -> tuple[dict[str, list[float]], int, int]:
    """Latencies (s) per kind, requests made by the warm client, changes not seen."""
    n = config.stream_changes
    options = (
        EntitlementCacheOptions(max_entries=50_000)
        if streaming
        else EntitlementCacheOptions(streaming=False, poll_interval=1.0, max_entries=50_000)
    )
    latencies: dict[str, list[float]] = {"usage": [], "entitlement": []}
    async with emulator() as emu:
        customers = seed(emu, 2 * n, prefix="b8")
        extra = _extra_feature(emu)
        async with (
            AsyncStigg(api_key=API_KEY, api_url=emu.url, entitlements=options) as stigg,
            aiohttp.ClientSession() as other,
        ):
            if streaming:
                await _until(
                    lambda: stigg.entitlement_status.sources.get("stream") is SourceState.VALID, 10
                )
            summary = await stigg.prefetch(customers)
            assert summary.loaded == len(customers), summary.failed[:3]
            sent: dict[str, float] = {}
            seen: dict[str, float] = {}
            expect: dict[str, Callable[[], bool]] = {}

            def listener(change: Any) -> None:
                customer = change.customer_id
                if customer in sent and customer not in seen and expect[customer]():
                    seen[customer] = time.perf_counter()

            stigg.add_entitlement_listener(listener)
            requests_before = emu.counters.total
            posts = 0
            for kind, group in (("usage", customers[:n]), ("entitlement", customers[n:])):
                for customer in group:
                    if kind == "usage":
                        expect[customer] = lambda c=customer: (
                            stigg.peek_entitlement(c, METERED_FEATURE).current_usage == 1
                        )
                        query: str = REPORT
                        variables: dict[str, Any] = {
                            "input": {
                                "customerId": customer,
                                "featureId": METERED_FEATURE,
                                "value": 1,
                            }
                        }
                    else:
                        expect[customer] = lambda c=customer: (
                            stigg.peek_entitlement(c, extra).is_granted
                        )
                        query = GRANT
                        variables = {
                            "input": {
                                "customerId": customer,
                                "promotionalEntitlements": [
                                    {"featureId": extra, "period": "ONE_MONTH"}
                                ],
                            }
                        }
                    sent[customer] = time.perf_counter()
                    async with other.post(
                        emu.url,
                        json={"query": query, "variables": variables},
                        headers={"X-API-KEY": API_KEY},
                    ) as response:
                        await response.read()
                    posts += 1
                    await asyncio.sleep(GAP)
                await _until(lambda g=group: all(c in seen for c in g), 15)
                latencies[kind] = [seen[c] - sent[c] for c in group if c in seen]
            # Warm checks all along: none of them may make a request.
            for customer in customers:
                stigg.peek_entitlement(customer, METERED_FEATURE)
            own_requests = emu.counters.total - requests_before - posts
            missing = len(sent) - len(seen)
    return latencies, own_requests, missing


async def _throughput(config: Config) -> float:
    """Usage pushes applied per second by the stream source (emulator in the loop)."""
    pushes = config.stream_burst
    async with emulator() as emu:
        customers = seed(emu, 100, prefix="b8t")
        async with AsyncStigg(api_key=API_KEY, api_url=emu.url) as stigg:
            await _until(
                lambda: stigg.entitlement_status.sources.get("stream") is SourceState.VALID, 10
            )
            await stigg.prefetch(customers)
            source = _stream_of(stigg)
            before = source.stats.usage_pushes
            started = time.perf_counter()
            for i in range(pushes):
                emu.state.report_usage(UsageReport(customers[i % 100], METERED_FEATURE, 0.001))
                await asyncio.sleep(0)  # one flush, so one push, per change
            await _until(lambda: source.stats.usage_pushes - before >= pushes, 60)
            elapsed = time.perf_counter() - started
            return (source.stats.usage_pushes - before) / elapsed


def _rss() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def _scale(config: Config) -> tuple[float, float, float, int]:
    """CPU share, RSS growth (bytes) and pushes/s achieved at the target rate; requests made."""
    n, rate, seconds = config.stream_customers, config.push_rate, config.push_seconds
    async with emulator() as emu:
        customers = seed(emu, n, prefix="b8s")
        async with AsyncStigg(
            api_key=API_KEY,
            api_url=emu.url,
            # The poller off: its first cycles (before the stream relaxes it) would
            # refresh all 10,000 keys in the middle of the measurement.
            entitlements=EntitlementCacheOptions(max_entries=max(50_000, 2 * n), poll=False),
        ) as stigg:
            await _until(
                lambda: stigg.entitlement_status.sources.get("stream") is SourceState.VALID, 10
            )
            await stigg.prefetch(customers)
            source = _stream_of(stigg)
            gc.collect()
            before_pushes = source.stats.usage_pushes
            before_requests = emu.counters.total
            rss0, cpu0, wall0 = _rss(), time.process_time(), time.perf_counter()
            tick = 0.01
            per_tick = max(1, round(rate * tick))
            sent = 0
            deadline = wall0 + seconds
            i = 0
            while time.perf_counter() < deadline:
                for _ in range(per_tick):
                    emu.state.report_usage(UsageReport(customers[i % n], METERED_FEATURE, 0.001))
                    i += 1
                sent += per_tick
                await asyncio.sleep(tick)
            await _until(lambda: source.stats.usage_pushes - before_pushes >= sent, 30)
            wall = time.perf_counter() - wall0
            cpu = (time.process_time() - cpu0) / wall
            grown = _rss() - rss0
            achieved = (source.stats.usage_pushes - before_pushes) / wall
            requests = emu.counters.total - before_requests
    return cpu, grown, achieved, requests


def run(config: Config) -> list[Row]:
    on, on_requests, on_missing = asyncio.run(_propagation(config, streaming=True))
    off, _, off_missing = asyncio.run(_propagation(config, streaming=False))
    applied = asyncio.run(_throughput(config))
    cpu, grown, achieved, scale_requests = asyncio.run(_scale(config))
    n = config.stream_changes
    rows: list[Row] = []
    for kind in ("usage", "entitlement"):
        for label, values, target in (("stream", on[kind], 250.0), ("poller 1 s", off[kind], None)):
            for q in (0.5, 0.99):
                rows.append(
                    Row(
                        f"B8.{kind}.{'stream' if target else 'poller'}.p{round(q * 100)}",
                        f"propagation of {kind} changes, {label}: p{round(q * 100)}",
                        _p(values, q) * 1000,
                        "ms",
                        Target("<=", target) if target and q == 0.99 else None,
                        note=f"{len(values)} of {n} changes seen"
                        + ("" if target else "; poll_interval=1 s (default 30 s)"),
                    )
                )
    rows += [
        Row(
            "B8.warm_requests",
            f"requests by the warm streaming client during {2 * n} changes",
            float(on_requests),
            "requests",
            Target("<=", 0),
            note=f"{on_missing + off_missing} changes never seen",
        ),
        Row(
            "B8.applied",
            "usage pushes applied by the stream source",
            applied,
            "pushes/s",
            note="emulator in the same process and loop (its publishing is included)",
        ),
        Row(
            "B8.scale_cpu",
            f"{config.stream_customers:,} cached customers, {config.push_rate:,} pushes/s: CPU",
            cpu * 100,
            "% of a core",
            note=f"{achieved:,.0f} pushes/s delivered; emulator in-process, its CPU included; "
            "poller off",
        ),
        Row(
            "B8.scale_memory",
            f"{config.stream_customers:,} cached customers, "
            f"{config.push_rate:,} pushes/s: RSS growth",
            grown / 1e6,
            "MB",
            note=f"over {config.push_seconds:g} s; {scale_requests} requests by the client",
        ),
    ]
    return rows
