"""B3: a stampede of concurrent cold checks of one customer must cost one request.

The same stampede of ``consume`` calls against a limit of N must grant exactly N:
deciding and tracking are one step, so concurrent callers cannot overrun the limit.
"""

from __future__ import annotations

import asyncio
import time

from benchmarks._env import METERED_FEATURE, client, emulator, seed
from benchmarks._harness import Config, Row, Target, median

__all__ = ["run"]

CONSUME_PLAN = "plan-revvenu-basic"
CONSUME_LIMIT = 4  # feature-02-campaigns on CONSUME_PLAN


async def _consume_stampede(config: Config) -> tuple[list[float], list[float], list[float]]:
    """Per repeat: consumes granted, requests made, ms until all answered."""
    granted: list[float] = []
    requests: list[float] = []
    waits: list[float] = []
    async with emulator() as emu:
        for i in range(config.repeats):  # a fresh client and a new customer per repeat
            customer = f"consumer-{i:05d}"
            emu.state.provision_customer(customer)
            emu.state.provision_subscription(customer, CONSUME_PLAN)
            async with client(emu.url) as stigg:
                before = emu.counters.total
                started = time.perf_counter()
                results = await asyncio.gather(
                    *(stigg.consume(customer, METERED_FEATURE) for _ in range(config.stampede))
                )
                waits.append((time.perf_counter() - started) * 1e3)
                requests.append(float(emu.counters.total - before))
                winners = [r for r in results if r.is_granted]
                granted.append(float(len(winners)))
                # Sanity: the winners carry their usage item; the rest tracked nothing,
                # and exactly the granted amount reaches the server, counted once.
                assert all(r.idempotency_key for r in winners), winners[:1]
                assert all(r.idempotency_key is None for r in results if not r.is_granted)
                report = await stigg.flush()
                assert report.delivered == len(winners), report
                assert report.delivered_all, report
                truth = await stigg.refresh_entitlements(customer)
                usage = truth[METERED_FEATURE].current_usage
                assert usage == len(winners), (usage, len(winners))
    return granted, requests, waits


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
    granted, consume_requests, consume_waits = await _consume_stampede(config)
    # The repeat furthest from the limit: one overrun must not hide behind a median.
    worst = max(granted, key=lambda g: abs(g - CONSUME_LIMIT))
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
        Row(
            "B3.consume_granted",
            f"{config.stampede:,} concurrent cold consume, limit {CONSUME_LIMIT}: granted",
            worst,
            "granted",
            Target("==", CONSUME_LIMIT),
            note=(
                f"furthest from the limit over repeats; per repeat: {[int(g) for g in granted]}; "
                "usage delivered and confirmed by the emulator"
            ),
        ),
        Row(
            "B3.consume_requests",
            f"{config.stampede:,} concurrent cold consume: requests made",
            max(consume_requests),
            "requests",
            Target("<=", 1),
            note=f"most over repeats; per repeat: {[int(r) for r in consume_requests]}",
        ),
        Row(
            "B3.consume_time",
            f"{config.stampede:,} concurrent cold consume: time until all answered",
            median(consume_waits),
            "ms",
        ),
    ]


def run(config: Config) -> list[Row]:
    return asyncio.run(_measure(config))
