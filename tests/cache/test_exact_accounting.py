"""Exact local checks against the emulator: usage in flight counts, consume is atomic.

The scenario of the issue: plan-revvenu-basic allows 4 campaigns. Whatever the
timing (cold or warm cache, concurrent or sequential), the README's pattern
(check with requested_usage=1, then track_usage) and ``consume`` never grant a 5th,
and the server ends with exactly the granted usage.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from stigg_async import (
    AccessDeniedReason,
    AsyncStigg,
    EntitlementSource,
    StiggQueueFullError,
    UsagePipelineOptions,
)
from stigg_async._clock import FakeClock
from stigg_async._usage._items import UsageRecord
from stigg_async._usage._observer import UsageOutcome
from stigg_async.emulator import Emulator, Fault
from stigg_async.testing import STIGG_EMULATOR_API_KEY

CAMPAIGNS = "feature-02-campaigns"  # limit 4 on plan-revvenu-basic
LIMIT = 4


@pytest.fixture
async def stigg(
    stigg_emulator: Emulator, stigg_emulator_clock: FakeClock
) -> AsyncIterator[AsyncStigg]:
    async with AsyncStigg(
        api_key=STIGG_EMULATOR_API_KEY, api_url=stigg_emulator.url, clock=stigg_emulator_clock
    ) as client:
        yield client


def _customer(emu: Emulator, customer_id: str = "c-exact") -> str:
    emu.state.provision_customer(customer_id)
    emu.state.provision_subscription(customer_id, "plan-revvenu-basic")
    return customer_id


def _server_usage(emu: Emulator, customer_id: str) -> float:
    return emu.state.entitlement(customer_id, CAMPAIGNS).current_usage


async def _check_then_track(stigg: AsyncStigg, customer: str) -> bool:
    check = await stigg.get_entitlement(customer, CAMPAIGNS, requested_usage=1)
    if check.is_granted:
        assert stigg.track_usage(customer, CAMPAIGNS, 1)
    return check.is_granted


@pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])
async def test_readme_pattern_burst_grants_exactly_the_limit(
    stigg: AsyncStigg, stigg_emulator: Emulator, warm: bool
) -> None:
    """10 concurrent check-then-track handlers against a limit of 4 grant exactly 4."""
    customer = _customer(stigg_emulator)
    if warm:
        await stigg.prefetch([customer])
    granted = await asyncio.gather(*(_check_then_track(stigg, customer) for _ in range(10)))
    assert sum(granted) == LIMIT
    await stigg.flush(timeout=10)
    assert _server_usage(stigg_emulator, customer) == LIMIT


async def test_readme_pattern_sequential_grants_exactly_the_limit(
    stigg: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """8 sequential check-then-track calls before any delivery grant exactly 4."""
    customer = _customer(stigg_emulator)
    granted = [await _check_then_track(stigg, customer) for _ in range(8)]
    assert granted == [True] * LIMIT + [False] * (8 - LIMIT)
    denied = await stigg.get_entitlement(customer, CAMPAIGNS, requested_usage=1)
    assert denied.access_denied_reason is AccessDeniedReason.REQUESTED_USAGE_EXCEEDING_LIMIT
    assert (denied.current_usage, denied.pending_usage) == (0, LIMIT)
    await stigg.flush(timeout=10)
    assert _server_usage(stigg_emulator, customer) == LIMIT


@pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])
async def test_consume_burst_grants_exactly_the_limit(
    stigg: AsyncStigg, stigg_emulator: Emulator, warm: bool
) -> None:
    """20 concurrent consume calls grant 4, each with its own idempotency key."""
    customer = _customer(stigg_emulator)
    if warm:
        await stigg.prefetch([customer])
    results = await asyncio.gather(*(stigg.consume(customer, CAMPAIGNS) for _ in range(20)))
    granted = [r for r in results if r.is_granted]
    assert len(granted) == LIMIT
    keys = {r.idempotency_key for r in granted}
    assert None not in keys
    assert len(keys) == LIMIT
    assert all(r.idempotency_key is None for r in results if not r.is_granted)
    await stigg.flush(timeout=10)
    assert _server_usage(stigg_emulator, customer) == LIMIT
    after = await stigg.get_entitlement(customer, CAMPAIGNS)
    assert (after.current_usage, after.pending_usage) == (LIMIT, 0)


async def test_consume_sequential_then_delivery_keeps_the_count(
    stigg: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """Delivered usage moves from pending to the base: the total never changes."""
    customer = _customer(stigg_emulator)
    first = await stigg.consume(customer, CAMPAIGNS, 3)
    assert first.is_granted
    assert (first.current_usage, first.pending_usage) == (0, 0)  # decided before tracking
    mid = await stigg.get_entitlement(customer, CAMPAIGNS)
    assert (mid.current_usage, mid.pending_usage, mid.remaining_usage) == (0, 3, 1)
    await stigg.flush(timeout=10)
    after = await stigg.get_entitlement(customer, CAMPAIGNS)
    assert (after.current_usage, after.pending_usage, after.remaining_usage) == (3, 0, 1)
    assert not (await stigg.consume(customer, CAMPAIGNS, 2)).is_granted
    assert (await stigg.consume(customer, CAMPAIGNS, 1)).is_granted
    await stigg.flush(timeout=10)
    assert _server_usage(stigg_emulator, customer) == LIMIT


async def test_consume_on_a_boolean_feature_checks_without_tracking(
    stigg: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """A feature without a meter is only checked: nothing is queued."""
    customer = _customer(stigg_emulator)
    stigg_emulator.state.provision_subscription(customer, "plan-revvenu-growth")
    result = await stigg.consume(customer, "feature-03-custom-domain")
    assert result.is_granted
    assert result.idempotency_key is None
    assert stigg.usage_stats.enqueued == 0


async def test_awaited_report_usage_counts_while_in_flight(
    stigg: AsyncStigg, stigg_emulator: Emulator, stigg_emulator_clock: FakeClock
) -> None:
    """While report_usage waits for its answer, local checks count its amount."""
    customer = _customer(stigg_emulator)
    await stigg.prefetch([customer])
    seen: list[float] = []

    async def slow_report() -> None:
        await stigg.report_usage(customer_id=customer, feature_id=CAMPAIGNS, value=3)

    stigg_emulator.faults.add(Fault.latency(5), operation="ReportUsage", times=1)
    sleepers = stigg_emulator_clock.pending_sleepers
    task = asyncio.create_task(slow_report())
    # The emulator holds the request on its fake clock; no event to wait on.
    while stigg_emulator_clock.pending_sleepers <= sleepers:  # noqa: ASYNC110
        await asyncio.sleep(0.001)
    during = await stigg.get_entitlement(customer, CAMPAIGNS, requested_usage=2)
    seen.append(during.pending_usage)
    stigg_emulator_clock.advance(5)
    await task
    after = await stigg.get_entitlement(customer, CAMPAIGNS, requested_usage=2)
    assert seen == [3]
    assert not during.is_granted
    assert (after.current_usage, after.pending_usage, after.is_granted) == (3, 0, False)


async def test_refresh_keeps_pending_usage(stigg: AsyncStigg, stigg_emulator: Emulator) -> None:
    """A refresh replaces the base; usage still queued stays counted."""
    customer = _customer(stigg_emulator)
    assert (await stigg.consume(customer, CAMPAIGNS, 2)).is_granted
    refreshed = await stigg.refresh_entitlements(customer)
    assert refreshed.source is EntitlementSource.NETWORK
    check = await stigg.get_entitlement(customer, CAMPAIGNS, requested_usage=3)
    assert (check.current_usage, check.pending_usage, check.is_granted) == (0, 2, False)


async def test_failed_usage_leaves_pending_and_unknown_stays_until_a_later_refresh(
    stigg: AsyncStigg, stigg_emulator: Emulator, stigg_emulator_clock: FakeClock
) -> None:
    """Definite failures free the amount at once; may-have-landed ones at the next refresh."""
    customer = _customer(stigg_emulator)
    await stigg.prefetch([customer])
    store = stigg._entitlements.store

    def record(key: str, value: float) -> UsageRecord:
        return UsageRecord(customer, CAMPAIGNS, value, "DELTA", None, None, None, key, 0.0)

    failed, unknown = record("k-failed", 1), record("k-unknown", 2)
    store.usage_accepted(failed)
    store.usage_accepted(unknown)
    assert (await stigg.get_entitlement(customer, CAMPAIGNS)).pending_usage == 3
    store.usage_settled(failed, UsageOutcome.FAILED)
    store.usage_settled(unknown, UsageOutcome.UNKNOWN)
    assert (await stigg.get_entitlement(customer, CAMPAIGNS)).pending_usage == 2
    stigg_emulator_clock.advance(1)
    await stigg.refresh_entitlements(customer)  # started after the outcome became unknown
    assert (await stigg.get_entitlement(customer, CAMPAIGNS)).pending_usage == 0


async def test_customer_not_found_is_kept_only_for_the_denial_ttl(
    stigg: AsyncStigg, stigg_emulator: Emulator, stigg_emulator_clock: FakeClock
) -> None:
    """A customer who signs up through another process is seen after denial_ttl, not ttl."""
    missing = await stigg.get_entitlement("c-late", CAMPAIGNS)
    assert missing.access_denied_reason is AccessDeniedReason.CUSTOMER_NOT_FOUND
    _customer(stigg_emulator, "c-late")  # provisioned elsewhere
    stigg_emulator_clock.advance(stigg._entitlements.options.denial_ttl + 0.1)
    found = await stigg.get_entitlement("c-late", CAMPAIGNS)
    assert found.is_granted
    assert found.source is EntitlementSource.NETWORK


async def test_consume_rejects_bad_amounts_before_anything_happens(
    stigg: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """amount must be a finite number > 0; nothing is fetched or tracked otherwise."""
    from stigg_async import StiggValidationError

    customer = _customer(stigg_emulator)
    before = stigg_emulator.counters.total
    for amount in (0, -1, float("nan"), float("inf"), True, "1", None):
        with pytest.raises(StiggValidationError, match="amount"):
            await stigg.consume(customer, CAMPAIGNS, amount)  # type: ignore[arg-type]
    assert stigg_emulator.counters.total == before
    assert stigg.usage_stats.enqueued == 0


async def test_warm_consume_is_decided_and_counted_by_the_store_alone(
    stigg: AsyncStigg, stigg_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Warm consume is one call into the store (no other path), counting each item once."""
    customer = _customer(stigg_emulator)
    await stigg.prefetch([customer])
    cache = stigg._entitlements

    async def broken(*_a: object, **_k: object) -> None:
        raise AssertionError("the slow path decided a warm consume")

    def broken_fast_check(*_a: object) -> None:
        raise AssertionError("the general fast path decided a warm consume")

    monkeypatch.setattr(cache, "get", broken)
    monkeypatch.setattr(cache.store, "fast_check", broken_fast_check)
    hits = stigg.entitlement_stats.fast_hits
    results = [await stigg.consume(customer, CAMPAIGNS) for _ in range(LIMIT + 2)]
    assert [r.is_granted for r in results] == [True] * LIMIT + [False, False]
    assert [r.pending_usage for r in results[:LIMIT]] == [0, 1, 2, 3]  # decided before tracking
    assert stigg.entitlement_stats.fast_hits == hits + LIMIT + 2
    assert stigg.entitlement_stats.pending_usage_items == LIMIT
    assert stigg.usage_stats.enqueued == LIMIT
    monkeypatch.undo()
    await stigg.flush(timeout=10)
    assert stigg.entitlement_stats.pending_usage_items == 0
    assert _server_usage(stigg_emulator, customer) == LIMIT


