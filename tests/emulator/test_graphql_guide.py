"""The GraphQL API guide's documents and variables, POSTed verbatim with plain aiohttp.

Only the guide's JSON typos in variables (trailing commas, ``//`` comments) are fixed.
Each answer must have the shape the guide documents.
"""

from __future__ import annotations

import pytest

from stigg_async.emulator import Emulator

from ._shapes import assert_same_shape
from .conftest import Poster

PROVISION_CUSTOMER = """
mutation ProvisionCustomer($input: ProvisionCustomerInput!) {
provisionCustomer(input: $input) {
customer {
refId
name # optional
email # optional - billing email address
createdAt
billingId
crmId
hasPaymentMethod
additionalMetaData # optional
}
subscriptionDecisionStrategy
subscription {
refId
status
plan {
refId
}
}
}
}
"""

PROVISION_CUSTOMER_VARIABLES = {
    "input": {
        "refId": "customer-id",
        "name": "Acme",
        "email": "[email protected]",
        "couponRefId": "coupon-vip",
        "billingInformation": {
            "language": "en",
            "timezone": "America/New_York",
            "billingAddress": {
                "country": "US",
                "city": "New York",
                "state": "NY",
                "addressLine1": "123 Main Street",
                "addressLine2": "Apt. 1",
                "phoneNumber": "+1 212-499-5321",
                "postalCode": "10164",
            },
            "shippingAddress": {
                "country": "US",
                "city": "New York",
                "state": "NY",
                "addressLine1": "123 Main Street",
                "addressLine2": "Apt. 1",
                "phoneNumber": "+1 212-499-5321",
                "postalCode": "10164",
            },
        },
        "additionalMetaData": {"key": "value"},
        "subscriptionParams": {"planId": "plan-revvenu-basic"},
    }
}

PROVISION_CUSTOMER_RESPONSE = {
    "data": {
        "provisionCustomer": {
            "customer": {
                "refId": "customer-id",
                "name": "Acme",
                "email": "[email protected]",
                "createdAt": "2022-09-22T08:00:28.965Z",
                "billingId": None,
                "crmId": None,
                "hasPaymentMethod": False,
                "additionalMetaData": {"key": "value"},
            },
            "subscriptionDecisionStrategy": "REQUESTED_PLAN",
            "subscription": {
                "refId": "subscription-plan-revvenu-basic-7b5a40",
                "status": "ACTIVE",
                "plan": {"refId": "plan-revvenu-basic"},
            },
        }
    }
}

UPDATE_CUSTOMER = """
mutation UpdateOneCustomer($input: UpdateCustomerInput!) {
updateOneCustomer(input: $input) {
refId
name
email
createdAt
billingId
crmId
hasPaymentMethod
additionalMetaData
}
}
"""

GET_CUSTOMER = """
fragment CouponFragment on Coupon {
id
discountValue
additionalMetaData
refId
name
description
createdAt
updatedAt
billingId
type
status
}
fragment PriceFragment on Price {
billingModel
billingPeriod
price {
amount
currency
}
feature {
featureUnits
featureUnitsPlural
displayName
refId
}
}
fragment TotalPriceFragment on CustomerSubscriptionTotalPrice {
subTotal {
amount
currency
}
total {
amount
currency
}
}
fragment AddonFragment on Addon {
id
refId
displayName
description
additionalMetaData
}
fragment PlanFragment on Plan {
id
refId
displayName
description
additionalMetaData
}
fragment SubscriptionFragment on CustomerSubscription {
id
startDate
endDate
trialEndDate
cancellationDate
effectiveEndDate
status
refId
currentBillingPeriodEnd
additionalMetaData
prices {
usageLimit
price {
...PriceFragment
}
}
totalPrice {
...TotalPriceFragment
}
pricingType
plan {
...PlanFragment
}
addons {
id
quantity
addon {
...AddonFragment
}
}
}
fragment PromotionalEntitlementFragment on PromotionalEntitlement {
status
usageLimit
featureId
hasUnlimitedUsage
resetPeriod
endDate
isVisible
feature {
displayName
description
refId
}
}
fragment CustomerFragment on Customer {
id
name
email
createdAt
updatedAt
hasPaymentMethod
refId
billingId
additionalMetaData
coupon {
...CouponFragment
}
promotionalEntitlements {
...PromotionalEntitlementFragment
}
subscriptions {
...SubscriptionFragment
}
}
query GetCustomerByRefId($filter: CustomerFilter) {
customers(filter: $filter) {
edges {
node {
...CustomerFragment
}
}
}
}
"""

