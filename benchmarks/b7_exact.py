"""B7: exact checks: a check right after ``track_usage``, and ``consume``.

Tracked usage counts in local checks at once (``pending_usage``), so a check after a
``track_usage`` on the same feature finds no memoised answer and builds one; and
``consume`` decides and tracks in one step. Each variant is timed in blocks of 100
calls (ten unrolled per loop iteration) on its own customer, and the usage is
delivered (``flush()``, outside the timed region) after every round of blocks, so
each block starts with nothing pending and ends with 100 items in flight on its
entitlement, like a busy feature between two deliveries. The order of the variants
rotates per round. The cost of the check alone is the pair block minus the
``track_usage`` block of the same round (median over rounds).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from benchmarks._env import API_KEY, METERED_FEATURE, emulator
from benchmarks._harness import Config, QuietGC, Row, Target, median
from stigg_async import (
    AsyncStigg,
    EntitlementCacheOptions,
    EntitlementResult,
    UsagePipelineOptions,
)

__all__ = ["run"]

BLOCK = 100
PLAN = "plan-revvenu-growth"  # unlimited campaigns: every consume stays granted
FEATURE = METERED_FEATURE  # feature-02-campaigns, a metered (incremental) feature

Block = Callable[[], Awaitable[tuple[float, EntitlementResult | None]]]


def _blocks(stigg: AsyncStigg, track_id: str, pair_id: str, consume_id: str) -> dict[str, Block]:
    track = stigg.track_usage
    get = stigg.get_entitlement
    consume = stigg.consume
    f = FEATURE

    async def track_only() -> tuple[float, EntitlementResult | None]:
        c = track_id
        started = time.perf_counter()
        for _ in range(BLOCK // 10):
            track(c, f, 1)
            track(c, f, 1)
            track(c, f, 1)
            track(c, f, 1)
            track(c, f, 1)
            track(c, f, 1)
            track(c, f, 1)
            track(c, f, 1)
            track(c, f, 1)
            track(c, f, 1)
        return time.perf_counter() - started, None

    async def track_then_check() -> tuple[float, EntitlementResult | None]:
        c = pair_id
        started = time.perf_counter()
        for _ in range(BLOCK // 10):
            track(c, f, 1)
            r = await get(c, f, requested_usage=1)
            track(c, f, 1)
            r = await get(c, f, requested_usage=1)
            track(c, f, 1)
            r = await get(c, f, requested_usage=1)
            track(c, f, 1)
            r = await get(c, f, requested_usage=1)
            track(c, f, 1)
            r = await get(c, f, requested_usage=1)
            track(c, f, 1)
            r = await get(c, f, requested_usage=1)
            track(c, f, 1)
            r = await get(c, f, requested_usage=1)
            track(c, f, 1)
            r = await get(c, f, requested_usage=1)
            track(c, f, 1)
            r = await get(c, f, requested_usage=1)
            track(c, f, 1)
            r = await get(c, f, requested_usage=1)
        return time.perf_counter() - started, r

    async def consume_only() -> tuple[float, EntitlementResult | None]:
        c = consume_id
        started = time.perf_counter()
        for _ in range(BLOCK // 10):
            r = await consume(c, f)
            r = await consume(c, f)
            r = await consume(c, f)
            r = await consume(c, f)
            r = await consume(c, f)
            r = await consume(c, f)
            r = await consume(c, f)
            r = await consume(c, f)
            r = await consume(c, f)
            r = await consume(c, f)
        return time.perf_counter() - started, r

    return {"track": track_only, "pair": track_then_check, "consume": consume_only}


def _sane(name: str, last: EntitlementResult | None, delivered: float) -> None:
    """The last answer of a block: granted, from the fresh cache, pending usage exact."""
    if name == "track":
        return
    assert last is not None
    assert last.is_granted, last
    assert last.source.value == "fresh_cache", last
    assert last.current_usage == delivered, (last, delivered)
    if name == "pair":  # the check saw all 100 tracked items
        assert last.pending_usage == BLOCK, last
    else:  # consume decides before tracking its own item, which it then carries
        assert last.pending_usage == BLOCK - 1, last
        assert last.idempotency_key, last


async def _measure(config: Config) -> list[Row]:
    async with emulator() as emu:
        ids = {name: f"exact-{name}" for name in ("track", "pair", "consume")}
        for customer in ids.values():
            emu.state.provision_customer(customer)
            emu.state.provision_subscription(customer, PLAN)
        stigg = AsyncStigg(
            api_key=API_KEY,
            api_url=emu.url,
            # Long TTL and no poller: nothing but the measured calls touches the cache.
            entitlements=EntitlementCacheOptions(
                poll=False, streaming=False, ttl=3_600, max_entries=100
            ),
            # Room for far more than a round; deliveries happen between rounds anyway.
            usage=UsagePipelineOptions(max_queue_size=1_000_000, flush_interval=3_600),
        )
        async with stigg:
            summary = await stigg.prefetch(list(ids.values()))
            assert summary.loaded == len(ids), summary
            blocks = _blocks(stigg, ids["track"], ids["pair"], ids["consume"])
            names = list(blocks)
            delivered = dict.fromkeys(names, 0.0)

            async def round_(order: list[str], into: dict[str, list[float]] | None) -> None:
                for name in order:
                    seconds, last = await blocks[name]()
                    _sane(name, last, delivered[name])
                    if into is not None:
                        into[name].append(seconds / BLOCK * 1e6)
                report = await stigg.flush()  # outside the timed blocks
                assert report.delivered == len(order) * BLOCK, report
                assert report.delivered_all, report
                for name in order:
                    delivered[name] += BLOCK

            await round_(names, None)  # warm-up: code paths hot
            fetches = emu.counters.root_field("entitlementsState")
            fast_before = stigg.entitlement_stats.fast_hits
            times: dict[str, list[float]] = {name: [] for name in names}
            rounds = max(1, config.exact_calls // BLOCK)
            for repeat in range(config.repeats):
                with QuietGC():
                    for i in range(rounds):
                        shift = (repeat * rounds + i) % len(names)
                        await round_(names[shift:] + names[:shift], times)
            # Every check and consume was answered by the fast path, with no request
            # but the deliveries; the server counted every tracked item exactly once.
            assert emu.counters.root_field("entitlementsState") == fetches, emu.counters
            fast_hits = stigg.entitlement_stats.fast_hits - fast_before
            assert fast_hits == 2 * config.repeats * rounds * BLOCK, fast_hits
            for name, customer in ids.items():
                truth = await stigg.refresh_entitlements(customer)
                assert truth[FEATURE].current_usage == delivered[name], (name, truth[FEATURE])
    us = {name: median(values) for name, values in times.items()}
    check = median(p - t for p, t in zip(times["pair"], times["track"], strict=True))
    note = (
        f"median of {len(times['track'])} blocks of {BLOCK} calls; "
        f"0 to {BLOCK} items pending on the entitlement during a block"
    )
    return [
        Row("B7.track", "track_usage alone, metered feature", us["track"], "µs", note=note),
        Row(
            "B7.track_check",
            "track_usage then get_entitlement (requested_usage=1), same feature",
            us["pair"],
            "µs",
            note=note,
        ),
        Row(
            "B7.check_after_track",
            "get_entitlement right after track_usage (pair − track_usage alone)",
            check,
            "µs",
            Target("<=", 1.0),
            note="median over rounds of the pair block minus the track_usage block",
        ),
        Row(
            "B7.consume",
            "consume, metered feature, granted (decide and track)",
            us["consume"],
            "µs",
            Target("<=", 2.0),
            note=note,
        ),
    ]


def run(config: Config) -> list[Row]:
    return asyncio.run(_measure(config))
