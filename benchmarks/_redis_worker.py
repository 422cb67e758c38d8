"""One worker process of B8: a RedisTier of its own against the shared redis-server.

``python -m benchmarks._redis_worker consume URL ENV CALLS`` waits for the start
signal, fires CALLS concurrent ``consume`` calls and prints how many were granted.
``python -m benchmarks._redis_worker listen URL ENV COUNT`` subscribes (RedisSource)
and prints, per published state, the wall time it was applied.
``python -m benchmarks._redis_worker fleet URL ENV JSON`` opens an AsyncStigg (with
the shared tier when ENV is not ``-``), loads the customers, waits for the start
signal, and prints the API requests it sent during the window.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from stigg_async._cache._source import Key, SourceState
from stigg_async._redis import SharedCacheOptions
from stigg_async._redis._source import RedisSource
from stigg_async._redis._tier import RedisTier

KEY: Key = ("bench-customer", None)
FEATURE = "feature-02-campaigns"


class _Sink:
    def __init__(self, expected: int) -> None:
        self.applied: dict[int, float] = {}
        self.expected = expected
        self.done = asyncio.Event()

    def keys_in_use(self) -> list[Key]:
        return [KEY]

    def has_customer(self, customer_id: str) -> bool:
        return customer_id == KEY[0]

    def keys_of(self, customer_id: str) -> list[Key]:
        return [KEY]

    def upsert_state(self, key: Key, raw: Mapping[str, Any], *, started: float) -> bool:
        seq = raw.get("seq")
        if isinstance(seq, int):
            self.applied.setdefault(seq, time.time())
            if seq >= self.expected - 1:  # the last write (earlier ones may be missed)
                self.done.set()
        return True

    def apply_usage(self, change: Mapping[str, Any]) -> bool:
        return True

    def mark_stale(self, keys: Iterable[Key]) -> None:
        pass

    async def refresh_keys(self, keys: Sequence[Key]) -> None:
        pass


class _Status:
    def __init__(self) -> None:
        self.valid = asyncio.Event()

    def report(self, source: str, state: SourceState, **_: Any) -> None:
        if state is SourceState.VALID:
            self.valid.set()


async def _tier(url: str, env: str) -> RedisTier:
    tier = RedisTier(
        SharedCacheOptions(redis_url=url, environment=env, operation_timeout=5),
        api_key="bench",
    )
    await tier.start()
    return tier


async def consume(url: str, env: str, calls: int) -> dict[str, Any]:
    tier = await _tier(url, env)
    try:
        # Polling Redis for the start signal: the signal comes from another process.
        while not await tier.client.exists(f"{tier.ns.prefix}go"):  # noqa: ASYNC110
            await asyncio.sleep(0.005)
        decisions = await asyncio.gather(
            *(tier.consume(KEY, FEATURE, 1, uuid.uuid4().hex) for _ in range(calls))
        )
        granted = sum(1 for d in decisions if d is not None and d.is_granted)
        failed = sum(1 for d in decisions if d is None)
        return {"granted": granted, "failed": failed}
    finally:
        await tier.aclose()


async def listen(url: str, env: str, count: int) -> dict[str, Any]:
    tier = await _tier(url, env)
    sink, status = _Sink(count), _Status()
    source = RedisSource(tier)
    source.start(sink, status)  # type: ignore[arg-type]
    try:
        await asyncio.wait_for(status.valid.wait(), 30)
        print("ready", flush=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(sink.done.wait(), 60)
        return {"applied": {str(k): v for k, v in sink.applied.items()}}
    finally:
        await source.aclose()
        await tier.aclose()


async def fleet(url: str, env: str, cfg: dict[str, Any]) -> dict[str, Any]:
    import redis.asyncio as redis

    from stigg_async import AsyncStigg, EntitlementCacheOptions

    shared = env != "-"
    client = AsyncStigg(
        api_key=cfg["api_key"],
        api_url=cfg["api_url"],
        redis_url=url if shared else None,
        shared_cache=(
            SharedCacheOptions(environment=env, refresh_interval=cfg["interval"])
            if shared
            else None
        ),
        # Polling only: the figure is requests per refresh cycle, which a healthy stream
        # would make rare (the poller then runs at its safety interval).
        entitlements=EntitlementCacheOptions(
            poll_interval=cfg["interval"], poll_jitter=0, streaming=False
        ),
    )
    control = redis.Redis.from_url(url)
    async with client:
        customers = cfg["customers"]
        for customer in customers:  # reads: a miss goes to Redis first, then the API
            await client.get_entitlement(customer, FEATURE)
        print("ready", flush=True)
        while not await control.exists(f"{cfg['signal']}:go"):  # noqa: ASYNC110 - another process
            await asyncio.sleep(0.01)
        before = client.entitlement_stats.requests
        loaded = client.entitlement_stats.refreshes
        deadline = time.monotonic() + cfg["window"]
        while time.monotonic() < deadline:
            for customer in customers[:50]:
                await client.get_entitlement(customer, FEATURE)
            await asyncio.sleep(0.05)
        requests = client.entitlement_stats.requests - before
        refreshes = client.entitlement_stats.refreshes - loaded
        status = client.shared_cache_status
        role = "standalone" if status is None else str(status.role)
    await control.aclose()
    return {"requests": requests, "refreshes": refreshes, "role": role}


def main() -> None:
    mode, url, env = sys.argv[1], sys.argv[2], sys.argv[3]
    if mode == "fleet":
        result = asyncio.run(fleet(url, env, json.loads(sys.argv[4])))
    else:
        fn = consume if mode == "consume" else listen
        result = asyncio.run(fn(url, env, int(sys.argv[4])))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
