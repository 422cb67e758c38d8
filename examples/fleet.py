"""A fleet of worker processes sharing one entitlement cache on Redis.

Four processes (as gunicorn or uvicorn would start them) each open their own
``AsyncStigg`` with ``redis_url``: one becomes the refresher (``leader``), the others
follow. They all ``consume`` the same metered feature at once, and the limit holds
across the fleet, because the decision and the count happen in one Lua script in
Redis.

Run it against the built-in emulator and a local Redis::

    python -m stigg_async.emulator --port 8787 --api-key dev-key &
    redis-server --port 6379 &
    STIGG_API_URL=http://127.0.0.1:8787/graphql STIGG_SERVER_API_KEY=dev-key \\
        STIGG_REDIS_URL=redis://127.0.0.1:6379/0 python examples/fleet.py
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import uuid

from stigg_async import AsyncStigg, SharedCacheOptions

CAMPAIGNS = "feature-02-campaigns"
WORKERS = 4
CALLS_PER_WORKER = 5


def worker(customer: str, environment: str, start: threading.Barrier) -> str:
    """One process of the fleet: open a client (after the fork), consume, report."""

    async def run() -> str:
        # redis_url comes from STIGG_REDIS_URL; one environment name keeps this run apart.
        # A generous timeout: on a busy machine a slow Redis must not look like a down one
        # (then each process would decide on its own, see docs/redis.md).
        shared = SharedCacheOptions(environment=environment, operation_timeout=2.0)
        async with AsyncStigg(shared_cache=shared) as stigg:
            await stigg.get_entitlement(customer, CAMPAIGNS)  # warm: Redis, else the API once
            status = stigg.shared_cache_status
            role = "standalone" if status is None else str(status.role)
            # All workers open at once (never block the loop: the tier runs in it).
            await asyncio.to_thread(start.wait)
            results = await asyncio.gather(
                *(stigg.consume(customer, CAMPAIGNS) for _ in range(CALLS_PER_WORKER))
            )
            granted = sum(1 for r in results if r.is_granted)
        return f"{role}:{granted}"

    return asyncio.run(run())


async def provision() -> tuple[str, float]:
    customer = f"fleet-{uuid.uuid4().hex[:6]}"
    async with AsyncStigg() as stigg:  # no Redis needed to provision
        await stigg.provision_customer(
            customer_id=customer, subscription_params={"planId": "plan-revvenu-basic"}
        )
        limit = (await stigg.get_entitlement(customer, CAMPAIGNS)).usage_limit
    assert limit is not None
    return customer, limit


def main() -> None:
    if not os.environ.get("STIGG_REDIS_URL"):
        raise SystemExit("set STIGG_REDIS_URL (redis://127.0.0.1:6379/0)")
    customer, limit = asyncio.run(provision())
    print(f"customer {customer}: {CAMPAIGNS} limit {limit:g}")
    context = multiprocessing.get_context("spawn")  # a fresh interpreter per worker
    start = context.Manager().Barrier(WORKERS + 1)
    environment = f"example-{uuid.uuid4().hex[:6]}"
    with context.Pool(WORKERS) as pool:
        pending = [pool.apply_async(worker, (customer, environment, start)) for _ in range(WORKERS)]
        start.wait()  # every worker is open and warm: go
        answers = [p.get(timeout=60) for p in pending]
    total = 0
    for i, answer in enumerate(answers):
        role, granted = answer.split(":")
        total += int(granted)
        print(f"worker {i}: {role}, granted {granted} of {CALLS_PER_WORKER}")
    print(f"fleet granted {total} of {WORKERS * CALLS_PER_WORKER} requests; limit {limit:g}")


if __name__ == "__main__":
    main()