CREATE_SUBSCRIPTION = """
mutation CreateSubscription($input: SubscriptionInput!) {
createSubscription(subscription: $input) {
id
refId
status
additionalMetaData
plan {
id
refId
}
addons {
quantity
addon {
id
refId
}
}
customer {
id
refId
}
}
}
"""

CREATE_SUBSCRIPTION_RESPONSE = {
    "data": {
        "createSubscription": {
            "id": "e8ca2feb-e57e-4e93-9007-f14814524944",
            "refId": "subscription-plan-revvenu-essentials-65768c",
            "status": "PAYMENT_PENDING",
            "additionalMetaData": {"key": "value"},
            "plan": {
                "id": "3b0c9144-f6ea-4a39-af7b-2c9dda38a813",
                "refId": "plan-revvenu-essentials",
            },
            "addons": [
                {
                    "quantity": 2,
                    "addon": {
                        "id": "83763342-93af-4ea7-995f-9598be7393f0",
                        "refId": "addon-10-campaigns",
                    },
                }
            ],
            "customer": {"id": "8e527bc0-9822-4b02-acbd-dadec77a01b2", "refId": "customer-9a88b4"},
        }
    }
}

UPDATE_SUBSCRIPTION = """
mutation UpdateOneSubscription($input: UpdateSubscriptionInput!) {
updateOneSubscription(input: $input) {
id
refId
status
additionalMetaData
plan {
id
refId
}
addons {
quantity
addon {
id
refId
}
}
customer {
id
refId
}
}
}
"""

CANCEL_SUBSCRIPTION = """
mutation CancelSubscription($input: SubscriptionCancellationInput!) {
cancelSubscription(input: $input) {
refId
status
additionalMetaData
}
}
"""

GET_ENTITLEMENT = """
query GetEntitlement($query: FetchEntitlementQuery!) {
entitlement(query: $query) {
isGranted
feature {
refId
displayName
featureUnits
featureUnitsPlural
featureType
meterType
description
}
currentUsage
customerId
accessDeniedReason
requestedUsage
usageLimit
hasUnlimitedUsage
nextResetDate
resetPeriod
}
}
"""

GET_ENTITLEMENTS = """
query GetEntitlements($query: FetchEntitlementsQuery!) {
cachedEntitlements(query: $query) {
feature {
refId
displayName
featureUnits
featureUnitsPlural
featureType
meterType
description
}
currentUsage
customerId
usageLimit
hasUnlimitedUsage
nextResetDate
resetPeriod
}
}
"""

CREATE_USAGE_MEASUREMENT = """
mutation CreateUsageMeasurement($input: UsageMeasurementCreateInput!) {
createUsageMeasurement(usageMeasurement: $input) {
id
}
}
"""

INITIATE_CHECKOUT = """
mutation InitiateCheckout($input: InitiateCheckoutInput!) {
initiateCheckout(input: $input) {
checkoutUrl
}
}
"""

_PREVIEW = """
subTotal {
amount
currency
}
total {
amount
currency
}
billingPeriodRange {
start
end
}
proration {
prorationDate
credit {
amount
currency
}
debit {
amount
currency
}
}
"""

ESTIMATE_SUBSCRIPTION = (
    "mutation EstimateSubscription($input: EstimateSubscriptionInput!) {\n"
    "estimateSubscription(input: $input) {" + _PREVIEW + "}\n}\n"
)
ESTIMATE_SUBSCRIPTION_UPDATE = (
    "mutation EstimateSubscriptionUpdate($input: EstimateSubscriptionUpdateInput!) {\n"
    "estimateSubscriptionUpdate(input: $input) {" + _PREVIEW + "}\n}\n"
)

PREVIEW_RESPONSE = {
    "subTotal": {"amount": 7, "currency": "USD"},
    "total": {"amount": 7, "currency": "USD"},
    "billingPeriodRange": {"start": "2022-10-26T17:07:17.000Z", "end": "2022-11-26T17:07:17.000Z"},
    "proration": {
        "prorationDate": "2022-10-26T17:08:23.000Z",
        "credit": {"amount": -10, "currency": "USD"},
        "debit": {"amount": 17, "currency": "USD"},
    },
}

