"""Buffered credit consumption: track_credits through the pipeline's consumeCreditsAsync lane."""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timezone
from typing import Any

import pytest

from stigg_async import AsyncStigg, StiggError, StiggValidationError
from stigg_async._clock import FakeClock
from stigg_async._retry import RetryPolicy
from stigg_async._transport import GraphQLTransport
from stigg_async._usage import CreditRecord, UsagePipeline, UsagePipelineOptions
from stigg_async._usage._items import make_credit
from stigg_async._usage._observer import UsageOutcome
from stigg_async.emulator import Emulator, Fault
from tests.reliability._support import drive, make_client, seed
from tests.support.observer import RecordingObserver

CUR = "currency-ai-credits"
KEY = "sk-credit-lane-test"


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(api_key=KEY, clock=FakeClock(), seed=7) as emulator:
        yield emulator


def _client(emu: Emulator, **usage: Any) -> AsyncStigg:
    clock = emu.clock
    assert isinstance(clock, FakeClock)
    return make_client(emu.url, clock, api_key=KEY, usage=usage)


def _granted(emu: Emulator, count: int, amount: float) -> list[str]:
    customers = seed(emu, count, plan="plan-revvenu-basic")
    for customer in customers:
        emu.state.credits.create_grant(customer, CUR, amount)
    return customers


async def _run(emu: Emulator, awaitable: Any) -> Any:
    clock = emu.clock
    assert isinstance(clock, FakeClock)
    task = asyncio.ensure_future(awaitable)
    await drive(clock, task.done)
    return task.result()


def test_a_credit_record_is_sent_as_a_consume_credit_input() -> None:
    """The queued tuple becomes ConsumeCreditInput's camelCase shape, key included."""
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    record = make_credit("c-1", CUR, 2.5, "site-a", {"featureId": "f"}, "key-1", when)
    assert record.to_input() == {
        "customerId": "c-1",
        "currencyId": CUR,
        "amount": 2.5,
        "idempotencyKey": "key-1",
        "resourceId": "site-a",
        "dimensions": {"featureId": "f"},
        "createdAt": "2026-01-02T03:04:05.000Z",
    }
    pending = record.as_usage()
    assert (pending.feature_id, pending.value, pending.update_behavior) == (
        "credits:" + CUR,
        2.5,
        "DELTA",
    )
    assert pending.idempotency_key == "key-1"


def test_each_tracked_consumption_gets_its_own_key() -> None:
    """Keys are minted per item, so two equal consumptions are two consumptions."""
    first, second = make_credit("c-1", CUR, 1), make_credit("c-1", CUR, 1)
    assert first.idempotency_key != second.idempotency_key


async def test_tracked_credits_are_delivered_in_batches(emu: Emulator) -> None:
    """25 consumptions with a batch size of 10 go out in 3 consumeCreditsAsync requests."""
    customers = _granted(emu, 2, 100)
    stigg = _client(emu, usage_batch_size=10)
    await stigg.open()
    for i in range(25):
        assert stigg.track_credits(customers[i % 2], CUR, 1 + i % 3)
    report = await _run(emu, stigg.flush())
    assert (report.delivered, report.failed, report.may_have_landed, report.pending) == (
        25,
        0,
        0,
        0,
    )
    assert emu.counters.by_operation["ConsumeCreditsAsync"] == 3
    spent = Counter[str]()
    for i in range(25):
        spent[customers[i % 2]] += 1 + i % 3
    for customer in customers:
        assert emu.state.credits.balance(customer, CUR) == 100 - spent[customer]
    summary = await stigg.get_credit_balance_summary(customers[0])
    assert summary.balance(CUR) == 100 - spent[customers[0]]
    stats = stigg.usage_stats
    assert (stats.enqueued, stats.sent, stats.batches, stats.pending) == (25, 25, 3, 0)
    await _run(emu, stigg.aclose())


