"""The new facade methods: the exact variables they send, how they parse, what they refresh."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from stigg_async import AsyncStigg, StiggValidationError
from stigg_async._errors import StiggResponseError
from tests.support.facade import CacheSpy, make_client
from tests.support.recording_server import RecordingServer

MONEY = {"amount": 30, "currency": "USD"}
SUB = {
    "id": "e09b03a6",
    "refId": "sub-1",
    "subscriptionId": "sub-1",
    "status": "ACTIVE",
    "plan": {"id": "p", "refId": "plan-revvenu-basic", "displayName": "Basic"},
    "customer": {"id": "u2", "refId": "user", "customerId": "user"},
    "resource": {"resourceId": "site-2"},
    "addons": [],
    "prices": [],
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


def _page(nodes: list[dict[str, Any]], *, more: bool, cursor: str) -> dict[str, Any]:
    return {
        "edges": [{"cursor": f"{cursor}-{i}", "node": n} for i, n in enumerate(nodes)],
        "pageInfo": {"hasNextPage": more, "endCursor": cursor},
        "totalCount": 3,
    }


async def test_get_paywall_sends_the_paywall_input(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """Keyword arguments become the camelCase GetPaywallInput; the answer parses."""
    client, _ = api
    server.data(
        {
            "paywall": {
                "currency": {"code": "USD", "symbol": "$"},
                "plans": [{"refId": "plan-revvenu-basic", "prices": [], "compatibleAddons": []}],
                "activeSubscriptions": [SUB],
                "paywallCalculatedPricePoints": [
                    {
                        "planId": "plan-revvenu-basic",
                        "billingPeriod": "MONTHLY",
                        "amount": 0,
                        "currency": "USD",
                    }
                ],
            }
        }
    )
    paywall = await client.get_paywall(
        customer_id="c-1",
        resource_id="site-1",
        product_id="product-revvenu",
        billing_country_code="DK",
        include_hidden_plans=True,
    )
    assert server.received[0].operation_name == "GetPaywall"
    assert server.received[0].variables == {
        "input": {
            "customerId": "c-1",
            "resourceId": "site-1",
            "productId": "product-revvenu",
            "billingCountryCode": "DK",
            "includeHiddenPlans": True,
        }
    }
    assert paywall.is_current("plan-revvenu-basic")
    assert paywall.paywall_calculated_price_points[0].amount == 0.0


async def test_get_subscriptions_sends_filter_sorting_and_paging(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """The filter and sorting are validated models sent in camelCase, with paging."""
    client, _ = api
    server.data({"subscriptions": _page([SUB], more=False, cursor="c1")})
    page = await client.get_subscriptions(
        filter={"customer_id": {"eq": "c-1"}, "status": {"in": ["ACTIVE", "IN_TRIAL"]}},
        sorting=[{"field": "createdAt", "direction": "DESC"}],
        first=25,
        after="c0",
    )
    assert server.received[0].variables == {
        "filter": {"customerId": {"eq": "c-1"}, "status": {"in": ["ACTIVE", "IN_TRIAL"]}},
        "sorting": [{"field": "createdAt", "direction": "DESC"}],
        "paging": {"first": 25, "after": "c0"},
    }
    assert [s.ref_id for s in page.items] == ["sub-1"]


async def test_unknown_filter_field_is_rejected_before_sending(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """A misspelt filter field or an unknown sort field is a StiggValidationError."""
    client, _ = api
    with pytest.raises(StiggValidationError) as info:
        await client.get_subscriptions(filter={"custmer_id": {"eq": "c"}})
    assert info.value.field == "custmer_id"
    with pytest.raises(StiggValidationError):
        await client.get_subscriptions(sorting=[{"field": "color", "direction": "ASC"}])
    assert server.received == []


async def test_iter_subscriptions_passes_each_end_cursor_on(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """The iterator asks for page_size items after each page's end cursor until the last."""
    client, _ = api
    server.data({"subscriptions": _page([SUB, SUB], more=True, cursor="p1")})
    server.data({"subscriptions": _page([SUB], more=False, cursor="p2")})
    items = [s async for s in client.iter_subscriptions(page_size=2)]
    assert len(items) == 3
    assert [r.variables["paging"] for r in server.received] == [
        {"first": 2},
        {"first": 2, "after": "p1"},
    ]


