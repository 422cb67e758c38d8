"""B9: the shared tier on a real redis-server (127.0.0.1), with 8 worker processes.

* ``consume`` with Redis: µs per call, one process, sequential calls (a Lua script
  round trip each);
* a burst of concurrent ``consume`` calls spread over 8 processes against a limit of
  N: how far the grants are from exactly N;
* propagation: a refresher's write reaching 8 subscribed processes (p50 and p99 of
  write-to-applied, wall clock on one machine).

* API requests per refresh cycle: 8 ``AsyncStigg`` processes x 1,000 customers on
  the emulator (a subprocess) sharing Redis, against one process without Redis, over
  the same window with the same interval;
* the warm check (``get_entitlement`` of a cached boolean) with Redis configured,
  against the same client without Redis (the hot path never touches Redis).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid

from benchmarks._harness import Config, Row, Target, median
from stigg_async._clock import SystemClock
from stigg_async._redis import SharedCacheOptions
from stigg_async._redis._server import RedisServerProcess
from stigg_async._redis._tier import RedisTier

__all__ = ["run"]

WORKERS = 8
KEY = ("bench-customer", None)
FEATURE = "feature-02-campaigns"


def _state(limit: int, seq: int = 0) -> dict[str, object]:
    return {
        "seq": seq,
        "accessDeniedReason": None,
        "entitlements": [
            {
                "isGranted": True,
                "usageLimit": limit,
                "currentUsage": 0,
                "feature": {"refId": FEATURE, "featureType": "NUMBER", "meterType": "Incremental"},
            }
        ],
    }


async def _leader(url: str, env: str) -> RedisTier:
    tier = RedisTier(SharedCacheOptions(redis_url=url, environment=env), api_key="bench")
    await tier.start(run_loop=False)
    return tier


async def _consume_us(url: str, calls: int) -> float:
    tier = await _leader(url, uuid.uuid4().hex[:8])
    clock = SystemClock()
    await tier.write_state(KEY, _state(10**9), started=clock.monotonic())
    keys = [uuid.uuid4().hex for _ in range(calls)]
    started = time.perf_counter()
    for key in keys:
        await tier.consume(KEY, FEATURE, 1, key)
    elapsed = time.perf_counter() - started
    await tier.aclose()
    return elapsed / calls * 1e6


def _spawn(mode: str, url: str, env: str, n: int) -> subprocess.Popen[str]:
    args = [sys.executable, "-m", "benchmarks._redis_worker", mode, url, env, str(n)]
    return subprocess.Popen(args, stdout=subprocess.PIPE, text=True)


async def _burst(url: str, limit: int, per_worker: int) -> int:
    env = uuid.uuid4().hex[:8]
    tier = await _leader(url, env)
    await tier.write_state(KEY, _state(limit), started=SystemClock().monotonic())
    procs = [_spawn("consume", url, env, per_worker) for _ in range(WORKERS)]
    await asyncio.sleep(0.5)  # let the workers connect before the signal
    await tier.client.set(f"{tier.ns.prefix}go", "1")
    granted = 0
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        granted += json.loads(out.strip().splitlines()[-1])["granted"]
    await tier.aclose()
    return granted


async def _propagation(url: str, writes: int) -> list[float]:
    env = uuid.uuid4().hex[:8]
    tier = await _leader(url, env)
    procs = [_spawn("listen", url, env, writes) for _ in range(WORKERS)]
    for proc in procs:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
    clock = SystemClock()
    sent: dict[int, float] = {}
    for seq in range(writes):
        sent[seq] = time.time()
        await tier.write_state(KEY, _state(10, seq), started=clock.monotonic())
        await asyncio.sleep(0.01)
    latencies: list[float] = []
    missed = 0
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        applied = json.loads(out.strip().splitlines()[-1])["applied"]
        latencies += [(at - sent[int(seq)]) * 1000 for seq, at in applied.items()]
        missed += writes - len(applied)
    await tier.aclose()
    if missed:
        print(f"B9: {missed} of {writes * WORKERS} changes not seen (a subscriber reconnected)")
    return sorted(latencies)


def _spawn_fleet(url: str, env: str, cfg: dict[str, object]) -> subprocess.Popen[str]:
    args = [sys.executable, "-m", "benchmarks._redis_worker", "fleet", url, env, json.dumps(cfg)]
    return subprocess.Popen(args, stdout=subprocess.PIPE, text=True)


async def _provision(api_url: str, key: str, count: int) -> list[str]:
    from stigg_async import AsyncStigg

    ids = [f"b8-{uuid.uuid4().hex[:10]}" for _ in range(count)]
    async with AsyncStigg(api_key=key, api_url=api_url) as admin:
        for customer in ids:
            await admin.provision_customer(
                customer_id=customer, subscription_params={"planId": "plan-revvenu-basic"}
            )
    return ids


async def _fleet_requests(
    url: str, api_url: str, key: str, customers: list[str], workers: int, window: float
) -> tuple[float, float, float]:
    """Requests per refresh cycle: (fleet of ``workers`` with Redis, one process, cycles)."""
    interval = 1.0
    cfg = {"api_key": key, "api_url": api_url, "customers": customers, "interval": interval,
           "window": window}  # fmt: skip

    async def run(envs: list[str]) -> list[dict[str, object]]:
        signal = uuid.uuid4().hex[:8]
        procs = [_spawn_fleet(url, env, {**cfg, "signal": signal}) for env in envs]
        for proc in procs:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready"
        tier = await _leader(url, uuid.uuid4().hex[:8])
        await tier.client.set(f"{signal}:go", "1")
        await tier.aclose()
        out = []
        for proc in procs:
            stdout, _ = proc.communicate(timeout=300)
            out.append(json.loads(stdout.strip().splitlines()[-1]))
        return out

    env = uuid.uuid4().hex[:8]
    fleet = await run([env] * workers)
    alone = await run(["-"])
    # A cycle refreshes every customer once: cycles = keys (re)loaded / customers, counted
    # by the process that fetches (the leader; followers' loads come from Redis).
    leader = max(fleet, key=lambda r: int(r["requests"]))  # type: ignore[call-overload]
    fleet_cycles = max(int(leader["refreshes"]) / len(customers), 1e-9)  # type: ignore[call-overload]
    alone_cycles = max(int(alone[0]["refreshes"]) / len(customers), 1e-9)  # type: ignore[call-overload]
    fleet_total = sum(int(r["requests"]) for r in fleet)  # type: ignore[call-overload]
    alone_total = int(alone[0]["requests"])  # type: ignore[call-overload]
    return fleet_total / fleet_cycles, alone_total / alone_cycles, fleet_cycles


async def _warm_check_us(url: str, api_url: str, key: str, customer: str, calls: int) -> float:
    from stigg_async import AsyncStigg

    client = AsyncStigg(api_key=key, api_url=api_url, redis_url=url)
    async with client:
        await client.get_entitlement(customer, "feature-01-templates")
        started = time.perf_counter()
        for _ in range(calls):
            await client.get_entitlement(customer, "feature-01-templates")
        return (time.perf_counter() - started) / calls * 1e6


async def _warm_check_plain_us(api_url: str, key: str, customer: str, calls: int) -> float:
    from stigg_async import AsyncStigg

    async with AsyncStigg(api_key=key, api_url=api_url) as client:
        await client.get_entitlement(customer, "feature-01-templates")
        started = time.perf_counter()
        for _ in range(calls):
            await client.get_entitlement(customer, "feature-01-templates")
        return (time.perf_counter() - started) / calls * 1e6


def run(config: Config) -> list[Row]:
    calls = 200 if config.smoke else 5_000
    limit, per_worker = (20, 10) if config.smoke else (1_000, 500)
    writes = 5 if config.smoke else 200
    from stigg_async.emulator import EmulatorProcess

    key = f"b8-{uuid.uuid4().hex[:8]}"
    customers_n = 20 if config.smoke else 1_000
    window = 2.0 if config.smoke else 5.0
    warm_calls = 2_000 if config.smoke else 100_000
    with RedisServerProcess() as server, EmulatorProcess(api_key=key, quiet=True) as emulator:
        customers = asyncio.run(_provision(emulator.url, key, customers_n))
        per_cycle, alone, cycles = asyncio.run(
            _fleet_requests(server.url, emulator.url, key, customers, WORKERS, window)
        )
        ratios = []
        warm_us = []
        for i in range(config.repeats):
            pair = [
                lambda: asyncio.run(
                    _warm_check_us(server.url, emulator.url, key, customers[0], warm_calls)
                ),
                lambda: asyncio.run(
                    _warm_check_plain_us(emulator.url, key, customers[0], warm_calls)
                ),
            ]
            if i % 2:  # alternate which side goes first
                plain, shared = pair[1](), pair[0]()
            else:
                shared, plain = pair[0](), pair[1]()
            warm_us.append(shared)
            ratios.append(shared / plain)
        consume_us = median(
            asyncio.run(_consume_us(server.url, calls)) for _ in range(config.repeats)
        )
        granted = asyncio.run(_burst(server.url, limit, per_worker))
        latencies = asyncio.run(_propagation(server.url, writes))
    p50 = latencies[len(latencies) // 2]
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return [
        Row(
            "B9.fleet_requests",
            f"API requests per refresh cycle, {WORKERS} processes x {customers_n} customers",
            per_cycle,
            "requests",
            Target("<=", max(alone, 1.0) * 1.25),
            note=f"one process alone: {alone:.1f}/cycle; {cycles:.1f} fleet cycles measured",
            extra={"one_process": alone},
        ),
        Row(
            "B9.warm_check",
            "warm check with Redis configured",
            median(warm_us),
            "µs/call",
            note=f"{warm_calls} calls, boolean feature",
        ),
        Row(
            "B9.warm_ratio",
            "warm check with Redis / without",
            median(ratios),
            "x",
            Target("<=", 2.0),
        ),
        Row(
            "B9.consume",
            "consume with Redis (Lua check-and-count)",
            consume_us,
            "µs/call",
            note=f"{calls} sequential calls, one process",
        ),
        Row(
            "B9.burst",
            f"burst over {WORKERS} processes vs limit {limit}: grants off exact",
            float(abs(granted - limit)),
            "grants",
            Target("<=", 0),
            note=f"{WORKERS}x{per_worker} concurrent consumes, {granted} granted",
            extra={"granted": granted, "limit": limit},
        ),
        Row(
            "B9.propagation_p50",
            f"change reaches {WORKERS} processes (p50)",
            p50,
            "ms",
            note=f"{writes} writes x {WORKERS} subscribers",
        ),
        Row(
            "B9.propagation_p99",
            f"change reaches {WORKERS} processes (p99)",
            p99,
            "ms",
            Target("<=", 50.0),
            note=f"{writes} writes x {WORKERS} subscribers",
        ),
    ]
