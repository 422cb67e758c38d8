"""R2: the API goes away: every check is answered, the status says so, recovery is prompt."""

from __future__ import annotations

import asyncio

from stigg_async._cache import CacheState, EntitlementSource
from stigg_async._clock import FakeClock
from stigg_async.emulator import Emulator
from tests.reliability._support import SECRET_KEY, drive, make_client, seed

POLL_INTERVAL = 30.0
FEATURES = ("feature-02-campaigns", "feature-03-custom-domain", "feature-05-missing")


async def test_r2_outage_serves_stale_and_recovers_within_one_poll_interval(ledger) -> None:
    """Paused emulator: stale answers, INTERRUPTED status; resumed: VALID within one interval."""
    clock = FakeClock()
    async with Emulator(api_key=SECRET_KEY, clock=clock) as emu:
        customers = seed(emu, 3)
        stigg = make_client(
            emu.url,
            clock,
            entitlements={"poll": True, "ttl": 60, "poll_interval": POLL_INTERVAL},
        )
        async with stigg:
            await stigg.prefetch(customers)
            assert stigg.entitlement_status.state is CacheState.VALID
            before = {
                (c, f): await stigg.get_entitlement(c, f) for c in customers for f in FEATURES
            }

            await emu.pause()
            await drive(
                clock, lambda: stigg.entitlement_status.state is CacheState.INTERRUPTED, step=1.0
            )
            # Past the TTL: nothing cached is fresh any more.
            clock.advance(120)
            checks = asyncio.ensure_future(
                asyncio.gather(
                    *(stigg.get_entitlement(c, f) for c in customers for f in FEATURES),
                    stigg.get_entitlement("customer-never-seen", FEATURES[0]),
                )
            )
            await drive(clock, checks.done, step=1.0)
            *cached, unknown = checks.result()
            status = stigg.entitlement_status
            assert status.state is CacheState.INTERRUPTED
            assert status.last_error
            assert status.reason
            for (key, old), new in zip(before.items(), cached, strict=True):
                assert new.source is EntitlementSource.STALE_CACHE, key
                assert (new.is_granted, new.usage_limit) == (old.is_granted, old.usage_limit)
            assert unknown.source is EntitlementSource.FALLBACK
            ledger.audit(status)

            await emu.resume()
            took = await drive(
                clock, lambda: stigg.entitlement_status.state is CacheState.VALID, step=0.5
            )
            assert took <= POLL_INTERVAL
            after = await stigg.get_entitlement(customers[0], FEATURES[0])
            assert after.source is EntitlementSource.FRESH_CACHE
            assert stigg._entitlements.is_polling
    ledger.cases += len(cached) + 1
    ledger.faults += 1
    ledger.lines.append(
        f"R2 outage: {len(cached) + 1} checks answered during the outage; "
        f"recovered {took:g} fake s after the API returned (poll interval {POLL_INTERVAL:g} s)"
    )