async def test_consume_with_a_full_queue_raises_and_counts_nothing(
    stigg_emulator: Emulator, stigg_emulator_clock: FakeClock
) -> None:
    """A granted consume the queue refuses tracks nothing: pending stays as it was."""
    customer = _customer(stigg_emulator)
    async with AsyncStigg(
        api_key=STIGG_EMULATOR_API_KEY,
        api_url=stigg_emulator.url,
        clock=stigg_emulator_clock,
        usage=UsagePipelineOptions(max_queue_size=2, flush_interval=3_600),
    ) as stigg:
        await stigg.prefetch([customer])
        assert (await stigg.consume(customer, CAMPAIGNS)).is_granted
        assert (await stigg.consume(customer, CAMPAIGNS)).is_granted
        with pytest.raises(StiggQueueFullError, match="nothing was consumed"):
            await stigg.consume(customer, CAMPAIGNS)
        check = await stigg.get_entitlement(customer, CAMPAIGNS)
        assert check.pending_usage == 2
        assert stigg.entitlement_stats.pending_usage_items == 2
        assert stigg.usage_stats.dropped == 1


async def test_a_client_answers_warm_checks_through_the_stores_bound_functions(
    stigg: AsyncStigg, stigg_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On an AsyncStigg, warm get/peek/consume need neither the general fast path nor the cache."""
    customer = _customer(stigg_emulator)
    await stigg.prefetch([customer])
    cache = stigg._entitlements

    def broken(*_a: object, **_k: object) -> None:
        raise AssertionError("a warm call left the store's bound functions")

    monkeypatch.setattr(cache, "get", broken)
    monkeypatch.setattr(cache, "peek", broken)
    monkeypatch.setattr(cache.store, "fast_check", broken)
    checked = await stigg.get_entitlement(customer, CAMPAIGNS, requested_usage=1)
    peeked = stigg.peek_entitlement(customer, CAMPAIGNS, requested_usage=1)
    consumed = await stigg.consume(customer, CAMPAIGNS)
    assert checked.is_granted
    assert peeked.is_granted
    assert consumed.is_granted
    assert checked.source is EntitlementSource.FRESH_CACHE
