"""Customers and subscriptions: provisioning, checkout, payments, trials, replacement, cancel."""

from __future__ import annotations

import aiohttp

from stigg_async.emulator import Emulator

from .conftest import Poster

DAY = 24 * 3600

PROVISION = """
mutation P($input: ProvisionSubscriptionInput!) {
  provisionSubscriptionV2(input: $input) {
    id status checkoutUrl
    subscription {
      subscriptionId status trialEndDate paymentCollection
      latestInvoice { status requiresAction paymentUrl paymentSecret errorMessage }
      plan { refId }
    }
  }
}
"""

PROVISION_CUSTOMER = """
mutation C($input: ProvisionCustomerInput!) {
  provisionCustomer(input: $input) {
    customer { customerId refId hasPaymentMethod } subscription { status }
  }
}
"""


async def test_provision_customer_generates_an_id_and_rejects_duplicates(gql: Poster) -> None:
    """No id: one is generated. The same id twice: DuplicatedEntityNotAllowed."""
    data = await gql.ok(PROVISION_CUSTOMER, {"input": {"name": "Anon"}})
    generated = data["provisionCustomer"]["customer"]["customerId"]
    assert generated.startswith("customer-")
    assert data["provisionCustomer"]["subscription"] is None
    await gql.ok(PROVISION_CUSTOMER, {"input": {"customerId": "c-1"}})
    reply = await gql(PROVISION_CUSTOMER, {"input": {"customerId": "c-1"}})
    assert reply.codes == ["DuplicatedEntityNotAllowed"]


async def test_billing_information_payment_method(gql: Poster, emu: Emulator) -> None:
    """billingInformation.paymentMethodId gives the customer a payment method."""
    data = await gql.ok(
        PROVISION_CUSTOMER,
        {"input": {"customerId": "c", "billingInformation": {"paymentMethodId": "pm_card_visa"}}},
    )
    assert data["provisionCustomer"]["customer"]["hasPaymentMethod"] is True
    assert emu.state.customers["c"].payment_method_id == "pm_card_visa"


async def test_customers_filter_and_paging(gql: Poster, emu: Emulator) -> None:
    """customers filters by like/in/eq and pages with cursors and totalCount."""
    for i in range(5):
        emu.state.provision_customer(f"acme-{i}", email=f"user{i}@acme.test", name=f"Acme {i}")
        emu.advance_time(1)
    emu.state.provision_customer("other", email="x@other.test")
    query = """
query Q($filter: CustomerFilter, $paging: CursorPaging) {
  customers(filter: $filter, paging: $paging) {
    totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { refId } }
  }
}
"""
    page = (await gql.ok(query, {"filter": {"refId": {"like": "acme-%"}}, "paging": {"first": 2}}))[
        "customers"
    ]
    assert page["totalCount"] == 5
    assert [e["node"]["refId"] for e in page["edges"]] == ["acme-4", "acme-3"]  # newest first
    assert page["pageInfo"]["hasNextPage"] is True
    after = page["pageInfo"]["endCursor"]
    page2 = (
        await gql.ok(
            query,
            {"filter": {"refId": {"like": "acme-%"}}, "paging": {"first": 10, "after": after}},
        )
    )["customers"]
    assert [e["node"]["refId"] for e in page2["edges"]] == ["acme-2", "acme-1", "acme-0"]
    assert page2["pageInfo"]["hasPreviousPage"] is True
    by_in = await gql.ok(query, {"filter": {"customerId": {"in": ["other", "acme-1"]}}})
    assert {e["node"]["refId"] for e in by_in["customers"]["edges"]} == {"other", "acme-1"}
    by_email = await gql.ok(query, {"filter": {"email": {"eq": "x@other.test"}}})
    assert [e["node"]["refId"] for e in by_email["customers"]["edges"]] == ["other"]
    by_name = await gql.ok(query, {"filter": {"name": {"iLike": "ACME 3"}}})
    assert [e["node"]["refId"] for e in by_name["customers"]["edges"]] == ["acme-3"]


async def test_get_customer_by_ref_id_missing_is_null(gql: Poster) -> None:
    """getCustomerByRefId for an unknown id answers null, not an error."""
    data = await gql.ok('query { getCustomerByRefId(input: {customerId: "nope"}) { refId } }')
    assert data == {"getCustomerByRefId": None}


async def test_paid_plan_with_checkout_options_requires_payment(gql: Poster, emu: Emulator) -> None:
    """No card + checkoutOptions: PAYMENT_REQUIRED and a local checkout URL that completes it."""
    emu.state.provision_customer("c")
    data = await gql.ok(
        PROVISION,
        {
            "input": {
                "customerId": "c",
                "planId": "plan-revvenu-essentials",
                "subscriptionId": "sub-c",
                "checkoutOptions": {
                    "successUrl": "http://127.0.0.1",
                    "cancelUrl": "http://127.0.0.1",
                },
            }
        },
    )
    result = data["provisionSubscriptionV2"]
    assert result["status"] == "PAYMENT_REQUIRED"
    assert result["subscription"] is None
    url = result["checkoutUrl"]
    assert url.startswith(f"{emu.base_url}/checkout/")
    assert emu.state.live_subscriptions("c") == []
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200
        body = await response.json()
    assert body["subscriptionId"] == "sub-c"
    assert emu.state.customers["c"].payment_method_id == "pm_card_visa"
    assert [s.subscription_id for s in emu.state.live_subscriptions("c")] == ["sub-c"]


