"""Result models parse the guides' response shapes; enums, dates and aliases behave."""

from __future__ import annotations

from datetime import datetime, timezone

import guide_shapes as g
import pytest
from pydantic import ValidationError

from stigg_async._errors import StiggResponseError
from stigg_async._models import (
    AccessDeniedReason,
    BillingModel,
    CouponPage,
    CouponType,
    Currency,
    Customer,
    CustomerPage,
    Entitlement,
    EntitlementsState,
    EntitlementsStateAccessDeniedReason,
    FeatureType,
    Invoice,
    MeterType,
    Money,
    PaymentCollection,
    PromotionalEntitlement,
    PromotionalEntitlementStatus,
    ProvisionedCustomer,
    ProvisionSubscriptionResult,
    ProvisionSubscriptionStatus,
    Subscription,
    SubscriptionDecisionStrategy,
    SubscriptionPreview,
    SubscriptionStatus,
    UsageMeasurement,
    parse_result,
    parse_result_list,
)

UTC = timezone.utc


def test_unwrap_strips_java_wrappers() -> None:
    """The guide helper turns Apollo's rawValue / fragment wrappers into plain JSON."""
    wrapped = {"__typename": "X", "xFragment": {"a": {"rawValue": "B"}, "c": [{"rawValue": 1}]}}
    assert g.unwrap(wrapped) == {"a": "B", "c": [1]}


# --- customers -----------------------------------------------------------------


def test_provisioned_customer_parses_graphql_guide_response() -> None:
    """provisionCustomer's answer gives customer, decision strategy and subscription."""
    result = parse_result(ProvisionedCustomer, g.PROVISION_CUSTOMER, operation="ProvisionCustomer")
    assert result.customer.ref_id == "customer-id"
    assert result.customer.additional_meta_data == {"key": "value"}
    assert result.customer.created_at == datetime(2022, 9, 22, 8, 0, 28, 965000, tzinfo=UTC)
    assert result.customer.has_payment_method is False
    assert result.subscription_decision_strategy is SubscriptionDecisionStrategy.REQUESTED_PLAN
    assert result.subscription is not None
    assert result.subscription.status is SubscriptionStatus.ACTIVE
    assert result.subscription.plan_id == "plan-revvenu-basic"


def test_provisioned_customer_parses_java_guide_response() -> None:
    """The Java guide's provisionCustomer answer, unwrapped, parses with the slim subscription."""
    result = ProvisionedCustomer.model_validate(g.unwrap(g.JAVA_PROVISION_CUSTOMER))
    assert result.customer.customer_id == "customer-5162641"
    assert result.subscription is not None
    assert result.subscription.payment_collection is PaymentCollection.NOT_REQUIRED
    assert result.subscription.customer is not None
    assert result.subscription.customer.ref_id == "customer-5162641"
    assert result.subscription.latest_invoice is None
    assert result.subscription.prices == ()


def test_customer_page_parses_connection_and_exposes_items() -> None:
    """A customers connection without pageInfo still gives items and a no-next-page default."""
    page = CustomerPage.model_validate(g.CUSTOMERS_CONNECTION)
    (customer,) = page.items
    assert customer.ref_id == "customer-id"
    assert customer.coupon is None
    assert customer.promotional_entitlements == ()
    (subscription,) = customer.subscriptions
    assert subscription.trial_end_date is None
    assert subscription.current_billing_period_end == datetime(
        2022, 9, 24, 21, 25, 51, 921000, tzinfo=UTC
    )
    assert subscription.plan is not None
    assert subscription.plan.display_name == "Basic"
    assert page.has_next_page is False
    assert page.end_cursor is None
    assert page.total_count is None


