"""Documents in the Java SDK's style: named fragments, ``__typename``, other selections."""

from __future__ import annotations

from stigg_async.emulator import Emulator

from .conftest import Poster

SLIM_CUSTOMER = """
fragment SlimCustomerFragment on Customer {
  __typename id name email createdAt updatedAt refId customerId billingId additionalMetaData
}
"""

FEATURE = """
fragment FeatureFragment on EntitlementFeature {
  __typename featureType meterType featureUnits featureUnitsPlural description displayName refId
}
"""

PACKAGE_ENTITLEMENT = """
fragment PackageEntitlementFragment on PackageEntitlement {
  __typename usageLimit hasUnlimitedUsage featureId resetPeriod hiddenFromWidgets isCustom
  displayNameOverride
  feature { featureType meterType featureUnits featureUnitsPlural displayName description
            refId additionalMetaData }
}
"""

PRICE = """
fragment PriceFragment on Price {
  __typename billingModel billingPeriod billingId minUnitQuantity maxUnitQuantity
  billingCountryCode price { amount currency } tiersMode tiers { upTo }
  feature { refId featureUnits featureUnitsPlural displayName description }
}
"""

SLIM_SUBSCRIPTION = (
    """
fragment SlimSubscriptionFragment on CustomerSubscription {
  __typename id refId status additionalMetaData billingId billingLinkUrl effectiveEndDate
  currentBillingPeriodEnd pricingType
  latestInvoice { __typename billingId status createdAt updatedAt requiresAction paymentUrl
                  paymentSecret errorMessage }
  paymentCollection billingSyncError resource { resourceId } experimentInfo { name }
  prices { usageLimit price { ...PriceFragment } }
  totalPrice { __typename subTotal { amount currency } total { amount currency } }
  plan { id refId }
  addons { id quantity addon { id refId } }
  customer { id refId }
}
"""
    + PRICE
)

PROVISION_CUSTOMER = (
    """
mutation ProvisionCustomer($input: ProvisionCustomerInput!) {
  provisionCustomer(input: $input) {
    customer { ...SlimCustomerFragment }
    subscriptionDecisionStrategy
    subscription { ...SlimSubscriptionFragment }
  }
}
"""
    + SLIM_CUSTOMER
    + SLIM_SUBSCRIPTION
)

PROVISION_SUBSCRIPTION = (
    """
mutation ProvisionSubscription($input: ProvisionSubscriptionInput!) {
  provisionSubscription: provisionSubscriptionV2(input: $input) {
    checkoutUrl status subscription { ...SlimSubscriptionFragment }
  }
}
"""
    + SLIM_SUBSCRIPTION
)

GET_CUSTOMER = (
    """
query GetCustomerById($input: GetCustomerByRefIdInput!) {
  getCustomerByRefId(input: $input) { __typename ...CustomerWithSubscriptionsFragment }
}
fragment CustomerWithSubscriptionsFragment on Customer {
  __typename
  subscriptions { __typename ...SubscriptionFragment }
  ...CustomerFragment
}
fragment CustomerFragment on Customer {
  __typename hasPaymentMethod hasActiveSubscription defaultPaymentExpirationMonth
  defaultPaymentExpirationYear defaultPaymentMethodLast4Digits
  trialedPlans { productId productRefId planRefId planId }
  experimentInfo { groupType name } coupon { refId }
  eligibleForTrial { productId productRefId eligible }
  promotionalEntitlements { __typename ...PromotionalEntitlementFragment }
  ...SlimCustomerFragment
}
fragment PromotionalEntitlementFragment on PromotionalEntitlement {
  status usageLimit featureId hasUnlimitedUsage resetPeriod endDate isVisible
  feature { featureType meterType featureUnits featureUnitsPlural displayName description refId
            additionalMetaData }
}
fragment SubscriptionFragment on CustomerSubscription {
  id startDate endDate trialEndDate cancellationDate effectiveEndDate status refId
  currentBillingPeriodEnd additionalMetaData billingId billingLinkUrl paymentCollection
  billingSyncError resource { resourceId } pricingType
  prices { usageLimit price { ...PriceFragment } }
  totalPrice { subTotal { amount currency } total { amount currency } }
  plan { __typename ...PlanFragment }
  addons { id quantity addon { id refId displayName } }
  scheduledUpdates { scheduleStatus } futureUpdates { scheduleStatus }
}
fragment PlanFragment on Plan {
  id refId displayName description billingId versionNumber additionalMetaData
  product { __typename refId displayName description additionalMetaData
            productSettings { downgradePlan { refId displayName } } }
  basePlan { refId displayName }
  entitlements { ...PackageEntitlementFragment }
  inheritedEntitlements { ...PackageEntitlementFragment }
  compatibleAddons { __typename id refId displayName entitlements { ...PackageEntitlementFragment }
                     prices { ...PriceFragment } pricingType }
  prices { ...PriceFragment }
  pricingType
  defaultTrialConfig { duration units }
}
"""
    + SLIM_CUSTOMER
    + PACKAGE_ENTITLEMENT
    + PRICE
)

