"""The local credit check (decide_credit) against the emulator's entitlementV2, case by case."""

from __future__ import annotations

import contextlib
import random
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from stigg_async._cache._credits import (
    CachedCreditEntitlement,
    decide_credit,
    parse_credit_entitlement,
)
from stigg_async._errors import StiggResponseError
from stigg_async._models import AccessDeniedReason
from stigg_async.emulator import Emulator
from stigg_async.emulator._errors import EmulatorError
from stigg_async.testing import STIGG_EMULATOR_API_KEY

CUR = "currency-ai-credits"
FRAGMENT = (
    Path(__file__).resolve().parents[2] / "operations/fragments/CreditEntitlementFragment.graphql"
).read_text(encoding="utf-8")
STATE = (
    """query($q: FetchEntitlementsQuery!) { entitlementsState(query: $q) {
         accessDeniedReason
         entitlementsV2 { __typename ... on CreditEntitlement { ...CreditEntitlementFragment } } } }
"""
    + FRAGMENT
)
ONE = (
    """query($q: GetEntitlementV2Input!) { entitlementV2(query: $q) {
         __typename ... on CreditEntitlement { ...CreditEntitlementFragment } } }
"""
    + FRAGMENT
)
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


class Api:
    """Raw GraphQL to the emulator, as the cache's fetches would send it."""

    def __init__(self, session: aiohttp.ClientSession, emu: Emulator) -> None:
        self.session, self.emu = session, emu

    async def data(self, query: str, variables: dict[str, Any]) -> Any:
        async with self.session.post(
            self.emu.url,
            json={"query": query, "variables": variables},
            headers={"X-API-KEY": STIGG_EMULATOR_API_KEY},
        ) as response:
            body = await response.json()
        assert not body.get("errors"), body
        return body["data"]

    async def snapshot(self, customer: str) -> CachedCreditEntitlement | None:
        state = (await self.data(STATE, {"q": {"customerId": customer}}))["entitlementsState"]
        found = [e for e in state["entitlementsV2"] if e["__typename"] == "CreditEntitlement"]
        return parse_credit_entitlement(found[0]) if found else None

    async def server(self, customer: str, requested: float) -> Any:
        q = {"customerId": customer, "currencyId": CUR, "options": {"requestedUsage": requested}}
        return (await self.data(ONE, {"q": q}))["entitlementV2"]


@pytest.fixture
async def api(stigg_emulator: Emulator) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(session, stigg_emulator)


def _build(emu: Emulator, rng: random.Random, customer: str) -> None:
    """A customer with random grants (some expiring, some scheduled), consumption and voids."""
    state = emu.state
    credits = state.credits
    state.provision_customer(customer)
    state.provision_subscription(customer, "plan-revvenu-basic")
    now = state.now()
    grants = []
    for _ in range(rng.randint(1, 4)):
        start = now + timedelta(hours=rng.uniform(1, 30)) if rng.random() < 0.15 else None
        expiry = (
            (start or now) + timedelta(hours=rng.uniform(1, 72)) if rng.random() < 0.5 else None
        )
        grants.append(
            credits.create_grant(
                customer,
                CUR,
                float(rng.randint(1, 40)),
                grant_type=rng.choice(["PAID", "PROMOTIONAL"]),
                priority=rng.randint(0, 2),
                effective_at=start,
                expire_at=expiry,
            )
        )
    for i in range(rng.randint(0, 5)):
        with contextlib.suppress(EmulatorError):  # refused for lack of credits: part of the case
            credits.consume(customer, CUR, float(rng.randint(1, 25)), f"{customer}-{i}")
    if rng.random() < 0.2:
        credits.void_grant(rng.choice(grants).id)


@pytest.mark.parametrize("seed", range(8))
async def test_local_credit_checks_equal_the_servers_answers(
    api: Api, stigg_emulator: Emulator, seed: int
) -> None:
    """For generated balances, pending and requested amounts: the same grant/deny as the API."""
    rng = random.Random(seed)
    compared = exact = 0
    for case in range(25):
        customer = f"customer-{seed}-{case}"
        _build(stigg_emulator, rng, customer)
        snapshot = await api.snapshot(customer)
        assert snapshot is not None
        now = stigg_emulator.state.now()
        for _ in range(4):
            pending = float(rng.choice([0, 0, rng.randint(0, 20)]))
            requested = float(rng.randint(0, 30))
            local = decide_credit(snapshot, pending, requested, now)
            server = await api.server(customer, pending + requested)
            assert (local.is_granted, local.access_denied_reason) == (
                server["isGranted"],
                server["accessDeniedReason"],
            ), (customer, snapshot, pending, requested)
            exact += 1
        # Time moves on without a refresh: grants expire or start. The local answer may
        # become conservative, but it never grants what the server refuses.
        stigg_emulator.advance_time(rng.uniform(0, 40 * 3600))
        later = stigg_emulator.state.now()
        for _ in range(3):
            requested = float(rng.randint(0, 30))
            local = decide_credit(snapshot, 0.0, requested, later)
            server = await api.server(customer, requested)
            if local.is_granted:
                assert server["isGranted"], (customer, snapshot, requested, later)
            if snapshot.valid_until is None or later < snapshot.valid_until:
                became_effective = any(
                    g.effective_at > now and g.effective_at <= later
                    for g in stigg_emulator.state.credits.grants_of(customer, None, CUR)
                )
                if not became_effective:
                    assert local.is_granted == server["isGranted"]
            compared += 1
    assert exact == 100
    assert compared == 75


