"""Fleet-exact consume: one Lua script decides and counts; settlement is exactly once."""

from __future__ import annotations

import asyncio
import uuid

from stigg_async._redis._observer import RedisUsageObserver
from stigg_async._usage._items import make_usage
from stigg_async._usage._observer import UsageOutcome
from tests.cache.fakes import entitlement
from tests.redis_tier.conftest import MakeTier
from tests.redis_tier.support import metered_state

KEY = ("customer-1", None)
FEATURE = "feature-02-campaigns"


def _key() -> str:
    return uuid.uuid4().hex


async def test_concurrent_consumes_over_several_processes_grant_exactly_the_limit(
    make_tier: MakeTier, clock
) -> None:
    """60 concurrent consumes over 4 tiers (4 connections) against 10 left grant 10."""
    tiers = [await make_tier() for _ in range(4)]
    await tiers[0].write_state(
        KEY, metered_state("customer-1", limit=25, usage=15), started=clock.monotonic()
    )
    calls = [tiers[i % 4].consume(KEY, FEATURE, 1, _key()) for i in range(60)]
    decisions = await asyncio.gather(*calls)
    granted = [d for d in decisions if d is not None and d.is_granted]
    denied = [d for d in decisions if d is not None and not d.is_granted]
    assert len(granted) == 10
    assert len(denied) == 50
    assert {d.reason for d in denied} == {"RequestedUsageExceedingLimit"}
    assert await tiers[0].pending(KEY, FEATURE) == 10


async def test_consume_counts_requested_amounts_against_base_plus_pending(
    make_tier: MakeTier, clock
) -> None:
    """base 3 + pending 4 + 3 <= 10 grants; another 1 does not."""
    tier = await make_tier()
    await tier.write_state(
        KEY, metered_state("customer-1", limit=10, usage=3), started=clock.monotonic()
    )
    first = await tier.consume(KEY, FEATURE, 4, _key())
    second = await tier.consume(KEY, FEATURE, 3, _key())
    third = await tier.consume(KEY, FEATURE, 1, _key())
    assert first is not None
    assert first.verdict == "grant"
    assert first.pending == 4
    assert second is not None
    assert second.verdict == "grant"
    assert second.usage == 3
    assert third is not None
    assert third.verdict == "deny"
    assert third.pending == 7


async def test_same_idempotency_key_is_counted_once(make_tier: MakeTier, clock) -> None:
    """Retrying a consume with its key answers 'dup' and adds nothing."""
    tier = await make_tier()
    await tier.write_state(KEY, metered_state("customer-1", limit=10), started=clock.monotonic())
    key = _key()
    assert (await tier.consume(KEY, FEATURE, 2, key)).verdict == "grant"  # type: ignore[union-attr]
    again = await tier.consume(KEY, FEATURE, 2, key)
    assert again is not None
    assert again.verdict == "dup"
    assert again.is_granted
    assert await tier.pending(KEY, FEATURE) == 2


async def test_soft_unlimited_boolean_and_denials(make_tier: MakeTier, clock) -> None:
    """Soft and unlimited grant and count; boolean grants; denials carry the reason."""
    tier = await make_tier()
    soft = entitlement(
        "soft",
        feature_type="NUMBER",
        meter_type="Incremental",
        usage_limit=1,
        current_usage=5,
        has_soft_limit=True,
    )
    unlimited = entitlement(
        "unl", feature_type="NUMBER", meter_type="Fluctuating", has_unlimited_usage=True
    )
    revoked = entitlement("rev", access_denied_reason="Revoked", is_granted=False)
    raw = {
        "accessDeniedReason": None,
        "entitlements": [soft, unlimited, revoked, entitlement("flag")],
    }
    await tier.write_state(KEY, raw, started=clock.monotonic())
    assert (await tier.consume(KEY, "soft", 3, _key())).verdict == "grant"  # type: ignore[union-attr]
    assert (await tier.consume(KEY, "unl", 3, _key())).verdict == "grant"  # type: ignore[union-attr]
    assert await tier.pending(KEY, "soft") == 3
    flag = await tier.consume(KEY, "flag", 1, _key())
    assert flag is not None
    assert flag.verdict == "grant"
    assert await tier.pending(KEY, "flag") == 0
    rev = await tier.consume(KEY, "rev", 1, _key())
    assert rev is not None
    assert (rev.verdict, rev.reason) == ("deny", "Revoked")
    missing = await tier.consume(KEY, "nope", 1, _key())
    assert missing is not None
    assert missing.reason == "NoFeatureEntitlementInSubscription"


