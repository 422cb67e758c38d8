"""R4: rejected keys: 401 and 403 are never retried; the poller slows down and says why."""

from __future__ import annotations

import asyncio

import pytest

from stigg_async._cache import CacheState, EntitlementSource
from stigg_async._clock import FakeClock
from stigg_async._errors import StiggAuthenticationError
from stigg_async.emulator import Emulator, Fault
from tests.reliability._support import SECRET_KEY, drive, make_client, seed

WRONG_KEY = "sk-reliability-WRONG-000"
AUTH_INTERVAL = 300.0
WINDOW = 3_600.0


async def test_r4_401_and_403_are_not_retried(ledger) -> None:
    """One request per call for a rejected key (401) and a forbidden one (403)."""
    clock = FakeClock(auto_advance=True)  # a retry would not even cost fake waiting
    async with Emulator(api_key=SECRET_KEY, clock=FakeClock()) as emu:
        (customer,) = seed(emu, 1)
        async with make_client(emu.url, clock, api_key=WRONG_KEY, max_retries=5) as wrong:
            for call in (
                lambda: wrong.fetch_entitlement(customer, "feature-02-campaigns"),
                lambda: wrong.report_usage(
                    customer_id=customer, feature_id="feature-02-campaigns", value=1
                ),
                lambda: wrong.get_customer(customer),
            ):
                before = emu.counters.unauthorized
                with pytest.raises(StiggAuthenticationError) as info:
                    await call()
                assert emu.counters.unauthorized - before == 1
                assert (info.value.status, info.value.retries) == (401, 0)
                ledger.audit(info.value)
        async with make_client(emu.url, clock, max_retries=5) as stigg:
            emu.faults.add(Fault.http_error(403))
            before = emu.counters.total
            with pytest.raises(StiggAuthenticationError) as info:
                await stigg.fetch_entitlement(customer, "feature-02-campaigns")
            assert emu.counters.total - before == 1
            assert (info.value.status, info.value.retries) == (403, 0)
            ledger.audit(info.value)
    ledger.cases += 4
    ledger.faults += 4


async def test_r4_poller_goes_slow_with_a_bounded_request_count(ledger) -> None:
    """An hour of fake time with a rejected key costs a handful of requests, not thousands."""
    clock = FakeClock()
    async with Emulator(api_key=SECRET_KEY, clock=clock) as emu:
        customers = seed(emu, 3)
        stigg = make_client(
            emu.url,
            clock,
            api_key=WRONG_KEY,
            entitlements={"poll": True, "poll_interval": 10, "auth_error_interval": AUTH_INTERVAL},
        )
        async with stigg:
            first = asyncio.ensure_future(
                asyncio.gather(
                    *(stigg.get_entitlement(c, "feature-03-custom-domain") for c in customers)
                )
            )
            await drive(clock, first.done)
            assert all(r.source is EntitlementSource.FALLBACK for r in first.result())
            checks = 0
            spent = 0.0
            while spent < WINDOW:
                # Checks keep coming all the while; they must not turn into requests.
                for customer in customers:
                    task = asyncio.ensure_future(
                        stigg.get_entitlement(customer, "feature-02-campaigns")
                    )
                    await drive(clock, task.done)
                    assert task.result().source is EntitlementSource.FALLBACK
                    checks += 1
                for _ in range(12):  # a minute of fake time in 5 s steps
                    clock.advance(5.0)
                    for _ in range(10):
                        await asyncio.sleep(0)
                spent += 60.0
            status = stigg.entitlement_status
            requests = emu.counters.unauthorized
    # The first cold checks (one per key) plus one attempt per auth_error_interval.
    bound = len(customers) + WINDOW / AUTH_INTERVAL + 1
    ledger.cases += checks + len(customers)
    ledger.faults += requests
    ledger.lines.append(
        f"R4 auth: {requests} requests in {WINDOW:g} fake s with a rejected key "
        f"({checks} checks meanwhile; bound {bound:g})"
    )
    assert requests <= bound
    assert status.state is CacheState.INTERRUPTED
    assert status.reason is not None
    assert "rejected" in status.reason
    assert status.last_error is not None
    assert "401" in status.last_error
    ledger.audit(status)
