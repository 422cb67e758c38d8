"""B8: the shared tier on a real redis-server (127.0.0.1), with 8 worker processes.

* ``consume`` with Redis: µs per call, one process, sequential calls (a Lua script
  round trip each);
* a burst of concurrent ``consume`` calls spread over 8 processes against a limit of
  N: how far the grants are from exactly N;
* propagation: a refresher's write reaching 8 subscribed processes (p50 and p99 of
  write-to-applied, wall clock on one machine).

Not measured here (the tier is not wired into ``AsyncStigg`` yet, see docs/redis.md):
API requests per refresh cycle for the fleet, and the warm check with Redis
configured (the hot path does not touch Redis; B1 is the floor).
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
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        applied = json.loads(out.strip().splitlines()[-1])["applied"]
        latencies += [(at - sent[int(seq)]) * 1000 for seq, at in applied.items()]
    await tier.aclose()
    return sorted(latencies)


def run(config: Config) -> list[Row]:
    calls = 200 if config.smoke else 5_000
    limit, per_worker = (20, 10) if config.smoke else (1_000, 500)
    writes = 5 if config.smoke else 200
    with RedisServerProcess() as server:
        consume_us = median(
            asyncio.run(_consume_us(server.url, calls)) for _ in range(config.repeats)
        )
        granted = asyncio.run(_burst(server.url, limit, per_worker))
        latencies = asyncio.run(_propagation(server.url, writes))
    p50 = latencies[len(latencies) // 2]
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return [
        Row(
            "B8.consume",
            "consume with Redis (Lua check-and-count)",
            consume_us,
            "µs/call",
            note=f"{calls} sequential calls, one process",
        ),
        Row(
            "B8.burst",
            f"burst over {WORKERS} processes vs limit {limit}: grants off exact",
            float(abs(granted - limit)),
            "grants",
            Target("<=", 0),
            note=f"{WORKERS}x{per_worker} concurrent consumes, {granted} granted",
            extra={"granted": granted, "limit": limit},
        ),
        Row(
            "B8.propagation_p50",
            f"change reaches {WORKERS} processes (p50)",
            p50,
            "ms",
            note=f"{writes} writes x {WORKERS} subscribers",
        ),
        Row(
            "B8.propagation_p99",
            f"change reaches {WORKERS} processes (p99)",
            p99,
            "ms",
            Target("<=", 50.0),
            note=f"{writes} writes x {WORKERS} subscribers",
        ),
    ]
