"""Entitlements, usage reporting, raw events, idempotency and period rollover."""

from __future__ import annotations

import pytest

from stigg_async.emulator import Emulator, EmulatorError, UsageReport

from .conftest import Poster

DAY = 24 * 3600

STATE = """
query S($q0: FetchEntitlementsQuery!, $q1: FetchEntitlementsQuery!, $q2: FetchEntitlementsQuery!) {
  c0: entitlementsState(query: $q0) { accessDeniedReason entitlements { feature { refId } } }
  c1: entitlementsState(query: $q1) { accessDeniedReason entitlements { feature { refId } } }
  c2: entitlementsState(query: $q2) { accessDeniedReason entitlements { feature { refId } } }
}
"""

REPORT = """
mutation R($input: ReportUsageInput!) {
  reportUsage(input: $input) {
    id currentUsage usagePeriodStart usagePeriodEnd nextResetDate timestamp customerId featureId
  }
}
"""

FULL_ENTITLEMENT = """
query E($query: FetchEntitlementsQuery!) {
  cachedEntitlements(query: $query) {
    isGranted accessDeniedReason usageLimit currentUsage hasUnlimitedUsage hasSoftLimit
    resetPeriod usagePeriodStart usagePeriodEnd usagePeriodAnchor nextResetDate
    entitlementUpdatedAt usageUpdatedAt resourceId customerId
    feature { id refId displayName featureType featureStatus meterType featureUnits }
  }
}
"""


@pytest.fixture
def basic(emu: Emulator) -> Emulator:
    """A customer ``c`` on the basic plan."""
    emu.state.provision_customer("c")
    emu.state.provision_subscription("c", "plan-revvenu-basic")
    return emu


async def test_entitlements_state_batch_never_fails_for_unknown_customers(
    gql: Poster, basic: Emulator
) -> None:
    """Aliased entitlementsState: known, unknown and subscription-less customers in one batch."""
    basic.state.provision_customer("no-sub")
    data = await gql.ok(
        STATE,
        {"q0": {"customerId": "c"}, "q1": {"customerId": "ghost"}, "q2": {"customerId": "no-sub"}},
    )
    assert data["c0"]["accessDeniedReason"] is None
    assert len(data["c0"]["entitlements"]) == 4
    assert data["c1"] == {"accessDeniedReason": "CustomerNotFound", "entitlements": []}
    assert data["c2"] == {"accessDeniedReason": "NoActiveSubscription", "entitlements": []}
    assert basic.counters.root_field_selections["entitlementsState"] == 3
    assert basic.counters.root_field("entitlementsState") == 1


async def test_cached_entitlements_for_a_missing_customer_is_an_error(gql: Poster) -> None:
    """cachedEntitlements for an unknown customer: CustomerNotFound."""
    reply = await gql('query { cachedEntitlements(query: {customerId: "ghost"}) { isGranted } }')
    assert reply.codes == ["CustomerNotFound"]


async def test_every_entitlement_field_is_filled(gql: Poster, basic: Emulator) -> None:
    """Metered features carry period start/end/anchor; every non-null field is present."""
    data = await gql.ok(FULL_ENTITLEMENT, {"query": {"customerId": "c"}})
    by_id = {e["feature"]["refId"]: e for e in data["cachedEntitlements"]}
    campaigns = by_id["feature-02-campaigns"]
    assert campaigns["usagePeriodStart"] == "2026-01-01T00:00:00.000Z"
    assert campaigns["usagePeriodEnd"] == "2026-02-01T00:00:00.000Z"
    assert campaigns["usagePeriodAnchor"] == "2026-01-01T00:00:00.000Z"
    assert campaigns["customerId"] == "c"
    assert campaigns["hasSoftLimit"] is False
    assert campaigns["entitlementUpdatedAt"] == "2026-01-01T00:00:00.000Z"
    assert campaigns["feature"]["featureStatus"] == "ACTIVE"
    assert campaigns["feature"]["id"]
    size = by_id["feature-06-max-file-size"]
    assert size["usageLimit"] == 5
    assert size["isGranted"] is True
    assert size["resetPeriod"] is None


