"""B5: the buffered usage pipeline: enqueue cost, requests made, end-to-end throughput."""

from __future__ import annotations

import asyncio
import time

from benchmarks._env import client, emulator, seed
from benchmarks._harness import Config, QuietGC, Row, Target, median

__all__ = ["run"]

FEATURE = "feature-01-templates"  # calculated usage, fluctuating, no reset: exact totals
BLOCK = 100


async def _measure(config: Config) -> list[Row]:
    enqueue_us: list[float] = []
    requests: list[float] = []
    throughput: list[float] = []
    async with emulator() as emu:
        customers = seed(emu, 100)
        for _ in range(config.repeats):
            async with client(emu.url) as stigg:
                track = stigg.track_usage
                n = config.usage_items
                names = [customers[i % len(customers)] for i in range(n)]
                before_requests = emu.counters.total
                before_applied = emu.state.applied_usage_reports
                started = time.perf_counter()
                # Timed in blocks of 100 items; nothing awaits in between, so the
                # flusher cannot run inside a block.
                with QuietGC():
                    for lo in range(0, n, BLOCK):
                        block_started = time.perf_counter()
                        for customer in names[lo : lo + BLOCK]:
                            track(customer, FEATURE, 1)
                        enqueue_us.append((time.perf_counter() - block_started) / BLOCK * 1e6)
                assert (await stigg.flush(timeout=120)).delivered_all
                elapsed = time.perf_counter() - started
                applied = emu.state.applied_usage_reports - before_applied
                assert applied == n, (applied, n)
                requests.append(float(emu.counters.total - before_requests))
                throughput.append(n / elapsed)
    n = config.usage_items
    return [
        Row(
            "B5.enqueue",
            "track_usage: enqueue cost per item",
            median(enqueue_us),
            "µs",
            Target("<=", 2.0),
            note=f"median of {len(enqueue_us)} blocks of {BLOCK}",
        ),
        Row(
            "B5.requests",
            f"{n:,} tracked items: requests made",
            median(requests),
            "requests",
            Target("<=", 100 * n / 10_000),
        ),
        Row(
            "B5.throughput",
            f"{n:,} tracked items: end-to-end to the emulator",
            median(throughput),
            "items/s",
            note="first enqueue until flush() confirms delivery; in-process emulator",
        ),
    ]


def run(config: Config) -> list[Row]:
    return asyncio.run(_measure(config))