ENTITLEMENT_FRAGMENT = (
    """
fragment EntitlementFragment on Entitlement {
  __typename isGranted accessDeniedReason customerId resourceId usageLimit hasUnlimitedUsage
  currentUsage requestedUsage entitlementUpdatedAt usageUpdatedAt nextResetDate resetPeriod
  resetPeriodConfiguration {
    __typename
    ... on MonthlyResetPeriodConfig { monthlyAccordingTo }
    ... on WeeklyResetPeriodConfig { weeklyAccordingTo }
  }
  feature { __typename ...FeatureFragment }
}
"""
    + FEATURE
)


async def test_provision_customer_with_fragments(gql: Poster) -> None:
    """The Java guide's ProvisionCustomer: fragments and __typename resolve."""
    data = await gql.ok(
        PROVISION_CUSTOMER,
        {
            "input": {
                "customerId": "customer-81726628184",
                "name": "Acme",
                "email": "[email protected]",
                "billingInformation": {"billingAddress": {"country": "US", "city": "New York"}},
                "additionalMetaData": {"key": "value"},
                "subscriptionParams": {"planId": "plan-revvenu-basic"},
            }
        },
    )
    result = data["provisionCustomer"]
    assert result["customer"]["__typename"] == "Customer"
    assert result["customer"]["customerId"] == "customer-81726628184"
    sub = result["subscription"]
    assert sub["__typename"] == "CustomerSubscription"
    assert sub["paymentCollection"] == "NOT_REQUIRED"
    assert sub["pricingType"] == "FREE"
    assert sub["latestInvoice"] is None
    assert sub["prices"] == []
    assert sub["customer"] == {"id": result["customer"]["id"], "refId": "customer-81726628184"}


async def test_get_customer_with_deep_fragments(gql: Poster, emu: Emulator) -> None:
    """GetCustomerById with plan, product, entitlements and add-ons via nested fragments."""
    emu.state.provision_customer("customer-demo-01", payment_method_id="pm_card_visa")
    emu.state.provision_subscription(
        "customer-demo-01",
        "plan-revvenu-essentials",
        unit_quantity=7,
        addons={"addon-10-campaigns": 2},
    )
    emu.state.grant_promotion("customer-demo-01", "feature-03-custom-domain")
    data = await gql.ok(GET_CUSTOMER, {"input": {"customerId": "customer-demo-01"}})
    customer = data["getCustomerByRefId"]
    assert customer["hasPaymentMethod"] is True
    assert customer["hasActiveSubscription"] is True
    assert customer["defaultPaymentMethodLast4Digits"] == "4242"
    (promo,) = customer["promotionalEntitlements"]
    assert promo["status"] == "Active"
    assert promo["feature"]["refId"] == "feature-03-custom-domain"
    (sub,) = customer["subscriptions"]
    assert sub["prices"][0]["usageLimit"] == 7
    assert sub["prices"][0]["price"]["price"] == {"amount": 6, "currency": "USD"}
    assert sub["totalPrice"]["subTotal"]["amount"] == 52  # 7 x 6 + 2 x 5, as in the guide
    plan = sub["plan"]
    assert plan["__typename"] == "Plan"
    assert plan["product"]["refId"] == "product-revvenu"
    assert plan["product"]["additionalMetaData"] == {"recommendedPlan": "plan-revvenu-essentials"}
    assert plan["basePlan"] == {"refId": "plan-revvenu-basic", "displayName": "Basic"}
    assert "feature-04-analytics" in {e["feature"]["refId"] for e in plan["entitlements"]}
    assert [a["refId"] for a in plan["compatibleAddons"]] == [
        "addon-10-campaigns",
        "addon-extra-stuff",
    ]
    assert sub["addons"][0]["quantity"] == 2
    assert sub["scheduledUpdates"] == []
    assert sub["futureUpdates"] == []