FETCH_COUPONS = """
fragment CouponFragment on Coupon {
id
discountValue
type
additionalMetaData
refId
name
description
createdAt
updatedAt
billingId
type
status
}
query FetchCoupons($filter: CouponFilter) {
coupons(filter: $filter, sorting: $sorting, paging: $paging) {
edges {
node {
...CouponFragment
}
}
}
}
"""

MIGRATE = """
mutation MigrateSubscriptionToLatest($input: SubscriptionMigrationInput!) {
migrateSubscriptionToLatest(input: $input) {
subscriptionId
}
}
"""


async def _provision_guide_customer(gql: Poster) -> dict[str, object]:
    reply = await gql(PROVISION_CUSTOMER, PROVISION_CUSTOMER_VARIABLES)
    assert reply.status == 200, reply.body
    return reply.body  # type: ignore[no-any-return]


async def test_provision_customer_answers_the_documented_shape(gql: Poster) -> None:
    """ProvisionCustomer with subscriptionParams creates the customer and a basic subscription."""
    body = await _provision_guide_customer(gql)
    assert_same_shape(PROVISION_CUSTOMER_RESPONSE, body)
    result = body["data"]["provisionCustomer"]  # type: ignore[index]
    assert result["customer"]["refId"] == "customer-id"
    assert result["customer"]["hasPaymentMethod"] is False
    assert result["customer"]["createdAt"] == "2026-01-01T00:00:00.000Z"
    assert result["subscriptionDecisionStrategy"] == "REQUESTED_PLAN"
    assert result["subscription"]["status"] == "ACTIVE"
    assert result["subscription"]["refId"].startswith("subscription-plan-revvenu-basic-")


async def test_update_one_customer_changes_only_given_fields(gql: Poster) -> None:
    """UpdateOneCustomer sets the email and keeps the rest; the guide's shape comes back."""
    await _provision_guide_customer(gql)
    variables = {
        "input": {
            "email": "[email protected]",
            "name": "Acme",
            "refId": "customer-id",
            "billingInformation": {
                "language": "en",
                "timezone": "America/New_York",
                "currency": "USD",
                "taxIds": [{"type": "...", "value": "..."}],
            },
            "additionalMetaData": {"key": "value"},
        }
    }
    data = await gql.ok(UPDATE_CUSTOMER, variables)
    assert_same_shape(
        {
            "refId": "customer-id",
            "name": "Acme",
            "email": "[email protected]",
            "createdAt": "2022-08-24T20:37:46.194Z",
            "billingId": None,
            "crmId": None,
            "hasPaymentMethod": False,
            "additionalMetaData": {"key": "value"},
        },
        data["updateOneCustomer"],
    )
    assert data["updateOneCustomer"]["email"] == "[email protected]"


async def test_get_customer_by_ref_id_through_customers_filter(gql: Poster, emu: Emulator) -> None:
    """The guide's fragment-heavy customers(filter:) query returns the customer and its plan."""
    await _provision_guide_customer(gql)
    data = await gql.ok(GET_CUSTOMER, {"filter": {"refId": {"eq": "customer-id"}}})
    edges = data["customers"]["edges"]
    assert len(edges) == 1
    node = edges[0]["node"]
    assert node["refId"] == "customer-id"
    assert node["coupon"]["refId"] == "coupon-vip"
    assert node["coupon"]["discountValue"] == 20
    assert node["promotionalEntitlements"] == []
    (sub,) = node["subscriptions"]
    assert sub["status"] == "ACTIVE"
    assert sub["pricingType"] == "FREE"
    assert sub["plan"]["refId"] == "plan-revvenu-basic"
    assert sub["plan"]["displayName"] == "Basic"
    assert sub["totalPrice"] is None
    assert sub["currentBillingPeriodEnd"] == "2026-02-01T00:00:00.000Z"
    expected_sub = {
        "id": "0136d54d-c34d-435d-b53c-e0e6f358608a",
        "startDate": "2022-08-24T21:25:51.921Z",
        "endDate": None,
        "trialEndDate": None,
        "cancellationDate": None,
        "effectiveEndDate": None,
        "status": "ACTIVE",
        "refId": "subscription-plan-revvenu-basic-e24ddb",
        "currentBillingPeriodEnd": "2022-09-24T21:25:51.921Z",
        "additionalMetaData": {"key": "value"},
        "prices": [],
        "totalPrice": None,
        "pricingType": "FREE",
        "plan": {
            "id": "08b249b1-5d15-4d09-a9f8-da4af00836d5",
            "refId": "plan-revvenu-basic",
            "displayName": "Basic",
            "description": None,
            "additionalMetaData": None,
        },
        "addons": [],
    }
    assert_same_shape(expected_sub, sub)
    assert emu.counters.operation("GetCustomerByRefId") == 1