def test_customer_page_reads_paging_fields() -> None:
    """pageInfo and totalCount surface as has_next_page, end_cursor and total_count."""
    page = CustomerPage.model_validate(
        {
            "edges": [{"cursor": "c9", "node": {"refId": "customer-1"}}],
            "pageInfo": {"hasNextPage": True, "endCursor": "c9"},
            "totalCount": 12,
        }
    )
    assert (page.has_next_page, page.end_cursor, page.total_count) == (True, "c9", 12)


# --- subscriptions -------------------------------------------------------------


def test_full_subscription_parses_java_guide_response() -> None:
    """getSubscription's full answer gives invoice, prices, totals, plan and add-ons."""
    sub = Subscription.model_validate(g.unwrap(g.JAVA_FULL_SUBSCRIPTION))
    assert sub.ref_id == "subscription-plan-revvenu-essentials-cd0ba9"
    assert sub.is_active
    assert isinstance(sub.latest_invoice, Invoice)
    assert sub.latest_invoice.requires_action is False
    assert sub.latest_invoice.payment_secret is not None
    (price,) = sub.prices
    assert price.usage_limit == 7
    assert price.price is not None
    assert price.price.billing_model is BillingModel.PER_UNIT
    assert price.price.price == Money(amount=6, currency=Currency.USD)
    assert sub.total_price is not None
    assert sub.total_price.total.amount == 52
    assert sub.plan is not None
    assert sub.plan.product is not None
    assert sub.plan.product.additional_meta_data == {"recommendedPlan": "plan-revvenu-essentials"}
    assert sub.plan.base_plan is not None
    assert sub.plan.base_plan.ref_id == "plan-revvenu-basic"
    (entitlement,) = sub.plan.entitlements
    assert entitlement.feature is not None
    assert entitlement.feature.meter_type is MeterType.INCREMENTAL
    (addon,) = sub.addons
    assert (addon.quantity, addon.addon.ref_id) == (2, "addon-10-campaigns")


@pytest.mark.parametrize("shape", [g.CREATE_SUBSCRIPTION, g.CANCEL_SUBSCRIPTION])
def test_subscription_parses_graphql_guide_mutation_answers(shape: dict[str, object]) -> None:
    """createSubscription / cancelSubscription answers parse into one Subscription model."""
    sub = Subscription.model_validate(shape)
    assert sub.ref_id == shape["refId"]
    assert sub.status == shape["status"]


def test_subscription_requires_ref_id_and_status() -> None:
    """A subscription without refId and status is not a subscription."""
    with pytest.raises(StiggResponseError) as info:
        parse_result(Subscription, {"id": "x"}, operation="GetSubscription")
    assert "refId" in str(info.value)
    assert "status" in str(info.value)


def _provision(payment_collection: str, **invoice: object) -> ProvisionSubscriptionResult:
    return ProvisionSubscriptionResult.model_validate(
        {
            "id": "p-1",
            "status": "SUCCESS",
            "checkoutUrl": None,
            "subscription": {
                "refId": "sub-1",
                "status": "PAYMENT_PENDING",
                "paymentCollection": payment_collection,
                "latestInvoice": invoice,
            },
        }
    )


def test_provision_result_success_is_success() -> None:
    """SUCCESS with a subscription whose payment needs nothing is a plain success."""
    result = _provision("NOT_REQUIRED", billingId="in_1", status="PAID", requiresAction=False)
    assert result.is_success
    assert not result.needs_checkout
    assert not result.requires_payment_action
    assert not result.payment_failed


def test_provision_result_checkout_has_url_and_no_subscription() -> None:
    """PAYMENT_REQUIRED carries the checkout URL and is not a success."""
    result = ProvisionSubscriptionResult.model_validate(g.unwrap(g.JAVA_PROVISION_CHECKOUT))
    assert result.status is ProvisionSubscriptionStatus.PAYMENT_REQUIRED
    assert result.needs_checkout
    assert result.checkout_url is not None
    assert result.checkout_url.startswith("http://127.0.0.1/")
    assert result.subscription is None
    assert not result.is_success


