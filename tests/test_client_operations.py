"""Each facade method: the exact variables it sends and how it parses the answer."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Any

import pytest

from stigg_async import AsyncStigg
from stigg_async._models import (
    AccessDeniedReason,
    BillingPeriod,
    CouponType,
    FeatureType,
    MeterType,
    ProvisionCustomerInput,
    ProvisionSubscriptionStatus,
    ReportUsageInput,
    SubscriptionStatus,
    UsageUpdateBehavior,
)
from tests.support.facade import CacheSpy, make_client
from tests.support.recording_server import RecordingServer


class Minted:
    """Equal to any string id with the given prefix (ids the SDK mints)."""

    def __init__(self, prefix: str = "") -> None:
        self.pattern = re.compile(rf"^{re.escape(prefix)}[0-9a-f]{{32}}$")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and bool(self.pattern.match(other))

    def __repr__(self) -> str:
        return f"Minted({self.pattern.pattern})"

    __hash__ = None  # type: ignore[assignment]


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


SLIM_SUB = {
    "id": "e09b03a6",
    "refId": "subscription-plan-revvenu-basic-tctmtyrvfv",
    "subscriptionId": "subscription-plan-revvenu-basic-tctmtyrvfv",
    "status": "ACTIVE",
    "pricingType": "FREE",
    "paymentCollection": "NOT_REQUIRED",
    "currentBillingPeriodEnd": "2023-12-20T22:39:19.893Z",
    "plan": {"id": "bad48997", "refId": "plan-revvenu-basic", "displayName": "Basic"},
    "customer": {"id": "4168b1ed", "refId": "customer-5162641", "customerId": "customer-5162641"},
    "addons": [],
    "prices": [],
}
CUSTOMER = {
    "id": "4168b1ed",
    "refId": "customer-5162641",
    "customerId": "customer-5162641",
    "name": "Acme",
    "email": "billing@acme.test",
    "createdAt": "2023-11-20T22:39:19.840Z",
    "updatedAt": "2023-11-20T22:39:19.840Z",
    "billingId": None,
    "hasPaymentMethod": False,
    "additionalMetaData": {"key": "value"},
}
USAGE_ACK = {
    "id": "5fc41989-e624-4240-a482-c588b4255791",
    "customerId": "customer-demo-01",
    "featureId": "feature-02-campaigns",
    "resourceId": None,
    "value": 3,
    "currentUsage": 3,
    "timestamp": "2023-11-21T19:36:12.708Z",
    "createdAt": "2023-11-21T19:36:12.708Z",
    "usagePeriodStart": "2023-11-21T00:00:00.000Z",
    "usagePeriodEnd": "2023-12-21T00:00:00.000Z",
    "nextResetDate": "2023-12-21T00:00:00.000Z",
}
PREVIEW = {
    "subTotal": {"amount": 30, "currency": "USD"},
    "total": {"amount": 30, "currency": "USD"},
    "totalExcludingTax": {"amount": 30, "currency": "USD"},
    "minimumSpendAdjustment": {"amount": 0, "currency": "USD"},
    "billingPeriodRange": {"start": "2022-10-26T15:32:57.016Z", "end": "2022-11-26T15:32:57.016Z"},
    "proration": None,
}


async def test_provision_customer_sends_the_input_and_parses_the_guide_response(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """Keyword fields become camelCase input; the result carries customer and subscription."""
    client, spy = api
    server.data(
        {
            "provisionCustomer": {
                "customer": CUSTOMER,
                "subscriptionDecisionStrategy": "REQUESTED_PLAN",
                "subscription": SLIM_SUB,
            }
        }
    )
    result = await client.provision_customer(
        customer_id="customer-5162641",
        name="Acme",
        email="billing@acme.test",
        additional_meta_data={"key": "value"},
        subscription_params={"plan_id": "plan-revvenu-basic"},
    )
    sent = server.received[0]
    assert sent.operation_name == "ProvisionCustomer"
    assert sent.variables == {
        "input": {
            "customerId": "customer-5162641",
            "name": "Acme",
            "email": "billing@acme.test",
            "additionalMetaData": {"key": "value"},
            "subscriptionParams": {
                "planId": "plan-revvenu-basic",
                "subscriptionId": Minted("subscription-"),
            },
        }
    }
    assert result.customer.ref_id == "customer-5162641"
    assert result.customer.created_at == datetime(
        2023, 11, 20, 22, 39, 19, 840000, tzinfo=timezone.utc
    )
    assert result.subscription is not None
    assert result.subscription.status is SubscriptionStatus.ACTIVE
    assert spy.refreshed == ["customer-5162641"]


async def test_provision_customer_without_an_id_mints_one(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """A customer id is chosen client-side so a retry cannot create a second customer."""
    client, _ = api
    server.data(
        {
            "provisionCustomer": {
                "customer": CUSTOMER,
                "subscriptionDecisionStrategy": "REQUESTED_PLAN",
            }
        }
    )
    await client.provision_customer(ProvisionCustomerInput(name="Acme"))
    assert server.received[0].variables["input"] == {
        "name": "Acme",
        "customerId": Minted("customer-"),
    }


async def test_update_customer_sends_only_the_given_fields(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """update_customer maps to updateOneCustomer with the fields that were passed."""
    client, _ = api
    server.data({"updateOneCustomer": {**CUSTOMER, "email": "new@acme.test"}})
    customer = await client.update_customer(customer_id="customer-5162641", email="new@acme.test")
    assert server.received[0].variables == {
        "input": {"customerId": "customer-5162641", "email": "new@acme.test"}
    }
    assert customer.email == "new@acme.test"


async def test_get_customer_returns_none_when_missing(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """A null getCustomerByRefId is None, not an error."""
    client, _ = api
    server.data({"getCustomerByRefId": None})
    assert await client.get_customer("nobody") is None
    assert server.received[0].variables == {"input": {"customerId": "nobody"}}


async def test_get_customer_parses_subscriptions_and_promotions(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """Nested subscriptions and promotional entitlements become typed models."""
    client, _ = api
    promo = {
        "status": "Active",
        "usageLimit": None,
        "featureId": "56141e76",
        "hasUnlimitedUsage": None,
        "resetPeriod": None,
        "endDate": None,
        "isVisible": True,
        "feature": {
            "refId": "feature-03-custom-domain",
            "displayName": "Custom domain",
            "featureType": "BOOLEAN",
            "meterType": "None",
        },
    }
    server.data(
        {
            "getCustomerByRefId": {
                **CUSTOMER,
                "subscriptions": [SLIM_SUB],
                "promotionalEntitlements": [promo],
            }
        }
    )
    customer = await client.get_customer("customer-5162641")
    assert customer is not None
    assert customer.subscriptions[0].plan_id == "plan-revvenu-basic"
    assert customer.promotional_entitlements[0].feature is not None
    assert customer.promotional_entitlements[0].feature.meter_type is MeterType.NONE


async def test_get_customers_sends_filter_and_paging(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """Listing passes the filter through and pages with first/after."""
    client, _ = api
    server.data(
        {
            "customers": {
                "edges": [{"cursor": "c1", "node": CUSTOMER}],
                "pageInfo": {
                    "hasNextPage": True,
                    "hasPreviousPage": False,
                    "startCursor": "c1",
                    "endCursor": "c1",
                },
                "totalCount": 2,
            }
        }
    )
    page = await client.get_customers(
        filter={"email": {"eq": "billing@acme.test"}}, first=1, after="c0"
    )
    assert server.received[0].variables == {
        "filter": {"email": {"eq": "billing@acme.test"}},
        "paging": {"first": 1, "after": "c0"},
    }
    assert [c.ref_id for c in page.items] == ["customer-5162641"]
    assert page.has_next_page is True
    assert page.end_cursor == "c1"


async def test_provision_subscription_success(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """SUCCESS carries the subscription; a subscription id is minted; the cache refreshes."""
    client, spy = api
    server.data(
        {
            "provisionSubscriptionV2": {
                "id": "p-1",
                "status": "SUCCESS",
                "checkoutUrl": None,
                "subscription": SLIM_SUB,
            }
        }
    )
    result = await client.provision_subscription(
        customer_id="customer-demo-01",
        plan_id="plan-revvenu-essentials",
        billing_period=BillingPeriod.MONTHLY,
        resource_id="site-1",
        billable_features=[{"feature_id": "feature-01-templates", "quantity": 2}],
        addons=[{"addon_id": "addon-extra-stuff", "quantity": 5}],
    )
    assert server.received[0].variables == {
        "input": {
            "customerId": "customer-demo-01",
            "planId": "plan-revvenu-essentials",
            "billingPeriod": "MONTHLY",
            "resourceId": "site-1",
            "billableFeatures": [{"featureId": "feature-01-templates", "quantity": 2.0}],
            "addons": [{"addonId": "addon-extra-stuff", "quantity": 5}],
            "subscriptionId": Minted("subscription-"),
        }
    }
    assert result.status is ProvisionSubscriptionStatus.SUCCESS
    assert result.is_success
    assert result.checkout_url is None
    assert spy.refreshed == ["customer-demo-01"]


async def test_provision_subscription_payment_required_carries_the_checkout_url(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """PAYMENT_REQUIRED: no subscription, a checkout URL, no cache refresh."""
    client, spy = api
    url = "http://127.0.0.1:1/checkout/cs_1"
    server.data(
        {
            "provisionSubscriptionV2": {
                "id": "p-2",
                "status": "PAYMENT_REQUIRED",
                "checkoutUrl": url,
                "subscription": None,
            }
        }
    )
    result = await client.initiate_checkout(
        "customer-demo-01",
        "plan-revvenu-essentials",
        success_url="http://127.0.0.1:1/ok",
        cancel_url="http://127.0.0.1:1/cancel",
        billing_period="MONTHLY",
        unit_quantity=4,
    )
    sent = server.received[0].variables["input"]
    assert sent["checkoutOptions"] == {
        "successUrl": "http://127.0.0.1:1/ok",
        "cancelUrl": "http://127.0.0.1:1/cancel",
    }
    assert sent["unitQuantity"] == 4
    assert result.checkout_url == url
    assert not result.is_success
    assert result.subscription is None
    assert spy.refreshed == []


@pytest.mark.parametrize(
    ("collection", "invoice", "flag"),
    [
        (
            "ACTION_REQUIRED",
            {"paymentUrl": "http://127.0.0.1:1/pay", "paymentSecret": "secret"},
            "requires_payment_action",
        ),
        (
            "FAILED",
            {"paymentUrl": "http://127.0.0.1:1/pay", "errorMessage": "no sufficient funds"},
            "payment_failed",
        ),
    ],
)
async def test_provision_subscription_tells_payment_trouble_apart(
    api: tuple[AsyncStigg, CacheSpy],
    server: RecordingServer,
    collection: str,
    invoice: dict[str, Any],
    flag: str,
) -> None:
    """3-D Secure and failed payments are flagged on the result (Java guide shapes)."""
    client, _ = api
    sub = {
        **SLIM_SUB,
        "status": "PAYMENT_PENDING",
        "paymentCollection": collection,
        "latestInvoice": invoice,
    }
    server.data(
        {"provisionSubscriptionV2": {"id": "p-3", "status": "SUCCESS", "subscription": sub}}
    )
    result = await client.provision_subscription(customer_id="c", plan_id="plan-revvenu-growth")
    assert getattr(result, flag) is True
    assert not result.is_success


async def test_create_subscription_uses_the_subscription_variable(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """The legacy createSubscription takes $subscription, with addons as given."""
    client, _ = api
    server.data({"createSubscription": {**SLIM_SUB, "status": "PAYMENT_PENDING"}})
    sub = await client.create_subscription(
        customer_id="customer-id",
        plan_id="plan-revvenu-basic",
        billing_period="MONTHLY",
        addons=[{"addon_id": "addon-extra-stuff", "quantity": 2}],
        additional_meta_data={"key": "value"},
    )
    assert server.received[0].variables == {
        "subscription": {
            "customerId": "customer-id",
            "planId": "plan-revvenu-basic",
            "billingPeriod": "MONTHLY",
            "addons": [{"addonId": "addon-extra-stuff", "quantity": 2}],
            "additionalMetaData": {"key": "value"},
            "subscriptionId": Minted("subscription-"),
        }
    }
    assert sub.status is SubscriptionStatus.PAYMENT_PENDING


async def test_update_subscription_sends_quantities_and_refreshes_the_customer(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """updateOneSubscription gets the id and the changes; the owner's cache refreshes."""
    client, spy = api
    server.data({"updateOneSubscription": SLIM_SUB})
    await client.update_subscription(subscription_id="subscription-1", unit_quantity=5)
    assert server.received[0].variables == {
        "input": {"subscriptionId": "subscription-1", "unitQuantity": 5.0}
    }
    assert spy.refreshed == ["customer-5162641"]


