"""B1: the warm entitlement check, against the floor of any awaited lookup.

Each variant is timed in blocks of 1,000 calls (a loop of 100 with ten calls
unrolled, so loop overhead is small and the same for every variant); blocks of
all variants are interleaved, and the figure is the median block's time per call.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from benchmarks._env import BOOLEAN_FEATURE, METERED_FEATURE, client, emulator, seed
from benchmarks._harness import Config, QuietGC, Row, Target, median

__all__ = ["run"]

BLOCK = 1_000


@dataclass(frozen=True)
class _Frozen:
    """What the floor returns: a frozen object, like a check's result."""

    is_granted: bool


_FLOOR_TABLE = {("customer-00000", METERED_FEATURE): _Frozen(True)}


async def _floor(customer_id: str, feature_id: str) -> _Frozen:
    return _FLOOR_TABLE[(customer_id, feature_id)]


Block = Callable[[], Awaitable[float]]


def _async_block(call: Callable[[], Awaitable[Any]]) -> Block:
    async def block() -> float:
        started = time.perf_counter()
        for _ in range(BLOCK // 10):
            await call()
            await call()
            await call()
            await call()
            await call()
            await call()
            await call()
            await call()
            await call()
            await call()
        return time.perf_counter() - started

    return block


def _sync_block(call: Callable[[], Any]) -> Block:
    async def block() -> float:
        started = time.perf_counter()
        for _ in range(BLOCK // 10):
            call()
            call()
            call()
            call()
            call()
            call()
            call()
            call()
            call()
            call()
        return time.perf_counter() - started

    return block


async def _measure(config: Config) -> list[Row]:
    async with emulator() as emu:
        (customer,) = seed(emu, 1)
        async with client(emu.url) as stigg:
            summary = await stigg.prefetch([customer])
            assert summary.loaded == 1, summary
            get = stigg.get_entitlement
            peek = stigg.peek_entitlement
            usages = [float(i % 64) + 0.5 for i in range(64)]
            cursor = itertools.cycle(usages)

            variants: dict[str, Block] = {
                "floor": _async_block(lambda: _floor(customer, METERED_FEATURE)),
                "boolean": _async_block(lambda: get(customer, BOOLEAN_FEATURE)),
                "metered": _async_block(lambda: get(customer, METERED_FEATURE, requested_usage=1)),
                "metered_varied": _async_block(
                    lambda: get(customer, METERED_FEATURE, requested_usage=next(cursor))
                ),
                "peek": _sync_block(lambda: peek(customer, METERED_FEATURE, requested_usage=1)),
            }
            # Sanity: the variants answer what they claim, from the fresh cache.
            fast_before = stigg.entitlement_stats.fast_hits
            check = await get(customer, METERED_FEATURE, requested_usage=1)
            assert check.is_granted, check
            assert check.source.value == "fresh_cache", check
            peeked = peek(customer, METERED_FEATURE, requested_usage=1)
            assert peeked.is_granted, peeked
            assert peeked.source.value == "fresh_cache", peeked
            for block in variants.values():  # warm-up: memo filled, code paths hot
                await block()

            times: dict[str, list[float]] = {name: [] for name in variants}
            blocks = max(1, config.warm_calls // BLOCK)
            for _ in range(config.repeats):
                with QuietGC():
                    for _ in range(blocks):
                        for name, block in variants.items():
                            times[name].append(await block() / BLOCK * 1e6)
            # Every check was local: the prefetch is the only request the emulator saw,
            # and the fast path answered every check (all but the floor), warm-up included.
            assert emu.counters.total == 1, emu.counters
            checks = (len(variants) - 1) * BLOCK * (1 + config.repeats * blocks)
            fast_hits = stigg.entitlement_stats.fast_hits - fast_before
            assert fast_hits == 2 + checks, (fast_hits, checks)
    us = {name: median(values) for name, values in times.items()}
    floor = us["floor"]
    note = f"median of {config.repeats * blocks} blocks of {BLOCK} calls"
    return [
        Row(
            "B1.floor",
            "floor: awaited dict lookup returning a frozen object",
            floor,
            "µs",
            note=note,
        ),
        Row("B1.boolean", "get_entitlement, boolean feature", us["boolean"], "µs", note=note),
        Row(
            "B1.metered",
            "get_entitlement, metered, requested_usage=1",
            us["metered"],
            "µs",
            Target("<=", 1.0),
            note=note,
        ),
        Row(
            "B1.metered_varied",
            "get_entitlement, metered, 64 distinct requested_usage values",
            us["metered_varied"],
            "µs",
            note="beyond the 8 memoised answers per feature: built per call",
        ),
        Row("B1.peek", "peek_entitlement (sync), metered, requested_usage=1", us["peek"], "µs"),
        Row(
            "B1.metered_ratio",
            "metered check / floor",
            us["metered"] / floor,
            "×",
            Target("<=", 2.0),
        ),
        Row("B1.boolean_ratio", "boolean check / floor", us["boolean"] / floor, "×"),
        Row(
            "B1.peek_ratio",
            "peek_entitlement / awaited metered check",
            us["peek"] / us["metered"],
            "×",
            Target("<=", 1.0),
            note="the synchronous check must cost no more than the awaited one",
        ),
    ]


def run(config: Config) -> list[Row]:
    return asyncio.run(_measure(config))