def test_provision_result_action_required_needs_the_payer() -> None:
    """paymentCollection ACTION_REQUIRED (3-D Secure) is flagged and is not a success."""
    result = _provision("ACTION_REQUIRED", paymentUrl="http://127.0.0.1", paymentSecret="secret")
    assert result.requires_payment_action
    assert not result.payment_failed
    assert not result.is_success
    assert result.subscription is not None
    assert result.subscription.latest_invoice is not None
    assert result.subscription.latest_invoice.payment_url == "http://127.0.0.1"


def test_provision_result_failed_payment_is_reported() -> None:
    """paymentCollection FAILED is flagged with the invoice's error message."""
    result = _provision("FAILED", paymentUrl="http://127.0.0.1", errorMessage="no sufficient funds")
    assert result.payment_failed
    assert not result.is_success
    assert result.subscription is not None
    assert result.subscription.latest_invoice is not None
    assert result.subscription.latest_invoice.error_message == "no sufficient funds"


# --- entitlements and usage ----------------------------------------------------


def test_entitlement_parses_graphql_guide_response() -> None:
    """entitlement's answer gives grant, usage, limit and the feature."""
    e = parse_result(Entitlement, g.GET_ENTITLEMENT, operation="GetEntitlement")
    assert e.is_granted
    assert (e.current_usage, e.usage_limit, e.requested_usage) == (0, 3, 0)
    assert e.access_denied_reason is None
    assert e.feature_id == "feature-01-templates"
    assert e.feature is not None
    assert e.feature.feature_type is FeatureType.NUMBER
    assert e.feature.is_metered


def test_entitlement_parses_java_denial_with_epoch_date() -> None:
    """A denied entitlement keeps its reason; an epoch-seconds nextResetDate becomes aware."""
    e = Entitlement.model_validate(g.unwrap(g.JAVA_ENTITLEMENT_DENIED))
    assert not e.is_granted
    assert e.access_denied_reason is AccessDeniedReason.REQUESTED_USAGE_EXCEEDING_LIMIT
    assert e.next_reset_date == datetime.fromtimestamp(4127191200, tz=UTC)


def test_entitlement_list_parses_java_guide_response() -> None:
    """cachedEntitlements' list parses into a tuple of entitlements."""
    items = parse_result_list(
        Entitlement, g.unwrap(g.JAVA_ENTITLEMENTS), operation="GetEntitlements"
    )
    assert isinstance(items, tuple)
    assert [e.feature_id for e in items] == ["feature-04-analytics", "feature-06-max-file-size"]
    assert items[0].feature is not None
    assert items[0].feature.meter_type is MeterType.NONE
    assert items[1].feature is not None
    assert not items[1].feature.is_metered


def test_entitlements_state_parses_denial_and_entitlements() -> None:
    """entitlementsState gives a customer-level reason alongside the entitlements."""
    state = EntitlementsState.model_validate(
        {"accessDeniedReason": "CustomerNotFound", "entitlements": g.unwrap(g.JAVA_ENTITLEMENTS)}
    )
    assert state.access_denied_reason is EntitlementsStateAccessDeniedReason.CUSTOMER_NOT_FOUND
    assert len(state.entitlements) == 2


def test_usage_measurement_parses_java_report_usage() -> None:
    """reportUsage's answer gives the new current usage and aware dates from epoch numbers."""
    m = parse_result(UsageMeasurement, g.JAVA_REPORT_USAGE, operation="ReportUsage")
    assert m.current_usage == 3
    assert m.timestamp == datetime(2023, 11, 21, 19, 36, 12, 708000, tzinfo=UTC)
    assert m.next_reset_date == datetime(2023, 12, 21, tzinfo=UTC)


def test_usage_measurement_parses_id_only_answer() -> None:
    """createUsageMeasurement's guide answer selected only the id."""
    m = UsageMeasurement.model_validate(g.CREATE_USAGE_MEASUREMENT)
    assert m.id == "05e3a286-acaa-42cd-b76b-b49befbd5113"
    assert m.current_usage is None


