"""Every operation in REFRESHES_ENTITLEMENTS, end to end: the next local check shows it.

Per operation: seed the emulator directly, warm the cache with the check the operation
will change, call the facade method over HTTP on 127.0.0.1, then check again and
require both the new answer and that no request was sent for it (the answer is
local). Time is the emulator's FakeClock and polling is off, so nothing refreshes on
its own: only the facade's refetch after the operation can make the change visible.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

import pytest

from stigg_async import AsyncStigg, EntitlementCacheOptions, EntitlementResult
from stigg_async._refreshes import REFRESHES_ENTITLEMENTS
from stigg_async.emulator import Emulator
from stigg_async.testing import STIGG_EMULATOR_API_KEY, FakeClock

CAMPAIGNS = "feature-02-campaigns"  # basic 4, essentials 12, growth unlimited; +10 per add-on
DOMAIN = "feature-03-custom-domain"  # growth only (boolean)
ANALYTICS = "feature-04-analytics"  # essentials and growth (boolean); not in basic
CREDITS = "currency-ai-credits"
CARD = "pm_card_visa"
BATCH = "GetEntitlementsBatch"  # the cache's fetch (stigg_async/_cache/_fetcher.py)

#: What a local check showed, comparable in one assertion.
Seen = tuple[Any, ...]
GRANTED: Seen = ("granted",)
UNLIMITED: Seen = ("unlimited",)


def limit(value: float) -> Seen:
    """Granted with this usage limit."""
    return ("limit", value)


def denied(reason: str) -> Seen:
    """Denied for this ``AccessDeniedReason`` value."""
    return ("denied", reason)


def seen(result: EntitlementResult) -> Seen:
    """The part of a check that the operations change."""
    if not result.is_granted:
        reason = result.access_denied_reason
        return denied(reason.value if reason is not None else "?")
    ent = result.entitlement
    if ent.has_unlimited_usage:
        return UNLIMITED
    if ent.usage_limit is not None:
        return limit(ent.usage_limit)
    return GRANTED


@dataclass(frozen=True)
class Check:
    """One local check, what it shows before the operation and after it."""

    customer: str
    feature: str
    before: Seen
    after: Seen
    resource: str | None = None


@dataclass(frozen=True)
class Scenario:
    """State to seed, the checks the operation changes, and the facade call."""

    seed: Callable[[Emulator], None]
    act: Callable[[AsyncStigg, Emulator], Awaitable[Any]]
    checks: tuple[Check, ...]
    #: For operations whose effect the cache cannot show (credits): what proves the
    #: operation ran on the server, checked after the call.
    landed: Callable[[Emulator], bool] | None = None


def customer(emu: Emulator, cid: str = "c-1", *, card: bool = False) -> None:
    emu.state.provision_customer(cid, payment_method_id=CARD if card else None)


def on_plan(
    emu: Emulator,
    plan: str,
    cid: str = "c-1",
    *,
    sub: str | None = None,
    resource: str | None = None,
    card: bool = False,
) -> None:
    customer(emu, cid, card=card)
    emu.state.provision_subscription(
        cid, plan, subscription_id=sub, resource_id=resource, skip_trial=card
    )


def basic(emu: Emulator, cid: str = "c-1") -> None:
    on_plan(emu, "plan-revvenu-basic", cid, sub=f"sub-{cid}")


def nobody(emu: Emulator) -> None:
    """No customer yet: the first check is cached as CustomerNotFound."""


def two_basic(emu: Emulator) -> None:
    basic(emu, "c-1")
    basic(emu, "c-2")


def payer_and_user(emu: Emulator) -> None:
    on_plan(emu, "plan-revvenu-growth", "payer", sub="sub-1", card=True)
    basic(emu, "user")


def basic_with_promotion(emu: Emulator, group: str | None = None) -> None:
    basic(emu)
    promo = emu.state.grant_promotion("c-1", ANALYTICS)
    if group is not None:
        promo.feature_group_ids = [group]


def archived(emu: Emulator) -> None:
    basic(emu)
    emu.state.require_customer("c-1").archived_at = emu.state.now()


def migrated_catalog(emu: Emulator) -> None:
    """A basic subscriber, then a new basic version with 6 campaigns (it keeps 4)."""
    basic(emu)
    text = resources.files("stigg_async.emulator").joinpath("default_catalog.json").read_text()
    catalog = json.loads(text)
    plan = next(p for p in catalog["plans"] if p["id"] == "plan-revvenu-basic")
    ent = next(e for e in plan["entitlements"] if e["feature"] == CAMPAIGNS)
    ent["usageLimit"] = 6
    emu.load_catalog(catalog)


def with_credit_grant(emu: Emulator) -> None:
    basic(emu)
    emu.state.credits.create_grant("c-1", CREDITS, 100)


def only_grant(emu: Emulator) -> str:
    """The id of the one credit grant seeded for c-1."""
    (grant,) = emu.state.credits.grants_of("c-1", None, CREDITS)
    return grant.id


def balance(emu: Emulator) -> float:
    return emu.state.credits.balance("c-1", CREDITS)


def campaigns(before: Seen, after: Seen, cid: str = "c-1") -> Check:
    return Check(cid, CAMPAIGNS, before, after)


#: The campaigns limit of a basic subscriber, unchanged by a credit operation.
UNCHANGED = campaigns(limit(4), limit(4))
NONE_YET = denied("CustomerNotFound")
NO_FEATURE = denied("NoFeatureEntitlementInSubscription")
NO_SUB = denied("NoActiveSubscription")

SCENARIOS: dict[str, Scenario] = {
    "ProvisionCustomer": Scenario(
        seed=nobody,
        act=lambda s, _: s.provision_customer(
            customer_id="c-1", subscription_params={"plan_id": "plan-revvenu-basic"}
        ),
        checks=(campaigns(NONE_YET, limit(4)),),
    ),
    "ProvisionSubscription": Scenario(
        seed=lambda emu: on_plan(emu, "plan-revvenu-basic", card=True),
        act=lambda s, _: s.provision_subscription(
            customer_id="c-1", plan_id="plan-revvenu-essentials"
        ),
        checks=(campaigns(limit(4), limit(12)),),
    ),
    "CreateSubscription": Scenario(
        seed=basic,
        act=lambda s, _: s.create_subscription(customer_id="c-1", plan_id="plan-revvenu-growth"),
        checks=(Check("c-1", DOMAIN, NO_FEATURE, GRANTED), campaigns(limit(4), UNLIMITED)),
    ),
    "UpdateSubscription": Scenario(
        seed=lambda emu: on_plan(emu, "plan-revvenu-essentials", sub="sub-1", card=True),
        act=lambda s, _: s.update_subscription(
            subscription_id="sub-1", addons=[{"addon_id": "addon-10-campaigns", "quantity": 2}]
        ),
        checks=(campaigns(limit(12), limit(32)),),
    ),
    "CancelSubscription": Scenario(
        seed=basic,
        act=lambda s, _: s.cancel_subscription("sub-c-1", cancellation_time="IMMEDIATE"),
        checks=(campaigns(limit(4), NO_SUB),),
    ),
    "MigrateSubscriptionToLatest": Scenario(
        seed=migrated_catalog,
        act=lambda s, _: s.migrate_subscription_to_latest("sub-c-1"),
        checks=(campaigns(limit(4), limit(6)),),
    ),
    "GrantPromotionalEntitlements": Scenario(
        seed=basic,
        act=lambda s, _: s.grant_promotional_entitlements(
            "c-1", [{"feature_id": ANALYTICS, "period": "ONE_MONTH"}]
        ),
        checks=(Check("c-1", ANALYTICS, NO_FEATURE, GRANTED),),
    ),
    "RevokePromotionalEntitlement": Scenario(
        seed=basic_with_promotion,
        act=lambda s, _: s.revoke_promotional_entitlement("c-1", ANALYTICS),
        checks=(Check("c-1", ANALYTICS, GRANTED, NO_FEATURE),),
    ),
    "ApplySubscription": Scenario(
        seed=basic,
        act=lambda s, _: s.apply_subscription(
            customer_id="c-1",
            plan_id="plan-revvenu-growth",
            payment_method_id=CARD,
            skip_trial=True,
        ),
        checks=(Check("c-1", DOMAIN, NO_FEATURE, GRANTED),),
    ),
    "TransferSubscription": Scenario(
        seed=lambda emu: on_plan(emu, "plan-revvenu-growth", resource="site-1", card=True),
        act=lambda s, _: s.transfer_subscription(
            "c-1", source_resource_id="site-1", destination_resource_id="site-2"
        ),
        checks=(
            Check("c-1", DOMAIN, GRANTED, NO_SUB, resource="site-1"),
            Check("c-1", DOMAIN, NO_SUB, GRANTED, resource="site-2"),
        ),
    ),
    "TransferSubscriptionToResource": Scenario(
        seed=lambda emu: on_plan(
            emu, "plan-revvenu-growth", sub="sub-1", resource="site-1", card=True
        ),
        act=lambda s, _: s.transfer_subscription_to_resource(
            "sub-1", destination_resource_id="site-2"
        ),
        checks=(
            Check("c-1", DOMAIN, GRANTED, NO_SUB, resource="site-1"),
            Check("c-1", DOMAIN, NO_SUB, GRANTED, resource="site-2"),
        ),
    ),
    "DelegateSubscriptionToCustomer": Scenario(
        # The payer loses what it hands over; the input names neither customer, so
        # both come from the result (customer and payingCustomer).
        seed=payer_and_user,
        act=lambda s, _: s.delegate_subscription_to_customer(
            "sub-1", destination_customer_id="user"
        ),
        checks=(
            Check("payer", DOMAIN, GRANTED, NO_SUB),
            Check("user", DOMAIN, NO_FEATURE, GRANTED),
        ),
    ),
    "ArchiveCustomer": Scenario(
        seed=basic,
        act=lambda s, _: s.archive_customer("c-1"),
        checks=(campaigns(limit(4), denied("CustomerIsArchived")),),
    ),
    "UnarchiveCustomer": Scenario(
        seed=archived,
        act=lambda s, _: s.unarchive_customer("c-1"),
        checks=(campaigns(denied("CustomerIsArchived"), limit(4)),),
    ),
    "ImportOneCustomer": Scenario(
        # An imported customer has no subscription yet: "not found" becomes "no
        # subscription", which is the whole visible change.
        seed=nobody,
        act=lambda s, _: s.import_one_customer(customer_id="c-1", email="c-1@acme.test"),
        checks=(campaigns(NONE_YET, NO_SUB),),
    ),
    "ImportSubscriptionsBulk": Scenario(
        # Two customers: the facade refreshes each one named in the list.
        seed=two_basic,
        act=lambda s, _: s.import_subscriptions_bulk(
            [
                {"customer_id": "c-1", "plan_id": "plan-revvenu-growth"},
                {"customer_id": "c-2", "plan_id": "plan-revvenu-essentials"},
            ]
        ),
        checks=(campaigns(limit(4), UNLIMITED, "c-1"), campaigns(limit(4), limit(12), "c-2")),
    ),
    "GrantPromotionalEntitlementsGroup": Scenario(
        seed=basic,
        act=lambda s, _: s.grant_promotional_entitlements_group(
            "c-1", "group-analytics", [{"feature_id": ANALYTICS, "period": "LIFETIME"}]
        ),
        checks=(Check("c-1", ANALYTICS, NO_FEATURE, GRANTED),),
    ),
    "RevokePromotionalEntitlementsGroup": Scenario(
        seed=lambda emu: basic_with_promotion(emu, group="group-analytics"),
        act=lambda s, _: s.revoke_promotional_entitlements_group("c-1", "group-analytics"),
        checks=(Check("c-1", ANALYTICS, GRANTED, NO_FEATURE),),
    ),
    # Credits: the cache holds feature entitlements only (its batch selects
    # entitlementsState.entitlements, not entitlementsV2), so no local check can show a
    # balance yet. For these the test requires the refetch itself: the customer's
    # cached keys were reloaded during the call (entitlement_stats.refreshes and a
    # counted GetEntitlementsBatch), and the balance changed on the server.
    "CreateCreditGrant": Scenario(
        seed=basic,
        act=lambda s, _: s.create_credit_grant(
            customer_id="c-1",
            currency_id=CREDITS,
            amount=50,
            display_name="Top-up",
            grant_type="PAID",
        ),
        checks=(UNCHANGED,),
        landed=lambda emu: balance(emu) == 50,
    ),
    "VoidCreditGrant": Scenario(
        seed=with_credit_grant,
        act=lambda s, emu: s.void_credit_grant(only_grant(emu)),
        checks=(UNCHANGED,),
        landed=lambda emu: balance(emu) == 0,
    ),
    "SaveAutoRechargeSettings": Scenario(
        # Enabling a recharge below its threshold tops the balance up at once.
        seed=lambda emu: on_plan(emu, "plan-revvenu-basic", card=True),
        act=lambda s, _: s.save_auto_recharge_settings(
            customer_id="c-1",
            currency_id=CREDITS,
            is_enabled=True,
            threshold_value=50,
            target_balance=200,
        ),
        checks=(UNCHANGED,),
        landed=lambda emu: balance(emu) == 200,
    ),
}


@pytest.fixture
async def stigg(
    stigg_emulator: Emulator, stigg_emulator_clock: FakeClock
) -> AsyncIterator[AsyncStigg]:
    """A client on the emulator's fake clock with polling off: no refresh on its own."""
    async with AsyncStigg(
        api_key=STIGG_EMULATOR_API_KEY,
        api_url=stigg_emulator.url,
        clock=stigg_emulator_clock,
        entitlements=EntitlementCacheOptions(poll=False),
    ) as client:
        yield client


