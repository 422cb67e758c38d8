"""Administration and usage-history facade methods: exact variables, parsing, refreshes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Any

import pytest

from stigg_async import AsyncStigg, StiggConnectionError, StiggValidationError
from stigg_async._models import PricingType, UsageMarkerType
from tests.support.facade import CacheSpy, make_client
from tests.support.recording_server import RecordingServer, Reply

CUSTOMER = {
    "id": "4168b1ed",
    "refId": "c-1",
    "customerId": "c-1",
    "createdAt": "2023-11-20T22:39:19.840Z",
    "updatedAt": "2023-11-20T22:39:19.840Z",
    "hasPaymentMethod": False,
    "deletedAt": "2023-11-21T00:00:00.000Z",
}
PROMO = {
    "id": "p-1",
    "status": "Active",
    "period": "ONE_MONTH",
    "isVisible": True,
    "startDate": "2023-11-21T00:00:00.000Z",
    "featureGroupIds": ["group-pro"],
    "feature": {"refId": "feature-04-analytics"},
}
COUPON = {
    "id": "9a1",
    "refId": "coupon-spring",
    "name": "Spring",
    "type": "PERCENTAGE",
    "status": "ACTIVE",
    "source": "STIGG",
    "discountValue": 20,
    "percentOff": 20,
    "createdAt": "2023-11-21T00:00:00.000Z",
    "updatedAt": "2023-11-21T00:00:00.000Z",
}
START = datetime(2026, 1, 1, tzinfo=timezone.utc)


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


async def test_archive_and_unarchive_send_the_customer_and_refresh_it(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """archiveCustomer / unarchiveCustomer take the id; the cache refetches the customer."""
    client, spy = api
    server.data({"archiveCustomer": CUSTOMER})
    server.data({"unarchiveCustomer": {**CUSTOMER, "deletedAt": None}})
    archived = await client.archive_customer("c-1")
    restored = await client.unarchive_customer("c-1")
    assert [r.operation_name for r in server.received] == ["ArchiveCustomer", "UnarchiveCustomer"]
    assert server.received[0].variables == {"input": {"customerId": "c-1"}}
    assert archived.is_archived
    assert not restored.is_archived
    assert spy.refreshed == ["c-1", "c-1"]


async def test_detach_after_an_ambiguous_failure_returns_the_customer_as_it_is(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """A dropped first attempt then 'nothing to remove' means the first one landed."""
    client, spy = api
    server.reply(
        Reply(drop=True),
        Reply(
            body={
                "errors": [
                    {
                        "message": "no payment method",
                        "extensions": {"code": "CannotRemovePaymentMethodFromCustomerError"},
                    }
                ]
            }
        ),
    )
    server.data({"getCustomerByRefId": {**CUSTOMER, "deletedAt": None}})
    customer = await client.detach_customer_payment_method("c-1")
    assert [r.operation_name for r in server.received] == [
        "DetachCustomerPaymentMethod",
        "DetachCustomerPaymentMethod",
        "GetCustomerByRefId",
    ]
    assert customer.ref_id == "c-1"
    assert spy.refreshed == []


async def test_customer_portal_sends_the_scope_and_parses_the_portal(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """customerPortal input carries customer, product and resource."""
    client, _ = api
    server.data(
        {
            "customerPortal": {
                "billingPortalUrl": "https://billing.test/p/1",
                "canUpgradeSubscription": False,
                "showWatermark": False,
                "billingInformation": {"email": "a@b.test", "defaultPaymentMethodType": "CARD"},
                "subscriptions": [
                    {
                        "subscriptionId": "s-1",
                        "planId": "plan-revvenu-growth",
                        "planName": "Growth",
                        "pricingType": "PAID",
                        "status": "ACTIVE",
                        "pricing": {
                            "pricingType": "PAID",
                            "price": {"amount": 49, "currency": "USD"},
                        },
                        "addons": [{"addonId": "a-1", "displayName": "A", "quantity": 2}],
                    }
                ],
                "promotionalEntitlements": [],
                "entitlements": [],
            }
        }
    )
    portal = await client.get_customer_portal("c-1", product_id="product-revvenu")
    assert server.received[0].variables == {
        "input": {"customerId": "c-1", "productId": "product-revvenu"}
    }
    (sub,) = portal.subscriptions
    assert sub.pricing is not None
    assert sub.pricing.price is not None
    assert sub.pricing.price.amount == 49
    assert sub.addons[0].quantity == 2
    assert portal.billing_portal_url == "https://billing.test/p/1"


async def test_import_one_customer_maps_fields_and_recovers_a_duplicate(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """Keyword fields go out camelCase; a duplicate after a drop returns the customer."""
    client, spy = api
    server.reply(
        Reply(drop=True),
        Reply(
            body={
                "errors": [{"message": "dup", "extensions": {"code": "DuplicatedEntityNotAllowed"}}]
            }
        ),
    )
    server.data({"getCustomerByRefId": CUSTOMER})
    customer = await client.import_one_customer(
        customer_id="c-1", billing_id="cus_1", payment_method_id="pm_1", updated_at=START
    )
    assert server.received[0].variables == {
        "input": {
            "customerId": "c-1",
            "billingId": "cus_1",
            "paymentMethodId": "pm_1",
            "updatedAt": "2026-01-01T00:00:00Z",
        }
    }
    assert customer.ref_id == "c-1"
    assert spy.refreshed == ["c-1"]


async def test_bulk_imports_are_sent_once_and_return_the_task(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """Bulk imports are not retried; subscriptions refresh every customer they name."""
    client, spy = api
    server.reply(Reply(drop=True))
    with pytest.raises(StiggConnectionError):
        await client.import_customers_bulk([{"customer_id": "c-1"}])
    assert len(server.received) == 1
    server.data({"importSubscriptionsBulk": "import-subscriptions-1"})
    task = await client.import_subscriptions_bulk(
        [
            {"customer_id": "c-1", "plan_id": "plan-revvenu-basic"},
            {"customer_id": "c-2", "plan_id": "plan-revvenu-basic", "billing_period": "ANNUALLY"},
            {"customer_id": "c-1", "plan_id": "plan-revvenu-growth"},
        ],
        integration_id="stripe-1",
    )
    assert task == "import-subscriptions-1"
    assert server.received[1].variables == {
        "input": {
            "subscriptions": [
                {"customerId": "c-1", "planId": "plan-revvenu-basic"},
                {"customerId": "c-2", "planId": "plan-revvenu-basic", "billingPeriod": "ANNUALLY"},
                {"customerId": "c-1", "planId": "plan-revvenu-growth"},
            ],
            "integrationId": "stripe-1",
        }
    }
    assert spy.refreshed == ["c-1", "c-2"]


async def test_bulk_import_names_the_bad_item(api: tuple[AsyncStigg, CacheSpy]) -> None:
    """A bad item is refused locally with its index in the field path."""
    client, _ = api
    with pytest.raises(StiggValidationError) as err:
        await client.import_subscriptions_bulk(
            [{"customer_id": "c-1", "plan_id": "p"}, {"customer_id": "c-2"}]
        )
    assert err.value.field is not None
    assert err.value.field.startswith("subscriptions[1]")


async def test_promotion_group_methods_send_the_group(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """grant / revoke / unlink carry customer and group; grants parse with their groups."""
    client, spy = api
    server.data({"grantPromotionalEntitlementsGroup": [PROMO]})
    server.data({"revokePromotionalEntitlementsGroup": [PROMO]})
    server.data({"unlinkPromotionalEntitlementsGroup": [{**PROMO, "featureGroupIds": []}]})
    granted = await client.grant_promotional_entitlements_group(
        "c-1", "group-pro", [{"feature_id": "feature-04-analytics", "period": "ONE_MONTH"}]
    )
    await client.revoke_promotional_entitlements_group("c-1", "group-pro")
    unlinked = await client.unlink_promotional_entitlements_group("c-1", "group-pro")
    assert server.received[0].variables == {
        "input": {
            "customerId": "c-1",
            "featureGroupId": "group-pro",
            "promotionalEntitlements": [
                {"featureId": "feature-04-analytics", "period": "ONE_MONTH"}
            ],
        }
    }
    assert server.received[2].variables == {
        "input": {"customerId": "c-1", "featureGroupId": "group-pro"}
    }
    assert granted[0].feature_group_ids == ("group-pro",)
    assert unlinked[0].feature_group_ids == ()
    assert spy.refreshed == ["c-1", "c-1"]  # unlinking changes no entitlement


async def test_create_coupon_infers_the_type_and_recovers_a_duplicate(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """A percentage coupon goes out as PERCENTAGE; a duplicate after a drop is fetched."""
    client, _ = api
    server.reply(
        Reply(drop=True),
        Reply(
            body={
                "errors": [{"message": "dup", "extensions": {"code": "DuplicatedEntityNotAllowed"}}]
            }
        ),
    )
    server.data({"coupons": {"edges": [{"node": COUPON, "cursor": "a"}], "pageInfo": {}}})
    coupon = await client.create_coupon(ref_id="coupon-spring", name="Spring", percent_off=20)
    assert server.received[0].variables == {
        "input": {
            "refId": "coupon-spring",
            "name": "Spring",
            "percentOff": 20.0,
            "type": "PERCENTAGE",
        }
    }
    assert server.received[2].variables["filter"] == {"refId": {"eq": "coupon-spring"}}
    assert coupon.ref_id == "coupon-spring"


async def test_payment_session_and_checkout_state(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """createPaymentSession answers a token; checkoutState the page's data."""
    client, _ = api
    server.data({"createPaymentSession": {"token": "seti_1"}})
    server.data(
        {
            "checkoutState": {
                "setupSecret": "seti_1",
                "customer": CUSTOMER,
                "plan": {"id": "p", "refId": "plan-revvenu-growth"},
                "activeSubscription": None,
                "billingIntegration": {
                    "billingIdentifier": "STRIPE",
                    "credentials": {"accountId": "acct_1", "publicKey": "pk_1"},
                },
            }
        }
    )
    session = await client.create_payment_session(
        "c-1", "plan-revvenu-growth", billing_country_code="DK"
    )
    state = await client.get_checkout_state("c-1", "plan-revvenu-growth", resource_id="site-1")
    assert server.received[0].variables == {
        "input": {"customerId": "c-1", "planId": "plan-revvenu-growth", "billingCountryCode": "DK"}
    }
    assert server.received[1].variables == {
        "input": {"customerId": "c-1", "planId": "plan-revvenu-growth", "resourceId": "site-1"}
    }
    assert session.token == state.setup_secret
    assert state.billing_integration.credentials.public_key == "pk_1"


