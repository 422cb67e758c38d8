"""The credit facade methods: exact variables sent, answers parsed, keys, retries, validation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Any

import pytest

from stigg_async import AsyncStigg, StiggValidationError
from stigg_async._models import (
    CreditEntitlement,
    CreditGrantStatus,
    CreditGrantType,
    CreditLedgerEventType,
    FeatureEntitlement,
)
from tests.support.facade import CacheSpy, make_client
from tests.support.recording_server import RecordingServer, Reply

CUR = "currency-ai-credits"
GRANT = {
    "id": "0b7e7c6e-0000-4000-8000-000000000001",
    "grantId": "0b7e7c6e-0000-4000-8000-000000000001",
    "customerId": "customer-1",
    "currencyId": CUR,
    "amount": 100,
    "consumedAmount": 30,
    "grantType": "PAID",
    "status": "ACTIVE",
    "displayName": "Starter pack",
    "priority": 1,
    "effectiveAt": "2026-01-01T00:00:00.000Z",
    "expireAt": None,
    "createdAt": "2026-01-01T00:00:00.000Z",
    "updatedAt": "2026-01-01T00:00:00.000Z",
    "paymentCollection": "NOT_REQUIRED",
    "cost": {"amount": 1, "currency": "USD"},
}
CONSUMED = {
    "amount": 2,
    "currencyId": CUR,
    "customerId": "customer-1",
    "resourceId": None,
    "timestamp": "2026-01-01T00:00:00.000Z",
    "credit": {"currencyId": CUR, "currentUsage": 32, "usageLimit": 100, "timestamp": None},
}


@pytest.fixture
async def server() -> AsyncIterator[RecordingServer]:
    srv = await RecordingServer().start()
    yield srv
    await srv.stop()


@pytest.fixture
async def api(server: RecordingServer) -> AsyncIterator[tuple[AsyncStigg, CacheSpy]]:
    client, spy = make_client(server.url)
    async with client:
        yield client, spy


def _page(nodes: list[dict[str, Any]], *, end: str | None, more: bool) -> dict[str, Any]:
    return {
        "edges": [{"cursor": f"c{i}", "node": n} for i, n in enumerate(nodes)],
        "pageInfo": {"hasNextPage": more, "endCursor": end},
        "totalCount": 3,
    }


async def test_consume_credits_mints_one_key_and_reuses_it_on_retry(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """The key is minted before the first attempt; the retry after a 503 sends the same one."""
    client, spy = api
    server.reply(Reply(status=503, body={"errors": [{"message": "busy"}]}))
    server.data({"consumeCredits": CONSUMED})
    ack = await client.consume_credits(customer_id="customer-1", currency_id=CUR, amount=2)
    first, second = (r.variables["input"] for r in server.received)
    assert first == second
    assert first == {
        "customerId": "customer-1",
        "currencyId": CUR,
        "amount": 2.0,
        "idempotencyKey": first["idempotencyKey"],
    }
    assert len(first["idempotencyKey"]) == 32
    assert ack.credit is not None
    assert (ack.amount, ack.credit.balance) == (2.0, 68.0)
    assert spy.refreshed == []  # the answer carries the balance; no refetch per consumption


async def test_consume_credits_sends_the_callers_key(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """A key the caller passes wins, as keyword or inside a mapping."""
    client, _ = api
    server.data({"consumeCredits": CONSUMED})
    server.data({"consumeCredits": CONSUMED})
    await client.consume_credits(
        customer_id="customer-1", currency_id=CUR, amount=2, idempotency_key="mine-1"
    )
    await client.consume_credits(
        {"customer_id": "customer-1", "currency_id": CUR, "amount": 2, "idempotencyKey": "mine-2"}
    )
    assert [r.variables["input"]["idempotencyKey"] for r in server.received] == [
        "mine-1",
        "mine-2",
    ]


async def test_two_consume_calls_get_two_keys(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """Each logical call mints its own key, so two equal consumptions both count."""
    client, _ = api
    server.data({"consumeCredits": CONSUMED})
    server.data({"consumeCredits": CONSUMED})
    for _ in range(2):
        await client.consume_credits({"customer_id": "customer-1", "currency_id": CUR, "amount": 2})
    keys = {r.variables["input"]["idempotencyKey"] for r in server.received}
    assert len(keys) == 2


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"amount": 0}, "amount"),
        ({"amount": -1}, "amount"),
        ({"amount": float("nan")}, "amount"),
        ({"amount": "2"}, "amount"),
        ({"amount": 1, "currency_id": ""}, "currency_id"),
    ],
)
async def test_consume_credits_rejects_bad_input_before_sending(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer, kwargs: dict[str, Any], field: str
) -> None:
    """A non-positive or non-numeric amount or an empty id is a StiggValidationError."""
    client, _ = api
    arguments = {"customer_id": "customer-1", "currency_id": CUR, **kwargs}
    with pytest.raises(StiggValidationError) as caught:
        await client.consume_credits(**arguments)
    assert caught.value.field == field
    assert server.received == []


async def test_create_credit_grant_is_sent_once_and_refreshes_the_customer(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """No idempotency key exists for grants: a 503 is not retried (it might have landed)."""
    client, spy = api
    server.reply(Reply(status=503, body={"errors": [{"message": "busy"}]}))
    with pytest.raises(Exception):
        await client.create_credit_grant(
            customer_id="customer-1",
            currency_id=CUR,
            amount=100,
            display_name="Starter pack",
            grant_type="PAID",
        )
    assert len(server.received) == 1
    server.data({"createCreditGrant": GRANT})
    expiry = datetime(2026, 6, 1, tzinfo=timezone.utc)
    grant = await client.create_credit_grant(
        customer_id="customer-1",
        currency_id=CUR,
        amount=100,
        display_name="Starter pack",
        grant_type="PAID",
        priority=1,
        expire_at=expiry,
        cost={"amount": 1, "currency": "USD"},
    )
    assert server.received[1].variables == {
        "input": {
            "customerId": "customer-1",
            "currencyId": CUR,
            "amount": 100.0,
            "displayName": "Starter pack",
            "grantType": "PAID",
            "priority": 1.0,
            "expireAt": "2026-06-01T00:00:00Z",
            "cost": {"amount": 1.0, "currency": "USD"},
        }
    }
    assert (grant.grant_type, grant.status) == (CreditGrantType.PAID, CreditGrantStatus.ACTIVE)
    assert spy.refreshed == ["customer-1"]


async def test_create_credit_grant_rejects_expiry_before_start(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """expire_at at or before effective_at is refused locally."""
    client, _ = api
    when = datetime(2026, 6, 1, tzinfo=timezone.utc)
    with pytest.raises(StiggValidationError, match="expire_at must be later"):
        await client.create_credit_grant(
            customer_id="customer-1",
            currency_id=CUR,
            amount=1,
            display_name="x",
            grant_type="PROMOTIONAL",
            effective_at=when,
            expire_at=when,
        )
    with pytest.raises(StiggValidationError) as caught:
        await client.create_credit_grant(
            customer_id="customer-1", currency_id=CUR, amount=1, display_name="x", grant_type="FREE"
        )
    assert caught.value.field == "grant_type"
    assert server.received == []


async def test_void_credit_grant_sends_the_id_and_refreshes(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """void_credit_grant sends {id} and parses the voided grant."""
    client, spy = api
    server.data({"voidCreditGrant": {**GRANT, "customerId": "customer-9", "status": "VOIDED"}})
    grant = await client.void_credit_grant(GRANT["id"])
    assert server.received[0].variables == {"input": {"id": GRANT["id"]}}
    assert grant.status is CreditGrantStatus.VOIDED
    assert spy.refreshed == ["customer-9"]


async def test_iter_credit_grants_follows_the_cursors(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """Pages are requested with the previous endCursor until hasNextPage is false."""
    client, _ = api
    server.data({"creditGrants": _page([GRANT, {**GRANT, "id": "g-2"}], end="c1", more=True)})
    server.data({"creditGrants": _page([{**GRANT, "id": "g-3"}], end="c2", more=False)})
    ids = [g.id async for g in client.iter_credit_grants("customer-1", page_size=2)]
    assert ids == [GRANT["id"], "g-2", "g-3"]
    assert [r.variables["input"].get("paging") for r in server.received] == [
        {"first": 2},
        {"first": 2, "after": "c1"},
    ]


async def test_iter_credits_ledger_filters_by_kind_and_pages(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """Event kinds go out as eventType; entries parse with signed amounts."""
    client, _ = api
    entry = {
        "amount": -2,
        "eventType": "CREDITS_CONSUMED",
        "creditGrantId": "g-1",
        "creditCurrencyId": CUR,
        "customerId": "customer-1",
        "timestamp": "2026-01-01T00:00:00.000Z",
    }
    server.data({"creditsLedger": _page([entry], end="c0", more=False)})
    entries = [
        e
        async for e in client.iter_credits_ledger(
            "customer-1", currency_id=CUR, event_types=["CREDITS_CONSUMED"]
        )
    ]
    assert server.received[0].variables == {
        "input": {
            "customerId": "customer-1",
            "currencyId": CUR,
            "eventType": ["CREDITS_CONSUMED"],
            "paging": {"first": 50},
        }
    }
    assert [(e.event_type, e.amount) for e in entries] == [
        (CreditLedgerEventType.CREDITS_CONSUMED, -2.0)
    ]


async def test_page_size_must_be_a_positive_integer(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """A zero page size is refused before any request."""
    client, _ = api
    with pytest.raises(StiggValidationError):
        async for _ in client.iter_credit_grants("customer-1", page_size=0):
            pass
    assert server.received == []


async def test_fetch_entitlement_v2_parses_either_union_member(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """A currency query answers a CreditEntitlement; a feature query a FeatureEntitlement."""
    client, _ = api
    server.data(
        {
            "entitlementV2": {
                "__typename": "CreditEntitlement",
                "isGranted": True,
                "usageLimit": 100,
                "currentUsage": 30,
                "currency": {"currencyId": CUR, "displayName": "AI credits"},
            }
        }
    )
    server.data(
        {
            "entitlementV2": {
                "__typename": "FeatureEntitlement",
                "isGranted": True,
                "hasUnlimitedUsage": False,
                "feature": {"refId": "feature-08-ai-generations"},
                "creditRate": {"amount": 2, "currencyId": CUR},
            }
        }
    )
    credit = await client.fetch_entitlement_v2("customer-1", currency_id=CUR, requested_usage=5)
    feature = await client.fetch_entitlement_v2(
        "customer-1", feature_id="feature-08-ai-generations"
    )
    assert server.received[0].variables == {
        "query": {"customerId": "customer-1", "currencyId": CUR, "options": {"requestedUsage": 5.0}}
    }
    assert isinstance(credit, CreditEntitlement)
    assert (credit.currency_id, credit.balance) == (CUR, 70.0)
    assert isinstance(feature, FeatureEntitlement)
    assert feature.credit_rate is not None
    assert feature.credit_rate.amount == 2.0


async def test_fetch_entitlement_v2_needs_exactly_one_target(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """Neither or both of feature_id and currency_id is a validation error."""
    client, _ = api
    with pytest.raises(StiggValidationError, match="exactly one"):
        await client.fetch_entitlement_v2("customer-1")
    with pytest.raises(StiggValidationError, match="exactly one"):
        await client.fetch_entitlement_v2("customer-1", feature_id="f", currency_id=CUR)
    assert server.received == []


async def test_save_auto_recharge_settings_validates_and_sends(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """Enabled settings need a threshold below the target; they go out camelCased."""
    client, spy = api
    with pytest.raises(StiggValidationError) as caught:
        await client.save_auto_recharge_settings(
            customer_id="customer-1",
            currency_id=CUR,
            is_enabled=True,
            threshold_value=50,
            target_balance=50,
        )
    assert caught.value.field == "target_balance"
    with pytest.raises(StiggValidationError, match="required when enabled"):
        await client.save_auto_recharge_settings(
            customer_id="customer-1", currency_id=CUR, is_enabled=True
        )
    assert server.received == []
    server.data(
        {
            "saveAutoRechargeSettings": {
                "customerId": "customer-1",
                "currencyId": CUR,
                "isEnabled": True,
                "thresholdType": "CreditAmount",
                "thresholdValue": 50,
                "targetBalance": 200,
                "grantExpirationPeriod": "OneYear",
                "currentMonthlySpend": 0,
            }
        }
    )
    settings = await client.save_auto_recharge_settings(
        customer_id="customer-1",
        currency_id=CUR,
        is_enabled=True,
        threshold_value=50,
        target_balance=200,
        grant_expiration_period="OneYear",
    )
    assert server.received[0].variables == {
        "input": {
            "customerId": "customer-1",
            "currencyId": CUR,
            "isEnabled": True,
            "thresholdValue": 50.0,
            "targetBalance": 200.0,
            "grantExpirationPeriod": "OneYear",
        }
    }
    assert (settings.is_enabled, settings.target_balance) == (True, 200.0)
    assert spy.refreshed == ["customer-1"]


async def test_consume_credits_async_keys_every_item(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """Each consumption without a key gets its own; the answer is the server's id."""
    client, _ = api
    server.data({"consumeCreditsAsync": "batch-1"})
    answer = await client.consume_credits_async(
        [
            {"customer_id": "customer-1", "currency_id": CUR, "amount": 1},
            {"customer_id": "customer-1", "currency_id": CUR, "amount": 1, "idempotency_key": "k"},
        ]
    )
    items = server.received[0].variables["input"]["consumptions"]
    assert answer == "batch-1"
    assert items[1]["idempotencyKey"] == "k"
    assert len(items[0]["idempotencyKey"]) == 32


async def test_estimates_and_summary_send_their_inputs(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """estimate_usage_cost, estimate_event_cost and the balance summary map to their inputs."""
    client, _ = api
    estimation = {"warnings": [], "estimates": []}
    server.data({"estimateUsageCost": estimation})
    server.data({"estimateEventCost": estimation})
    server.data(
        {
            "creditBalanceSummary": {
                "customerId": "customer-1",
                "balances": [{"currencyId": CUR, "currentBalance": 7}],
            }
        }
    )
    await client.estimate_usage_cost("customer-1", "feature-08-ai-generations", 3)
    await client.estimate_event_cost("customer-1", "image_rendered", dimensions={"images": 2})
    summary = await client.get_credit_balance_summary("customer-1", currency_id=CUR)
    assert [r.variables for r in server.received] == [
        {
            "input": {
                "customerId": "customer-1",
                "featureId": "feature-08-ai-generations",
                "value": 3.0,
            }
        },
        {
            "input": {
                "customerId": "customer-1",
                "eventName": "image_rendered",
                "dimensions": {"images": 2},
            }
        },
        {"input": {"customerId": "customer-1", "currencyId": CUR}},
    ]
    assert summary.balance(CUR) == 7.0
