"""Exactly-once delivery through a faulty API: zero lost, zero counted twice."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator

import pytest

from stigg_async._clock import FakeClock
from stigg_async._retry import RetryPolicy
from stigg_async._transport import GraphQLTransport
from stigg_async._usage import UsagePipeline, UsagePipelineOptions
from stigg_async.emulator import Emulator, Fault
from tests.usage.fakes import FakeUsageAPI, drive, make_pipeline

CUSTOMERS = [f"customer-{i:02d}" for i in range(50)]
USAGE_ITEMS = 10_000
EVENTS = 5_000
FEATURE = "feature-02-campaigns"  # calculated usage, unlimited on the growth plan
METERED = "feature-07-active-users"  # fed by "user_login" events, COUNT_UNIQUE(user_id)


def track_everything(pipeline: UsagePipeline) -> tuple[Counter[str], Counter[str]]:
    """Track the workload; return the expected usage and event totals per customer."""
    usage: Counter[str] = Counter()
    events: Counter[str] = Counter()
    for i in range(USAGE_ITEMS):
        customer = CUSTOMERS[i % 50]
        value = 1 + i % 3
        assert pipeline.track_usage(customer, FEATURE, value)
        usage[customer] += value
        if i < EVENTS:
            # A distinct user per event, so the unique count equals the event count.
            assert pipeline.track_event(customer, "user_login", dimensions={"user_id": f"u-{i}"})
            events[customer] += 1
    return usage, events


async def test_thirty_percent_faults_lose_nothing_and_double_count_nothing_fake_api() -> None:
    """Against the fake API with 30% faults (before and after applying), totals are exact."""
    clock = FakeClock()
    api = FakeUsageAPI(fault_rate=0.3, retry_after=1.0)
    pipeline = make_pipeline(api, clock)
    pipeline.start()
    usage, events = track_everything(pipeline)
    assert await drive(clock, pipeline.flush())
    assert {c: api.usage_totals[(c, FEATURE)] for c in CUSTOMERS} == dict(usage)
    assert {c: api.event_totals[(c, "user_login")] for c in CUSTOMERS} == dict(events)
    assert api.applied_usage == USAGE_ITEMS
    assert api.applied_events == EVENTS
    faults = api.faults()
    assert faults["apply_then_5xx"] + faults["apply_then_drop"] > 0
    assert api.replayed > 0  # retries of applied batches were deduplicated by key
    stats = pipeline.stats
    assert (stats.sent, stats.failed, stats.pending) == (USAGE_ITEMS + EVENTS, 0, 0)
    await pipeline.aclose(0)


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    async with Emulator(api_key="test-key", clock=FakeClock(), seed=5) as emu:
        for customer in CUSTOMERS:
            emu.state.provision_customer(customer)
            emu.state.provision_subscription(customer, "plan-revvenu-growth", skip_trial=True)
        yield emu


def add_thirty_percent_faults(emu: Emulator) -> None:
    """Five kinds of fault, 6% each, on every usage request: 30% in all."""
    kinds = [
        Fault.http_error(503),  # refused before applying
        Fault.apply_then_fail(503),  # applied, then a 5xx
        Fault.drop(),  # connection dropped before applying
        Fault.apply_then_drop(),  # applied, then the connection dropped
        Fault.http_error(429, retry_after=1),  # rate limited
    ]
    taken = 0.0
    for fault in kinds:
        # Rules are tried in order; scale each so that every kind hits 6% overall.
        for operation in ("ReportUsageBulk", "ReportEvent"):
            emu.faults.add(fault, operation=operation, probability=0.06 / (1 - taken))
        taken += 0.06


@pytest.mark.slow
async def test_thirty_percent_faults_lose_nothing_and_double_count_nothing_emulator(
    emulator: Emulator,
) -> None:
    """Against the emulator over HTTP with 30% faults, its totals equal what was tracked."""
    add_thirty_percent_faults(emulator)
    clock = FakeClock()
    transport = GraphQLTransport(api_url=emulator.url, api_key="test-key", timeout=30)
    pipeline = UsagePipeline(
        transport=transport,
        retry_policy=RetryPolicy(),
        clock=clock,
        options=UsagePipelineOptions(),
    )
    try:
        await transport.open()
        pipeline.start()
        usage, events = track_everything(pipeline)
        assert await drive(clock, pipeline.flush(), step=0.05, limit=10_000_000)
        report = await drive(clock, pipeline.aclose(5), step=0.05)
    finally:
        await transport.close()
    state = emulator.state
    assert {c: state.usage_total(c, FEATURE) for c in CUSTOMERS} == dict(usage)
    assert {c: state.usage_total(c, METERED) for c in CUSTOMERS} == dict(events)
    assert state.applied_usage_reports == USAGE_ITEMS
    assert state.applied_events == EVENTS
    assert state.replayed_usage_reports + state.replayed_events > 0
    hits = sum(rule.hits for rule in emulator.faults.rules)
    assert hits > 0
    assert report.flushed
    assert report.stats.sent == USAGE_ITEMS + EVENTS
    assert report.stats.failed == 0