async def test_paid_plan_without_payment_or_checkout_is_an_error(
    gql: Poster, emu: Emulator
) -> None:
    """No payment method and no checkoutOptions: PaymentMethodNotFoundError, nothing created."""
    emu.state.provision_customer("c")
    reply = await gql(
        PROVISION, {"input": {"customerId": "c", "planId": "plan-revvenu-essentials"}}
    )
    assert reply.codes == ["PaymentMethodNotFoundError"]
    assert emu.state.subscriptions == {}


async def test_three_d_secure_and_declined_cards(gql: Poster, emu: Emulator) -> None:
    """pm_card_authenticationRequired -> ACTION_REQUIRED; pm_card_chargeDeclined -> FAILED."""
    emu.state.provision_customer("sca", payment_method_id="pm_card_authenticationRequired")
    emu.state.provision_customer("poor", payment_method_id="pm_card_chargeDeclined")
    sca = await gql.ok(
        PROVISION, {"input": {"customerId": "sca", "planId": "plan-revvenu-essentials"}}
    )
    sub = sca["provisionSubscriptionV2"]["subscription"]
    assert sub["paymentCollection"] == "ACTION_REQUIRED"
    assert sub["latestInvoice"]["requiresAction"] is True
    assert sub["latestInvoice"]["paymentSecret"]
    assert sub["latestInvoice"]["paymentUrl"].startswith(emu.base_url)
    poor = await gql.ok(
        PROVISION, {"input": {"customerId": "poor", "planId": "plan-revvenu-essentials"}}
    )
    failed = poor["provisionSubscriptionV2"]["subscription"]
    assert failed["paymentCollection"] == "FAILED"
    assert failed["latestInvoice"]["errorMessage"] == "Your card was declined."
    async with (
        aiohttp.ClientSession() as session,
        session.get(sub["latestInvoice"]["paymentUrl"]) as response,
    ):
        assert response.status == 200
    assert emu.state.get_subscription(sub["subscriptionId"]).payment_collection == "NOT_REQUIRED"


async def test_new_subscription_replaces_the_active_one(emu: Emulator) -> None:
    """A new plan of the same product cancels the active subscription."""
    state = emu.state
    state.provision_customer("c", payment_method_id="pm_card_visa")
    basic = state.provision_subscription("c", "plan-revvenu-basic")
    essentials = state.provision_subscription("c", "plan-revvenu-essentials")
    assert basic.status == "CANCELED"
    assert [s.subscription_id for s in state.live_subscriptions("c")] == [
        essentials.subscription_id
    ]


async def test_trial_runs_beside_paid_and_converts_on_same_plan(emu: Emulator) -> None:
    """Growth trials beside essentials; subscribing to growth ends the trial as a paid one."""
    state = emu.state
    state.provision_customer("c", payment_method_id="pm_card_visa")
    essentials = state.provision_subscription("c", "plan-revvenu-essentials")
    trial = state.provision_subscription("c", "plan-revvenu-growth")
    assert trial.status == "IN_TRIAL"
    assert trial.trial_end_date == state.now().replace() + __import__("datetime").timedelta(days=14)
    assert essentials.status == "ACTIVE"
    assert state.entitlement("c", "feature-03-custom-domain").is_granted  # from the trial
    paid = state.provision_subscription("c", "plan-revvenu-growth")
    assert paid.status == "ACTIVE"
    assert trial.status == "CANCELED"
    assert essentials.status == "CANCELED"


async def test_skip_trial_and_trial_expiry(emu: Emulator) -> None:
    """skipTrial makes a paid subscription; a trial without a card expires at its end."""
    state = emu.state
    state.provision_customer("paying", payment_method_id="pm_card_visa")
    assert (
        state.provision_subscription("paying", "plan-revvenu-growth", skip_trial=True).status
        == "ACTIVE"
    )
    state.provision_customer("trialist")
    trial = state.provision_subscription("trialist", "plan-revvenu-growth", enforce_payment=True)
    assert trial.status == "IN_TRIAL"
    emu.advance_time(15 * DAY)
    denial, _ = state.entitlements("trialist")
    assert denial == "NoActiveSubscription"
    assert trial.status == "EXPIRED"


async def test_resource_scoped_subscriptions(emu: Emulator) -> None:
    """One subscription per product per resource; entitlements are per resource."""
    state = emu.state
    state.provision_customer("c", payment_method_id="pm_card_visa")
    state.provision_subscription("c", "plan-revvenu-basic", resource_id="site-1")
    state.provision_subscription("c", "plan-revvenu-essentials", resource_id="site-2")
    assert len(state.live_subscriptions("c")) == 2
    assert state.entitlement("c", "feature-04-analytics", "site-2").is_granted
    assert not state.entitlement("c", "feature-04-analytics", "site-1").is_granted
    assert state.entitlements("c")[0] == "NoActiveSubscription"


