"""The emulator's catalog and subscription-administration roots, over raw GraphQL."""

from __future__ import annotations

from stigg_async.emulator import Emulator

from .conftest import Poster

SUBSCRIPTIONS = """
query S(
  $filter: SubscriptionQueryFilter, $paging: CursorPaging, $sorting: [SubscriptionQuerySort!]
) {
  subscriptions(filter: $filter, paging: $paging, sorting: $sorting) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { subscriptionId customerId status plan { refId } resource { resourceId } } }
  }
}
"""


def _seed(emu: Emulator) -> None:
    emu.state.provision_customer("ann", email="ann@acme.test")
    emu.state.provision_customer("bob", email="bob@acme.test")
    emu.state.provision_subscription("ann", "plan-revvenu-basic", subscription_id="s-ann")
    emu.state.provision_subscription(
        "bob", "plan-revvenu-essentials", subscription_id="s-bob", resource_id="site-1"
    )


async def test_subscriptions_filter_on_nested_plan_and_customer(gql: Poster, emu: Emulator) -> None:
    """Nested plan/customer filters and or-combinations select from every customer."""
    _seed(emu)
    by_plan = await gql.ok(
        SUBSCRIPTIONS, {"filter": {"plan": {"refId": {"eq": "plan-revvenu-essentials"}}}}
    )
    by_email = await gql.ok(
        SUBSCRIPTIONS, {"filter": {"customer": {"email": {"eq": "ann@acme.test"}}}}
    )
    either = await gql.ok(
        SUBSCRIPTIONS,
        {"filter": {"or": [{"subscriptionId": {"eq": "s-ann"}}, {"resourceId": {"eq": "site-1"}}]}},
    )

    def ids(data: dict) -> list[str]:  # type: ignore[type-arg]
        return sorted(e["node"]["subscriptionId"] for e in data["subscriptions"]["edges"])

    assert ids(by_plan) == ["s-bob"]
    assert ids(by_email) == ["s-ann"]
    assert ids(either) == ["s-ann", "s-bob"]
    # The list's customerId is the customer's own id.
    assert by_plan["subscriptions"]["edges"][0]["node"]["customerId"] == "bob"


async def test_subscriptions_page_and_sort(gql: Poster, emu: Emulator) -> None:
    """Paging walks the sorted list with totalCount and an end cursor."""
    _seed(emu)
    sort = [{"field": "subscriptionId", "direction": "DESC"}]
    first = await gql.ok(SUBSCRIPTIONS, {"paging": {"first": 1}, "sorting": sort})
    page = first["subscriptions"]
    assert page["totalCount"] == 2
    assert page["pageInfo"]["hasNextPage"] is True
    assert page["edges"][0]["node"]["subscriptionId"] == "s-bob"
    rest = await gql.ok(
        SUBSCRIPTIONS,
        {"paging": {"first": 1, "after": page["pageInfo"]["endCursor"]}, "sorting": sort},
    )
    assert [e["node"]["subscriptionId"] for e in rest["subscriptions"]["edges"]] == ["s-ann"]


async def test_sdk_configuration_and_products(gql: Poster) -> None:
    """sdkConfiguration answers; products pages the catalog's products."""
    data = await gql.ok(
        "{ sdkConfiguration { __typename showWatermark sentryDsn }"
        ' products(paging: {first: 5}, filter: {displayName: {iLike: "%revv%"}})'
        " { totalCount edges { node { refId plans { refId } addons { refId } } } } }"
    )
    assert data["sdkConfiguration"] == {
        "__typename": "SdkConfiguration",
        "showWatermark": False,
        "sentryDsn": None,
    }
    (edge,) = data["products"]["edges"]
    assert edge["node"]["refId"] == "product-revvenu"
    assert [p["refId"] for p in edge["node"]["plans"]][:3] == [
        "plan-revvenu-basic",
        "plan-revvenu-essentials",
        "plan-revvenu-growth",
    ]