async def test_create_subscription_for_a_paid_plan_without_payment_is_pending(
    gql: Poster, emu: Emulator
) -> None:
    """The legacy createSubscription answers PAYMENT_PENDING, as in the guide."""
    emu.state.provision_customer("customer-id")
    variables = {
        "input": {
            "customerId": "customer-id",
            "planId": "plan-revvenu-essentials",
            "billingPeriod": "MONTHLY",
            "addons": [{"addonId": "addon-10-campaigns", "quantity": 2}],
            "additionalMetaData": {"key": "value"},
        }
    }
    body = (await gql(CREATE_SUBSCRIPTION, variables)).body
    assert_same_shape(CREATE_SUBSCRIPTION_RESPONSE, body)
    result = body["data"]["createSubscription"]
    assert result["status"] == "PAYMENT_PENDING"
    assert result["addons"][0]["quantity"] == 2
    assert result["customer"]["refId"] == "customer-id"


async def test_create_subscription_with_the_guides_own_variables(
    gql: Poster, emu: Emulator
) -> None:
    """The guide's own variables fail: addon-extra-stuff is not sold with the basic plan."""
    emu.state.provision_customer("customer-id")
    variables = {
        "input": {
            "customerId": "customer-id",
            "planId": "plan-revvenu-basic",
            "billingPeriod": "MONTHLY",
            "addons": [{"addonId": "addon-extra-stuff", "quantity": 2}],
            "additionalMetaData": {"key": "value"},
        }
    }
    reply = await gql(CREATE_SUBSCRIPTION, variables)
    assert reply.status == 200
    assert reply.codes == ["IncompatibleSubscriptionAddon"]


async def test_update_one_subscription_sets_the_unit_quantity(gql: Poster, emu: Emulator) -> None:
    """UpdateOneSubscription by refId changes the per-unit quantity (the templates limit)."""
    emu.state.provision_customer("customer-id", payment_method_id="pm_card_visa")
    emu.state.provision_subscription(
        "customer-id",
        "plan-revvenu-essentials",
        subscription_id="subscription-plan-professional-4dfecf",
        addons={"addon-10-campaigns": 2},
    )
    data = await gql.ok(
        UPDATE_SUBSCRIPTION,
        {"input": {"refId": "subscription-plan-professional-4dfecf", "unitQuantity": 5}},
    )
    assert_same_shape(
        CREATE_SUBSCRIPTION_RESPONSE["data"]["createSubscription"], data["updateOneSubscription"]
    )
    assert data["updateOneSubscription"]["status"] == "ACTIVE"
    value = emu.state.entitlement("customer-id", "feature-01-templates")
    assert value.usage_limit == 5


async def test_cancel_subscription_immediately(gql: Poster, emu: Emulator) -> None:
    """CancelSubscription IMMEDIATE answers CANCELED with the guide's fields."""
    emu.state.provision_customer("customer-id")
    emu.state.provision_subscription(
        "customer-id",
        "plan-revvenu-basic",
        subscription_id="subscription-id",
        additional_meta_data={"key": "value"},
    )
    data = await gql.ok(
        CANCEL_SUBSCRIPTION,
        {
            "input": {
                "subscriptionRefId": "subscription-id",
                "subscriptionCancellationTime": "IMMEDIATE",
            }
        },
    )
    assert data["cancelSubscription"] == {
        "refId": "subscription-id",
        "status": "CANCELED",
        "additionalMetaData": {"key": "value"},
    }