async def check(stigg: AsyncStigg, c: Check) -> Seen:
    return seen(await stigg.get_entitlement(c.customer, c.feature, resource_id=c.resource))


def test_every_refreshing_operation_has_a_scenario() -> None:
    """Adding an operation to REFRESHES_ENTITLEMENTS without a scenario here fails."""
    assert set(SCENARIOS) == set(REFRESHES_ENTITLEMENTS)


def test_a_customer_update_is_not_declared_as_refreshing() -> None:
    """updateOneCustomer changes no entitlement (details only), so it refetches nothing."""
    assert "UpdateCustomer" not in REFRESHES_ENTITLEMENTS


@pytest.mark.parametrize("name", sorted(SCENARIOS))
async def test_next_local_check_shows_the_operations_change(
    name: str, stigg: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """After the operation, the cached answer is already the new one, with no request."""
    scenario = SCENARIOS[name]
    emu = stigg_emulator
    scenario.seed(emu)

    # Warm the cache; each check then answers locally with the old state.
    for c in scenario.checks:
        assert await check(stigg, c) == c.before, c
    total = emu.counters.total
    assert [await check(stigg, c) for c in scenario.checks] == [c.before for c in scenario.checks]
    assert emu.counters.total == total, "warm checks must be local"

    fetches, refreshes = emu.counters.operation(BATCH), stigg.entitlement_stats.refreshes
    await scenario.act(stigg, emu)
    fetched = emu.counters.operation(BATCH) - fetches
    refreshed = stigg.entitlement_stats.refreshes - refreshes

    total = emu.counters.total
    after = [await check(stigg, c) for c in scenario.checks]
    assert after == [c.after for c in scenario.checks]
    assert emu.counters.total == total, "the check after the operation must be local"
    # The affected customers' cached keys were refetched during the call.
    assert fetched >= 1
    assert refreshed >= len({(c.customer, c.resource) for c in scenario.checks})
    if scenario.landed is not None:
        assert scenario.landed(emu), "the operation did not change the balance"
