"""R8: the SDK's word about outcomes, through a fault-injecting proxy.

A real aiohttp proxy on 127.0.0.1 sits between the SDK and the emulator and spoils
30% (then 50%) of the exchanges: truncated 200 bodies after forwarding, connections
cut before, after and in the middle of the answer, 5xx before and after applying,
and answers slower than the client's timeout. Buffered usage and events (with a
small ``max_attempts`` so some are given up on) and direct ``report_usage`` calls
(one retry) go through it, using public names only.

Then every item whose outcome the SDK did not report as delivered is probed: sent
again with its idempotency key directly to the emulator, and the emulator's replay
counter says whether it had landed. The phase checks:

* 0 items reported as failed that had landed (a definite failure is never a guess);
* every item that landed without being reported delivered was flagged may-have-landed;
* every accepted usage item was settled exactly once (the usage observer contract);
* after the safe re-sends, the emulator's totals equal what was tracked: 0 lost,
  0 duplicated.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest

from stigg_async import AsyncStigg, CustomerNotFoundError, RetryPolicy, StiggError
from stigg_async._usage._observer import UsageOutcome
from stigg_async.emulator import Emulator
from tests.reliability._proxy import FaultProxy
from tests.reliability._support import SECRET_KEY, seed
from tests.support.observer import RecordingObserver

GHOST = "customer-ghost"
USAGE_FEATURE = "feature-02-campaigns"
EVENT_FEATURE = "feature-07-active-users"


@dataclass
class Item:
    """One unit of usage as the test tracked it, and what the SDK said about it."""

    kind: str  # "usage" | "event" | "direct"
    customer_id: str
    key: str
    value: float = 1.0
    user: str = ""
    said: str = "delivered"  # "delivered" | "failed" | "unknown"
    keys: tuple[str, ...] = ()  # what a direct call's error carried


@dataclass
class Tally:
    items: list[Item] = field(default_factory=list)
    by_key: dict[str, Item] = field(default_factory=dict)

    def add(self, item: Item) -> None:
        self.items.append(item)
        self.by_key[item.key] = item


async def _direct_reports(stigg: AsyncStigg, tally: Tally, customers: list[str], n: int) -> None:
    """Awaited report_usage calls; an error's flag decides what the SDK said."""

    async def one(i: int) -> None:
        # Every tenth call names a customer that does not exist: a definite refusal.
        customer = GHOST if i % 10 == 9 else customers[i % len(customers)]
        item = Item("direct", customer, f"direct-{i}", value=1 + i % 2)
        tally.add(item)
        try:
            await stigg.report_usage(
                customer_id=item.customer_id,
                feature_id=USAGE_FEATURE,
                value=item.value,
                idempotency_key=item.key,
            )
        except StiggError as err:
            item.said = "unknown" if err.may_have_landed else "failed"
            item.keys = err.idempotency_keys

    for start in range(0, n, 10):
        await asyncio.gather(*(one(i) for i in range(start, min(n, start + 10))))


async def _probe(emu: Emulator, clean: AsyncStigg, item: Item) -> bool:
    """Re-send ``item`` with its key straight to the emulator; True if it had landed."""
    state = emu.state
    if item.kind == "event":
        before = state.replayed_events
        await clean.report_events(
            [
                {
                    "customer_id": item.customer_id,
                    "event_name": "user_login",
                    "dimensions": {"user_id": item.user},
                    "idempotency_key": item.key,
                }
            ]
        )
        return state.replayed_events > before
    if item.customer_id == GHOST:
        with pytest.raises(CustomerNotFoundError):
            await clean.report_usage(
                customer_id=GHOST, feature_id=USAGE_FEATURE, value=1, idempotency_key=item.key
            )
        return False
    before = state.replayed_usage_reports
    await clean.report_usage(
        customer_id=item.customer_id,
        feature_id=USAGE_FEATURE,
        value=item.value,
        idempotency_key=item.key,
    )
    return state.replayed_usage_reports > before