async def test_duplicate_subscription_id(gql: Poster, emu: Emulator) -> None:
    """A client-chosen subscriptionId is honoured once, then DuplicatedEntityNotAllowed."""
    emu.state.provision_customer("c")
    variables = {
        "input": {"customerId": "c", "planId": "plan-revvenu-basic", "subscriptionId": "s-1"}
    }
    data = await gql.ok(PROVISION, variables)
    assert data["provisionSubscriptionV2"]["subscription"]["subscriptionId"] == "s-1"
    reply = await gql(PROVISION, variables)
    assert reply.codes == ["DuplicatedEntityNotAllowed"]


async def test_cancel_at_end_of_billing_period(gql: Poster, emu: Emulator) -> None:
    """END_OF_BILLING_PERIOD keeps the plan until the period ends, then it is CANCELED."""
    emu.state.provision_customer("c", payment_method_id="pm_card_visa")
    emu.state.provision_subscription("c", "plan-revvenu-essentials", subscription_id="s")
    data = await gql.ok(
        """mutation { cancelSubscription(input: {subscriptionRefId: "s",
             subscriptionCancellationTime: END_OF_BILLING_PERIOD}) { status effectiveEndDate } }"""
    )
    assert data["cancelSubscription"] == {
        "status": "ACTIVE",
        "effectiveEndDate": "2026-02-01T00:00:00.000Z",
    }
    assert emu.state.entitlement("c", "feature-04-analytics").is_granted
    emu.advance_time(31 * DAY)
    assert emu.state.get_subscription("s").status == "CANCELED"
    assert not emu.state.entitlement("c", "feature-04-analytics").is_granted
    again = await gql('mutation { cancelSubscription(input: {subscriptionRefId: "s"}) { status } }')
    assert again.codes == ["SubscriptionAlreadyCanceledOrExpired"]


async def test_update_subscription_addons_raise_limits(gql: Poster, emu: Emulator) -> None:
    """Add-on quantities add to limits: 12 + 3 x 10 campaigns."""
    emu.state.provision_customer("c", payment_method_id="pm_card_visa")
    emu.state.provision_subscription("c", "plan-revvenu-essentials", subscription_id="s")
    await gql.ok(
        """mutation { updateOneSubscription(input: {subscriptionId: "s",
             addons: [{addonId: "addon-10-campaigns", quantity: 3}]}) { addons { quantity } } }"""
    )
    assert emu.state.entitlement("c", "feature-02-campaigns").usage_limit == 42
    reply = await gql(
        """mutation { updateOneSubscription(input: {subscriptionId: "s",
             addons: [{addonId: "addon-nope"}]}) { id } }"""
    )
    assert reply.codes == ["AddonNotFound"]


async def test_get_subscription_and_missing(gql: Poster, emu: Emulator) -> None:
    """getSubscription finds by id; a missing one is SubscriptionNotFound."""
    emu.state.provision_customer("c")
    emu.state.provision_subscription("c", "plan-revvenu-basic", subscription_id="s")
    data = await gql.ok('query { getSubscription(input: {subscriptionId: "s"}) { refId status } }')
    assert data["getSubscription"] == {"refId": "s", "status": "ACTIVE"}
    reply = await gql('query { getSubscription(input: {subscriptionId: "nope"}) { refId } }')
    assert reply.codes == ["SubscriptionNotFound"]


async def test_migrate_moves_to_the_new_plan_version(emu: Emulator) -> None:
    """After a catalog change the subscription keeps v1 until migrated to v2."""
    from stigg_async.emulator import Catalog, default_catalog_path

    emu.state.provision_customer("c")
    sub = emu.state.provision_subscription("c", "plan-revvenu-basic", subscription_id="s")
    import json

    raw = json.loads(default_catalog_path().read_text())
    basic = next(p for p in raw["plans"] if p["id"] == "plan-revvenu-basic")
    basic["entitlements"][0]["usageLimit"] = 30
    emu.load_catalog(Catalog.from_dict(raw))
    assert emu.state.entitlement("c", "feature-01-templates").usage_limit == 3
    emu.state.migrate_subscription("s")
    assert sub.plan.version == 2
    assert emu.state.entitlement("c", "feature-01-templates").usage_limit == 30


async def test_coupons_filter_by_status(gql: Poster) -> None:
    """coupons filters by status and refId."""
    data = await gql.ok(
        "query { coupons(filter: {status: {eq: ARCHIVED}})"
        " { totalCount edges { node { refId } } } }"
    )
    assert data["coupons"]["totalCount"] == 1
    assert data["coupons"]["edges"][0]["node"]["refId"] == "coupon-legacy"
    data = await gql.ok('query { coupons(filter: {refId: {eq: "coupon-vip"}}) { totalCount } }')
    assert data["coupons"]["totalCount"] == 1
