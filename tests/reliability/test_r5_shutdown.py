"""R5: aclose() with warnings as errors: no task left, no session open, usage delivered."""

from __future__ import annotations

import asyncio
import gc
import sys
import warnings
from typing import Any

from stigg_async._clock import FakeClock
from stigg_async.emulator import Emulator
from tests.reliability._support import SECRET_KEY, drive, make_client, seed

FEATURE = "feature-02-campaigns"


def _ours(task: asyncio.Task[Any]) -> bool:
    """A task of the client (not of the emulator's server or the test itself)."""
    code = getattr(task.get_coro(), "cr_code", None)
    filename = code.co_filename if code is not None else ""
    return "stigg_async" in filename and "emulator" not in filename


async def test_r5_aclose_leaves_nothing_behind_and_delivers_usage(ledger) -> None:
    """Buffered usage lands; afterwards no SDK task, no open session, no warning."""
    unraisable: list[Any] = []
    previous_hook = sys.unraisablehook
    sys.unraisablehook = unraisable.append
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            clock = FakeClock()
            async with Emulator(api_key=SECRET_KEY, clock=clock) as emu:
                customers = seed(emu, 5)
                before_tasks = asyncio.all_tasks()
                stigg = make_client(emu.url, clock, entitlements={"poll": True})
                await stigg.open()
                await stigg.prefetch(customers)
                for customer in customers:
                    await stigg.get_entitlement(customer, FEATURE)
                for i in range(250):  # buffered, never flushed explicitly
                    assert stigg.track_usage(customers[i % 5], FEATURE, 1)
                    assert stigg.track_event(
                        customers[i % 5], "user_login", dimensions={"user_id": f"u{i}"}
                    )
                session = stigg._transport._gql_transport.session
                assert session is not None
                assert not session.closed
                assert any(_ours(t) for t in asyncio.all_tasks() - before_tasks)

                close = asyncio.ensure_future(stigg.aclose())
                await drive(clock, close.done)
                report = close.result()
                for _ in range(5):
                    await asyncio.sleep(0)
                left = [t for t in asyncio.all_tasks() - before_tasks if _ours(t) and not t.done()]
                totals = {c: emu.state.usage_total(c, FEATURE) for c in customers}
                applied_events = emu.state.applied_events
            del stigg
            gc.collect()
    finally:
        sys.unraisablehook = previous_hook
    ledger.cases += 500
    ledger.lines.append(
        f"R5 shutdown: 500 buffered items delivered by aclose(); {len(left)} tasks left"
    )
    assert report is not None
    assert report.flushed
    assert not report.undelivered_usage
    assert not report.undelivered_events
    assert totals == dict.fromkeys(customers, 50.0)
    assert applied_events == 250
    assert left == []
    assert session.closed
    assert unraisable == []
    ledger.audit(report)
