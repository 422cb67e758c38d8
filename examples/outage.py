"""Outage: Stigg becomes unreachable; checks keep answering from the cache, then recover.

This example needs to switch the API off and on, so it runs its own in-process
emulator (it ignores ``STIGG_API_URL``)::

    python examples/outage.py

Time is simulated with a ``FakeClock`` shared by the emulator and the client, so
"ten minutes later" takes no time at all.
"""

from __future__ import annotations

import asyncio

from stigg_async import AsyncStigg, CacheState, EntitlementCacheOptions, RetryPolicy
from stigg_async.emulator import Emulator, FakeClock

CUSTOMER = "customer-outage"
CAMPAIGNS = "feature-02-campaigns"


def show(label: str, stigg: AsyncStigg, granted: bool, source: str) -> None:
    status = stigg.entitlement_status.state.value
    print(f"{label:<28} {'granted' if granted else 'denied':<8} source={source:<12} {status}")


async def main() -> None:
    clock = FakeClock()
    async with Emulator(api_key="outage-demo-key", clock=clock) as emulator:
        emulator.state.provision_customer(CUSTOMER)
        emulator.state.provision_subscription(CUSTOMER, "plan-revvenu-basic")

        options = EntitlementCacheOptions(ttl=60, poll_interval=30, error_backoff=1)
        async with AsyncStigg(
            api_key="outage-demo-key",
            api_url=emulator.url,
            clock=clock,
            entitlements=options,
            retry=RetryPolicy(max_retries=0),  # fail fast: the cache covers for us
        ) as stigg:
            check = await stigg.get_entitlement(CUSTOMER, CAMPAIGNS, requested_usage=1)
            show("1. API up", stigg, check.is_granted, check.source.value)

            # The API goes away, and the cached data grows older than its ttl.
            await emulator.pause()
            clock.advance(10 * 60)
            checks = [
                await stigg.get_entitlement(CUSTOMER, CAMPAIGNS, requested_usage=1)
                for _ in range(100)
            ]
            sources = {c.source.value for c in checks}
            granted = all(c.is_granted for c in checks)
            show("2. API down, 100 checks", stigg, granted, ",".join(sorted(sources)))
            print(f"   last error: {stigg.entitlement_status.last_error}")
            print(f"   data age: {checks[-1].age:.0f}s")

            # The API comes back; the poller's next cycle refreshes the cache.
            await emulator.resume()
            for _ in range(200):
                if stigg.entitlement_status.state is CacheState.VALID:
                    break
                clock.advance(5)  # let the poller's (fake) wait run out
                await asyncio.sleep(0.01)  # and give it a moment of real time to fetch
            check = await stigg.get_entitlement(CUSTOMER, CAMPAIGNS, requested_usage=1)
            show("3. API back", stigg, check.is_granted, check.source.value)


if __name__ == "__main__":
    asyncio.run(main())
