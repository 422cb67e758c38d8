"""B10: the local credit check, warm, against the awaited floor of B1.

A customer with a credit grant is prefetched (the entitlements fetch brings its credit
entitlement); then ``get_credit_entitlement`` is timed in blocks of 1,000 calls with
varied requested amounts. Every answer must come from the fresh cache, with no request.
"""

from __future__ import annotations

import asyncio
import time

from benchmarks._env import client, emulator
from benchmarks._harness import Config, QuietGC, Row, median

__all__ = ["run"]

BLOCK = 1_000
CURRENCY = "currency-ai-credits"


async def _measure(config: Config) -> list[Row]:
    async with emulator() as emu:
        emu.state.provision_customer("credits-0")
        emu.state.provision_subscription("credits-0", "plan-revvenu-basic")
        emu.state.credits.create_grant("credits-0", CURRENCY, 1_000)
        async with client(emu.url) as stigg:
            await stigg.prefetch(["credits-0"])
            requests = emu.counters.total
            check = stigg.get_credit_entitlement
            sanity = await check("credits-0", CURRENCY, requested_amount=10)
            assert sanity.is_granted, sanity
            assert sanity.source.value == "fresh_cache", sanity

            async def block() -> float:
                started = time.perf_counter()
                for i in range(BLOCK):
                    await check("credits-0", CURRENCY, requested_amount=float(i % 50))
                return time.perf_counter() - started

            await block()  # warm-up
            times: list[float] = []
            blocks = max(1, config.warm_calls // BLOCK // 10)
            for _ in range(config.repeats):
                with QuietGC():
                    times.extend([await block() / BLOCK * 1e6 for _ in range(blocks)])
            assert emu.counters.total == requests, emu.counters  # every check was local
    return [
        Row(
            "B10.credit_check",
            "get_credit_entitlement, warm, varied requested_amount",
            median(times),
            "µs",
            note=f"median of {len(times)} blocks of {BLOCK} calls; no request made",
        )
    ]


def run(config: Config) -> list[Row]:
    return asyncio.run(_measure(config))
