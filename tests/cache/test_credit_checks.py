"""Local credit checks: credit entitlements cached beside features, consumption exact."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from stigg_async import AccessDeniedReason, AsyncStigg, EntitlementSource
from stigg_async._clock import FakeClock
from stigg_async.emulator import Emulator, Fault
from stigg_async.testing import STIGG_EMULATOR_API_KEY

CREDITS = "currency-ai-credits"


@pytest.fixture
async def stigg(
    stigg_emulator: Emulator, stigg_emulator_clock: FakeClock
) -> AsyncIterator[AsyncStigg]:
    async with AsyncStigg(
        api_key=STIGG_EMULATOR_API_KEY,
        api_url=stigg_emulator.url,
        clock=stigg_emulator_clock,
        entitlements={"poll": False},
    ) as client:
        yield client


async def _credits_customer(stigg: AsyncStigg, customer_id: str, amount: float) -> None:
    await stigg.provision_customer(
        customer_id=customer_id, subscription_params={"plan_id": "plan-revvenu-basic"}
    )
    await stigg.create_credit_grant(
        customer_id=customer_id,
        currency_id=CREDITS,
        amount=amount,
        display_name="pack",
        grant_type="PAID",
    )


async def test_credit_check_is_answered_locally_after_the_first_fetch(
    stigg: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """The entitlements fetch brings the credit balance; later checks make no request."""
    await _credits_customer(stigg, "c-cred", 100)
    first = await stigg.get_credit_entitlement("c-cred", CREDITS, requested_amount=40)
    assert (first.is_granted, first.balance, first.usage_limit) == (True, 100, 100)
    requests = stigg_emulator.counters.total
    second = await stigg.get_credit_entitlement("c-cred", CREDITS, requested_amount=101)
    assert second.source is EntitlementSource.FRESH_CACHE
    assert not second.is_granted
    assert second.access_denied_reason is AccessDeniedReason.REQUESTED_USAGE_EXCEEDING_LIMIT
    assert stigg_emulator.counters.total == requests


async def test_consume_credits_answer_becomes_the_local_balance(
    stigg: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """After consume_credits the next local check sees the new balance, with no refetch."""
    await _credits_customer(stigg, "c-cred", 100)
    await stigg.get_credit_entitlement("c-cred", CREDITS)
    ack = await stigg.consume_credits(customer_id="c-cred", currency_id=CREDITS, amount=30)
    assert ack.credit is not None
    requests = stigg_emulator.counters.total
    after = await stigg.get_credit_entitlement("c-cred", CREDITS, requested_amount=70)
    assert (after.current_usage, after.pending_usage, after.balance) == (30, 0, 70)
    assert after.is_granted
    assert not (
        await stigg.get_credit_entitlement("c-cred", CREDITS, requested_amount=71)
    ).is_granted
    assert stigg_emulator.counters.total == requests


async def test_consumption_in_flight_counts_against_the_balance(
    stigg: AsyncStigg, stigg_emulator: Emulator, stigg_emulator_clock: FakeClock
) -> None:
    """While consume_credits waits for its answer, local checks count its amount."""
    await _credits_customer(stigg, "c-cred", 100)
    await stigg.get_credit_entitlement("c-cred", CREDITS)
    stigg_emulator.faults.add(Fault.latency(5), operation="ConsumeCredits", times=1)
    sleepers = stigg_emulator_clock.pending_sleepers
    task = asyncio.create_task(
        stigg.consume_credits(customer_id="c-cred", currency_id=CREDITS, amount=60)
    )
    # The emulator holds the request on its fake clock; no event to wait on.
    while stigg_emulator_clock.pending_sleepers <= sleepers:  # noqa: ASYNC110
        await asyncio.sleep(0.001)
    during = await stigg.get_credit_entitlement("c-cred", CREDITS, requested_amount=50)
    stigg_emulator_clock.advance(5)
    await task
    assert (during.pending_usage, during.balance, during.is_granted) == (60, 40, False)
    after = await stigg.get_credit_entitlement("c-cred", CREDITS)
    assert (after.current_usage, after.pending_usage, after.balance) == (60, 0, 40)


async def test_a_refused_consumption_leaves_nothing_pending(
    stigg: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """A definite refusal frees the amount at once."""
    from stigg_async import StiggError

    await _credits_customer(stigg, "c-cred", 10)
    await stigg.get_credit_entitlement("c-cred", CREDITS)
    with pytest.raises(StiggError) as info:
        await stigg.consume_credits(customer_id="c-cred", currency_id=CREDITS, amount=50)
    assert not info.value.may_have_landed
    after = await stigg.get_credit_entitlement("c-cred", CREDITS, requested_amount=10)
    assert (after.pending_usage, after.is_granted) == (0, True)


async def test_a_currency_without_entitlement_and_an_unknown_customer_are_denied(
    stigg: AsyncStigg,
) -> None:
    """No entitlement to the currency, or no customer: denied with the reason."""
    await stigg.provision_customer(customer_id="c-none")
    none = await stigg.get_credit_entitlement("c-none", CREDITS)
    assert not none.is_granted
    assert none.balance is None
    missing = await stigg.get_credit_entitlement("c-missing", CREDITS)
    assert missing.access_denied_reason is AccessDeniedReason.CUSTOMER_NOT_FOUND
