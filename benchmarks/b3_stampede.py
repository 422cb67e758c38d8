"""B3: a stampede of concurrent cold checks of one customer must cost one request."""

from __future__ import annotations

import asyncio
import time

from benchmarks._env import METERED_FEATURE, client, emulator, seed
from benchmarks._harness import Config, Row, Target, median

__all__ = ["run"]


async def _measure(config: Config) -> list[Row]:
    requests: list[float] = []
    waits: list[float] = []
    async with emulator() as emu:
        customers = seed(emu, config.repeats)
        for customer in customers:  # a fresh client and a new customer per repeat
            async with client(emu.url) as stigg:
                before = emu.counters.total
                started = time.perf_counter()
                results = await asyncio.gather(
                    *(
                        stigg.get_entitlement(customer, METERED_FEATURE, requested_usage=1)
                        for _ in range(config.stampede)
                    )
                )
                waits.append((time.perf_counter() - started) * 1e3)
                requests.append(float(emu.counters.total - before))
                assert all(r.is_granted for r in results), results[0]
    return [
        Row(
            "B3.requests",
            f"{config.stampede:,} concurrent cold checks: requests made",
            median(requests),
            "requests",
            Target("<=", 1),
            note=f"from the emulator's counters; per repeat: {[int(r) for r in requests]}",
        ),
        Row(
            "B3.time",
            f"{config.stampede:,} concurrent cold checks: time until all answered",
            median(waits),
            "ms",
        ),
    ]


def run(config: Config) -> list[Row]:
    return asyncio.run(_measure(config))