async def test_get_entitlement_matches_the_guide(gql: Poster) -> None:
    """GetEntitlement for templates on the basic plan: granted, limit 3, no reset."""
    await _provision_guide_customer(gql)
    data = await gql.ok(
        GET_ENTITLEMENT,
        {
            "query": {
                "customerId": "customer-id",
                "featureId": "feature-01-templates",
                "options": {"requestedUsage": 0},
            }
        },
    )
    assert data["entitlement"] == {
        "isGranted": True,
        "feature": {
            "refId": "feature-01-templates",
            "displayName": "Templates",
            "featureUnits": "template",
            "featureUnitsPlural": "templates",
            "featureType": "NUMBER",
            "meterType": "Fluctuating",
            "description": None,
        },
        "currentUsage": 0,
        "customerId": "customer-id",
        "accessDeniedReason": None,
        "requestedUsage": 0,
        "usageLimit": 3,
        "hasUnlimitedUsage": False,
        "nextResetDate": None,
        "resetPeriod": None,
    }


async def test_get_entitlements_lists_every_feature_of_the_plan(gql: Poster) -> None:
    """GetEntitlements (cachedEntitlements) lists the plan's features in the guide's shape."""
    await _provision_guide_customer(gql)
    data = await gql.ok(GET_ENTITLEMENTS, {"query": {"customerId": "customer-id"}})
    entitlements = {e["feature"]["refId"]: e for e in data["cachedEntitlements"]}
    assert set(entitlements) == {
        "feature-01-templates",
        "feature-02-campaigns",
        "feature-06-max-file-size",
        "feature-07-active-users",
    }
    campaigns = entitlements["feature-02-campaigns"]
    assert_same_shape(
        {
            "feature": {
                "refId": "feature-02-campaigns",
                "displayName": "Campaigns",
                "featureUnits": "Campaign",
                "featureUnitsPlural": "Campaigns",
                "featureType": "NUMBER",
                "meterType": "Incremental",
                "description": None,
            },
            "currentUsage": 10,
            "customerId": "96ed6019-031a-4c52-bc41-b8fa3b5d86c5",
            "usageLimit": 12,
            "hasUnlimitedUsage": False,
            "nextResetDate": "2022-09-21T00:00:00.000Z",
            "resetPeriod": "MONTH",
        },
        campaigns,
    )
    assert campaigns["usageLimit"] == 4
    assert campaigns["resetPeriod"] == "MONTH"
    assert campaigns["nextResetDate"] == "2026-02-01T00:00:00.000Z"


async def test_create_usage_measurement_counts_usage(gql: Poster, emu: Emulator) -> None:
    """CreateUsageMeasurement answers an id and the usage lands (over the limit is allowed)."""
    await _provision_guide_customer(gql)
    data = await gql.ok(
        CREATE_USAGE_MEASUREMENT,
        {"input": {"value": 5, "customerId": "customer-id", "featureId": "feature-02-campaigns"}},
    )
    assert set(data["createUsageMeasurement"]) == {"id"}
    assert emu.state.usage_total("customer-id", "feature-02-campaigns") == 5
    denied = emu.state.entitlement("customer-id", "feature-02-campaigns")
    assert denied.access_denied_reason == "RequestedUsageExceedingLimit"


async def test_initiate_checkout_is_an_unsupported_root_field(gql: Poster) -> None:
    """The guide's initiateCheckout no longer exists: a clear error names it."""
    variables = {
        "input": {
            "customerId": "customer-id",
            "planId": "plan-id",
            "billingPeriod": "MONTHLY",
            "unitQuantity": 4,
            "addons": [{"addonId": "addon-id", "quantity": 1}],
            "successUrl": "<http://127.0.0.1/checkout-success>",
            "cancelUrl": "<http://127.0.0.1/checkout-error>",
        }
    }
    reply = await gql(INITIATE_CHECKOUT, variables)
    assert reply.status == 400
    assert "initiateCheckout" in reply.errors[0]["message"]
    assert reply.codes[0] == "UnsupportedParameter"


async def test_estimate_subscription_prices_plan_and_addons(gql: Poster, emu: Emulator) -> None:
    """EstimateSubscription: 4 templates x $6 + 2 x $5 add-on = $34 for a month."""
    emu.state.provision_customer("customer-demo-01")
    variables = {
        "input": {
            "customerId": "customer-demo-01",
            "billingPeriod": "MONTHLY",
            "planId": "plan-revvenu-essentials",
            "priceUnitAmount": 4,
            "addons": [{"addonId": "addon-10-campaigns", "quantity": 2}],
            "startDate": None,
            "billingInformation": {"taxRateIds": None},
        }
    }
    data = await gql.ok(ESTIMATE_SUBSCRIPTION, variables)
    result = data["estimateSubscription"]
    assert_same_shape({**PREVIEW_RESPONSE, "proration": None}, result)
    assert result["subTotal"] == {"amount": 34, "currency": "USD"}
    assert result["total"] == {"amount": 34, "currency": "USD"}
    assert result["billingPeriodRange"] == {
        "start": "2026-01-01T00:00:00.000Z",
        "end": "2026-02-01T00:00:00.000Z",
    }
    assert result["proration"] is None