async def test_report_usage_delta_set_and_negative(gql: Poster, basic: Emulator) -> None:
    """DELTA adds, SET replaces, negative deltas only on fluctuating meters."""

    async def report(feature: str, value: float, **extra: object) -> dict[str, object]:
        data = await gql.ok(
            REPORT, {"input": {"customerId": "c", "featureId": feature, "value": value, **extra}}
        )
        return data["reportUsage"]  # type: ignore[no-any-return]

    first = await report("feature-02-campaigns", 2)
    assert first["currentUsage"] == 2
    assert first["usagePeriodEnd"] == first["nextResetDate"] == "2026-02-01T00:00:00.000Z"
    assert (await report("feature-02-campaigns", 1))["currentUsage"] == 3
    assert (await report("feature-02-campaigns", 1, updateBehavior="SET"))["currentUsage"] == 1
    assert (await report("feature-01-templates", 3))["currentUsage"] == 3
    assert (await report("feature-01-templates", -2))["currentUsage"] == 1
    reply = await gql(
        REPORT, {"input": {"customerId": "c", "featureId": "feature-02-campaigns", "value": -1}}
    )
    assert reply.codes == ["UsageMeasurementDiffOutOfRangeError"]
    assert basic.state.usage_total("c", "feature-02-campaigns") == 1


@pytest.mark.parametrize(
    ("customer", "feature", "code"),
    [
        ("ghost", "feature-02-campaigns", "CustomerNotFound"),
        ("c", "feature-nope", "FeatureNotFound"),
        ("c", "feature-04-analytics", "NoFeatureEntitlementInSubscription"),
        ("c", "feature-06-max-file-size", "MeteringNotAvailableForFeatureType"),
        ("c", "feature-07-active-users", "CannotReportUsageForEntitlementWithMeterError"),
    ],
)
async def test_report_usage_errors(
    gql: Poster, basic: Emulator, customer: str, feature: str, code: str
) -> None:
    """Reporting where it makes no sense answers a fitting error code."""
    reply = await gql(REPORT, {"input": {"customerId": customer, "featureId": feature, "value": 1}})
    assert reply.codes == [code]
    assert basic.state.applied_usage_reports == 0


async def test_idempotent_usage_replays_the_first_result(gql: Poster, basic: Emulator) -> None:
    """The same idempotencyKey twice is applied once and answers the original result."""
    variables = {
        "input": {
            "customerId": "c",
            "featureId": "feature-02-campaigns",
            "value": 2,
            "idempotencyKey": "k-1",
        }
    }
    first = (await gql.ok(REPORT, variables))["reportUsage"]
    second = (await gql.ok(REPORT, variables))["reportUsage"]
    assert first == second
    assert basic.state.usage_total("c", "feature-02-campaigns") == 2
    assert basic.state.applied_usage_reports == 1
    assert basic.state.replayed_usage_reports == 1


async def test_report_usage_bulk_is_all_or_nothing(gql: Poster, basic: Emulator) -> None:
    """A bulk with one bad item applies none; a good bulk applies each item once."""
    bulk = """mutation B($input: ReportUsageBulkInput!) {
      reportUsageBulk(input: $input) { featureId currentUsage } }"""
    bad = {
        "input": {
            "usages": [
                {"customerId": "c", "featureId": "feature-02-campaigns", "value": 1},
                {"customerId": "c", "featureId": "feature-04-analytics", "value": 1},
            ]
        }
    }
    assert (await gql(bulk, bad)).codes == ["NoFeatureEntitlementInSubscription"]
    assert basic.state.usage_total("c", "feature-02-campaigns") == 0
    good = {
        "input": {
            "usages": [
                {
                    "customerId": "c",
                    "featureId": "feature-02-campaigns",
                    "value": 1,
                    "idempotencyKey": "a",
                },
                {
                    "customerId": "c",
                    "featureId": "feature-02-campaigns",
                    "value": 1,
                    "idempotencyKey": "a",
                },
                {"customerId": "c", "featureId": "feature-01-templates", "value": 2},
            ]
        }
    }
    data = await gql.ok(bulk, good)
    assert [r["currentUsage"] for r in data["reportUsageBulk"]] == [1, 1, 2]
    assert basic.state.applied_usage_reports == 2