@pytest.mark.parametrize("fault_rate", [0.3, 0.5])
async def test_r8_outcomes_through_a_fault_injecting_proxy(
    full: bool, ledger: Any, fault_rate: float
) -> None:
    """0 lost, 0 duplicated, 0 landed items called failed, every ambiguous one flagged."""
    n_usage, n_events, n_direct, n_customers = (
        (5_000, 2_500, 600, 20) if full else (300, 150, 40, 5)
    )
    async with Emulator(api_key=SECRET_KEY, seed=5) as emu:
        customers = seed(emu, n_customers)
        proxy = await FaultProxy(emu.url, fault_rate=fault_rate, seed=int(fault_rate * 100)).start()
        tally = Tally()
        observer = RecordingObserver()
        given_up: Counter[tuple[str, bool]] = Counter()

        def on_error(items: Any, error: StiggError) -> None:
            said = "unknown" if error.may_have_landed else "failed"
            for record in items:
                tally.by_key[record.idempotency_key].said = said
                given_up[(type(record).__name__, error.may_have_landed)] += 1

        try:
            stigg = AsyncStigg(
                api_key=SECRET_KEY,
                api_url=proxy.url,
                timeout=0.25,  # shorter than the proxy's "slow" answers
                retry=RetryPolicy(max_retries=1, initial_backoff=0.005, max_backoff=0.02),
                entitlements={"poll": False},
                usage={
                    "usage_batch_size": 10,
                    "event_batch_size": 10,
                    "flush_interval": 0.02,
                    "max_attempts": 3,  # small, so some batches are given up on
                    "on_error": on_error,
                },
            )
            stigg._observe_usage(observer)
            async with stigg:
                for i in range(n_usage):
                    item = Item("usage", customers[i % n_customers], f"usage-{i}", 1 + i % 3)
                    tally.add(item)
                    assert stigg.track_usage(
                        item.customer_id, USAGE_FEATURE, item.value, idempotency_key=item.key
                    )
                for i in range(n_events):
                    item = Item("event", customers[i % n_customers], f"event-{i}", user=f"u-{i}")
                    tally.add(item)
                    assert stigg.track_event(
                        item.customer_id,
                        "user_login",
                        dimensions={"user_id": item.user},
                        idempotency_key=item.key,
                    )
                await _direct_reports(stigg, tally, customers, n_direct)
                flushed = await asyncio.wait_for(stigg.flush(), 300)
                stats = stigg.usage_stats
            report = await stigg.aclose()
            await proxy.wait_idle()  # slow requests land after the client gave up
        finally:
            await proxy.stop()

        # Probe everything the SDK did not call delivered.
        said = Counter(item.said for item in tally.items)
        landed_failed = landed_unknown = 0
        async with AsyncStigg(api_key=SECRET_KEY, api_url=emu.url) as clean:
            for item in tally.items:
                if item.said == "delivered":
                    continue
                landed = await _probe(emu, clean, item)
                if item.said == "failed" and landed:
                    landed_failed += 1
                if item.said == "unknown" and landed:
                    landed_unknown += 1
        state = emu.state
        tracked: Counter[str] = Counter()
        events: Counter[str] = Counter()
        for item in tally.items:
            if item.kind == "event":
                events[item.customer_id] += 1
            elif item.customer_id != GHOST:
                tracked[item.customer_id] += item.value
        got_usage = {c: state.usage_total(c, USAGE_FEATURE) for c in customers}
        got_events = {c: state.usage_total(c, EVENT_FEATURE) for c in customers}
        ghosts = sum(1 for i in tally.items if i.customer_id == GHOST)
        n_usage_total = n_usage + n_direct - ghosts
        lost = max(0, n_usage_total - state.applied_usage_reports) + max(
            0, n_events - state.applied_events
        )
        duplicated = max(0, state.applied_usage_reports - n_usage_total) + max(
            0, state.applied_events - n_events
        )

    ledger.cases += len(tally.items)
    ledger.faults += proxy.faults
    ledger.lost += lost
    ledger.duplicated += duplicated
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(proxy.counts.items()) if k != "ok")
    ledger.lines.append(
        f"R8 proxy chaos {fault_rate:.0%}: {len(tally.items)} items ({n_usage} usage, "
        f"{n_events} events, {n_direct} direct) through {sum(proxy.counts.values())} "
        f"requests ({kinds}); SDK said delivered {said['delivered']}, failed "
        f"{said['failed']}, may have landed {said['unknown']} ({landed_unknown} had); "
        f"landed but called failed: {landed_failed}; lost {lost}, duplicated {duplicated}"
    )
    assert proxy.faults > 0.15 * sum(proxy.counts.values())  # the chaos really happened
    assert proxy.counts["truncate_after"] > 0
    assert landed_failed == 0  # a definite failure is never a guess
    # A refused call (the ghost customer) is never reported delivered; it is failed, or
    # may-have-landed when an earlier attempt's answer was lost.
    assert all(i.said != "delivered" for i in tally.items if i.customer_id == GHOST)
    assert (lost, duplicated) == (0, 0)
    assert got_usage == {c: float(tracked[c]) for c in customers}
    assert got_events == {c: float(events[c]) for c in customers}
    # The SDK's own accounts agree with what it told on_error and the observer.
    pipeline_items = n_usage + n_events
    assert stats.enqueued == pipeline_items
    assert stats.pending == 0
    assert stats.failed == given_up[("UsageRecord", False)] + given_up[("EventRecord", False)]
    assert stats.may_have_landed == (
        given_up[("UsageRecord", True)] + given_up[("EventRecord", True)]
    )
    assert stats.sent + stats.failed + stats.may_have_landed == pipeline_items
    assert flushed.settled
    assert flushed.delivered <= stats.sent
    assert flushed.failed <= stats.failed
    assert flushed.may_have_landed <= stats.may_have_landed
    # A direct call's error always carries the key it sent.
    assert all(
        i.keys == (i.key,) for i in tally.items if i.kind == "direct" and i.said != "delivered"
    )
    assert report is not None
    assert report.pending == 0
    assert observer.problems() == []  # every accepted usage item settled exactly once
    observed = observer.outcomes()
    direct_said = Counter(i.said for i in tally.items if i.kind == "direct")
    usage_said = Counter(i.said for i in tally.items if i.kind == "usage")
    assert observed[UsageOutcome.DELIVERED] == usage_said["delivered"] + direct_said["delivered"]
    assert observed[UsageOutcome.FAILED] == usage_said["failed"] + direct_said["failed"]
    assert observed[UsageOutcome.UNKNOWN] == usage_said["unknown"] + direct_said["unknown"]