async def test_a_local_check_counts_tracked_credits_until_a_refresh_shows_them(
    emu: Emulator,
) -> None:
    """Pending right after tracking, still pending once acknowledged, in the base after refresh."""
    (customer,) = _granted(emu, 1, 100)
    stigg = _client(emu)
    await stigg.open()
    before = await stigg.get_credit_entitlement(customer, CUR)
    assert (before.balance, before.pending_usage) == (100, 0)

    assert stigg.track_credits(customer, CUR, 30)
    queued = await stigg.get_credit_entitlement(customer, CUR, requested_amount=71)
    assert (queued.current_usage, queued.pending_usage, queued.balance) == (0, 30, 70)
    assert not queued.is_granted

    assert await _run(emu, stigg.flush())
    assert emu.state.credits.balance(customer, CUR) == 70
    # consumeCreditsAsync only acknowledges: the cached base has not moved yet, so the
    # amount must stay counted or the check would grant 30 credits too many.
    acked = await stigg.get_credit_entitlement(customer, CUR, requested_amount=71)
    assert (acked.current_usage, acked.pending_usage, acked.balance) == (0, 30, 70)
    assert not acked.is_granted

    await stigg.refresh_entitlements(customer)
    after = await stigg.get_credit_entitlement(customer, CUR, requested_amount=70)
    assert (after.current_usage, after.pending_usage, after.balance) == (30, 0, 70)
    assert after.is_granted
    await _run(emu, stigg.aclose())


async def test_each_tracked_consumption_lands_once_under_faults(emu: Emulator) -> None:
    """30% of consumeCreditsAsync requests fail (some after applying): none lost, none twice."""
    n_items = 400
    customers = _granted(emu, 8, 100_000)
    kinds = [
        Fault.http_error(503),
        Fault.apply_then_fail(502),
        Fault.drop(),
        Fault.apply_then_drop(),
        Fault.http_error(429, retry_after=2),
    ]
    taken = 0.0
    for fault in kinds:
        emu.faults.add(fault, operation="ConsumeCreditsAsync", probability=0.06 / (1 - taken))
        taken += 0.06
    stigg = _client(emu, usage_batch_size=20)
    await stigg.open()
    wanted: dict[str, dict[str, float]] = {c: {} for c in customers}
    for i in range(n_items):
        customer = customers[i % len(customers)]
        key = f"consumption-{i}"
        assert stigg.track_credits(customer, CUR, float(1 + i % 5), idempotency_key=key)
        wanted[customer][key] = float(1 + i % 5)
    report = await _run(emu, stigg.flush())
    assert report.delivered_all
    assert report.delivered == n_items

    got: dict[str, dict[str, float]] = {c: {} for c in customers}
    for customer in customers:
        for entry in emu.state.credits.ledger(customer, CUR):
            if entry.event_type == "CREDITS_CONSUMED":
                assert entry.event_id is not None
                got[customer][entry.event_id] = got[customer].get(entry.event_id, 0) - entry.amount
    assert got == wanted
    for customer in customers:
        spent = sum(wanted[customer].values())
        assert emu.state.credits.balance(customer, CUR) == 100_000 - spent
    assert sum(rule.hits for rule in emu.faults.rules) > 0.15 * report.delivered / 20
    assert emu.state.credits.replayed_consumptions > 0  # landed, answer lost, re-sent
    stats = stigg.usage_stats
    assert (stats.sent, stats.failed, stats.may_have_landed, stats.pending) == (n_items, 0, 0, 0)
    assert stats.retried > 0
    await _run(emu, stigg.aclose())


