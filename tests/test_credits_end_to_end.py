"""Every credit method end to end: AsyncStigg over HTTP on 127.0.0.1 against the emulator."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from stigg_async import (
    AsyncStigg,
    CreditConsumption,
    CreditEntitlement,
    FeatureEntitlement,
    StiggGraphQLError,
)
from stigg_async.emulator import Emulator
from stigg_async.models import CreditGrantStatus, CreditLedgerEventType, EstimationRequestWarning

CUR = "currency-ai-credits"


def _customer(emu: Emulator, customer: str = "c-1") -> str:
    emu.state.provision_customer(customer)
    emu.state.provision_subscription(customer, "plan-revvenu-basic")
    return customer


async def test_grant_consume_and_read_back_through_every_read(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """Grants, a consumption, then summary, grants, ledger and usage all tell the same story."""
    customer = _customer(stigg_emulator)
    paid = await stigg_client.create_credit_grant(
        customer_id=customer,
        currency_id=CUR,
        amount=100,
        display_name="Starter pack",
        grant_type="PAID",
    )
    promo = await stigg_client.create_credit_grant(
        customer_id=customer,
        currency_id=CUR,
        amount=20,
        display_name="Welcome",
        grant_type="PROMOTIONAL",
        expire_at=stigg_emulator.state.now() + timedelta(days=30),
    )
    ack = await stigg_client.consume_credits(
        customer_id=customer,
        currency_id=CUR,
        amount=30,
        dimensions={"featureId": "feature-08-ai-generations"},
    )
    assert ack.credit is not None
    assert (ack.credit.usage_limit, ack.credit.current_usage) == (120.0, 30.0)

    summary = await stigg_client.get_credit_balance_summary(customer)
    assert summary.balance(CUR) == 90.0
    assert (summary.balances[0].total_granted, summary.balances[0].total_consumed) == (120, 30)

    grants = {g.id: g async for g in stigg_client.iter_credit_grants(customer, page_size=1)}
    assert set(grants) == {paid.id, promo.id}
    assert grants[promo.id].consumed_amount == 20.0  # expiring promo credits go first
    assert grants[paid.id].consumed_amount == 10.0

    entries = [e async for e in stigg_client.iter_credits_ledger(customer, page_size=2)]
    assert sum(e.amount for e in entries) == 90.0
    consumed = await stigg_client.get_credits_ledger(
        customer, event_types=[CreditLedgerEventType.CREDITS_CONSUMED]
    )
    assert sorted(e.amount for e in consumed.items) == [-20.0, -10.0]

    usage = await stigg_client.get_credit_usage(customer, currency_id=CUR, time_range="LAST_DAY")
    assert [(s.feature_id, s.total_credits) for s in usage.series] == [
        ("feature-08-ai-generations", 30.0)
    ]


async def test_void_then_check_the_entitlement(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """A voided grant's credits are gone from entitlementV2's answer."""
    customer = _customer(stigg_emulator)
    grant = await stigg_client.create_credit_grant(
        customer_id=customer, currency_id=CUR, amount=50, display_name="x", grant_type="PAID"
    )
    before = await stigg_client.fetch_entitlement_v2(customer, currency_id=CUR, requested_usage=50)
    voided = await stigg_client.void_credit_grant(grant.id)
    after = await stigg_client.fetch_entitlement_v2(customer, currency_id=CUR, requested_usage=1)
    assert isinstance(before, CreditEntitlement)
    assert isinstance(after, CreditEntitlement)
    assert before.is_granted
    assert voided.status is CreditGrantStatus.VOIDED
    assert (after.is_granted, after.balance) == (False, 0.0)
    with pytest.raises(StiggGraphQLError) as caught:
        await stigg_client.void_credit_grant(grant.id)
    assert caught.value.code == "CreditGrantAlreadyVoided"


async def test_entitlement_v2_of_a_feature_carries_its_credit_rate(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """A feature query answers a FeatureEntitlement (a feature outside the plan is denied)."""
    customer = _customer(stigg_emulator)
    ent = await stigg_client.fetch_entitlement_v2(customer, feature_id="feature-02-campaigns")
    missing = await stigg_client.fetch_entitlement_v2(
        customer, feature_id="feature-08-ai-generations"
    )
    assert isinstance(ent, FeatureEntitlement)
    assert (ent.feature_id, ent.is_granted, ent.usage_limit) == ("feature-02-campaigns", True, 4)
    assert isinstance(missing, FeatureEntitlement)
    assert missing.access_denied_reason == "NoFeatureEntitlementInSubscription"


async def test_auto_recharge_tops_up_after_a_consumption(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """Saved settings buy credits up to the target once the balance falls under the threshold."""
    customer = _customer(stigg_emulator)
    await stigg_client.create_credit_grant(
        customer_id=customer, currency_id=CUR, amount=100, display_name="x", grant_type="PAID"
    )
    saved = await stigg_client.save_auto_recharge_settings(
        customer_id=customer,
        currency_id=CUR,
        is_enabled=True,
        threshold_value=50,
        target_balance=200,
    )
    ack = await stigg_client.consume_credits(customer_id=customer, currency_id=CUR, amount=60)
    read = await stigg_client.get_auto_recharge_settings(customer, CUR)
    assert saved.is_enabled
    assert ack.credit is not None
    assert ack.credit.balance == 200.0
    assert read.current_monthly_spend == 1.6
    recharge = [
        g
        async for g in stigg_client.iter_credit_grants(customer)
        if g.automatic_recharge_configuration_id
    ]
    assert [g.amount for g in recharge] == [160.0]


async def test_estimates_price_usage_and_events(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """Usage and event estimates use the catalog's credit costs and the current balance."""
    customer = _customer(stigg_emulator)
    await stigg_client.create_credit_grant(
        customer_id=customer, currency_id=CUR, amount=25, display_name="x", grant_type="PAID"
    )
    usage = await stigg_client.estimate_usage_cost(customer, "feature-08-ai-generations", 10)
    event = await stigg_client.estimate_event_cost(
        customer, "image_rendered", dimensions={"images": 6}
    )
    unknown = await stigg_client.estimate_usage_cost(customer, "feature-nope", 1)
    assert [(e.estimated_cost, e.balance_after_estimate) for e in usage.estimates] == [(20.0, 5.0)]
    assert [(e.estimated_cost, e.would_overdraft) for e in event.estimates] == [(30.0, True)]
    assert unknown.warnings == (EstimationRequestWarning.FEATURE_NOT_FOUND,)