# --- coupons, promotions, estimates ----------------------------------------------


@pytest.mark.parametrize("shape", [g.COUPONS_CONNECTION, g.unwrap(g.JAVA_COUPONS)])
def test_coupon_page_parses_guide_responses(shape: dict[str, object]) -> None:
    """coupons' connection parses from both guides, dates from strings or epoch numbers."""
    page = CouponPage.model_validate(shape)
    (coupon,) = page.items
    assert coupon.type is CouponType.PERCENTAGE
    assert coupon.discount_value == 20
    assert coupon.created_at is not None
    assert coupon.created_at.tzinfo is not None


def test_promotions_parse_java_grant_response() -> None:
    """grantPromotionalEntitlements' list parses with status, limit and end date."""
    items = parse_result_list(
        PromotionalEntitlement, g.unwrap(g.JAVA_GRANT_PROMOTIONS), operation="Grant"
    )
    assert [p.feature_ref_id for p in items] == ["feature-04-analytics", "feature-02-campaigns"]
    assert items[1].status is PromotionalEntitlementStatus.ACTIVE
    assert items[1].usage_limit == 100
    assert items[1].end_date is not None
    assert items[1].end_date.tzinfo is not None


def test_revoked_promotion_parses_id_only_answer() -> None:
    """revokePromotionalEntitlement's guide answer selected only the id."""
    p = PromotionalEntitlement.model_validate(g.JAVA_REVOKE_PROMOTION)
    assert p.id == "f77c7c8c-098b-42f2-a82b-134f69241e2d"


def test_estimate_parses_graphql_guide_proration() -> None:
    """estimateSubscriptionUpdate's answer gives totals, period and proration (no netAmount)."""
    est = SubscriptionPreview.model_validate(g.ESTIMATE_SUBSCRIPTION_UPDATE)
    assert est.total == Money(amount=7, currency="USD")
    assert est.proration is not None
    assert est.proration.credit.amount == -10
    assert est.proration.net_amount is None
    assert est.billing_period_range.start == datetime(2022, 10, 26, 17, 7, 17, tzinfo=UTC)


def test_estimate_parses_java_guide_with_credits() -> None:
    """The Java estimate, unwrapped, gives credits, the recurring price and net proration."""
    est = SubscriptionPreview.model_validate(g.unwrap(g.JAVA_ESTIMATE))
    assert est.credits is not None
    assert est.credits.used.amount == 21.99
    assert est.subscription is not None
    assert est.subscription.total.amount == 55
    assert est.proration is not None
    assert est.proration.net_amount == Money(amount=24.88, currency=Currency.USD)


# --- cross-cutting behaviour -----------------------------------------------------


def test_unknown_enum_value_in_result_is_kept_as_string() -> None:
    """A value the SDK does not know yet parses and survives as the raw string."""
    e = Entitlement.model_validate(
        {
            "isGranted": False,
            "accessDeniedReason": "SomeNewReason",
            "feature": {"refId": "f", "featureType": "FANCY", "meterType": "Fluctuating"},
        }
    )
    assert e.access_denied_reason == "SomeNewReason"
    assert not isinstance(e.access_denied_reason, AccessDeniedReason)
    assert e.feature is not None
    assert e.feature.feature_type == "FANCY"
    assert e.feature.meter_type is MeterType.FLUCTUATING


def test_known_enum_value_in_result_is_the_enum_member() -> None:
    """Known values come back as members, which also compare equal to their strings."""
    sub = Subscription.model_validate({"refId": "s", "status": "IN_TRIAL"})
    assert sub.status is SubscriptionStatus.IN_TRIAL
    assert sub.status == "IN_TRIAL"
    assert f"{sub.status}" == "IN_TRIAL"