async def test_provision_subscription_success_with_invoice(gql: Poster, emu: Emulator) -> None:
    """A paid plan for a customer with a card: SUCCESS, a paid invoice, NOT_REQUIRED."""
    emu.state.provision_customer("customer-demo-01", payment_method_id="pm_card_visa")
    data = await gql.ok(
        PROVISION_SUBSCRIPTION,
        {
            "input": {
                "customerId": "customer-demo-01",
                "planId": "plan-revvenu-essentials",
                "billingPeriod": "MONTHLY",
                "billableFeatures": [{"featureId": "feature-01-templates", "quantity": 5}],
                "additionalMetaData": {"key": "value"},
            }
        },
    )
    result = data["provisionSubscription"]
    assert result["status"] == "SUCCESS"
    assert result["checkoutUrl"] is None
    sub = result["subscription"]
    assert sub["status"] == "ACTIVE"
    assert sub["latestInvoice"]["status"] == "PAID"
    assert sub["latestInvoice"]["requiresAction"] is False
    assert sub["totalPrice"]["total"]["amount"] == 30


async def test_entitlements_with_union_fragments(gql: Poster, emu: Emulator) -> None:
    """GetEntitlements in fragment style, with inline fragments on the reset-period union."""
    emu.state.provision_customer("customer-demo-01")
    emu.state.provision_subscription("customer-demo-01", "plan-revvenu-basic")
    query = (
        """
query GetEntitlements($query: FetchEntitlementsQuery!) {
  entitlements: cachedEntitlements(query: $query) { __typename ...EntitlementFragment }
}
"""
        + ENTITLEMENT_FRAGMENT
    )
    data = await gql.ok(query, {"query": {"customerId": "customer-demo-01"}})
    by_feature = {e["feature"]["refId"]: e for e in data["entitlements"]}
    campaigns = by_feature["feature-02-campaigns"]
    assert campaigns["__typename"] == "Entitlement"
    assert campaigns["resetPeriodConfiguration"] == {
        "__typename": "MonthlyResetPeriodConfig",
        "monthlyAccordingTo": "SubscriptionStart",
    }
    assert campaigns["feature"]["__typename"] == "EntitlementFeature"
    assert by_feature["feature-01-templates"]["resetPeriodConfiguration"] is None


async def test_entitlement_denied_for_requested_usage(gql: Poster, emu: Emulator) -> None:
    """requestedUsage 10 over a limit of 3 with 0 used: RequestedUsageExceedingLimit."""
    emu.state.provision_customer("customer-demo-01")
    emu.state.provision_subscription("customer-demo-01", "plan-revvenu-basic")
    query = (
        """
query GetEntitlement($query: FetchEntitlementQuery!) {
  entitlement(query: $query) { __typename ...EntitlementFragment }
}
"""
        + ENTITLEMENT_FRAGMENT
    )
    variables = {
        "query": {
            "customerId": "customer-demo-01",
            "featureId": "feature-01-templates",
            "options": {"requestedUsage": 10.0},
        }
    }
    data = await gql.ok(query, variables)
    assert data["entitlement"]["isGranted"] is False
    assert data["entitlement"]["accessDeniedReason"] == "RequestedUsageExceedingLimit"
    assert data["entitlement"]["requestedUsage"] == 10


