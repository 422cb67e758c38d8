"""R1: buffered usage and events through 30% injected faults: exact totals, exactly once."""

from __future__ import annotations

import asyncio
from collections import Counter

from stigg_async._clock import FakeClock
from stigg_async.emulator import Emulator, Fault
from tests.reliability._support import SECRET_KEY, drive, make_client, seed

USAGE_FEATURE = "feature-02-campaigns"  # calculated usage, unlimited on growth
EVENT_FEATURE = "feature-07-active-users"  # fed by "user_login", COUNT_UNIQUE(user_id)


def add_chaos(emu: Emulator) -> None:
    """Five failing kinds at 6% of requests each (30% in all), plus 10% latency."""
    failing = [
        Fault.http_error(503),  # 5xx before applying
        Fault.apply_then_fail(502),  # applied, then a 5xx
        Fault.drop(),  # connection dropped before applying
        Fault.apply_then_drop(),  # applied, then the connection dropped
        Fault.http_error(429, retry_after=2),  # rate limited, with Retry-After
    ]
    taken = 0.0
    for fault in failing:
        # Rules are tried in order: scale each so that every kind hits 6% overall.
        emu.faults.add(fault, probability=0.06 / (1 - taken))
        taken += 0.06
    emu.faults.add(Fault.latency(3.0), probability=0.10)  # adds to whatever else applies


async def test_r1_usage_and_events_survive_chaos_exactly_once(full: bool, ledger) -> None:
    """Every tracked item lands exactly once although 30% of requests fail in six ways."""
    n_usage, n_events, n_customers = (10_000, 5_000, 50) if full else (1_000, 500, 10)
    clock = FakeClock()
    async with Emulator(api_key=SECRET_KEY, clock=clock, seed=11) as emu:
        customers = seed(emu, n_customers)
        add_chaos(emu)
        # Small batches: many requests, so the 30% fault rate is exercised many times.
        batch = 100 if full else 25
        stigg = make_client(
            emu.url, clock, usage={"usage_batch_size": batch, "event_batch_size": batch}
        )
        await stigg.open()
        usage: Counter[str] = Counter()
        events: Counter[str] = Counter()
        for i in range(n_usage):
            customer = customers[i % n_customers]
            value = 1 + i % 3
            assert stigg.track_usage(customer, USAGE_FEATURE, value)
            usage[customer] += value
        for i in range(n_events):
            customer = customers[i % n_customers]
            # A distinct user per event, so the unique count equals the event count.
            assert stigg.track_event(customer, "user_login", dimensions={"user_id": f"u-{i}"})
            events[customer] += 1

        flush = asyncio.ensure_future(stigg.flush())
        await drive(clock, flush.done)
        flushed = flush.result()
        assert flushed.delivered_all
        assert flushed.delivered == n_usage + n_events
        close = asyncio.ensure_future(stigg.aclose())
        await drive(clock, close.done)
        report = close.result()

        state = emu.state
        got_usage = {c: state.usage_total(c, USAGE_FEATURE) for c in customers}
        got_events = {c: state.usage_total(c, EVENT_FEATURE) for c in customers}
        applied_usage, applied_events = state.applied_usage_reports, state.applied_events
        faults = sum(rule.hits for rule in emu.faults.rules)
        stats = stigg.usage_stats

    lost = max(0, n_usage - applied_usage) + max(0, n_events - applied_events)
    duplicated = max(0, applied_usage - n_usage) + max(0, applied_events - n_events)
    ledger.cases += n_usage + n_events
    ledger.faults += faults
    ledger.lost += lost
    ledger.duplicated += duplicated
    ledger.lines.append(
        f"R1 chaos: {n_usage} usage + {n_events} events over {n_customers} customers, "
        f"{faults} faults, {stats.retried} items retried, "
        f"{state.replayed_usage_reports + state.replayed_events} replays deduplicated"
    )
    assert faults > 0.2 * (stats.requests - faults)  # the chaos really happened
    assert got_usage == {c: float(v) for c, v in usage.items()}
    assert got_events == {c: float(v) for c, v in events.items()}
    assert (lost, duplicated) == (0, 0)
    assert (stats.sent, stats.failed, stats.dropped, stats.pending) == (
        n_usage + n_events,
        0,
        0,
        0,
    )
    assert report is not None
    assert report.flushed