async def test_cancel_subscription_sends_the_cancellation_time(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """cancelSubscription gets subscriptionRefId and the enum value."""
    client, _ = api
    server.data({"cancelSubscription": {**SLIM_SUB, "status": "CANCELED"}})
    sub = await client.cancel_subscription("subscription-1", cancellation_time="IMMEDIATE")
    assert server.received[0].variables == {
        "input": {
            "subscriptionRefId": "subscription-1",
            "subscriptionCancellationTime": "IMMEDIATE",
        }
    }
    assert sub.status is SubscriptionStatus.CANCELED


async def test_migrate_subscription_to_latest(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """migrateSubscriptionToLatest gets the subscription id."""
    client, _ = api
    server.data({"migrateSubscriptionToLatest": SLIM_SUB})
    await client.migrate_subscription_to_latest("subscription-plan-revvenu-basic-6fb76d")
    assert server.received[0].variables == {
        "input": {"subscriptionId": "subscription-plan-revvenu-basic-6fb76d"}
    }


async def test_get_subscription_and_active_subscriptions(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """Reads send ids (and the optional resource) and parse lists."""
    client, _ = api
    server.data({"getSubscription": SLIM_SUB})
    server.data({"getActiveSubscriptions": [SLIM_SUB, {**SLIM_SUB, "refId": "s-2"}]})
    sub = await client.get_subscription("subscription-1")
    subs = await client.get_active_subscriptions("customer-demo-01", resource_id="site-1")
    assert server.received[0].variables == {"input": {"subscriptionId": "subscription-1"}}
    assert server.received[1].variables == {
        "input": {"customerId": "customer-demo-01", "resourceId": "site-1"}
    }
    assert sub.ref_id == SLIM_SUB["refId"]
    assert [s.ref_id for s in subs] == [SLIM_SUB["refId"], "s-2"]


async def test_estimate_subscription_and_update(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """Estimates send the guide's variables and parse money and proration."""
    client, _ = api
    server.data({"estimateSubscription": PREVIEW})
    proration = {
        "prorationDate": "2022-10-26T17:08:23.000Z",
        "credit": {"amount": -10, "currency": "USD"},
        "debit": {"amount": 17, "currency": "USD"},
    }
    server.data({"estimateSubscriptionUpdate": {**PREVIEW, "proration": proration}})
    preview = await client.estimate_subscription(
        customer_id="customer-demo-01",
        plan_id="plan-revvenu-essentials",
        billing_period="MONTHLY",
        unit_quantity=4,
        addons=[{"addon_id": "addon-10-campaigns", "quantity": 2}],
    )
    update = await client.estimate_subscription_update(
        subscription_id="subscription-plan-revvenu-growth-da6324",
        unit_quantity=7,
        addons=[{"addon_id": "addon-10-campaigns", "quantity": 2}],
    )
    assert server.received[0].variables == {
        "input": {
            "customerId": "customer-demo-01",
            "planId": "plan-revvenu-essentials",
            "billingPeriod": "MONTHLY",
            "unitQuantity": 4.0,
            "addons": [{"addonId": "addon-10-campaigns", "quantity": 2}],
        }
    }
    assert server.received[1].variables == {
        "input": {
            "subscriptionId": "subscription-plan-revvenu-growth-da6324",
            "unitQuantity": 7.0,
            "addons": [{"addonId": "addon-10-campaigns", "quantity": 2}],
        }
    }
    assert preview.total.amount == 30
    assert update.proration is not None
    assert update.proration.credit is not None
    assert update.proration.credit.amount == -10


async def test_get_coupons_filters_by_status(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """coupons gets a status filter; nodes parse with enums."""
    client, _ = api
    coupon = {
        "id": "d7644ee3",
        "discountValue": 20,
        "type": "PERCENTAGE",
        "refId": "coupon-215e17",
        "name": "VIP",
        "status": "ACTIVE",
        "createdAt": "2022-08-25T00:27:56.368Z",
    }
    server.data(
        {
            "coupons": {
                "edges": [{"cursor": "x", "node": coupon}],
                "pageInfo": {"hasNextPage": False},
                "totalCount": 1,
            }
        }
    )
    page = await client.get_coupons(status="ACTIVE")
    assert server.received[0].variables == {"filter": {"status": {"eq": "ACTIVE"}}}
    assert page.items[0].type is CouponType.PERCENTAGE
    assert page.items[0].discount_value == 20


async def test_grant_and_revoke_promotional_entitlements(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """Grants send periods and limits; both refresh the customer's cache."""
    client, spy = api
    grant = {
        "status": "Active",
        "usageLimit": 100,
        "featureId": "cce3f1fe",
        "endDate": 1703188216.028,
        "isVisible": True,
        "feature": {
            "refId": "feature-02-campaigns",
            "featureType": "NUMBER",
            "meterType": "Incremental",
        },
    }
    server.data({"grantPromotionalEntitlements": [grant]})
    server.data({"revokePromotionalEntitlement": {**grant, "status": "Expired"}})
    end = datetime(2026, 3, 1, tzinfo=timezone.utc)
    grants = await client.grant_promotional_entitlements(
        "customer-demo-01",
        [
            {
                "feature_id": "feature-02-campaigns",
                "period": "CUSTOM",
                "custom_end_date": end,
                "usage_limit": 100,
            }
        ],
    )
    await client.revoke_promotional_entitlement("customer-demo-01", "feature-02-campaigns")
    assert server.received[0].variables == {
        "input": {
            "customerId": "customer-demo-01",
            "promotionalEntitlements": [
                {
                    "featureId": "feature-02-campaigns",
                    "period": "CUSTOM",
                    "customEndDate": "2026-03-01T00:00:00Z",
                    "usageLimit": 100.0,
                }
            ],
        }
    }
    assert server.received[1].variables == {
        "input": {"customerId": "customer-demo-01", "featureId": "feature-02-campaigns"}
    }
    assert grants[0].end_date == datetime.fromtimestamp(1703188216.028, tz=timezone.utc)
    assert spy.refreshed == ["customer-demo-01", "customer-demo-01"]


async def test_report_usage_mints_a_key_and_writes_the_ack_into_the_cache(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """reportUsage gets an idempotency key; the acknowledgement reaches the cache."""
    client, spy = api
    server.data({"reportUsage": USAGE_ACK})
    ack = await client.report_usage(
        customer_id="customer-demo-01",
        feature_id="feature-02-campaigns",
        value=3,
        update_behavior=UsageUpdateBehavior.SET,
    )
    assert server.received[0].variables == {
        "input": {
            "customerId": "customer-demo-01",
            "featureId": "feature-02-campaigns",
            "value": 3.0,
            "updateBehavior": "SET",
            "idempotencyKey": Minted(),
        }
    }
    assert ack.current_usage == 3
    assert ack.next_reset_date == datetime(2023, 12, 21, tzinfo=timezone.utc)
    assert spy.applied == [USAGE_ACK]


async def test_report_usage_keeps_a_caller_key(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """A key the caller passes wins over a minted one."""
    client, _ = api
    server.data({"reportUsage": USAGE_ACK})
    await client.report_usage(
        ReportUsageInput(customer_id="c", feature_id="f", value=1, idempotency_key="mine-1")
    )
    assert server.received[0].variables["input"]["idempotencyKey"] == "mine-1"


async def test_report_usage_bulk_gives_each_item_its_own_key(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """Every bulk item carries a distinct key; a given key is kept."""
    client, spy = api
    server.data({"reportUsageBulk": [USAGE_ACK, {**USAGE_ACK, "id": "2"}]})
    acks = await client.report_usage_bulk(
        [
            {"customer_id": "c-1", "feature_id": "feature-02-campaigns", "value": 2},
            {
                "customer_id": "c-2",
                "feature_id": "feature-01-templates",
                "value": -1,
                "idempotency_key": "k-2",
            },
        ]
    )
    usages = server.received[0].variables["input"]["usages"]
    assert usages[0] == {
        "customerId": "c-1",
        "featureId": "feature-02-campaigns",
        "value": 2.0,
        "idempotencyKey": Minted(),
    }
    assert usages[1]["idempotencyKey"] == "k-2"
    assert len(acks) == 2
    assert len(spy.applied) == 2


async def test_bulk_answers_that_do_not_pair_with_the_items_still_reach_the_cache(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """One answer for two items: no item gets it as its own, but the cache still does."""
    client, spy = api
    server.data({"reportUsageBulk": [USAGE_ACK]})
    acks = await client.report_usage_bulk(
        [
            {"customer_id": "c-1", "feature_id": "feature-02-campaigns", "value": 2},
            {"customer_id": "c-2", "feature_id": "feature-01-templates", "value": 1},
        ]
    )
    assert len(acks) == 1
    assert spy.applied == [USAGE_ACK]


async def test_report_events_keys_every_event(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """reportEvent gets $events.usageEvents, each with an idempotency key."""
    client, _ = api
    server.data({"reportEvent": None})
    await client.report_events(
        [
            {
                "customer_id": "customer-demo-01",
                "event_name": "user_login",
                "dimensions": {"user_id": "user-01"},
            },
            {
                "customer_id": "customer-demo-01",
                "event_name": "user_login",
                "idempotency_key": "fixed",
            },
        ]
    )
    events = server.received[0].variables["events"]["usageEvents"]
    assert events[0] == {
        "customerId": "customer-demo-01",
        "eventName": "user_login",
        "dimensions": {"user_id": "user-01"},
        "idempotencyKey": Minted(),
    }
    assert events[1]["idempotencyKey"] == "fixed"


async def test_create_usage_measurement_uses_its_variable_and_a_key(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """The legacy mutation takes $usageMeasurement and also gets a key."""
    client, _ = api
    server.data({"createUsageMeasurement": {"id": "05e3a286"}})
    ack = await client.create_usage_measurement(
        customer_id="customer-id", feature_id="feature-02-campaigns", value=5
    )
    assert server.received[0].variables == {
        "usageMeasurement": {
            "customerId": "customer-id",
            "featureId": "feature-02-campaigns",
            "value": 5.0,
            "idempotencyKey": Minted(),
        }
    }
    assert ack.id == "05e3a286"


async def test_fetch_entitlement_asks_the_server_with_requested_usage(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """The server-side entitlement query carries options.requestedUsage."""
    client, _ = api
    server.data(
        {
            "entitlement": {
                "isGranted": False,
                "accessDeniedReason": "RequestedUsageExceedingLimit",
                "hasUnlimitedUsage": False,
                "currentUsage": 3,
                "usageLimit": 3,
                "requestedUsage": 10,
                "feature": {
                    "id": "f-1",
                    "refId": "feature-01-templates",
                    "displayName": "Templates",
                    "featureType": "NUMBER",
                    "meterType": "Fluctuating",
                    "featureStatus": "ACTIVE",
                },
            }
        }
    )
    ent = await client.fetch_entitlement(
        "customer-demo-01", "feature-01-templates", resource_id="site-1", requested_usage=10
    )
    assert server.received[0].variables == {
        "query": {
            "customerId": "customer-demo-01",
            "featureId": "feature-01-templates",
            "resourceId": "site-1",
            "options": {"requestedUsage": 10.0},
        }
    }
    assert ent.is_granted is False
    assert ent.access_denied_reason is AccessDeniedReason.REQUESTED_USAGE_EXCEEDING_LIMIT
    assert ent.feature is not None
    assert ent.feature.feature_type is FeatureType.NUMBER


async def test_execute_returns_raw_data(
    api: tuple[AsyncStigg, CacheSpy], server: RecordingServer
) -> None:
    """The escape hatch sends any document and returns data untouched."""
    client, _ = api
    server.data({"getCustomerByRefId": {"refId": "x"}})
    doc = (
        "query Q($input: GetCustomerByRefIdInput!) { getCustomerByRefId(input: $input) { refId } }"
    )
    data = await client.execute(doc, {"input": {"customerId": "x"}}, operation_name="Q")
    assert data == {"getCustomerByRefId": {"refId": "x"}}
    assert server.received[0].query == doc
    assert server.received[0].operation_name == "Q"
