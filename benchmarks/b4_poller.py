"""B4: the poller at scale: requests and time per refresh cycle, memory per entitlement.

10,000 customers with five features each are seeded in-process, loaded with
``prefetch`` and refreshed by the poller's cycle (called directly, so the figure is
one cycle's work, not the schedule). Memory is a ``tracemalloc`` snapshot diff
around decoding the answers and building the snapshots of a separate sample of
customers, after a collection: what stays alive per cached entitlement.
"""

from __future__ import annotations

import asyncio
import gc
import json
import math
import time
import tracemalloc

import aiohttp

from benchmarks._env import API_KEY, client, emulator, seed
from benchmarks._harness import Config, Row, Target, median
from stigg_async._cache._fetcher import BATCH_OPERATION, batch_document
from stigg_async._transport import user_agent

__all__ = ["run"]

FEATURES = 5  # PLAN's features per customer
MEMORY_SAMPLE = 2_000  # customers whose snapshots are built under tracemalloc


async def _cycles(config: Config) -> tuple[list[float], list[float], int, int]:
    async with emulator() as emu:
        customers = seed(emu, config.poll_customers)
        async with client(emu.url) as stigg:
            summary = await stigg.prefetch(customers)
            assert summary.loaded == len(customers), summary.failed[:3]
            cache = stigg._entitlements  # the poller is private; B4 measures one cycle of it
            batch = cache.options.batch_size
            requests: list[float] = []
            seconds: list[float] = []
            for _ in range(config.repeats):
                before = emu.counters.total
                started = time.perf_counter()
                ok = await cache.poll_once()
                seconds.append(time.perf_counter() - started)
                requests.append(float(emu.counters.total - before))
                assert ok, cache.status
            entitlements = sum(len(s.checks) for s in cache.store.entries.values())
    return requests, seconds, batch, entitlements


async def _memory(config: Config) -> tuple[float, int]:
    # Tracing the whole load would trace the in-process emulator too (and take
    # minutes): the answers are fetched first as raw text, then only decoding them
    # and building the snapshots runs under tracemalloc. What the cache keeps of the
    # decoded JSON is counted; the response text is not (it was allocated before).
    async with emulator() as emu:
        customers = seed(emu, min(config.poll_customers, MEMORY_SAMPLE))
        async with client(emu.url) as stigg, aiohttp.ClientSession() as session:
            cache = stigg._entitlements
            size = cache.options.batch_size
            headers = {"X-API-KEY": API_KEY, "X-API-VERSION": "1", "User-Agent": user_agent()}
            bodies: list[tuple[list[tuple[str, None]], str]] = []
            for lo in range(0, len(customers), size):
                keys = [(c, None) for c in customers[lo : lo + size]]
                payload = {
                    "query": batch_document(len(keys)),
                    "operationName": BATCH_OPERATION,
                    "variables": {f"q{i}": {"customerId": c} for i, (c, _) in enumerate(keys)},
                }
                async with session.post(emu.url, json=payload, headers=headers) as resp:
                    bodies.append((keys, await resp.text()))
            started = stigg._clock.monotonic()
            gc.collect()
            tracemalloc.start(1)
            try:
                before = tracemalloc.take_snapshot()
                for keys, text in bodies:
                    data = json.loads(text)["data"]
                    for i, key in enumerate(keys):
                        assert cache.upsert_state(key, data[f"c{i}"], started=started)
                del data
                gc.collect()
                after = tracemalloc.take_snapshot()
            finally:
                tracemalloc.stop()
            entitlements = sum(
                len(cache.store.entries[k].checks) for keys, _ in bodies for k in keys
            )
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    return grown / entitlements, entitlements


def run(config: Config) -> list[Row]:
    requests, seconds, batch, entitlements = asyncio.run(_cycles(config))
    per_entitlement, measured = asyncio.run(_memory(config))
    n = config.poll_customers
    return [
        Row(
            "B4.requests",
            f"refresh cycle of {n:,} customers × {FEATURES} features: requests",
            median(requests),
            "requests",
            Target("<=", math.ceil(n / batch)),
            note=f"batch size {batch}; {entitlements:,} entitlements cached",
        ),
        Row(
            "B4.cycle",
            f"refresh cycle of {n:,} customers: time",
            median(seconds),
            "s",
            note="includes the in-process emulator answering on the same loop",
        ),
        Row(
            "B4.memory",
            "memory per cached entitlement",
            per_entitlement,
            "bytes",
            note=f"tracemalloc diff / {measured:,} entitlements",
        ),
    ]