async def test_events_count_unique_users_per_period(gql: Poster, basic: Emulator) -> None:
    """user_login events count distinct user_id; a repeated idempotency key counts once."""
    event = """mutation E($events: UsageEventsReportInput!) { reportEvent(events: $events) }"""

    def login(key: str, user: str) -> dict[str, object]:
        return {
            "customerId": "c",
            "eventName": "user_login",
            "idempotencyKey": key,
            "dimensions": {"user_id": user},
        }

    await gql.ok(
        event,
        {"events": {"usageEvents": [login("e1", "u1"), login("e2", "u1"), login("e3", "u2")]}},
    )
    await gql.ok(event, {"events": {"usageEvents": [login("e3", "u3")]}})
    assert basic.state.usage_total("c", "feature-07-active-users") == 2
    assert basic.state.applied_events == 3
    assert basic.state.replayed_events == 1
    basic.advance_time(31 * DAY)
    assert basic.state.usage_total("c", "feature-07-active-users") == 0
    await gql.ok(event, {"events": {"usageEvents": [login("e4", "u1")]}})
    assert basic.state.usage_total("c", "feature-07-active-users") == 1


async def test_usage_rolls_over_when_the_clock_crosses_the_period(
    gql: Poster, basic: Emulator
) -> None:
    """Campaign usage resets monthly from the subscription start; templates never reset."""
    basic.state.report_usage(UsageReport("c", "feature-02-campaigns", 4))
    basic.state.report_usage(UsageReport("c", "feature-01-templates", 2))
    assert not basic.state.entitlement("c", "feature-02-campaigns", requested_usage=1).is_granted
    basic.advance_time(31 * DAY)
    value = basic.state.entitlement("c", "feature-02-campaigns", requested_usage=1)
    assert value.is_granted
    assert value.current_usage == 0
    data = await gql.ok(
        REPORT, {"input": {"customerId": "c", "featureId": "feature-02-campaigns", "value": 1}}
    )
    assert data["reportUsage"]["currentUsage"] == 1
    assert data["reportUsage"]["usagePeriodStart"] == "2026-02-01T00:00:00.000Z"
    assert data["reportUsage"]["nextResetDate"] == "2026-03-01T00:00:00.000Z"
    assert basic.state.usage_total("c", "feature-01-templates") == 2


async def test_promotions_add_features_and_expire(basic: Emulator) -> None:
    """A one-week promo grants analytics until the clock passes its end."""
    state = basic.state
    assert not state.entitlement("c", "feature-04-analytics").is_granted
    state.grant_promotion("c", "feature-04-analytics", period="ONE_WEEK")
    assert state.entitlement("c", "feature-04-analytics").is_granted
    basic.advance_time(8 * DAY)
    value = state.entitlement("c", "feature-04-analytics")
    assert value.access_denied_reason == "NoFeatureEntitlementInSubscription"


async def test_promotion_raises_a_limit_and_custom_needs_an_end(basic: Emulator) -> None:
    """A more generous promo wins; CUSTOM without customEndDate is BadUserInput."""
    state = basic.state
    state.grant_promotion("c", "feature-02-campaigns", period="LIFETIME", usage_limit=100)
    value = state.entitlement("c", "feature-02-campaigns")
    assert value.usage_limit == 100
    assert value.reset_period == "MONTH"
    with pytest.raises(EmulatorError) as info:
        state.grant_promotion("c", "feature-02-campaigns", period="CUSTOM")
    assert info.value.code == "BadUserInput"
    with pytest.raises(EmulatorError) as missing:
        state.revoke_promotion("c", "feature-04-analytics")
    assert missing.value.code == "PromotionalEntitlementNotFoundError"


async def test_unlimited_growth_and_resource_usage(emu: Emulator) -> None:
    """Unlimited entitlements always grant; usage is kept per resource."""
    state = emu.state
    state.provision_customer("c", payment_method_id="pm_card_visa")
    state.provision_subscription("c", "plan-revvenu-growth", skip_trial=True, resource_id="r1")
    state.provision_subscription("c", "plan-revvenu-growth", skip_trial=True, resource_id="r2")
    state.report_usage(UsageReport("c", "feature-02-campaigns", 1000, resource_id="r1"))
    value = state.entitlement("c", "feature-02-campaigns", "r1", requested_usage=10**6)
    assert value.is_granted
    assert value.unlimited
    assert state.usage_total("c", "feature-02-campaigns", "r1") == 1000
    assert state.usage_total("c", "feature-02-campaigns", "r2") == 0