async def test_unknown_product_is_refused(gql: Poster) -> None:
    """A paywall for a product that does not exist is a BadUserInput error."""
    reply = await gql('query { mockPaywall(input: {productId: "nope"}) { plans { refId } } }')
    assert reply.codes == ["BadUserInput"]


async def test_transfer_refuses_an_occupied_destination_and_a_missing_source(
    gql: Poster, emu: Emulator
) -> None:
    """The destination may not already have the product; the source must have a subscription."""
    emu.state.provision_customer("c-1")
    emu.state.provision_subscription("c-1", "plan-revvenu-basic", resource_id="a")
    emu.state.provision_subscription("c-1", "plan-revvenu-basic", resource_id="b")
    transfer = """
    mutation T($input: TransferSubscriptionInput!) {
      transferSubscription(input: $input) { subscriptionId }
    }"""
    busy = await gql(
        transfer,
        {"input": {"customerId": "c-1", "sourceResourceId": "a", "destinationResourceId": "b"}},
    )
    empty = await gql(
        transfer,
        {"input": {"customerId": "c-1", "sourceResourceId": "z", "destinationResourceId": "y"}},
    )
    assert busy.codes == ["DuplicatedEntityNotAllowed"]
    assert empty.codes == ["SubscriptionNotFound"]


async def test_delegation_shows_the_payer_and_moves_active_subscriptions(
    gql: Poster, emu: Emulator
) -> None:
    """After delegating, the destination lists the subscription and the payer does not."""
    for cid in ("payer", "user"):
        emu.state.provision_customer(cid)
    emu.state.provision_subscription("payer", "plan-revvenu-basic", subscription_id="s-1")
    data = await gql.ok(
        """mutation D { delegateSubscriptionToCustomer(
             input: {subscriptionId: "s-1", destinationCustomerId: "user"}
           ) { customer { customerId } payingCustomer { customerId } } }"""
    )
    assert data["delegateSubscriptionToCustomer"] == {
        "customer": {"customerId": "user"},
        "payingCustomer": {"customerId": "payer"},
    }
    active = """query A($c: String!) {
      getActiveSubscriptions(input: {customerId: $c}) { subscriptionId } }"""
    assert (await gql.ok(active, {"c": "user"}))["getActiveSubscriptions"] == [
        {"subscriptionId": "s-1"}
    ]
    assert (await gql.ok(active, {"c": "payer"}))["getActiveSubscriptions"] == []
    unknown = await gql(
        """mutation { delegateSubscriptionToCustomer(
             input: {subscriptionId: "s-1", destinationCustomerId: "ghost"}) { subscriptionId } }"""
    )
    assert unknown.codes == ["CustomerNotFound"]


async def test_scheduled_updates_are_listed_and_cancelled(gql: Poster, emu: Emulator) -> None:
    """A scheduled update is listed; cancelSchedule answers the id and drops it."""
    emu.state.provision_customer("c-1")
    emu.state.set_payment_method("c-1")
    emu.state.provision_subscription(
        "c-1", "plan-revvenu-essentials", subscription_id="s-1", skip_trial=True
    )
    await gql.ok(
        """mutation { updateOneSubscription(input: {subscriptionId: "s-1", unitQuantity: 9,
             scheduleStrategy: END_OF_BILLING_PERIOD}) { subscriptionId } }"""
    )
    listed = """{ getSubscription(input: {subscriptionId: "s-1"}) {
      scheduledUpdates { subscriptionScheduleType scheduleStatus scheduledExecutionTime } } }"""
    (update,) = (await gql.ok(listed))["getSubscription"]["scheduledUpdates"]
    assert update["subscriptionScheduleType"] == "UnitAmount"
    assert update["scheduleStatus"] == "Scheduled"
    answer = await gql.ok('mutation { cancelSchedule(input: {subscriptionId: "s-1"}) }')
    assert answer == {"cancelSchedule": "s-1"}
    assert (await gql.ok(listed))["getSubscription"]["scheduledUpdates"] == []