async def test_iterator_stops_when_the_server_repeats_a_cursor(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """A server that answers the same cursor again cannot make the iterator loop forever."""
    client, _ = api
    for _ in range(3):
        server.data({"products": _page([{"refId": "product-revvenu"}], more=True, cursor="same")})
    items = [p async for p in client.iter_products(page_size=1)]
    assert len(items) == 2
    assert len(server.received) == 2


async def test_preview_and_next_invoice_variables_and_parsing(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """previewSubscription and previewNextInvoice send their inputs and parse both shapes."""
    client, _ = api
    invoice = {"subTotal": MONEY, "total": MONEY, "totalExcludingTax": MONEY}
    server.data(
        {
            "previewSubscription": {
                "immediateInvoice": {**invoice, "proration": None},
                "recurringInvoice": invoice,
                "billingPeriodRange": {"start": "2024-01-01T00:00:00.000Z"},
                "isPlanDowngrade": False,
            }
        }
    )
    server.data(
        {
            "previewNextInvoice": {
                **invoice,
                "amountDue": MONEY,
                "lastUpdatedAt": "2024-01-01T00:00:00.000Z",
                "lines": [{"type": "SomeNewLineType", "description": "x", "amount": MONEY}],
            }
        }
    )
    preview = await client.preview_subscription(
        customer_id="c-1", plan_id="plan-revvenu-essentials", unit_quantity=5
    )
    nxt = await client.preview_next_invoice("sub-1")
    assert [r.variables for r in server.received] == [
        {"input": {"customerId": "c-1", "planId": "plan-revvenu-essentials", "unitQuantity": 5.0}},
        {"input": {"subscriptionId": "sub-1"}},
    ]
    assert preview.immediate_invoice.total.amount == 30.0
    # An enum value added to the API later survives as a plain string.
    assert nxt.lines[0].type == "SomeNewLineType"


async def test_apply_and_transfers_refresh_the_affected_customer(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """apply, transfer and transfer-to-resource refresh the customer they changed."""
    client, spy = api
    server.data({"applySubscription": {"subscription": SUB, "entitlements": []}})
    server.data({"transferSubscription": SUB})
    server.data({"transferSubscriptionToResource": SUB})
    await client.apply_subscription(
        customer_id="c-1", plan_id="plan-revvenu-growth", payment_method_id="pm_card_visa"
    )
    await client.transfer_subscription(
        "c-1", source_resource_id="site-1", destination_resource_id="site-2"
    )
    moved = await client.transfer_subscription_to_resource(
        "sub-1", destination_resource_id="site-2"
    )
    assert [r.variables["input"] for r in server.received] == [
        {
            "customerId": "c-1",
            "planId": "plan-revvenu-growth",
            "paymentMethodId": "pm_card_visa",
        },
        {"customerId": "c-1", "sourceResourceId": "site-1", "destinationResourceId": "site-2"},
        {"subscriptionId": "sub-1", "destinationResourceId": "site-2"},
    ]
    assert spy.refreshed == ["c-1", "c-1", "user"]
    assert moved.resource is not None
    assert moved.resource.resource_id == "site-2"


async def test_delegation_refreshes_both_customers(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """The destination gains entitlements and the payer loses them: both are refreshed."""
    client, spy = api
    server.data(
        {
            "delegateSubscriptionToCustomer": {
                **SUB,
                "payingCustomer": {"id": "u1", "refId": "payer", "customerId": "payer"},
            }
        }
    )
    sub = await client.delegate_subscription_to_customer("sub-1", destination_customer_id="user")
    assert server.received[0].variables == {
        "input": {"subscriptionId": "sub-1", "destinationCustomerId": "user"}
    }
    assert sub.paying_customer is not None
    assert sub.paying_customer.customer_id == "payer"
    assert spy.refreshed == ["user", "payer"]


async def test_cancel_schedule_sends_the_status_and_returns_the_string(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """cancelSchedule answers a String; anything else is a response error."""
    client, spy = api
    server.data({"cancelSchedule": "sub-1"})
    server.data({"cancelSchedule": {"unexpected": True}})
    assert await client.cancel_schedule("sub-1", status="Scheduled") == "sub-1"
    assert server.received[0].variables == {
        "input": {"subscriptionId": "sub-1", "status": "Scheduled"}
    }
    with pytest.raises(StiggResponseError):
        await client.cancel_schedule("sub-1")
    assert spy.refreshed == []  # a cancelled schedule never took effect


async def test_sdk_configuration_and_mock_paywall_parse(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """sdkConfiguration takes no variables; mockPaywall sends GetPaywallInput."""
    client, _ = api
    server.data({"sdkConfiguration": {"isWidgetWatermarkEnabled": True, "sentryDsn": None}})
    server.data({"mockPaywall": {"plans": [{"refId": "plan-a", "prices": []}]}})
    config = await client.get_sdk_configuration()
    mock = await client.get_mock_paywall(product_id="product-revvenu")
    assert server.received[0].variables == {}
    assert server.received[1].variables == {"input": {"productId": "product-revvenu"}}
    assert config.is_widget_watermark_enabled is True
    assert [p.ref_id for p in mock.plans] == ["plan-a"]