async def test_usage_history_variables_and_parsing(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """usageHistory is sent as $usageHistoryInput with ref ids; v2 pages its series."""
    client, _ = api
    point = {"date": "2026-01-01T00:00:00Z", "value": 3, "isResetPoint": False}
    marker = {"timestamp": "2026-02-01T00:00:00Z", "type": "PERIODIC_RESET"}
    server.data(
        {
            "usageHistory": {
                "startDate": "2026-01-01T00:00:00Z",
                "usageMeasurements": [point],
                "markers": [marker],
            }
        }
    )
    server.data(
        {
            "usageHistoryV2": {
                "series": [{"tags": [{"key": "region", "value": "eu"}], "points": []}],
                "markers": [{**marker, "type": "SOMETHING_NEW"}],
                "pageInfo": {"hasNextPage": True, "endCursor": "s1"},
            }
        }
    )
    history = await client.get_usage_history(
        "c-1", "feature-02-campaigns", start_date=START, resource_id="site-1"
    )
    page = await client.get_usage_history_v2(
        "c-1", "feature-07-active-users", start_date=START, group_by=["region"], first=1
    )
    assert server.received[0].variables == {
        "usageHistoryInput": {
            "customerRefId": "c-1",
            "featureRefId": "feature-02-campaigns",
            "resourceRefId": "site-1",
            "startDate": "2026-01-01T00:00:00Z",
        }
    }
    assert server.received[1].variables == {
        "input": {
            "customerId": "c-1",
            "featureId": "feature-07-active-users",
            "startDate": "2026-01-01T00:00:00Z",
            "groupBy": ["region"],
            "paging": {"first": 1},
        }
    }
    assert history.usage_measurements[0].value == 3
    assert history.markers[0].type is UsageMarkerType.PERIODIC_RESET
    assert page.markers[0].type == "SOMETHING_NEW"
    assert (page.has_next_page, page.end_cursor) == (True, "s1")


async def test_get_customer_parses_statistics(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """The customer's statistics come with get_customer."""
    client, _ = api
    stats: dict[str, Any] = {
        "activeSubscriptionsByPricingType": [{"pricingType": "PAID", "totalCount": 2}]
    }
    server.data({"getCustomerByRefId": {**CUSTOMER, "statistics": stats}})
    customer = await client.get_customer("c-1")
    assert customer is not None
    assert customer.statistics is not None
    assert customer.statistics.active_subscriptions(PricingType.PAID) == 2
    assert "statistics" in server.received[0].query


async def test_report_entitlement_check_is_sent_once(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """The check goes out under $entitlementCheckRequested and is never retried."""
    client, _ = api
    server.reply(Reply(drop=True))
    with pytest.raises(StiggConnectionError):
        await client.report_entitlement_check("c-1", "f", {"has_access": True})
    assert len(server.received) == 1
    assert server.received[0].variables == {
        "entitlementCheckRequested": {
            "customerId": "c-1",
            "featureId": "f",
            "entitlementCheckResult": {"hasAccess": True},
        }
    }


@pytest.mark.parametrize(
    ("operation", "variables"),
    [
        ("ArchiveCustomer", {"input": {"customerId": "c-1"}}),
        ("UnarchiveCustomer", {"input": {"customerId": "c-1"}}),
        ("ImportOneCustomer", {"input": {"customerId": "c-1", "email": "a@b.test"}}),
        (
            "GrantPromotionalEntitlementsGroup",
            {"input": {"customerId": "c-1", "featureGroupId": "g", "promotionalEntitlements": []}},
        ),
        (
            "RevokePromotionalEntitlementsGroup",
            {"input": {"customerId": "c-1", "featureGroupId": "g"}},
        ),
    ],
)
def test_listed_operations_name_their_customer(operation: str, variables: dict[str, Any]) -> None:
    """Each operation that changes entitlements is listed and its customer is found."""
    from stigg_async._refreshes import REFRESHES_ENTITLEMENTS, affected_customer

    assert operation in REFRESHES_ENTITLEMENTS
    assert affected_customer(variables, None) == "c-1"