async def test_consume_credits_async_applies_each_item_once(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """A batch handed over asynchronously lands; a repeated key inside it counts once."""
    customer = _customer(stigg_emulator)
    stigg_emulator.state.credits.create_grant(customer, CUR, 10)
    item = {"customer_id": customer, "currency_id": CUR, "amount": 2}
    answer = await stigg_client.consume_credits_async(
        [item, item, {**item, "idempotency_key": "same"}, {**item, "idempotency_key": "same"}]
    )
    assert answer
    assert stigg_emulator.state.credits.balance(customer, CUR) == 4.0


async def test_a_burst_of_concurrent_consumptions_never_overdraws(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """50 concurrent consumptions of 3 against 100 credits: 33 succeed, the rest are refused."""
    customer = _customer(stigg_emulator)
    stigg_emulator.state.credits.create_grant(customer, CUR, 100)

    async def consume() -> CreditConsumption | StiggGraphQLError:
        try:
            return await stigg_client.consume_credits(
                customer_id=customer, currency_id=CUR, amount=3
            )
        except StiggGraphQLError as exc:
            return exc

    results = await asyncio.gather(*(consume() for _ in range(50)))
    ok = [r for r in results if isinstance(r, CreditConsumption)]
    refused = [r for r in results if isinstance(r, StiggGraphQLError)]
    assert (len(ok), len(refused)) == (33, 17)
    assert {r.code for r in refused} == {"EntitlementLimitExceededError"}
    assert stigg_emulator.state.credits.balance(customer, CUR) == 1.0
    assert min(r.credit.balance for r in ok if r.credit) == 1.0
    running = 0.0
    for entry in stigg_emulator.state.credits.ledger(customer, CUR):
        running += entry.amount
        assert running >= 0