async def test_estimate_subscription_update_prorates(gql: Poster, emu: Emulator) -> None:
    """EstimateSubscriptionUpdate mid-month: credit half the old price, debit half the new."""
    emu.state.provision_customer("customer-demo-01", payment_method_id="pm_card_visa")
    emu.state.provision_subscription(
        "customer-demo-01",
        "plan-revvenu-essentials",
        subscription_id="subscription-plan-revvenu-growth-da6324",
        unit_quantity=5,
        skip_trial=True,
    )
    emu.advance_time(31 * 24 * 3600 / 2)  # half of January
    variables = {
        "input": {
            "subscriptionId": "subscription-plan-revvenu-growth-da6324",
            "unitQuantity": 7,
            "addons": [{"addonId": "addon-10-campaigns", "quantity": 2}],
        }
    }
    data = await gql.ok(ESTIMATE_SUBSCRIPTION_UPDATE, variables)
    result = data["estimateSubscriptionUpdate"]
    assert_same_shape(PREVIEW_RESPONSE, result)
    # old: 5 x 6 = 30; new: 7 x 6 + 2 x 5 = 52
    assert result["proration"]["credit"]["amount"] == -15
    assert result["proration"]["debit"]["amount"] == 26
    assert result["total"]["amount"] == 11


async def test_fetch_coupons_as_written_is_invalid(gql: Poster) -> None:
    """The guide's FetchCoupons uses $sorting and $paging without declaring them: a 400."""
    reply = await gql(FETCH_COUPONS, {"filter": {"status": {"eq": "ACTIVE"}}})
    assert reply.status == 400
    assert reply.codes[0] == "BadUserInput"
    assert any("$sorting" in e["message"] for e in reply.errors)


async def test_fetch_coupons_with_declared_variables(gql: Poster) -> None:
    """With $sorting/$paging declared, FetchCoupons returns the active VIP coupon."""
    fixed = FETCH_COUPONS.replace(
        "query FetchCoupons($filter: CouponFilter)",
        "query FetchCoupons($filter: CouponFilter, $sorting: [CouponSort!], $paging: CursorPaging)",
    )
    data = await gql.ok(fixed, {"filter": {"status": {"eq": "ACTIVE"}}})
    nodes = [e["node"] for e in data["coupons"]["edges"]]
    assert [n["refId"] for n in nodes] == ["coupon-vip"]
    expected = {
        "id": "d7644ee3-6370-444e-bd0a-f73ed8f9cc76",
        "discountValue": 20,
        "type": "PERCENTAGE",
        "additionalMetaData": None,
        "refId": "coupon-215e17",
        "name": "VIP",
        "description": None,
        "createdAt": "2022-08-25T00:27:56.368Z",
        "updatedAt": "2022-08-25T00:27:56.761Z",
        "billingId": "TYvB8jF8",
        "status": "ACTIVE",
    }
    assert_same_shape(expected, nodes[0])
    assert nodes[0]["type"] == "PERCENTAGE"


async def test_migrate_subscription_to_latest(gql: Poster, emu: Emulator) -> None:
    """MigrateSubscriptionToLatest answers the subscription id."""
    emu.state.provision_customer("c")
    emu.state.provision_subscription(
        "c", "plan-revvenu-basic", subscription_id="subscription-plan-revvenu-basic-6fb76d"
    )
    data = await gql.ok(
        MIGRATE, {"input": {"subscriptionId": "subscription-plan-revvenu-basic-6fb76d"}}
    )
    assert data == {
        "migrateSubscriptionToLatest": {"subscriptionId": "subscription-plan-revvenu-basic-6fb76d"}
    }


@pytest.mark.parametrize("field", ["__typename"])
async def test_introspection_style_fields_work(gql: Poster, field: str) -> None:
    """``__typename`` at the root answers the root type."""
    data = await gql.ok(f"query {{ {field} }}")
    assert data == {"__typename": "Query"}
