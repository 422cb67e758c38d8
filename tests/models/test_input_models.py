"""Input models: bad input becomes StiggValidationError naming the field; good input
becomes exactly the camelCase variables the API expects."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from stigg_async._errors import StiggValidationError
from stigg_async._models import (
    BillableFeatureInput,
    CheckoutOptions,
    CouponFilter,
    CursorPaging,
    CustomerBillingInfo,
    CustomerFilter,
    EntitlementOptions,
    EstimateSubscriptionUpdateInput,
    FetchEntitlementQuery,
    FetchEntitlementsQuery,
    GrantPromotionalEntitlementInput,
    GrantPromotionalEntitlementsInput,
    ProvisionCustomerInput,
    ProvisionSubscriptionInput,
    ReportUsageBulkInput,
    ReportUsageInput,
    StringFieldComparison,
    SubscriptionAddonInput,
    SubscriptionCancellationInput,
    SubscriptionInput,
    UpdateSubscriptionInput,
    UsageEventReportInput,
    UsageEventsReportInput,
    UsageMeasurementCreateInput,
    UsageUpdateBehavior,
    build_input,
    parse_input,
)

USAGE = {"customer_id": "customer-demo-01", "feature_id": "feature-02-campaigns", "value": 2}


def _rejects(model: type[Any], data: dict[str, Any]) -> StiggValidationError:
    with pytest.raises(StiggValidationError) as info:
        parse_input(model, data, operation="Op")
    assert info.value.operation == "Op"
    return info.value


# --- ids -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    ["", "   ", "cust\x00omer", "line\nbreak", "tab\t", "x" * 256, 42, None, b"bytes"],
    ids=["empty", "blank", "nul", "newline", "tab", "too-long", "int", "none", "bytes"],
)
def test_bad_customer_id_is_rejected_naming_the_field(bad: object) -> None:
    """Empty, blank, control-character, over-long and non-str ids are rejected."""
    err = _rejects(ReportUsageInput, {**USAGE, "customer_id": bad})
    assert err.field == "customer_id"
    assert "customer_id" in err.message


def test_id_is_not_coerced_from_int() -> None:
    """An int id is a type error, not silently turned into a string."""
    err = _rejects(FetchEntitlementsQuery, {"customer_id": 123})
    assert "valid string" in err.message


def test_ordinary_ids_are_kept_unchanged() -> None:
    """Ids with spaces inside, unicode or 255 characters pass untouched."""
    for value in ("customer 1", "kunde-ü-1", "x" * 255, " padded "):
        assert FetchEntitlementsQuery(customer_id=value).customer_id == value


# --- numbers -------------------------------------------------------------------


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf"), "5", True])
def test_usage_value_must_be_a_finite_number(bad: object) -> None:
    """NaN, infinities, numeric strings and bools are not usage values."""
    err = _rejects(ReportUsageInput, {**USAGE, "value": bad})
    assert err.field == "value"


def test_negative_delta_is_allowed_for_fluctuating_meters() -> None:
    """A negative DELTA (or default behaviour) is sent: only the server knows the meter."""
    assert ReportUsageInput(**{**USAGE, "value": -3}).value == -3
    delta = ReportUsageInput(**{**USAGE, "value": -3, "update_behavior": "DELTA"})
    assert delta.update_behavior is UsageUpdateBehavior.DELTA


def test_negative_set_is_rejected() -> None:
    """An absolute SET below zero is rejected on the value field."""
    err = _rejects(ReportUsageInput, {**USAGE, "value": -1, "update_behavior": "SET"})
    assert err.field == "value"
    assert "SET" in err.message


def test_zero_set_is_allowed() -> None:
    """SET to zero resets the usage and is fine."""
    assert ReportUsageInput(**{**USAGE, "value": 0, "update_behavior": "SET"}).value == 0


@pytest.mark.parametrize(
    ("model", "data", "field"),
    [
        (BillableFeatureInput, {"feature_id": "f", "quantity": -1}, "quantity"),
        (SubscriptionAddonInput, {"addon_id": "a", "quantity": 0}, "quantity"),
        (SubscriptionAddonInput, {"addon_id": "a", "quantity": 1.5}, "quantity"),
        (SubscriptionAddonInput, {"addon_id": "a", "quantity": "2"}, "quantity"),
        (UpdateSubscriptionInput, {"subscription_id": "s", "unit_quantity": -2}, "unit_quantity"),
        (EntitlementOptions, {"requested_usage": -1}, "requested_usage"),
        (EntitlementOptions, {"requested_usage": float("nan")}, "requested_usage"),
        (CursorPaging, {"first": 0}, "first"),
    ],
    ids=[
        "billable-negative",
        "addon-zero",
        "addon-float",
        "addon-str",
        "unit-negative",
        "requested-negative",
        "requested-nan",
        "page-zero",
    ],
)
def test_bad_quantities_are_rejected(model: type[Any], data: dict[str, Any], field: str) -> None:
    """Negative quantities, non-integer add-on quantities and empty pages are rejected."""
    assert _rejects(model, data).field == field


# --- enums, required, extra ------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "data", "field"),
    [
        (ReportUsageInput, {**USAGE, "update_behavior": "ADD"}, "update_behavior"),
        (
            ProvisionSubscriptionInput,
            {"customer_id": "c", "plan_id": "p", "billing_period": "WEEKLY"},
            "billing_period",
        ),
        (
            GrantPromotionalEntitlementInput,
            {"feature_id": "f", "period": "FOREVER"},
            "period",
        ),
        (CustomerBillingInfo, {"currency": "XXX"}, "currency"),
    ],
    ids=["update-behavior", "billing-period", "promotion-period", "currency"],
)
def test_unknown_enum_values_are_rejected_in_inputs(
    model: type[Any], data: dict[str, Any], field: str
) -> None:
    """Inputs accept only the schema's enum values (results are lenient, inputs are not)."""
    assert _rejects(model, data).field == field