def test_non_string_enum_value_in_result_is_a_response_error() -> None:
    """A number where an enum string belongs is a malformed answer."""
    with pytest.raises(StiggResponseError) as info:
        parse_result(Subscription, {"refId": "s", "status": 3}, operation="GetSubscription")
    assert "status" in str(info.value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2022-09-22T08:00:28.965Z", datetime(2022, 9, 22, 8, 0, 28, 965000, tzinfo=UTC)),
        ("2022-09-22T10:00:28+02:00", datetime(2022, 9, 22, 8, 0, 28, tzinfo=UTC)),
        ("2022-09-22T08:00:28", datetime(2022, 9, 22, 8, 0, 28, tzinfo=UTC)),
        (1700595372.708, datetime(2023, 11, 21, 19, 36, 12, 708000, tzinfo=UTC)),
        (1700595372, datetime(2023, 11, 21, 19, 36, 12, tzinfo=UTC)),
        (1700595372708, datetime(2023, 11, 21, 19, 36, 12, 708000, tzinfo=UTC)),
    ],
    ids=["z-string", "offset-string", "naive-string", "epoch-float", "epoch-int", "epoch-ms"],
)
def test_datetime_fields_parse_to_aware_utc(raw: object, expected: datetime) -> None:
    """DateTime values from strings or epoch numbers become aware datetimes."""
    m = UsageMeasurement.model_validate({"id": "m", "timestamp": raw})
    assert m.timestamp == expected
    assert m.timestamp is not None
    assert m.timestamp.utcoffset() is not None


def test_result_aliases_round_trip() -> None:
    """Dumping by alias gives camelCase keys that parse back into an equal model."""
    sub = Subscription.model_validate(g.unwrap(g.JAVA_FULL_SUBSCRIPTION))
    dumped = sub.model_dump(by_alias=True, mode="json")
    assert "additionalMetaData" in dumped
    assert "currentBillingPeriodEnd" in dumped
    assert "refId" in dumped["plan"]
    assert Subscription.model_validate(dumped) == sub


def test_result_models_accept_snake_case_names() -> None:
    """Models can be built by attribute name too (handy in tests and fakes)."""
    customer = Customer(ref_id="c-1", additional_meta_data={"a": 1})
    assert customer.model_dump(by_alias=True, exclude_none=True)["additionalMetaData"] == {"a": 1}


def test_result_models_are_frozen() -> None:
    """Results cannot be changed after parsing (the cache shares them between callers)."""
    e = Entitlement.model_validate(g.GET_ENTITLEMENT)
    with pytest.raises(ValidationError):
        e.is_granted = False  # type: ignore[misc]


def test_unknown_result_fields_are_ignored() -> None:
    """Fields the model does not know are ignored, not errors."""
    m = UsageMeasurement.model_validate({"id": "m", "somethingNew": {"x": 1}})
    assert not hasattr(m, "somethingNew")


def test_parse_result_error_names_field_and_not_value() -> None:
    """A malformed answer raises StiggResponseError naming the path, not echoing the value."""
    with pytest.raises(StiggResponseError) as info:
        parse_result(Entitlement, {"isGranted": "sk_live_secretvalue"}, operation="GetEntitlement")
    assert info.value.operation == "GetEntitlement"
    assert "isGranted" in info.value.message
    assert "sk_live_secretvalue" not in str(info.value)


def test_parse_result_list_rejects_a_non_list() -> None:
    """A list result that is not a list is a response error."""
    with pytest.raises(StiggResponseError):
        parse_result_list(Entitlement, {"isGranted": True}, operation="GetEntitlements")


def test_parse_result_list_names_the_failing_item() -> None:
    """An item that does not parse is named by its index."""
    with pytest.raises(StiggResponseError) as info:
        parse_result_list(Entitlement, [{"isGranted": True}, {}], operation="GetEntitlements")
    assert "1.isGranted" in info.value.message
