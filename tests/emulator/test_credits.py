"""The emulator's credits: grant order, expiry, voids, overdraft, idempotency, recharge, ledger."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from stigg_async.emulator import Emulator
from stigg_async.emulator._catalog import Catalog
from stigg_async.emulator._credits import CreditsState, LedgerEntry
from stigg_async.emulator._errors import EmulatorError
from tests.emulator.conftest import Poster

CUR = "currency-ai-credits"
DAY = 86_400.0


def _ready(emu: Emulator, customer: str = "c-1") -> CreditsState:
    emu.state.provision_customer(customer)
    emu.state.provision_subscription(customer, "plan-revvenu-basic")
    credits: CreditsState = emu.state.credits
    return credits


def _later(emu: Emulator, days: float) -> datetime:
    return emu.state.now() + timedelta(days=days)


def _ledger_sum(entries: list[LedgerEntry]) -> float:
    return sum(e.amount for e in entries)


def _consumed_by_grant(credits: CreditsState, key: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for entry in credits.ledger("c-1", CUR):
        if entry.event_type == "CREDITS_CONSUMED" and entry.event_id == key:
            out[entry.grant_id] = out.get(entry.grant_id, 0.0) - entry.amount
    return out


def test_consumption_follows_stiggs_documented_grant_order(emu: Emulator) -> None:
    """Priority first, then the earlier expiry, then promotional before paid (Stigg's example)."""
    credits = _ready(emu)
    sep = _later(emu, 60)
    a = credits.create_grant("c-1", CUR, 50, grant_type="PAID", priority=1, expire_at=sep)
    b = credits.create_grant("c-1", CUR, 20, grant_type="PROMOTIONAL", priority=1, expire_at=sep)
    c = credits.create_grant("c-1", CUR, 100, grant_type="PROMOTIONAL", priority=2)
    credits.consume("c-1", CUR, 60, "k-1")
    assert _consumed_by_grant(credits, "k-1") == {b.id: 20.0, a.id: 40.0}
    assert c.consumed == 0.0
    assert credits.balance("c-1", CUR) == 110.0


def test_sooner_expiring_grant_is_consumed_first_at_equal_priority(emu: Emulator) -> None:
    """Among equal priorities the grant expiring sooner goes first; never-expiring ones last."""
    credits = _ready(emu)
    never = credits.create_grant("c-1", CUR, 10, grant_type="PROMOTIONAL")
    late = credits.create_grant("c-1", CUR, 10, expire_at=_later(emu, 30))
    soon = credits.create_grant("c-1", CUR, 10, expire_at=_later(emu, 3))
    credits.consume("c-1", CUR, 15, "k-1")
    assert _consumed_by_grant(credits, "k-1") == {soon.id: 10.0, late.id: 5.0}
    assert never.consumed == 0.0


def test_expired_credits_leave_the_balance_with_a_ledger_entry_at_expiry(emu: Emulator) -> None:
    """An expired grant's remainder is written off, stamped with the expiry time."""
    credits = _ready(emu)
    expiry = _later(emu, 2)
    credits.create_grant("c-1", CUR, 30, expire_at=expiry)
    credits.create_grant("c-1", CUR, 5)
    credits.consume("c-1", CUR, 10, "k-1")
    emu.advance_time(3 * DAY)
    assert credits.balance("c-1", CUR) == 5.0
    expired = [e for e in credits.ledger("c-1", CUR) if e.event_type == "CREDITS_EXPIRED"]
    assert [(e.amount, e.timestamp) for e in expired] == [(-20.0, expiry)]
    with pytest.raises(EmulatorError) as caught:
        credits.consume("c-1", CUR, 6, "k-2")
    assert caught.value.code == "EntitlementLimitExceededError"


def test_scheduled_grant_counts_only_from_its_effective_date(emu: Emulator) -> None:
    """A future grant is SCHEDULED, absent from the balance until it starts."""
    credits = _ready(emu)
    grant = credits.create_grant("c-1", CUR, 40, effective_at=_later(emu, 1))
    assert grant.status(emu.state.now()) == "SCHEDULED"
    assert credits.balance("c-1", CUR) == 0.0
    emu.advance_time(DAY + 1)
    assert credits.balance("c-1", CUR) == 40.0
    assert [e.event_type for e in credits.ledger("c-1", CUR)] == ["CREDITS_GRANTED"]


def test_voiding_removes_the_remainder_once(emu: Emulator) -> None:
    """Voiding writes off what is left; a second void is refused with CreditGrantAlreadyVoided."""
    credits = _ready(emu)
    grant = credits.create_grant("c-1", CUR, 50)
    credits.consume("c-1", CUR, 20, "k-1")
    credits.void_grant(grant.id)
    assert credits.balance("c-1", CUR) == 0.0
    assert [e.amount for e in credits.ledger("c-1", CUR)] == [50.0, -20.0, -30.0]
    with pytest.raises(EmulatorError) as caught:
        credits.void_grant(grant.id)
    assert caught.value.code == "CreditGrantAlreadyVoided"


def test_same_idempotency_key_consumes_once(emu: Emulator) -> None:
    """A repeated key replays the first answer and leaves the balance alone."""
    credits = _ready(emu)
    credits.create_grant("c-1", CUR, 10)
    first = credits.consume("c-1", CUR, 4, "k-1")
    again = credits.consume("c-1", CUR, 4, "k-1")
    assert again == first
    assert credits.balance("c-1", CUR) == 6.0
    assert (credits.applied_consumptions, credits.replayed_consumptions) == (1, 1)


def test_consumption_needs_an_active_subscription(emu: Emulator) -> None:
    """Credits can be granted without a subscription but not consumed (as in Stigg)."""
    emu.state.provision_customer("c-1")
    credits: CreditsState = emu.state.credits
    credits.create_grant("c-1", CUR, 10)
    with pytest.raises(EmulatorError) as caught:
        credits.consume("c-1", CUR, 1, "k-1")
    assert caught.value.code == "NoActiveSubscriptionForCustomer"


def _overdraft_catalog() -> Catalog:
    catalog = Catalog.default()
    currency = catalog.credits.currencies[CUR]
    catalog.credits.currencies[CUR] = type(currency)(
        **{**currency.__dict__, "allow_overdraft": True}
    )
    return catalog


def test_overdraft_goes_negative_and_the_next_grant_pays_it_back(emu: Emulator) -> None:
    """With overdraft allowed the deficit lands on an overdraft grant; a new grant settles it."""
    emu.state.load_catalog(_overdraft_catalog())
    credits = _ready(emu)
    credits.create_grant("c-1", CUR, 10)
    credits.consume("c-1", CUR, 25, "k-1")
    assert credits.balance("c-1", CUR) == -15.0
    credits.create_grant("c-1", CUR, 100)
    assert credits.balance("c-1", CUR) == 85.0
    kinds = [e.event_type for e in credits.ledger("c-1", CUR)]
    assert kinds[-2:] == [
        "CREDITS_CONSUMPTION_TRANSFER_SOURCE",
        "CREDITS_CONSUMPTION_TRANSFER_TARGET",
    ]
    assert _ledger_sum(credits.ledger("c-1", CUR)) == 85.0


def test_auto_recharge_tops_up_to_the_target_when_under_the_threshold(emu: Emulator) -> None:
    """A consumption that leaves the balance under the threshold buys the difference."""
    credits = _ready(emu)
    credits.create_grant("c-1", CUR, 100)
    credits.save_recharge(
        "c-1", CUR, is_enabled=True, threshold_value=50, target_balance=200, max_spend_limit=5
    )
    result = credits.consume("c-1", CUR, 60, "k-1")
    assert credits.balance("c-1", CUR) == 200.0
    assert result.snapshot.balance == 200.0
    settings = credits.get_recharge("c-1", CUR)
    assert (settings.recharges, settings.spend_in(emu.state.now())) == (1, 1.6)  # 160 x $0.01


def test_auto_recharge_respects_the_monthly_spend_limit(emu: Emulator) -> None:
    """No top-up is bought when it would pass max_spend_limit this month."""
    credits = _ready(emu)
    credits.create_grant("c-1", CUR, 100)
    credits.save_recharge(
        "c-1", CUR, is_enabled=True, threshold_value=50, target_balance=200, max_spend_limit=1
    )
    credits.consume("c-1", CUR, 60, "k-1")
    assert credits.balance("c-1", CUR) == 40.0
    assert credits.get_recharge("c-1", CUR).recharges == 0


def test_dollar_threshold_compares_the_balance_worth(emu: Emulator) -> None:
    """DollarAmount thresholds and targets are in money: $0.50 is 50 credits at $0.01."""
    credits = _ready(emu)
    credits.create_grant("c-1", CUR, 100)
    credits.save_recharge(
        "c-1",
        CUR,
        is_enabled=True,
        threshold_type="DollarAmount",
        threshold_value=0.5,
        target_balance=3,
    )
    credits.consume("c-1", CUR, 40, "k-1")
    assert credits.balance("c-1", CUR) == 60.0
    credits.consume("c-1", CUR, 20, "k-2")
    assert credits.balance("c-1", CUR) == pytest.approx(300.0)


@pytest.mark.parametrize("seed", range(12))
def test_ledger_sums_to_the_balance_after_every_step_of_a_random_run(
    emu: Emulator, seed: int
) -> None:
    """Random grants, consumptions, voids, expiries and time: ledger prefix sums = balance."""
    rng = random.Random(seed)
    if seed % 3 == 0:
        emu.state.load_catalog(_overdraft_catalog())
    credits = _ready(emu)
    overdraft = seed % 3 == 0
    if seed % 4 == 1:
        credits.save_recharge("c-1", CUR, is_enabled=True, threshold_value=20, target_balance=60)
    grants: list[str] = []
    refused: set[str] = set()
    accepted = granted = 0.0
    for step in range(120):
        action = rng.random()
        try:
            if action < 0.3:
                amount = float(rng.randint(1, 50))
                effective = _later(emu, rng.uniform(0, 1)) if rng.random() < 0.2 else None
                start = effective or emu.state.now()
                lifetime = timedelta(days=rng.uniform(0.1, 5))
                expire = start + lifetime if rng.random() < 0.5 else None
                kind = rng.choice(["PAID", "PROMOTIONAL"])
                grant = credits.create_grant(
                    "c-1",
                    CUR,
                    amount,
                    grant_type=kind,
                    priority=rng.randint(0, 3),
                    expire_at=expire,
                    effective_at=effective,
                )
                grants.append(grant.id)
                granted += amount
            elif action < 0.75:
                key = f"k-{rng.randint(0, step)}"  # repeats some keys on purpose
                credits.consume("c-1", CUR, float(rng.randint(1, 30)), key)
                accepted += 1
            elif action < 0.85 and grants:
                credits.void_grant(rng.choice(grants))
            else:
                emu.advance_time(rng.uniform(0, DAY))
        except EmulatorError as exc:
            refused.add(exc.code)
        balance = credits.balance("c-1", CUR)
        ledger = credits.ledger("c-1", CUR)
        assert _ledger_sum(ledger) == pytest.approx(balance, abs=1e-6)
        if not overdraft:
            assert balance >= -1e-9
        # Every prefix of the ledger is a balance that existed: never negative without overdraft.
        running = 0.0
        for entry in ledger:
            running += entry.amount
            assert overdraft or running >= -1e-6
    assert accepted > 0
    assert granted > 0
    assert refused <= {
        "EntitlementLimitExceededError",
        "CreditGrantAlreadyVoided",
        "CreditGrantCannotBeVoided",
    }


def test_ledger_balance_equals_grants_minus_consumed_voided_and_expired(emu: Emulator) -> None:
    """Balance = granted - consumed - voided - expired, by the ledger's own entry kinds."""
    credits = _ready(emu)
    a = credits.create_grant("c-1", CUR, 40, expire_at=_later(emu, 1))
    credits.create_grant("c-1", CUR, 60)
    credits.consume("c-1", CUR, 10, "k-1")
    b = credits.create_grant("c-1", CUR, 25, priority=5)
    credits.void_grant(b.id)
    emu.advance_time(2 * DAY)
    totals: dict[str, float] = {}
    for entry in credits.ledger("c-1", CUR):
        totals[entry.event_type] = totals.get(entry.event_type, 0.0) + entry.amount
    assert totals == {
        "CREDITS_GRANTED": 125.0,
        "CREDITS_CONSUMED": -10.0,
        "CREDITS_VOIDED": -25.0,
        "CREDITS_EXPIRED": -30.0,
    }
    assert credits.balance("c-1", CUR) == 60.0
    assert a.status(emu.state.now()) == "EXPIRED"


# -- over GraphQL -----------------------------------------------------------------


ENTITLEMENT_V2 = """
query($q: GetEntitlementV2Input!) {
  entitlementV2(query: $q) {
    __typename
    ... on CreditEntitlement { isGranted accessDeniedReason usageLimit currentUsage
                               currency { currencyId displayName unitPlural } }
    ... on FeatureEntitlement { isGranted feature { refId } creditRate { amount currencyId } }
  }
}"""


async def test_entitlement_v2_answers_a_credit_entitlement_for_a_currency(
    emu: Emulator, gql: Poster
) -> None:
    """entitlementV2 with currencyId judges requestedUsage against the balance."""
    credits = _ready(emu)
    credits.create_grant("c-1", CUR, 100)
    credits.consume("c-1", CUR, 30, "k-1")
    q = {"customerId": "c-1", "currencyId": CUR, "options": {"requestedUsage": 70}}
    ok = (await gql.ok(ENTITLEMENT_V2, {"q": q}))["entitlementV2"]
    assert ok == {
        "__typename": "CreditEntitlement",
        "isGranted": True,
        "accessDeniedReason": None,
        "usageLimit": 100.0,
        "currentUsage": 30.0,
        "currency": {"currencyId": CUR, "displayName": "AI credits", "unitPlural": "credits"},
    }
    q["options"] = {"requestedUsage": 71}
    denied = (await gql.ok(ENTITLEMENT_V2, {"q": q}))["entitlementV2"]
    assert (denied["isGranted"], denied["accessDeniedReason"]) == (
        False,
        "RequestedUsageExceedingLimit",
    )


async def test_entitlements_state_lists_feature_and_credit_entitlements(
    emu: Emulator, gql: Poster
) -> None:
    """entitlementsV2 holds the feature entitlements of `entitlements` plus credit ones."""
    credits = _ready(emu)
    credits.create_grant("c-1", CUR, 15)
    data = await gql.ok(
        """query($q: FetchEntitlementsQuery!) { entitlementsState(query: $q) {
             entitlements { feature { refId } }
             entitlementsV2 { __typename
               ... on FeatureEntitlement { feature { refId } }
               ... on CreditEntitlement { usageLimit currency { currencyId } } } } }""",
        {"q": {"customerId": "c-1"}},
    )
    state = data["entitlementsState"]
    features = [e["feature"]["refId"] for e in state["entitlements"]]
    v2 = state["entitlementsV2"]
    assert [
        e["feature"]["refId"] for e in v2 if e["__typename"] == "FeatureEntitlement"
    ] == features
    assert [e for e in v2 if e["__typename"] == "CreditEntitlement"] == [
        {"__typename": "CreditEntitlement", "usageLimit": 15.0, "currency": {"currencyId": CUR}}
    ]


async def test_estimates_price_features_and_events_from_the_catalog(
    emu: Emulator, gql: Poster
) -> None:
    """estimateUsageCost uses the feature's credit cost; estimateEventCost goes via meters."""
    credits = _ready(emu)
    credits.create_grant("c-1", CUR, 25)
    usage = await gql.ok(
        """query($i: EstimateUsageCostInput!) { estimateUsageCost(input: $i) {
             warnings estimates { currencyId currentBalance estimatedCost
                                  balanceAfterEstimate wouldOverdraft } } }""",
        {"i": {"customerId": "c-1", "featureId": "feature-08-ai-generations", "value": 10}},
    )
    assert usage["estimateUsageCost"] == {
        "warnings": [],
        "estimates": [
            {
                "currencyId": CUR,
                "currentBalance": 25.0,
                "estimatedCost": 20.0,
                "balanceAfterEstimate": 5.0,
                "wouldOverdraft": False,
            }
        ],
    }
    event = await gql.ok(
        """query($i: EstimateEventCostInput!) { estimateEventCost(input: $i) {
             warnings estimates { estimatedCost wouldOverdraft } } }""",
        {"i": {"customerId": "c-1", "eventName": "image_rendered", "dimensions": {"images": 6}}},
    )
    assert event["estimateEventCost"] == {
        "warnings": [],
        "estimates": [{"estimatedCost": 30.0, "wouldOverdraft": True}],
    }
    plain = await gql.ok(
        """query($i: EstimateUsageCostInput!) { estimateUsageCost(input: $i) { warnings } }""",
        {"i": {"customerId": "c-1", "featureId": "feature-02-campaigns", "value": 1}},
    )
    assert plain["estimateUsageCost"]["warnings"] == ["FEATURE_NOT_CREDIT_BASED"]


async def test_unknown_currency_is_a_custom_currency_not_found_error(
    emu: Emulator, gql: Poster
) -> None:
    """A grant in a currency the catalog lacks is refused with CustomCurrencyNotFound."""
    _ready(emu)
    reply = await gql(
        """mutation($i: CreditGrantInput!) { createCreditGrant(input: $i) { id } }""",
        {
            "i": {
                "customerId": "c-1",
                "currencyId": "currency-nope",
                "amount": 1,
                "displayName": "x",
                "grantType": "PAID",
            }
        },
    )
    assert reply.codes == ["CustomCurrencyNotFound"]
