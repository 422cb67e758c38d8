"""One worker process of the fleet tests: an AsyncStigg on the emulator and a real Redis.

Run as ``python -m tests.redis_tier.fleet_worker '<json config>'``. Prints
``ready <role>`` once open and warm, waits for the ``go`` key in Redis, runs its
mode, then prints one JSON line with what it saw.

* ``consume``: fire ``calls`` concurrent consumes of the first customer;
* ``checks``: for ``duration`` seconds, check every customer (and consume one unit
  now and then), counting answers and exceptions (there must be none).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import redis.asyncio as redis

from stigg_async import AsyncStigg, EntitlementCacheOptions
from stigg_async._redis import SharedCacheOptions

TEMPLATES = "feature-01-templates"
CAMPAIGNS = "feature-02-campaigns"


async def main(cfg: dict[str, Any]) -> dict[str, Any]:
    options = SharedCacheOptions(
        environment=cfg["env"],
        lease_ttl=cfg.get("lease_ttl", 2.0),
        refresh_interval=cfg.get("refresh_interval", 0.5),
        # Generous: a loaded machine must not look like Redis being down (which makes
        # consume decide per process); the Redis-kill test sets a short one.
        operation_timeout=cfg.get("operation_timeout", 3.0),
        reconnect_interval=0.2,
    )
    client = AsyncStigg(
        api_key=cfg["api_key"],
        api_url=cfg["api_url"],
        redis_url=cfg["redis_url"],
        shared_cache=options,
        entitlements=EntitlementCacheOptions(poll_interval=0.5),
    )
    control = redis.Redis.from_url(cfg["redis_url"])
    customers: list[str] = cfg["customers"]
    out: dict[str, Any] = {"errors": [], "answers": 0, "roles": []}
    async with client:
        for customer in customers:
            await client.get_entitlement(customer, TEMPLATES)
        status = client.shared_cache_status
        assert status is not None
        print(f"ready {status.role}", flush=True)
        while not await control.exists(f"{cfg['env']}:go"):  # noqa: ASYNC110 - another process's signal
            await asyncio.sleep(0.01)
        await control.aclose()
        if cfg["mode"] == "consume":
            results = await asyncio.gather(
                *(client.consume(customers[0], CAMPAIGNS) for _ in range(cfg["calls"]))
            )
            out["granted"] = sum(1 for r in results if r.is_granted)
            await client.flush()
        else:
            await asyncio.sleep(cfg.get("settle", 1.0))  # the refresher's first cycle
            before = client.entitlement_stats.requests
            deadline = time.monotonic() + cfg["duration"]
            i = 0
            while time.monotonic() < deadline:
                for customer in customers:
                    try:
                        result = await client.get_entitlement(customer, TEMPLATES)
                        out["answers"] += 1
                        if i % 10 == 0:
                            await client.consume(customer, CAMPAIGNS)
                            out["answers"] += 1
                        assert result.feature_id == TEMPLATES
                    except Exception as exc:  # what the test asserts never happens
                        out["errors"].append(repr(exc))
                role = str(client.shared_cache_status.role)  # type: ignore[union-attr]
                if not out["roles"] or out["roles"][-1] != role:
                    out["roles"].append(role)
                i += 1
                await asyncio.sleep(0.02)
            out["requests"] = client.entitlement_stats.requests - before
    return out


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(json.loads(sys.argv[1])))), flush=True)