def test_missing_required_field_is_named() -> None:
    """A missing required field is reported by its snake_case name."""
    err = _rejects(FetchEntitlementQuery, {"customer_id": "c"})
    assert err.field == "feature_id"
    assert "Field required" in err.message


def test_extra_field_is_rejected_by_name() -> None:
    """A misspelt or unknown field is an error, not silently dropped."""
    err = _rejects(ReportUsageInput, {**USAGE, "custmer_id": "c"})
    assert err.field == "custmer_id"


def test_nested_error_path_is_dotted() -> None:
    """An error inside a list names the item: usages.1.value."""
    err = _rejects(ReportUsageBulkInput, {"usages": [USAGE, {**USAGE, "value": float("nan")}]})
    assert err.field == "usages.1.value"


def test_empty_batches_are_rejected() -> None:
    """Bulk usage, events and grants need at least one item."""
    assert _rejects(ReportUsageBulkInput, {"usages": []}).field == "usages"
    assert _rejects(UsageEventsReportInput, {"usage_events": []}).field == "usage_events"
    grants = {"customer_id": "c", "promotional_entitlements": []}
    assert _rejects(GrantPromotionalEntitlementsInput, grants).field == "promotional_entitlements"


def test_message_does_not_echo_the_offending_value() -> None:
    """The message names the field but never repeats a possibly secret value."""
    err = _rejects(ReportUsageInput, {**USAGE, "idempotency_key": "sk_secret_value\x00"})
    assert err.field == "idempotency_key"
    assert "sk_secret_value" not in str(err)
    assert "sk_secret_value" not in repr(err)


def test_message_lists_a_few_problems_and_counts_the_rest() -> None:
    """Many problems give a short message: three listed, the rest counted."""
    err = _rejects(
        ProvisionSubscriptionInput,
        {"customer_id": "", "plan_id": "", "billing_period": "X", "unit_quantity": -1, "zz": 1},
    )
    assert err.message.count(";") == 3
    assert "and 2 more" in err.message


# --- dimensions, urls, conditional requirements ---------------------------------------