async def test_customer_denial_and_miss(make_tier: MakeTier, clock) -> None:
    """A customer-level denial denies every feature; an unknown key is a miss."""
    tier = await make_tier()
    await tier.write_state(
        KEY,
        {"accessDeniedReason": "CustomerNotFound", "entitlements": []},
        started=clock.monotonic(),
    )
    denied = await tier.consume(KEY, FEATURE, 1, _key())
    assert denied is not None
    assert denied.reason == "CustomerNotFound"
    miss = await tier.consume(("other", None), FEATURE, 1, _key())
    assert miss is not None
    assert miss.verdict == "miss"
    assert not miss.is_granted


async def test_ended_usage_period_counts_the_base_as_zero(make_tier: MakeTier, clock) -> None:
    """Past usagePeriodEnd the base is 0 until a refresh: 10 of 10 fit again."""
    tier = await make_tier()
    end = clock.now().isoformat().replace("+00:00", "Z")
    raw = metered_state("customer-1", limit=10, usage=10, usage_period_end=end)
    await tier.write_state(KEY, raw, started=clock.monotonic())
    clock.advance(1)
    decision = await tier.consume(KEY, FEATURE, 10, _key())
    assert decision is not None
    assert decision.verdict == "grant"
    assert decision.usage == 0


async def test_delivery_leaves_pending_once_whichever_process_settles(
    make_tier: MakeTier, clock
) -> None:
    """Two processes settling the same delivered item decrement pending once."""
    a, b = await make_tier(), await make_tier()
    await a.write_state(KEY, metered_state("customer-1", limit=10), started=clock.monotonic())
    record = make_usage("customer-1", FEATURE, 3)
    assert (await a.consume(KEY, FEATURE, 3, record.idempotency_key)).verdict == "grant"  # type: ignore[union-attr]
    assert await b.settle(record, "delivered") == 1
    assert await a.settle(record, "delivered") == 0
    assert await a.pending(KEY, FEATURE) == 0


async def test_failed_item_leaves_pending(make_tier: MakeTier, clock) -> None:
    """A definite failure frees the amount for other consumers."""
    tier = await make_tier()
    await tier.write_state(KEY, metered_state("customer-1", limit=3), started=clock.monotonic())
    record = make_usage("customer-1", FEATURE, 3)
    await tier.consume(KEY, FEATURE, 3, record.idempotency_key)
    assert (await tier.consume(KEY, FEATURE, 1, _key())).verdict == "deny"  # type: ignore[union-attr]
    assert await tier.settle(record, "failed") == 1
    assert (await tier.consume(KEY, FEATURE, 1, _key())).verdict == "grant"  # type: ignore[union-attr]


async def test_unknown_outcome_stays_until_a_later_refresh(make_tier: MakeTier, clock) -> None:
    """Unknown keeps the amount counted; a refresh that started after it drops it."""
    tier = await make_tier()
    await tier.write_state(KEY, metered_state("customer-1", limit=5), started=clock.monotonic())
    record = make_usage("customer-1", FEATURE, 2)
    await tier.consume(KEY, FEATURE, 2, record.idempotency_key)
    clock.advance(1)
    assert await tier.settle(record, "unknown") == 2
    assert await tier.pending(KEY, FEATURE) == 2
    before = clock.monotonic() - 5  # a fetch that started before the unknown outcome
    await tier.write_state(KEY, metered_state("customer-1", limit=5, usage=0), started=before)
    assert await tier.pending(KEY, FEATURE) == 2
    clock.advance(1)
    # The server's answer now shows the usage if it landed: pending no longer needs it.
    await tier.write_state(
        KEY, metered_state("customer-1", limit=5, usage=2), started=clock.monotonic()
    )
    assert await tier.pending(KEY, FEATURE) == 0
    # A retry that later delivers under the same key cannot decrement again.
    assert await tier.settle(record, "delivered") == 0


async def test_items_of_a_dead_process_leave_after_pending_ttl(make_tier: MakeTier, clock) -> None:
    """An item nobody settles stops counting at the first refresh past pending_ttl."""
    tier = await make_tier(pending_ttl=60)
    await tier.write_state(KEY, metered_state("customer-1", limit=5), started=clock.monotonic())
    await tier.consume(KEY, FEATURE, 4, _key())
    clock.advance(30)
    await tier.write_state(KEY, metered_state("customer-1", limit=5), started=clock.monotonic())
    assert await tier.pending(KEY, FEATURE) == 4
    clock.advance(31)
    await tier.write_state(KEY, metered_state("customer-1", limit=5), started=clock.monotonic())
    assert await tier.pending(KEY, FEATURE) == 0


