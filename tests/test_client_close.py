"""Closing: idempotent, safe to cancel, and checked before anything is closed.

Issue 11, findings 3 and 4: a cancelled ``aclose()`` leaves no task running and a later
``aclose()`` returns the same report; odd timeouts are typed errors raised before any
side effect, never a hang or a half-closed client.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import math
from collections.abc import AsyncIterator
from typing import Any

import pytest

from stigg_async import AsyncStigg, StiggValidationError
from stigg_async._clock import FakeClock
from stigg_async._errors import StiggClientStateError, StiggError
from stigg_async.emulator import Emulator, Fault

KEY = "sk-close-test-31f0"
CAMPAIGNS = "feature-02-campaigns"

pytestmark = pytest.mark.filterwarnings("error")


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(api_key=KEY) as emulator:
        emulator.state.provision_customer("customer-1")
        emulator.state.provision_subscription("customer-1", "plan-revvenu-growth", skip_trial=True)
        yield emulator


def client(emu: Emulator, clock: FakeClock, **usage: Any) -> AsyncStigg:
    return AsyncStigg(
        api_key=KEY,
        api_url=emu.url,
        clock=clock,
        entitlements={"poll": False},
        usage={"flush_interval": 0.1, **usage},
    )


def sdk_tasks() -> list[asyncio.Task[Any]]:
    return [
        t
        for t in asyncio.all_tasks()
        if t is not asyncio.current_task() and t.get_name().startswith("stigg_async")
    ]


async def spin(rounds: int = 200) -> None:
    for _ in range(rounds):
        await asyncio.sleep(0)


async def test_cancelled_aclose_abandons_delivery_and_keeps_the_report(
    emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Cancel aclose() with the API down: no task left, in-flight unknown, queued failed."""
    emu.faults.add(Fault.http_error(503), operation="ReportUsageBulk")
    failures: list[tuple[int, bool]] = []
    stigg = client(
        emu,
        FakeClock(),  # waits never end by themselves: only cancellation stops close
        usage_batch_size=1,
        max_concurrent_requests=1,
        on_error=lambda items, err: failures.append((len(items), err.may_have_landed)),
    )
    await stigg.open()
    assert stigg.track_usage("customer-1", CAMPAIGNS, 1)
    assert stigg.track_usage("customer-1", CAMPAIGNS, 2)
    closing = asyncio.ensure_future(stigg.aclose(timeout=5))
    for _ in range(10_000):  # until the first batch got its 503 and waits to retry
        if emu.counters.operation("ReportUsageBulk"):
            break
        await asyncio.sleep(0)
    await spin()
    closing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closing
    assert stigg.is_closed
    assert sdk_tasks() == []
    report = await stigg.aclose()
    assert report is not None
    assert (report.delivered, report.may_have_landed, report.failed, report.pending) == (0, 1, 1, 0)
    assert not report.delivered_all
    assert report.undelivered == 2
    assert await stigg.aclose() is report  # idempotent: the same report every time
    assert sorted(failures) == [(1, False), (1, True)]
    stats = stigg.usage_stats
    assert (stats.sent, stats.failed, stats.may_have_landed, stats.pending) == (0, 1, 1, 0)
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        gc.collect()
        await spin()
    assert not [r for r in caplog.records if "destroyed" in r.getMessage()]


async def test_aclose_cancelled_twice_still_finishes_and_returns_one_report(emu: Emulator) -> None:
    """Two racing aclose() calls, one cancelled: both end, the report is shared."""
    emu.faults.add(Fault.http_error(503), operation="ReportUsageBulk")
    stigg = client(emu, FakeClock())
    await stigg.open()
    stigg.track_usage("customer-1", CAMPAIGNS, 1)
    first = asyncio.ensure_future(stigg.aclose(timeout=5))
    await spin()
    second = asyncio.ensure_future(stigg.aclose(timeout=1))
    await spin()
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    report = await second
    assert report is not None
    assert report is await stigg.aclose()
    assert sdk_tasks() == []


async def test_a_call_racing_aclose_fails_with_a_state_error(emu: Emulator) -> None:
    """After aclose() began, new calls and tracking raise StiggClientStateError."""
    stigg = client(emu, FakeClock(auto_advance=True))
    await stigg.open()
    await stigg.aclose()
    with pytest.raises(StiggClientStateError):
        await stigg.report_usage(customer_id="customer-1", feature_id=CAMPAIGNS, value=1)
    with pytest.raises(StiggClientStateError):
        stigg.track_usage("customer-1", CAMPAIGNS, 1)


@pytest.mark.parametrize("timeout", [math.nan, "5", -1, math.inf, True, 10**400], ids=repr)
async def test_bad_aclose_timeouts_are_refused_before_closing(emu: Emulator, timeout: Any) -> None:
    """aclose(timeout=nan / "5" / -1 ...) raises and leaves the client open and working."""
    stigg = client(emu, FakeClock())
    await stigg.open()
    stigg.track_usage("customer-1", CAMPAIGNS, 1)
    with pytest.raises(StiggValidationError) as info:
        await stigg.aclose(timeout=timeout)
    assert info.value.field == "timeout"
    assert not stigg.is_closed
    report = await stigg.aclose()
    assert report is not None
    assert report.delivered == 1
    assert emu.state.usage_total("customer-1", CAMPAIGNS) == 1


@pytest.mark.parametrize("timeout", [math.nan, "x", -0.5, math.inf, False], ids=repr)
async def test_bad_flush_timeouts_are_refused_before_anything_is_sent(
    emu: Emulator, timeout: Any
) -> None:
    """flush(timeout="x" / nan) raises at once: no flush is kicked, nothing is sent."""
    stigg = client(emu, FakeClock())
    await stigg.open()
    stigg.track_usage("customer-1", CAMPAIGNS, 1)
    await spin()
    with pytest.raises(StiggValidationError):
        await stigg.flush(timeout=timeout)
    await spin()
    assert emu.counters.operation("ReportUsageBulk") == 0
    assert stigg.usage_stats.pending == 1
    stigg._clock.advance(1)  # type: ignore[attr-defined]
    report = await stigg.aclose()
    assert report is not None


async def test_flush_report_after_close_is_not_an_error(emu: Emulator) -> None:
    """flush() on a closed client raises a state error; it never hangs."""
    stigg = client(emu, FakeClock(auto_advance=True))
    await stigg.open()
    await stigg.aclose()
    with pytest.raises(StiggError):
        await asyncio.wait_for(stigg.flush(timeout=0), 5)


async def test_a_call_in_flight_when_the_client_closes_may_have_landed() -> None:
    """report_usage on the wire while aclose() closes the session: flagged, with its key."""
    server_clock = FakeClock()
    async with Emulator(api_key=KEY, clock=server_clock) as emu:
        emu.state.provision_customer("customer-1")
        emu.faults.add(Fault.latency(30), operation="ReportUsage", times=1)
        stigg = client(emu, FakeClock())
        await stigg.open()
        call = asyncio.ensure_future(
            stigg.report_usage(customer_id="customer-1", feature_id=CAMPAIGNS, value=1)
        )
        for _ in range(10_000):
            if emu.counters.operation("ReportUsage"):
                break
            await asyncio.sleep(0)
        await stigg.aclose()
        with pytest.raises(StiggClientStateError) as info:
            await call
        server_clock.advance(30)
    assert info.value.may_have_landed
    assert len(info.value.idempotency_keys) == 1