def test_flat_dimensions_are_accepted() -> None:
    """Dimensions map strings to str, int, float or bool."""
    dims = {"user_id": "u-1", "count": 3, "ratio": 0.5, "beta": True}
    event = UsageEventReportInput(
        customer_id="c", event_name="user_login", idempotency_key="k", dimensions=dims
    )
    assert event.to_variables()["dimensions"] == dims


@pytest.mark.parametrize(
    "bad",
    [{"nested": {"a": 1}}, {"list": [1]}, {"nan": float("nan")}, {1: "int-key"}, ["a"]],
    ids=["nested", "list", "nan", "int-key", "not-a-mapping"],
)
def test_bad_dimensions_are_rejected(bad: object) -> None:
    """Nested, list, non-finite, non-str-key or non-mapping dimensions are rejected."""
    err = _rejects(ReportUsageInput, {**USAGE, "dimensions": bad})
    assert err.field == "dimensions"


def test_event_requires_an_idempotency_key() -> None:
    """Raw events need an idempotency key (the API requires one per event)."""
    err = _rejects(UsageEventReportInput, {"customer_id": "c", "event_name": "e"})
    assert err.field == "idempotency_key"


@pytest.mark.parametrize("field", ["success_url", "cancel_url"])
def test_checkout_urls_must_not_be_empty(field: str) -> None:
    """Checkout redirect URLs are required and non-empty."""
    data = {"success_url": "http://127.0.0.1", "cancel_url": "http://127.0.0.1", field: ""}
    assert _rejects(CheckoutOptions, data).field == field


def test_custom_promotion_period_needs_an_end_date() -> None:
    """period CUSTOM without custom_end_date is rejected on custom_end_date."""
    err = _rejects(GrantPromotionalEntitlementInput, {"feature_id": "f", "period": "CUSTOM"})
    assert err.field == "custom_end_date"


def test_specific_date_cancellation_needs_an_end_date() -> None:
    """SPECIFIC_DATE cancellation without end_date is rejected on end_date."""
    err = _rejects(
        SubscriptionCancellationInput,
        {"subscription_ref_id": "s", "subscription_cancellation_time": "SPECIFIC_DATE"},
    )
    assert err.field == "end_date"


def test_country_code_must_be_iso_alpha2() -> None:
    """billing_country_code is two upper-case letters."""
    data = {"customer_id": "c", "plan_id": "p", "billing_country_code": "Denmark"}
    assert _rejects(ProvisionSubscriptionInput, data).field == "billing_country_code"


# --- helpers -------------------------------------------------------------------------


def test_parse_input_returns_an_existing_instance_as_is() -> None:
    """An already-built model is passed through without re-validation."""
    query = FetchEntitlementsQuery(customer_id="c")
    assert parse_input(FetchEntitlementsQuery, query) is query


def test_parse_input_accepts_camel_case_keys() -> None:
    """Mappings may use the API's camelCase names as well as snake_case."""
    query = parse_input(FetchEntitlementQuery, {"customerId": "c", "featureId": "f"})
    assert (query.customer_id, query.feature_id) == ("c", "f")


def test_parse_input_rejects_a_non_mapping() -> None:
    """Something that is neither a mapping nor the model is a validation error."""
    with pytest.raises(StiggValidationError):
        parse_input(FetchEntitlementsQuery, ["c"], operation="GetEntitlements")


def test_build_input_builds_from_keywords_and_raises_typed_error() -> None:
    """build_input takes snake_case keywords; failures raise StiggValidationError."""
    model = build_input(FetchEntitlementsQuery, operation="GetEntitlements", customer_id="c")
    assert model.to_variables() == {"customerId": "c"}
    with pytest.raises(StiggValidationError) as info:
        build_input(FetchEntitlementsQuery, operation="GetEntitlements", customer_id="")
    assert info.value.field == "customer_id"
    assert info.value.operation == "GetEntitlements"


