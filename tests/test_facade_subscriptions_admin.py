"""Subscriptions list, previews, apply, transfers, delegation and schedules, end to end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import pytest_asyncio

from stigg_async import AsyncStigg, StiggValidationError
from stigg_async._clock import FakeClock
from stigg_async._errors import StiggGraphQLError
from stigg_async.emulator import Emulator
from stigg_async.testing import STIGG_EMULATOR_API_KEY
from tests.support.breadth_catalog import breadth_catalog

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def stigg_emulator(stigg_emulator_clock: FakeClock) -> AsyncIterator[Emulator]:
    """The emulator with the breadth catalog (a Danish price, a plan hidden from paywalls)."""
    async with Emulator(
        api_key=STIGG_EMULATOR_API_KEY, clock=stigg_emulator_clock, catalog=breadth_catalog()
    ) as emulator:
        yield emulator


def _seed(emu: Emulator, count: int) -> list[str]:
    ids = []
    for i in range(count):
        emu.state.provision_customer(f"c-{i}")
        sub = emu.state.provision_subscription(f"c-{i}", "plan-revvenu-basic")
        ids.append(sub.subscription_id)
    return ids


async def test_iter_subscriptions_follows_cursors_across_pages(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """Five subscriptions in pages of two: the iterator yields all five, once each."""
    ids = _seed(stigg_emulator, 5)
    seen = [s.ref_id async for s in stigg_client.iter_subscriptions(page_size=2)]
    assert sorted(seen) == sorted(ids)
    first = await stigg_client.get_subscriptions(first=2)
    assert len(first.items) == 2
    assert first.has_next_page
    assert first.total_count == 5


async def test_subscriptions_filter_and_sort(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """A customer filter narrows the list; sorting by subscriptionId orders it."""
    ids = _seed(stigg_emulator, 3)
    page = await stigg_client.get_subscriptions(filter={"customer_id": {"eq": "c-1"}})
    assert [s.ref_id for s in page.items] == [ids[1]]
    asc = await stigg_client.get_subscriptions(
        sorting=[{"field": "subscriptionId", "direction": "ASC"}]
    )
    assert [s.ref_id for s in asc.items] == sorted(ids)
    active = await stigg_client.get_subscriptions(filter={"status": {"eq": "CANCELED"}})
    assert active.items == ()


async def test_bad_page_size_is_rejected(stigg_client: AsyncStigg) -> None:
    """A page size outside 1..1000 is a validation error before anything is sent."""
    with pytest.raises(StiggValidationError) as info:
        stigg_client.iter_subscriptions(page_size=0)
    assert info.value.field == "page_size"


async def test_preview_subscription_prices_like_the_estimate(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """previewSubscription's recurring total equals estimateSubscription's total."""
    stigg_emulator.state.provision_customer("c-1")
    args = {"customer_id": "c-1", "plan_id": "plan-revvenu-essentials", "unit_quantity": 7}
    preview = await stigg_client.preview_subscription(**args)  # type: ignore[arg-type]
    estimate = await stigg_client.estimate_subscription(**args)  # type: ignore[arg-type]
    assert preview.recurring_invoice is not None
    assert preview.recurring_invoice.total.amount == estimate.total.amount == 42.0


async def test_preview_flags_a_downgrade(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """Previewing a cheaper plan than the current one is a downgrade, charging nothing now."""
    stigg_emulator.state.provision_customer("c-1")
    stigg_emulator.state.set_payment_method("c-1")
    stigg_emulator.state.provision_subscription(
        "c-1", "plan-revvenu-essentials", unit_quantity=10, skip_trial=True
    )
    preview = await stigg_client.preview_subscription(
        customer_id="c-1", plan_id="plan-revvenu-basic"
    )
    assert preview.is_plan_downgrade is True
    assert preview.immediate_invoice.total.amount == 0


async def test_scheduled_update_shows_in_next_invoice_and_cancel_schedule_drops_it(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """An END_OF_BILLING_PERIOD update waits as a schedule; cancelSchedule removes it."""
    stigg_emulator.state.provision_customer("c-1")
    stigg_emulator.state.set_payment_method("c-1")
    sub = stigg_emulator.state.provision_subscription(
        "c-1", "plan-revvenu-essentials", unit_quantity=5, skip_trial=True
    )
    before = await stigg_client.preview_next_invoice(sub.subscription_id)
    assert before.amount_due.amount == 30.0
    await stigg_client.update_subscription(
        {
            "subscription_id": sub.subscription_id,
            "unit_quantity": 8,
            "schedule_strategy": "END_OF_BILLING_PERIOD",
        }
    )
    assert sub.billable_features["feature-01-templates"] == 5.0  # not applied yet
    assert len(sub.scheduled_updates) == 1
    scheduled = await stigg_client.preview_next_invoice(sub.subscription_id)
    assert scheduled.amount_due.amount == 48.0
    assert scheduled.lines[0].type == "BaseCharge"
    await stigg_client.cancel_schedule(sub.subscription_id)
    assert sub.scheduled_updates == []
    after = await stigg_client.preview_next_invoice(sub.subscription_id)
    assert after.amount_due.amount == 30.0
    with pytest.raises(StiggGraphQLError):
        await stigg_client.cancel_schedule(sub.subscription_id)


async def test_apply_subscription_attaches_the_payment_method(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """applySubscription with a payment method subscribes to a paid plan and grants it."""
    stigg_emulator.state.provision_customer("c-1")
    applied = await stigg_client.apply_subscription(
        customer_id="c-1",
        plan_id="plan-revvenu-growth",
        payment_method_id="pm_card_visa",
        skip_trial=True,
    )
    assert applied.subscription is not None
    assert applied.subscription.status == "ACTIVE"
    assert applied.entitlements
    decision = await stigg_client.get_entitlement("c-1", "feature-04-analytics")
    assert decision.is_granted


async def test_transfer_moves_the_subscription_and_its_entitlements(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """After a transfer the destination resource is entitled and the source is not."""
    stigg_emulator.state.provision_customer("c-1")
    stigg_emulator.state.provision_subscription("c-1", "plan-revvenu-basic", resource_id="site-1")
    assert (
        await stigg_client.get_entitlement("c-1", "feature-01-templates", resource_id="site-1")
    ).is_granted
    sub = await stigg_client.transfer_subscription(
        "c-1", source_resource_id="site-1", destination_resource_id="site-2"
    )
    assert sub.resource is not None
    assert sub.resource.resource_id == "site-2"
    src = await stigg_client.get_entitlement("c-1", "feature-01-templates", resource_id="site-1")
    dst = await stigg_client.get_entitlement("c-1", "feature-01-templates", resource_id="site-2")
    assert not src.is_granted
    assert dst.is_granted


async def test_transfer_to_resource_moves_one_subscription(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """transferSubscriptionToResource moves the named subscription."""
    stigg_emulator.state.provision_customer("c-1")
    sub = stigg_emulator.state.provision_subscription(
        "c-1", "plan-revvenu-basic", resource_id="site-1"
    )
    moved = await stigg_client.transfer_subscription_to_resource(
        sub.subscription_id, destination_resource_id="site-3"
    )
    assert moved.resource is not None
    assert moved.resource.resource_id == "site-3"
    assert sub.resource_id == "site-3"


async def test_delegation_moves_entitlements_and_keeps_the_payer(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """The destination gets the entitlements; the source pays and loses them (both refreshed)."""
    for cid in ("payer", "user"):
        stigg_emulator.state.provision_customer(cid)
    sub = stigg_emulator.state.provision_subscription("payer", "plan-revvenu-basic")
    assert (await stigg_client.get_entitlement("payer", "feature-01-templates")).is_granted
    assert not (await stigg_client.get_entitlement("user", "feature-01-templates")).is_granted
    delegated = await stigg_client.delegate_subscription_to_customer(
        sub.subscription_id, destination_customer_id="user"
    )
    assert delegated.paying_customer is not None
    assert delegated.paying_customer.customer_id == "payer"
    assert delegated.customer is not None
    assert delegated.customer.customer_id == "user"
    # Both cached customers were refreshed by the facade: no wait for a poll.
    assert (await stigg_client.get_entitlement("user", "feature-01-templates")).is_granted
    assert not (await stigg_client.get_entitlement("payer", "feature-01-templates")).is_granted


async def test_iter_customers_and_coupons_follow_cursors(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """The customer and coupon iterators page through everything."""
    _seed(stigg_emulator, 3)
    ids = [c.customer_id async for c in stigg_client.iter_customers(page_size=2)]
    assert sorted(i for i in ids if i) == ["c-0", "c-1", "c-2"]
    coupons = [c.ref_id async for c in stigg_client.iter_coupons(page_size=1)]
    assert coupons
    assert len(coupons) == len(set(coupons))


async def test_scheduled_update_runs_at_the_end_of_the_billing_period(
    stigg_client: AsyncStigg, stigg_emulator: Emulator, stigg_emulator_clock: FakeClock
) -> None:
    """A scheduled update applies once the emulator clock passes the period's end."""
    stigg_emulator.state.provision_customer("c-1")
    stigg_emulator.state.set_payment_method("c-1")
    sub = stigg_emulator.state.provision_subscription(
        "c-1", "plan-revvenu-essentials", unit_quantity=5, skip_trial=True
    )
    await stigg_client.update_subscription(
        {
            "subscription_id": sub.subscription_id,
            "unit_quantity": 8,
            "schedule_strategy": "END_OF_BILLING_PERIOD",
        }
    )
    stigg_emulator_clock.advance(timedelta(days=15).total_seconds())
    assert stigg_emulator.state.get_subscription(sub.subscription_id).scheduled_updates
    assert sub.billable_features["feature-01-templates"] == 5.0
    stigg_emulator_clock.advance(timedelta(days=17).total_seconds())
    stigg_emulator.state.get_subscription(sub.subscription_id)
    assert sub.billable_features["feature-01-templates"] == 8.0
    assert sub.scheduled_updates == []