async def test_a_bad_item_is_bisected_out_and_the_rest_land(emu: Emulator) -> None:
    """An unknown currency refuses the batch; its halves are sent apart and only it fails."""
    (customer,) = _granted(emu, 1, 100)
    errors: list[tuple[list[Any], StiggError]] = []
    stigg = _client(emu, on_error=lambda items, exc: errors.append((list(items), exc)))
    await stigg.open()
    await stigg.get_credit_entitlement(customer, CUR)
    for amount in (1, 2, 3):
        assert stigg.track_credits(customer, CUR, amount)
    assert stigg.track_credits(customer, "currency-nope", 5)
    report = await _run(emu, stigg.flush())
    assert (report.delivered, report.failed, report.may_have_landed) == (3, 1, 0)
    assert emu.state.credits.balance(customer, CUR) == 94
    ((items, exc),) = errors
    assert [(r.currency_id, r.amount) for r in items] == [("currency-nope", 5)]
    assert isinstance(items[0], CreditRecord)
    assert not exc.may_have_landed
    # The refused item left pending at once; the acknowledged ones stay until a refresh.
    check = await stigg.get_credit_entitlement(customer, CUR)
    assert check.pending_usage == 6
    await _run(emu, stigg.aclose())


async def test_credits_wait_through_a_rejected_key_and_land_once_it_is_accepted(
    emu: Emulator,
) -> None:
    """401s within auth_grace_period keep the items; they land when the key works again."""
    (customer,) = _granted(emu, 1, 100)
    emu.faults.add(Fault.http_error(401), operation="ConsumeCreditsAsync", times=3)
    stigg = _client(emu, auth_retry_interval=5, auth_grace_period=600)
    await stigg.open()
    assert stigg.track_credits(customer, CUR, 7)
    report = await _run(emu, stigg.flush())
    assert (report.delivered, report.failed) == (1, 0)
    assert emu.counters.by_operation["ConsumeCreditsAsync"] == 4
    assert emu.state.credits.balance(customer, CUR) == 93
    assert stigg.usage_stats.delivery_problem is None
    await _run(emu, stigg.aclose())


async def test_close_reports_undelivered_credits_and_frees_their_pending_amount(
    emu: Emulator,
) -> None:
    """Consumptions never sent by close go to on_error and the report, as failed."""
    (customer,) = _granted(emu, 1, 100)
    errors: list[list[Any]] = []
    emu.faults.add(Fault.http_error(401), operation="ConsumeCreditsAsync")
    stigg = _client(emu, auth_retry_interval=5, on_error=lambda items, _: errors.append(items))
    await stigg.open()
    await stigg.get_credit_entitlement(customer, CUR)
    records = [make_credit(customer, CUR, 4, idempotency_key=f"k-{i}") for i in range(3)]
    for record in records:
        assert stigg.track_credits(
            customer, CUR, record.amount, idempotency_key=record.idempotency_key
        )
    pending = await stigg.get_credit_entitlement(customer, CUR)
    assert pending.pending_usage == 12
    report = await _run(emu, stigg.aclose(timeout=1))
    assert report.undelivered == 3
    assert [r.idempotency_key for r in report.undelivered_credits] == ["k-0", "k-1", "k-2"]
    assert report.failed + report.may_have_landed == 3
    assert sorted(r.idempotency_key for batch in errors for r in batch) == ["k-0", "k-1", "k-2"]
    assert emu.state.credits.balance(customer, CUR) == 100
    stats = report.stats
    assert stats.enqueued == stats.sent + stats.failed + stats.may_have_landed + stats.pending


async def test_track_credits_async_waits_for_room_in_a_full_queue(emu: Emulator) -> None:
    """With the queue full, the awaitable variant waits until a batch leaves, then queues."""
    (customer,) = _granted(emu, 1, 100)
    stigg = _client(emu, max_queue_size=2, usage_batch_size=2, enqueue_timeout=None)
    await stigg.open()
    assert stigg.track_credits(customer, CUR, 1)
    assert stigg.track_credits(customer, CUR, 1)
    assert not stigg.track_credits(customer, CUR, 1)  # the sync call never waits
    assert await _run(emu, stigg.track_credits_async(customer, CUR, 1))
    assert await _run(emu, stigg.flush())
    assert emu.state.credits.balance(customer, CUR) == 97
    assert stigg.usage_stats.dropped == 1
    await _run(emu, stigg.aclose())