def test_input_models_are_frozen() -> None:
    """Inputs cannot be changed after validation."""
    query = FetchEntitlementsQuery(customer_id="c")
    with pytest.raises(ValidationError):
        query.customer_id = "d"  # type: ignore[misc]


# --- to_variables -------------------------------------------------------------------


def test_report_usage_variables_are_camel_case_without_nones() -> None:
    """reportUsage's input dumps camelCase keys, enum values and UTC ISO datetimes."""
    created = datetime(2024, 1, 2, 5, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    model = ReportUsageInput(
        customer_id="customer-demo-01",
        feature_id="feature-02-campaigns",
        value=3,
        update_behavior=UsageUpdateBehavior.SET,
        resource_id="site-1",
        idempotency_key="idem-1",
        dimensions={"region": "eu"},
        created_at=created,
    )
    assert model.to_variables() == {
        "customerId": "customer-demo-01",
        "featureId": "feature-02-campaigns",
        "value": 3.0,
        "updateBehavior": "SET",
        "resourceId": "site-1",
        "idempotencyKey": "idem-1",
        "dimensions": {"region": "eu"},
        "createdAt": "2024-01-02T03:04:05Z",
    }
    assert model.as_operation_variables() == {"input": model.to_variables()}


def test_naive_datetime_is_sent_as_utc() -> None:
    """A naive datetime is taken as UTC."""
    event = UsageEventReportInput(
        customer_id="c", event_name="e", idempotency_key="k", timestamp=datetime(2024, 1, 2, 3)
    )
    assert event.to_variables()["timestamp"] == "2024-01-02T03:00:00Z"


def test_provision_customer_variables_match_the_guide() -> None:
    """provisionCustomer's input dumps the nested billing info and subscription params."""
    model = ProvisionCustomerInput.model_validate(
        {
            "customer_id": "customer-id",
            "name": "Acme",
            "email": "billing@acme.test",
            "coupon_ref_id": "coupon-id",
            "billing_information": {
                "language": "en",
                "timezone": "America/New_York",
                "billing_address": {
                    "country": "US",
                    "city": "New York",
                    "state": "NY",
                    "address_line1": "123 Main Street",
                    "address_line2": "Apt. 1",
                    "phone_number": "+1 212-499-5321",
                    "postal_code": "10164",
                },
                "tax_ids": [{"type": "vat", "value": "123456789"}],
            },
            "additional_meta_data": {"key": "value"},
            "subscription_params": {"plan_id": "plan-revvenu-basic"},
        }
    )
    assert model.to_variables() == {
        "customerId": "customer-id",
        "name": "Acme",
        "email": "billing@acme.test",
        "couponRefId": "coupon-id",
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
            "taxIds": [{"type": "vat", "value": "123456789"}],
        },
        "additionalMetaData": {"key": "value"},
        "subscriptionParams": {"planId": "plan-revvenu-basic"},
    }


def test_provision_subscription_variables_match_the_guide() -> None:
    """provisionSubscriptionV2's input dumps features, add-ons and checkout options."""
    model = ProvisionSubscriptionInput(
        customer_id="customer-demo-01",
        plan_id="plan-revvenu-basic",
        resource_id="site-1",
        billing_period="MONTHLY",
        billable_features=[BillableFeatureInput(feature_id="feature-01-templates", quantity=2)],
        addons=[SubscriptionAddonInput(addon_id="addon-extra-stuff", quantity=5)],
        billing_country_code="DK",
        checkout_options=CheckoutOptions(
            success_url="http://127.0.0.1",
            cancel_url="http://127.0.0.1",
            allow_promo_codes=True,
            collect_billing_address=True,
            collect_phone_number=True,
        ),
        additional_meta_data={"key": "value"},
    )
    assert model.to_variables() == {
        "customerId": "customer-demo-01",
        "planId": "plan-revvenu-basic",
        "billingPeriod": "MONTHLY",
        "resourceId": "site-1",
        "addons": [{"addonId": "addon-extra-stuff", "quantity": 5}],
        "billableFeatures": [{"featureId": "feature-01-templates", "quantity": 2.0}],
        "billingCountryCode": "DK",
        "checkoutOptions": {
            "successUrl": "http://127.0.0.1",
            "cancelUrl": "http://127.0.0.1",
            "allowPromoCodes": True,
            "collectBillingAddress": True,
            "collectPhoneNumber": True,
        },
        "additionalMetaData": {"key": "value"},
    }