async def test_customer_level_denial_comes_through_entitlement_v2(
    api: Api, stigg_emulator: Emulator
) -> None:
    """Without a subscription the server denies the currency; the local check agrees."""
    stigg_emulator.state.provision_customer("c-free")
    stigg_emulator.state.credits.create_grant("c-free", CUR, 10)
    raw = await api.server("c-free", 1)
    ent = parse_credit_entitlement(raw)
    assert ent.access_denied_reason is AccessDeniedReason.NO_ACTIVE_SUBSCRIPTION
    decision = decide_credit(ent, 0, 0, stigg_emulator.state.now())
    assert (decision.is_granted, decision.access_denied_reason) == (
        False,
        AccessDeniedReason.NO_ACTIVE_SUBSCRIPTION,
    )
    assert await api.snapshot("c-free") is None  # entitlementsV2 is empty under a denial


def test_soft_limit_grants_past_the_balance() -> None:
    """has_soft_limit grants whatever is requested, reporting the (negative) balance."""
    ent = CachedCreditEntitlement(CUR, usage_limit=10, current_usage=9, has_soft_limit=True)
    decision = decide_credit(ent, pending=5, requested=100, now=NOW)
    assert (decision.is_granted, decision.balance) == (True, -4.0)


def test_pending_consumption_counts_against_the_balance() -> None:
    """Unacknowledged consumption is subtracted before the request is judged."""
    ent = CachedCreditEntitlement(CUR, is_granted=True, usage_limit=10, current_usage=4)
    assert decide_credit(ent, pending=0, requested=6, now=NOW).is_granted
    assert not decide_credit(ent, pending=1, requested=6, now=NOW).is_granted


def test_a_new_usage_period_starts_from_zero() -> None:
    """Past usage_period_end the consumed credits no longer count."""
    ent = CachedCreditEntitlement(
        CUR, usage_limit=10, current_usage=10, usage_period_end=NOW - timedelta(seconds=1)
    )
    assert decide_credit(ent, pending=0, requested=10, now=NOW).is_granted
    assert not decide_credit(ent, pending=0, requested=1, now=NOW - timedelta(seconds=2)).is_granted


def test_past_valid_until_nothing_is_spent_until_a_refresh() -> None:
    """After the first credits expire the check is conservative: only zero is granted."""
    ent = CachedCreditEntitlement(CUR, usage_limit=10, current_usage=0, valid_until=NOW)
    assert not decide_credit(ent, pending=0, requested=1, now=NOW).is_granted
    assert decide_credit(ent, pending=0, requested=0, now=NOW).is_granted
    assert decide_credit(ent, pending=0, requested=10, now=NOW - timedelta(seconds=1)).is_granted


def test_a_standing_denial_wins_over_the_balance() -> None:
    """A server denial other than the amount judgement denies with that reason."""
    ent = CachedCreditEntitlement(
        CUR, usage_limit=10, access_denied_reason=AccessDeniedReason.CUSTOMER_IS_ARCHIVED
    )
    decision = decide_credit(ent, pending=0, requested=0, now=NOW)
    assert decision.access_denied_reason is AccessDeniedReason.CUSTOMER_IS_ARCHIVED


def test_parse_rejects_a_shape_that_is_not_the_fragment() -> None:
    """A missing currency or a text limit is a StiggResponseError; unknown reasons read Unknown."""
    with pytest.raises(StiggResponseError):
        parse_credit_entitlement({"isGranted": True})
    with pytest.raises(StiggResponseError):
        parse_credit_entitlement({"currency": {"currencyId": CUR}, "usageLimit": "10"})
    odd = parse_credit_entitlement(
        {
            "currency": {"currencyId": CUR},
            "accessDeniedReason": "SomethingNew",
            "validUntil": "2026-02-01T00:00:00.000Z",
        }
    )
    assert odd.access_denied_reason is AccessDeniedReason.UNKNOWN
    assert odd.valid_until == datetime(2026, 2, 1, tzinfo=timezone.utc)