BAD: list[tuple[str, Callable[[AsyncStigg], Any]]] = [
    ("zero amount", lambda s: s.track_credits("c-1", CUR, 0)),
    ("negative amount", lambda s: s.track_credits("c-1", CUR, -1)),
    ("NaN amount", lambda s: s.track_credits("c-1", CUR, math.nan)),
    ("bool amount", lambda s: s.track_credits("c-1", CUR, True)),
    ("str amount", lambda s: s.track_credits("c-1", CUR, "1")),
    ("huge amount", lambda s: s.track_credits("c-1", CUR, 10**400)),
    ("empty currency", lambda s: s.track_credits("c-1", "", 1)),
    ("None customer", lambda s: s.track_credits(None, CUR, 1)),
    ("nested dimensions", lambda s: s.track_credits("c-1", CUR, 1, dimensions={"a": {}})),
    ("naive created_at", lambda s: s.track_credits("c-1", CUR, 1, created_at=datetime(2026, 1, 1))),
    ("int key", lambda s: s.track_credits("c-1", CUR, 1, idempotency_key=5)),
    ("async: zero amount", lambda s: s.track_credits_async("c-1", CUR, 0)),
]


async def _maybe_await(result: Any) -> None:
    if asyncio.iscoroutine(result):
        await result


@pytest.mark.parametrize(("name", "call"), BAD, ids=[name for name, _ in BAD])
async def test_bad_input_raises_and_queues_nothing(
    emu: Emulator, name: str, call: Callable[[AsyncStigg], Any]
) -> None:
    """A typed validation error before anything is queued, counted or sent."""
    stigg = _client(emu)
    await stigg.open()
    with pytest.raises(StiggValidationError):
        await _maybe_await(call(stigg))
    assert stigg.usage_stats.enqueued == 0
    await _run(emu, stigg.aclose())
    assert emu.counters.by_operation["ConsumeCreditsAsync"] == 0


async def test_the_observer_hears_of_each_credit_item_once_and_never_delivered(
    emu: Emulator,
) -> None:
    """Accepted as pending credits; settled once: unknown when acknowledged, never delivered."""
    (customer,) = _granted(emu, 1, 10_000)
    emu.faults.add(Fault.apply_then_drop(), operation="ConsumeCreditsAsync", probability=0.3)
    emu.faults.add(Fault.http_error(503), operation="ConsumeCreditsAsync", probability=0.2)
    clock = emu.clock
    assert isinstance(clock, FakeClock)
    observer = RecordingObserver()
    transport = GraphQLTransport(api_url=emu.url, api_key=KEY, timeout=30)
    pipeline = UsagePipeline(
        transport=transport,
        retry_policy=RetryPolicy(),
        clock=clock,
        options=UsagePipelineOptions(usage_batch_size=7),
        observer=observer,
    )
    await transport.open()
    try:
        pipeline.start()
        for i in range(60):
            currency = "currency-nope" if i % 20 == 0 else CUR
            assert pipeline.track_credits(customer, currency, 1, idempotency_key=f"k-{i}")
        assert pipeline.track_usage(customer, "feature-02-campaigns", 1)  # a usage item too
        report = await _run(emu, pipeline.flush())
        await _run(emu, pipeline.aclose(0))
    finally:
        await transport.close()
    assert report.settled
    assert observer.problems() == []
    credit_items = [r for r in observer.accepted if r.feature_id == "credits:" + CUR]
    refused = [r for r in observer.accepted if r.feature_id == "credits:currency-nope"]
    assert (len(credit_items), len(refused)) == (57, 3)
    assert all(observer.outcome_of(r.idempotency_key) is UsageOutcome.UNKNOWN for r in credit_items)
    # Refused; "unknown" when an earlier attempt of the batch lost its answer (the
    # pipeline cannot tell that the lost attempt was refused too).
    assert {observer.outcome_of(r.idempotency_key) for r in refused} <= {
        UsageOutcome.FAILED,
        UsageOutcome.UNKNOWN,
    }
    assert emu.state.credits.balance(customer, CUR) == 10_000 - 57