def test_entitlement_query_variables_use_the_query_variable() -> None:
    """entitlement's query goes out as $query with requestedUsage under options."""
    model = FetchEntitlementQuery(
        customer_id="customer-demo-01",
        feature_id="feature-01-templates",
        resource_id="site-1",
        options=EntitlementOptions(requested_usage=10),
    )
    assert model.as_operation_variables() == {
        "query": {
            "customerId": "customer-demo-01",
            "featureId": "feature-01-templates",
            "resourceId": "site-1",
            "options": {"requestedUsage": 10.0},
        }
    }


def test_grant_promotions_variables_carry_utc_end_date() -> None:
    """grantPromotionalEntitlements' input dumps each grant with an ISO UTC end date."""
    model = GrantPromotionalEntitlementsInput(
        customer_id="customer-demo-01",
        promotional_entitlements=[
            GrantPromotionalEntitlementInput(feature_id="feature-04-analytics", period="ONE_MONTH"),
            GrantPromotionalEntitlementInput(
                feature_id="feature-02-campaigns",
                period="CUSTOM",
                custom_end_date=datetime(2030, 1, 1, tzinfo=timezone.utc),
                usage_limit=100,
            ),
        ],
    )
    assert model.to_variables() == {
        "customerId": "customer-demo-01",
        "promotionalEntitlements": [
            {"featureId": "feature-04-analytics", "period": "ONE_MONTH"},
            {
                "featureId": "feature-02-campaigns",
                "period": "CUSTOM",
                "customEndDate": "2030-01-01T00:00:00Z",
                "usageLimit": 100.0,
            },
        ],
    }


def test_legacy_inputs_use_their_argument_names_as_variables() -> None:
    """createSubscription, createUsageMeasurement and reportEvent use their own variable names."""
    sub = SubscriptionInput(customer_id="c", plan_id="p")
    assert sub.as_operation_variables() == {"subscription": {"customerId": "c", "planId": "p"}}
    measurement = UsageMeasurementCreateInput(**USAGE)
    assert set(measurement.as_operation_variables()) == {"usageMeasurement"}
    events = UsageEventsReportInput(
        usage_events=[UsageEventReportInput(customer_id="c", event_name="e", idempotency_key="k")]
    )
    assert events.as_operation_variables() == {
        "events": {"usageEvents": [{"customerId": "c", "eventName": "e", "idempotencyKey": "k"}]}
    }


def test_filters_and_paging_variables() -> None:
    """Filters dump their comparisons (``in_`` as ``in``); paging goes out as $paging."""
    customers = CustomerFilter(ref_id=StringFieldComparison(in_=["a", "b"]))
    assert customers.as_operation_variables() == {"filter": {"refId": {"in": ["a", "b"]}}}
    coupons = CouponFilter.model_validate({"status": {"eq": "ACTIVE"}})
    assert coupons.to_variables() == {"status": {"eq": "ACTIVE"}}
    assert CursorPaging(first=25, after="c1").as_operation_variables() == {
        "paging": {"first": 25, "after": "c1"}
    }


def test_estimate_update_variables() -> None:
    """estimateSubscriptionUpdate's input dumps the changed quantities."""
    model = EstimateSubscriptionUpdateInput(
        subscription_id="subscription-plan-revvenu-growth-da6324",
        unit_quantity=7,
        addons=[{"addon_id": "addon-10-campaigns", "quantity": 2}],
    )
    assert model.to_variables() == {
        "subscriptionId": "subscription-plan-revvenu-growth-da6324",
        "unitQuantity": 7.0,
        "addons": [{"addonId": "addon-10-campaigns", "quantity": 2}],
    }