async def test_delivered_measurement_becomes_the_base_unless_older(
    make_tier: MakeTier, clock
) -> None:
    """The acknowledged currentUsage replaces the base; a refresh that started earlier keeps it."""
    tier = await make_tier()
    started = clock.monotonic()
    await tier.write_state(KEY, metered_state("customer-1", limit=10), started=started)
    record = make_usage("customer-1", FEATURE, 6)
    await tier.consume(KEY, FEATURE, 6, record.idempotency_key)
    clock.advance(1)
    stamp = clock.now().isoformat().replace("+00:00", "Z")
    measurement = {
        "customerId": "customer-1",
        "featureId": FEATURE,
        "currentUsage": 6,
        "timestamp": stamp,
    }
    assert await tier.settle(record, "delivered", measurement) == 1
    # An answer fetched before the report landed does not roll usage back to 0.
    await tier.write_state(KEY, metered_state("customer-1", limit=10), started=started + 0.5)
    decision = await tier.consume(KEY, FEATURE, 5, _key())
    assert decision is not None
    assert decision.verdict == "deny"
    assert decision.usage == 6


async def test_observer_mirrors_tracked_usage_and_settles_it(make_tier: MakeTier, clock) -> None:
    """Tracked DELTAs count in Redis once (even after a consume under the same key)."""
    tier = await make_tier()
    await tier.write_state(KEY, metered_state("customer-1", limit=10), started=clock.monotonic())
    seen: list[str] = []

    class Inner:
        def usage_accepted(self, record) -> None:  # type: ignore[no-untyped-def]
            seen.append("accepted")

        def usage_settled(self, record, outcome, measurement=None) -> None:  # type: ignore[no-untyped-def]
            seen.append(str(outcome))

    observer = RedisUsageObserver(tier, inner=Inner())
    tracked = make_usage("customer-1", FEATURE, 2)
    consumed = make_usage("customer-1", FEATURE, 3)
    await tier.consume(KEY, FEATURE, 3, consumed.idempotency_key)
    observer.usage_accepted(tracked)
    observer.usage_accepted(consumed)  # already counted by consume
    observer.usage_accepted(make_usage("customer-1", FEATURE, 4, "SET"))  # not a pending delta
    await observer.flush()
    assert await tier.pending(KEY, FEATURE) == 5
    observer.usage_settled(tracked, UsageOutcome.DELIVERED)
    observer.usage_settled(consumed, UsageOutcome.FAILED)
    await observer.flush()
    assert await tier.pending(KEY, FEATURE) == 0
    assert seen == ["accepted", "accepted", "accepted", "delivered", "failed"]
    await observer.aclose()


async def test_a_large_burst_in_one_process_queues_instead_of_failing(
    make_tier: MakeTier, clock
) -> None:
    """500 concurrent consumes in one process all get an answer; Redis stays 'up'."""
    tier = await make_tier()
    await tier.write_state(KEY, metered_state("customer-1", limit=123), started=clock.monotonic())
    decisions = await asyncio.gather(*(tier.consume(KEY, FEATURE, 1, _key()) for _ in range(500)))
    assert all(d is not None for d in decisions)
    assert sum(1 for d in decisions if d is not None and d.is_granted) == 123
    assert tier.healthy


async def test_same_millisecond_answers_keep_the_higher_usage(make_tier: MakeTier, clock) -> None:
    """Two answers of one batch carry one timestamp: the older (lower) one never wins."""
    tier = await make_tier()
    await tier.write_state(KEY, metered_state("customer-1", limit=4), started=clock.monotonic())
    first, second = make_usage("customer-1", FEATURE, 1), make_usage("customer-1", FEATURE, 1)
    for record in (first, second):
        await tier.consume(KEY, FEATURE, 1, record.idempotency_key)
    clock.advance(1)
    stamp = clock.now().isoformat()
    answer = {"customerId": "customer-1", "featureId": FEATURE, "timestamp": stamp}
    await tier.settle(second, "delivered", {**answer, "currentUsage": 2})
    await tier.settle(first, "delivered", {**answer, "currentUsage": 1})  # arrives late
    decision = await tier.consume(KEY, FEATURE, 3, _key())
    assert decision is not None
    assert (decision.verdict, decision.usage) == ("deny", 2)


async def test_delivery_without_an_answer_moves_the_amount_into_the_base(
    make_tier: MakeTier, clock
) -> None:
    """Delivered with no measurement: the amount leaves pending and joins the base."""
    tier = await make_tier()
    await tier.write_state(KEY, metered_state("customer-1", limit=4), started=clock.monotonic())
    record = make_usage("customer-1", FEATURE, 3)
    await tier.consume(KEY, FEATURE, 3, record.idempotency_key)
    assert await tier.settle(record, "delivered") == 1
    assert await tier.pending(KEY, FEATURE) == 0
    decision = await tier.consume(KEY, FEATURE, 2, _key())
    assert decision is not None
    assert (decision.verdict, decision.usage) == ("deny", 3)