async def test_report_usage_and_event_in_java_style(gql: Poster, emu: Emulator) -> None:
    """ReportUsage (SET) and ReportEvent with dimensions and a timestamp, Java-style."""
    emu.state.provision_customer("customer-demo-01")
    emu.state.provision_subscription("customer-demo-01", "plan-revvenu-basic")
    data = await gql.ok(
        """
mutation ReportUsage($input: ReportUsageInput!) {
  reportUsage(input: $input) { __typename id currentUsage nextResetDate timestamp }
}
""",
        {
            "input": {
                "customerId": "customer-demo-01",
                "featureId": "feature-02-campaigns",
                "value": 3.0,
                "updateBehavior": "SET",
            }
        },
    )
    assert data["reportUsage"]["currentUsage"] == 3
    assert data["reportUsage"]["nextResetDate"] == "2026-02-01T00:00:00.000Z"
    await gql.ok(
        """
mutation ReportEvent($input: UsageEventsReportInput!) { reportEvent(events: $input) }
""",
        {
            "input": {
                "usageEvents": [
                    {
                        "customerId": "customer-demo-01",
                        "eventName": "user_login",
                        "idempotencyKey": "227c1b73-883a-457b-b715-6ba5a2c69ce4",
                        "timestamp": "2026-01-01T00:00:00.000Z",
                        "dimensions": {"user_id": "user-01", "ip": "127.0.0.1"},
                    }
                ]
            }
        },
    )
    assert emu.state.usage_total("customer-demo-01", "feature-07-active-users") == 1


async def test_grant_and_revoke_promotions(gql: Poster, emu: Emulator) -> None:
    """GrantPromotionalEntitlements (ONE_MONTH, CUSTOM) then RevokePromotionalEntitlement."""
    emu.state.provision_customer("customer-demo-01")
    data = await gql.ok(
        """
mutation Grant($input: GrantPromotionalEntitlementsInput!) {
  grantPromotionalEntitlements(input: $input) {
    __typename status usageLimit featureId hasUnlimitedUsage resetPeriod endDate isVisible
    feature { featureType meterType displayName refId }
  }
}
""",
        {
            "input": {
                "customerId": "customer-demo-01",
                "promotionalEntitlements": [
                    {"featureId": "feature-04-analytics", "period": "ONE_MONTH"},
                    {
                        "featureId": "feature-02-campaigns",
                        "period": "CUSTOM",
                        "customEndDate": "2026-01-31T00:00:00.000Z",
                        "usageLimit": 100.0,
                    },
                ],
            }
        },
    )
    analytics, campaigns = data["grantPromotionalEntitlements"]
    assert analytics["endDate"] == "2026-02-01T00:00:00.000Z"
    assert analytics["status"] == "Active"
    assert campaigns["usageLimit"] == 100
    revoked = await gql.ok(
        """
mutation Revoke($input: RevokePromotionalEntitlementInput!) {
  revokePromotionalEntitlement(input: $input) { id }
}
""",
        {"input": {"featureId": "feature-04-analytics", "customerId": "customer-demo-01"}},
    )
    assert revoked["revokePromotionalEntitlement"]["id"]
    value = emu.state.entitlement("customer-demo-01", "feature-04-analytics")
    assert value.access_denied_reason == "NoFeatureEntitlementInSubscription"


async def test_get_active_subscriptions_slim_v2(gql: Poster, emu: Emulator) -> None:
    """GetActiveSubscriptionsList with a resource id answers only that resource's subscription."""
    emu.state.provision_customer("customer-demo-01")
    emu.state.provision_subscription("customer-demo-01", "plan-revvenu-basic", resource_id="site-1")
    emu.state.provision_subscription("customer-demo-01", "plan-revvenu-basic", resource_id="site-2")
    data = await gql.ok(
        """
query GetActiveSubscriptionsList($input: GetActiveSubscriptionsInput!) {
  getActiveSubscriptions(input: $input) { __typename ...SlimSubscriptionFragmentV2 }
}
fragment SlimSubscriptionFragmentV2 on CustomerSubscription {
  subscriptionId status pricingType startDate currentBillingPeriodEnd
  customer { customerId } plan { planId: refId displayName } resource { resourceId }
}
""",
        {"input": {"customerId": "customer-demo-01", "resourceId": "site-1"}},
    )
    (sub,) = data["getActiveSubscriptions"]
    assert sub["resource"] == {"resourceId": "site-1"}
    assert sub["plan"] == {"planId": "plan-revvenu-basic", "displayName": "Basic"}
    assert sub["customer"] == {"customerId": "customer-demo-01"}
