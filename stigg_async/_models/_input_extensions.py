# ruff: noqa: E501  (docstring examples show whole output lines)
"""Hand-written additions to the generated input models (``_inputs.py``).

``scripts/codegen.py`` makes ``<Input>Extension`` the base of the generated
``<Input>`` and copies its docstring. Put here only what the schema cannot say: a
field required when another has some value, the GraphQL variable an input is sent
as, and documented examples. Field types and required-ness come from the schema.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from stigg_async._models._base import StiggInput
from stigg_async._models._enums import CouponType

__all__ = [
    "AddressExtension",
    "ArchiveCustomerInputExtension",
    "BillableFeatureInputExtension",
    "BillingAddressExtension",
    "CheckoutOptionsExtension",
    "CheckoutStateInputExtension",
    "ConsumeCreditInputExtension",
    "ConsumeCreditsAsyncInputExtension",
    "CouponFilterExtension",
    "CouponSortExtension",
    "CouponStatusFilterComparisonExtension",
    "CouponTypeFilterComparisonExtension",
    "CreateCouponInputExtension",
    "CreditBalanceSummaryInputExtension",
    "CreditGrantInputExtension",
    "CreditLedgerInputExtension",
    "CreditUsageInputExtension",
    "CursorPagingExtension",
    "CustomerBillingInfoExtension",
    "CustomerFilterExtension",
    "CustomerPortalInputExtension",
    "CustomerSortExtension",
    "DetachCustomerPaymentMethodInputExtension",
    "EntitlementCheckRequestedExtension",
    "EntitlementCheckResultExtension",
    "EntitlementOptionsExtension",
    "EstimateEventCostInputExtension",
    "EstimateSubscriptionInputExtension",
    "EstimateSubscriptionUpdateInputExtension",
    "EstimateUsageCostInputExtension",
    "FetchEntitlementQueryExtension",
    "FetchEntitlementsQueryExtension",
    "GetActiveSubscriptionsInputExtension",
    "GetAutoRechargeSettingsInputExtension",
    "GetCreditGrantsInputExtension",
    "GetCustomerByRefIdInputExtension",
    "GetEntitlementV2InputExtension",
    "GetSubscriptionInputExtension",
    "GrantPromotionalEntitlementInputExtension",
    "GrantPromotionalEntitlementsGroupInputExtension",
    "GrantPromotionalEntitlementsInputExtension",
    "ImportCustomerBulkInputExtension",
    "ImportCustomerInputExtension",
    "ImportSubscriptionInputExtension",
    "ImportSubscriptionsBulkInputExtension",
    "MoneyInputDTOExtension",
    "PaymentSessionInputExtension",
    "ProvisionCustomerInputExtension",
    "ProvisionCustomerSubscriptionInputExtension",
    "ProvisionSubscriptionInputExtension",
    "ReportUsageBaseInputExtension",
    "ReportUsageBulkInputExtension",
    "ReportUsageInputExtension",
    "RevokePromotionalEntitlementInputExtension",
    "RevokePromotionalEntitlementsGroupInputExtension",
    "SaveAutoRechargeSettingsInputExtension",
    "StringFieldComparisonExtension",
    "SubscriptionAddonInputExtension",
    "SubscriptionBillingInfoExtension",
    "SubscriptionCancellationInputExtension",
    "SubscriptionCouponInputExtension",
    "SubscriptionInputExtension",
    "SubscriptionMigrationInputExtension",
    "TaxExemptExtension",
    "UnarchiveCustomerInputExtension",
    "UnlinkPromotionalEntitlementsGroupInputExtension",
    "UpdateCustomerInputExtension",
    "UpdateSubscriptionInputExtension",
    "UsageEventReportInputExtension",
    "UsageEventsReportInputExtension",
    "UsageHistoryInputExtension",
    "UsageHistoryV2InputExtension",
    "UsageMeasurementCreateInputExtension",
    "VoidCreditGrantInputExtension",
]


def _invalid(model: StiggInput, field: str, message: str) -> ValidationError:
    """A validation error located at ``field`` (cross-field rules run after all fields)."""
    return ValidationError.from_exception_data(
        type(model).__name__,
        [
            InitErrorDetails(
                type=PydanticCustomError("value_error", message),
                loc=(field,),
                input=None,
            )
        ],
    )


def _needs_one_of(model: StiggInput, first: str, second: str) -> None:
    # The schema makes both optional (one is the legacy spelling of the other), but the
    # API needs one of them to know what to change.
    if getattr(model, first, None) is None and getattr(model, second, None) is None:
        raise _invalid(model, first, f"Field required (or {second})")


def _ends_after(
    model: StiggInput, start: str, end: str, message: str = "end_date must be after start_date"
) -> None:
    first, last = getattr(model, start, None), getattr(model, end, None)
    if first is not None and last is not None and last <= first:
        raise _invalid(model, end, message)


class _SetIsNotNegative(StiggInput):
    # A DELTA may be negative (fluctuating meters decrement); whether the meter
    # fluctuates is only known server-side. An absolute SET below 0 never is valid.
    @model_validator(mode="after")
    def _set_is_not_negative(self) -> Any:
        value = getattr(self, "value", None)
        if value is not None and value < 0 and getattr(self, "update_behavior", None) == "SET":
            raise _invalid(self, "value", "must be >= 0 when update_behavior is SET")
        return self


class AddressExtension(StiggInput):
    """A postal address of a customer (country as ISO-3166-1 alpha-2)."""


class CustomerBillingInfoExtension(StiggInput):
    """Billing details passed through to the billing integration (not stored by Stigg)."""


class ProvisionCustomerSubscriptionInputExtension(StiggInput):
    """The subscription to create together with a new customer (``subscription_params``)."""


class ProvisionCustomerInputExtension(StiggInput):
    """Input of ``provisionCustomer``; every field is optional, ``customer_id`` is advised.

    Choosing ``customer_id`` yourself makes a retried call safe: a duplicate is
    reported as ``DuplicatedEntityNotAllowed`` instead of creating a second customer.

    Example:
        >>> from stigg_async.models import ProvisionCustomerInput, ProvisionCustomerSubscriptionInput
        >>> ProvisionCustomerInput(
        ...     customer_id="customer-81726628184", name="Acme", email="billing@acme.test",
        ...     additional_meta_data={"key": "value"},
        ...     subscription_params=ProvisionCustomerSubscriptionInput(plan_id="plan-revvenu-basic"),
        ... ).to_variables()
        {'additionalMetaData': {'key': 'value'}, 'customerId': 'customer-81726628184', 'email': 'billing@acme.test', 'name': 'Acme', 'subscriptionParams': {'planId': 'plan-revvenu-basic'}}
    """


class UpdateCustomerInputExtension(StiggInput):
    """Input of ``updateOneCustomer``: only the fields given are changed.

    Billing information is not stored by Stigg, so pass all of it on every update.
    """

    @model_validator(mode="after")
    def _needs_an_id(self) -> Any:
        _needs_one_of(self, "customer_id", "ref_id")
        return self


class GetCustomerByRefIdInputExtension(StiggInput):
    """Input of ``getCustomerByRefId``."""


class EntitlementOptionsExtension(StiggInput):
    """Options of a server-side entitlement check."""


class FetchEntitlementQueryExtension(StiggInput):
    """Query of ``entitlement``: one feature of one customer, evaluated by the API.

    Example:
        >>> from stigg_async.models import EntitlementOptions, FetchEntitlementQuery
        >>> FetchEntitlementQuery(
        ...     customer_id="customer-demo-01", feature_id="feature-01-templates",
        ...     options=EntitlementOptions(requested_usage=10),
        ... ).as_operation_variables()
        {'query': {'customerId': 'customer-demo-01', 'featureId': 'feature-01-templates', 'options': {'requestedUsage': 10.0}}}
    """

    variable_name: ClassVar[str] = "query"


class FetchEntitlementsQueryExtension(StiggInput):
    """Query of ``cachedEntitlements`` / ``entitlementsState``: all of a customer's features.

    Example:
        >>> from stigg_async.models import FetchEntitlementsQuery
        >>> FetchEntitlementsQuery(customer_id="customer-demo-01", resource_id="site-1").to_variables()
        {'customerId': 'customer-demo-01', 'resourceId': 'site-1'}
    """

    variable_name: ClassVar[str] = "query"


class GrantPromotionalEntitlementInputExtension(StiggInput):
    """One promotional entitlement to grant; a CUSTOM period needs ``custom_end_date``.

    Example:
        >>> from stigg_async.models import GrantPromotionalEntitlementInput
        >>> GrantPromotionalEntitlementInput(
        ...     feature_id="feature-02-campaigns", period="CUSTOM", usage_limit=100,
        ...     custom_end_date="2030-01-01T00:00:00Z",
        ... ).to_variables()
        {'customEndDate': '2030-01-01T00:00:00Z', 'featureId': 'feature-02-campaigns', 'period': 'CUSTOM', 'usageLimit': 100.0}
    """

    @model_validator(mode="after")
    def _custom_needs_end_date(self) -> Any:
        if (
            getattr(self, "custom_end_date", None) is None
            and getattr(self, "period", None) == "CUSTOM"
        ):
            raise _invalid(self, "custom_end_date", "required when period is CUSTOM")
        return self


class GrantPromotionalEntitlementsInputExtension(StiggInput):
    """Input of ``grantPromotionalEntitlements``: one customer, one or more grants."""


class RevokePromotionalEntitlementInputExtension(StiggInput):
    """Input of ``revokePromotionalEntitlement``.

    Example:
        >>> from stigg_async.models import RevokePromotionalEntitlementInput
        >>> RevokePromotionalEntitlementInput(
        ...     customer_id="customer-demo-01", feature_id="feature-04-analytics"
        ... ).to_variables()
        {'customerId': 'customer-demo-01', 'featureId': 'feature-04-analytics'}
    """


class StringFieldComparisonExtension(StiggInput):
    """A comparison on a text field (``eq``, ``in_``, ``like``...).

    Example:
        >>> from stigg_async.models import StringFieldComparison
        >>> StringFieldComparison(eq="customer-id").to_variables()
        {'eq': 'customer-id'}
        >>> StringFieldComparison(in_=["a", "b"]).to_variables()
        {'in': ['a', 'b']}
    """


class CustomerFilterExtension(StiggInput):
    """A filter on customers; the given conditions must all hold."""

    variable_name: ClassVar[str] = "filter"


class CustomerSortExtension(StiggInput):
    """One sort key of a customer list."""


class CouponStatusFilterComparisonExtension(StiggInput):
    """A comparison on a coupon's status."""


class CouponTypeFilterComparisonExtension(StiggInput):
    """A comparison on a coupon's type."""


class CouponFilterExtension(StiggInput):
    """A filter on coupons.

    Example:
        >>> from stigg_async.models import CouponFilter, CouponStatusFilterComparison
        >>> CouponFilter(status=CouponStatusFilterComparison(eq="ACTIVE")).to_variables()
        {'status': {'eq': 'ACTIVE'}}
    """

    variable_name: ClassVar[str] = "filter"


class CouponSortExtension(StiggInput):
    """One sort key of a coupon list."""


class CursorPagingExtension(StiggInput):
    """Cursor paging: ``first`` items ``after`` a cursor (or ``last`` ``before`` one).

    Example:
        >>> from stigg_async.models import CursorPaging
        >>> CursorPaging(first=50, after="c1").as_operation_variables()
        {'paging': {'after': 'c1', 'first': 50}}
    """

    variable_name: ClassVar[str] = "paging"


class SubscriptionAddonInputExtension(StiggInput):
    """An add-on and how many of it (an int >= 1)."""


class BillableFeatureInputExtension(StiggInput):
    """A per-unit priced feature and the quantity subscribed (>= 0)."""


class CheckoutOptionsExtension(StiggInput):
    """Where the billing provider's checkout page sends the payer back, and what it asks.

    Example:
        >>> from stigg_async.models import CheckoutOptions
        >>> CheckoutOptions(
        ...     success_url="http://127.0.0.1/ok", cancel_url="http://127.0.0.1/cancel",
        ...     allow_promo_codes=True,
        ... ).to_variables()
        {'allowPromoCodes': True, 'cancelUrl': 'http://127.0.0.1/cancel', 'successUrl': 'http://127.0.0.1/ok'}
    """


class TaxExemptExtension(StiggInput):
    """A tax id of the customer (``type`` such as ``"eu_vat"``, and its value)."""


class BillingAddressExtension(StiggInput):
    """A billing address on a subscription's billing information."""


class SubscriptionBillingInfoExtension(StiggInput):
    """Billing details passed through to the billing integration for one subscription."""


class SubscriptionCouponInputExtension(StiggInput):
    """A coupon to apply to a subscription (by Stigg id, billing id, or promotion code)."""


class ProvisionSubscriptionInputExtension(StiggInput):
    """Input of ``provisionSubscriptionV2``.

    With ``checkout_options`` and no payment method on file, the result carries a
    ``checkout_url`` instead of a subscription.

    Example:
        >>> from stigg_async.models import ProvisionSubscriptionInput
        >>> ProvisionSubscriptionInput(
        ...     customer_id="customer-demo-01", plan_id="plan-revvenu-essentials",
        ...     billing_period="MONTHLY",
        ...     addons=[{"addon_id": "addon-10-campaigns", "quantity": 2}],
        ... ).to_variables()
        {'addons': [{'addonId': 'addon-10-campaigns', 'quantity': 2}], 'billingPeriod': 'MONTHLY', 'customerId': 'customer-demo-01', 'planId': 'plan-revvenu-essentials'}
    """


class SubscriptionInputExtension(StiggInput):
    """Input of the legacy ``createSubscription`` (sent as ``$subscription``)."""

    variable_name: ClassVar[str] = "subscription"


class UpdateSubscriptionInputExtension(StiggInput):
    """Input of ``updateOneSubscription``: change quantities, add-ons, period or metadata.

    Example:
        >>> from stigg_async.models import BillableFeatureInput, UpdateSubscriptionInput
        >>> UpdateSubscriptionInput(
        ...     subscription_id="subscription-1",
        ...     billable_features=[BillableFeatureInput(feature_id="feature-01-templates", quantity=5)],
        ... ).to_variables()
        {'billableFeatures': [{'featureId': 'feature-01-templates', 'quantity': 5.0}], 'subscriptionId': 'subscription-1'}
    """

    @model_validator(mode="after")
    def _needs_an_id(self) -> Any:
        _needs_one_of(self, "subscription_id", "ref_id")
        return self


class SubscriptionCancellationInputExtension(StiggInput):
    """Input of ``cancelSubscription``; a SPECIFIC_DATE cancellation needs ``end_date``.

    Example:
        >>> from stigg_async.models import SubscriptionCancellationInput
        >>> SubscriptionCancellationInput(
        ...     subscription_ref_id="subscription-1",
        ...     subscription_cancellation_time="END_OF_BILLING_PERIOD",
        ... ).to_variables()
        {'subscriptionCancellationTime': 'END_OF_BILLING_PERIOD', 'subscriptionRefId': 'subscription-1'}
    """

    @model_validator(mode="after")
    def _specific_date_needs_end_date(self) -> Any:
        time = getattr(self, "subscription_cancellation_time", None)
        if getattr(self, "end_date", None) is None and time == "SPECIFIC_DATE":
            raise _invalid(
                self, "end_date", "required when subscription_cancellation_time is SPECIFIC_DATE"
            )
        return self


class SubscriptionMigrationInputExtension(StiggInput):
    """Input of ``migrateSubscriptionToLatest``."""


class EstimateSubscriptionInputExtension(StiggInput):
    """Input of ``estimateSubscription``: price a subscription before creating it."""


class EstimateSubscriptionUpdateInputExtension(StiggInput):
    """Input of ``estimateSubscriptionUpdate``: price a change to a subscription."""


class GetActiveSubscriptionsInputExtension(StiggInput):
    """Input of ``getActiveSubscriptions``; narrow with ``resource_id(s)``."""


class GetSubscriptionInputExtension(StiggInput):
    """Input of ``getSubscription``."""


class ReportUsageBaseInputExtension(_SetIsNotNegative):
    """One calculated-usage report inside ``reportUsageBulk``.

    Example:
        >>> from stigg_async.models import ReportUsageBaseInput
        >>> ReportUsageBaseInput(
        ...     customer_id="customer-demo-01", feature_id="feature-02-campaigns", value=-1
        ... ).to_variables()
        {'customerId': 'customer-demo-01', 'featureId': 'feature-02-campaigns', 'value': -1.0}
    """


class ReportUsageInputExtension(_SetIsNotNegative):
    """Input of ``reportUsage``: change (DELTA, default) or set (SET) a feature's usage.

    Example:
        >>> from stigg_async.models import ReportUsageInput
        >>> ReportUsageInput(
        ...     customer_id="customer-demo-01", feature_id="feature-02-campaigns",
        ...     value=3, update_behavior="SET", idempotency_key="k-1",
        ... ).to_variables()
        {'customerId': 'customer-demo-01', 'featureId': 'feature-02-campaigns', 'idempotencyKey': 'k-1', 'updateBehavior': 'SET', 'value': 3.0}
    """


class UsageMeasurementCreateInputExtension(_SetIsNotNegative):
    """Input of the legacy ``createUsageMeasurement`` (sent as ``$usageMeasurement``)."""

    variable_name: ClassVar[str] = "usageMeasurement"


class ReportUsageBulkInputExtension(StiggInput):
    """Input of ``reportUsageBulk``: several usage reports in one request."""


class UsageEventReportInputExtension(StiggInput):
    """One raw usage event; ``idempotency_key`` is required and deduplicates retries.

    Example:
        >>> from stigg_async.models import UsageEventReportInput
        >>> UsageEventReportInput(
        ...     customer_id="customer-demo-01", event_name="user_login",
        ...     idempotency_key="227c1b73", dimensions={"user_id": "user-01"},
        ...     timestamp="2023-11-21T16:26:11+02:00",
        ... ).to_variables()["timestamp"]
        '2023-11-21T14:26:11Z'
    """


class UsageEventsReportInputExtension(StiggInput):
    """Input of ``reportEvent``: a batch of raw events (sent as ``$events``)."""

    variable_name: ClassVar[str] = "events"


# -- customer administration, imports, promotion groups, coupons, checkout, usage
# -- history, check analytics and credits (formerly hand-written whole) ----------


class ArchiveCustomerInputExtension(StiggInput):
    """Input of ``archiveCustomer``."""


class UnarchiveCustomerInputExtension(StiggInput):
    """Input of ``unarchiveCustomer``."""


class DetachCustomerPaymentMethodInputExtension(StiggInput):
    """Input of ``detachCustomerPaymentMethod``."""


class CustomerPortalInputExtension(StiggInput):
    """Input of ``customerPortal``: one customer, optionally one product or resource."""


class ImportCustomerInputExtension(StiggInput):
    """One customer to import (``importOneCustomer`` / ``importCustomersBulk``).

    Example:
        >>> from stigg_async.models import ImportCustomerInput
        >>> ImportCustomerInput(customer_id="c-1", email="a@b.test").to_variables()
        {'customerId': 'c-1', 'email': 'a@b.test'}
    """

    @model_validator(mode="after")
    def _needs_an_id(self) -> Any:
        if getattr(self, "customer_id", None) is None and getattr(self, "ref_id", None) is None:
            raise _invalid(self, "customer_id", "customer_id is required to import a customer")
        return self


class ImportCustomerBulkInputExtension(StiggInput):
    """Input of ``importCustomersBulk``: 1 to 1000 customers."""


class ImportSubscriptionInputExtension(StiggInput):
    """One subscription to import: a customer, a plan, and optionally its dates."""

    @model_validator(mode="after")
    def _ends_after_start(self) -> Any:
        _ends_after(self, "start_date", "end_date")
        return self


class ImportSubscriptionsBulkInputExtension(StiggInput):
    """Input of ``importSubscriptionsBulk``: 1 to 1000 subscriptions."""


class GrantPromotionalEntitlementsGroupInputExtension(StiggInput):
    """Input of ``grantPromotionalEntitlementsGroup``."""


class RevokePromotionalEntitlementsGroupInputExtension(StiggInput):
    """Input of ``revokePromotionalEntitlementsGroup``."""


class UnlinkPromotionalEntitlementsGroupInputExtension(StiggInput):
    """Input of ``unlinkPromotionalEntitlementsGroup``."""


class MoneyInputDTOExtension(StiggInput):
    """An amount off, in a currency."""


class CreateCouponInputExtension(StiggInput):
    """Input of ``createOneCoupon``: a PERCENTAGE (``percent_off``) or FIXED (``amounts_off``).

    Example:
        >>> from stigg_async.models import CreateCouponInput
        >>> CreateCouponInput(ref_id="coupon-10", name="10% off", percent_off=10).to_variables()
        {'name': '10% off', 'percentOff': 10.0, 'refId': 'coupon-10', 'type': 'PERCENTAGE'}
    """

    @model_validator(mode="after")
    def _one_discount(self) -> Any:
        percent_off = getattr(self, "percent_off", None)
        if (percent_off is None) == (getattr(self, "amounts_off", None) is None):
            raise _invalid(self, "percent_off", "give exactly one of percent_off and amounts_off")
        implied = "PERCENTAGE" if percent_off is not None else "FIXED"
        given = getattr(self, "type", None)
        if given is not None and given != implied:
            raise _invalid(self, "type", f"type {given} does not match the discount given")
        if given is None:
            # The type follows from the discount given: sent explicitly, as the API wants.
            object.__setattr__(self, "type", CouponType(implied))
        return self


class PaymentSessionInputExtension(StiggInput):
    """Input of ``createPaymentSession``."""


class CheckoutStateInputExtension(StiggInput):
    """Input of ``checkoutState``."""


class UsageHistoryInputExtension(StiggInput):
    """Input of ``usageHistory`` (sent as ``$usageHistoryInput``)."""

    variable_name: ClassVar[str] = "usageHistoryInput"

    @model_validator(mode="after")
    def _range(self) -> Any:
        _ends_after(self, "start_date", "end_date")
        return self


class UsageHistoryV2InputExtension(StiggInput):
    """Input of ``usageHistoryV2``."""

    @model_validator(mode="after")
    def _range(self) -> Any:
        _ends_after(self, "start_date", "end_date")
        return self


class EntitlementCheckResultExtension(StiggInput):
    """What a local entitlement check answered, as reported for analytics."""


class EntitlementCheckRequestedExtension(StiggInput):
    """Input of ``reportEntitlementCheckRequested`` (one check, for Stigg's analytics)."""

    variable_name: ClassVar[str] = "entitlementCheckRequested"


class CreditGrantInputExtension(StiggInput):
    """Input of ``createCreditGrant``: give a customer credits in a currency.

    ``priority`` orders consumption (lower first); ``expire_at`` must be after
    ``effective_at`` (which defaults to now on the server).

    Example:
        >>> from stigg_async.models import CreditGrantInput
        >>> CreditGrantInput(
        ...     customer_id="customer-1", currency_id="currency-ai-credits", amount=100,
        ...     display_name="Welcome credits", grant_type="PROMOTIONAL",
        ... ).to_variables()
        {'amount': 100.0, 'currencyId': 'currency-ai-credits', 'customerId': 'customer-1', 'displayName': 'Welcome credits', 'grantType': 'PROMOTIONAL'}
    """

    @model_validator(mode="after")
    def _expires_after_it_starts(self) -> Any:
        _ends_after(self, "effective_at", "expire_at", "expire_at must be later than effective_at")
        return self


class VoidCreditGrantInputExtension(StiggInput):
    """Input of ``voidCreditGrant``: the grant's id."""


class ConsumeCreditInputExtension(StiggInput):
    """One consumption of credits; ``idempotency_key`` makes a retry count once.

    Example:
        >>> from stigg_async.models import ConsumeCreditInput
        >>> ConsumeCreditInput(
        ...     customer_id="customer-1", currency_id="currency-ai-credits", amount=2,
        ...     idempotency_key="k-1",
        ... ).to_variables()
        {'amount': 2.0, 'currencyId': 'currency-ai-credits', 'customerId': 'customer-1', 'idempotencyKey': 'k-1'}
    """


class ConsumeCreditsAsyncInputExtension(StiggInput):
    """Input of ``consumeCreditsAsync``: consumptions the server applies later."""


class CreditBalanceSummaryInputExtension(StiggInput):
    """Input of ``creditBalanceSummary``: a customer's balances (one currency, or all)."""


class GetCreditGrantsInputExtension(StiggInput):
    """Input of ``creditGrants``: one page of a customer's grants."""


class CreditLedgerInputExtension(StiggInput):
    """Input of ``creditsLedger``: one page of ledger entries, optionally of some kinds."""


class CreditUsageInputExtension(StiggInput):
    """Input of ``creditUsage``: credits consumed over time, per feature."""


class GetAutoRechargeSettingsInputExtension(StiggInput):
    """Input of ``getAutoRechargeSettings``."""


class SaveAutoRechargeSettingsInputExtension(StiggInput):
    """Input of ``saveAutoRechargeSettings``: top up to ``target_balance`` below a threshold.

    Example:
        >>> from stigg_async.models import SaveAutoRechargeSettingsInput
        >>> SaveAutoRechargeSettingsInput(
        ...     customer_id="customer-1", currency_id="currency-ai-credits", is_enabled=True,
        ...     threshold_value=50, target_balance=200,
        ... ).to_variables()["targetBalance"]
        200.0
    """

    @model_validator(mode="after")
    def _recharge_rules(self) -> Any:
        threshold = getattr(self, "threshold_value", None)
        target = getattr(self, "target_balance", None)
        if target is not None and threshold is not None and target <= threshold:
            raise _invalid(self, "target_balance", "must be greater than threshold_value")
        if getattr(self, "is_enabled", False) and (threshold is None or target is None):
            raise _invalid(
                self,
                "threshold_value",
                "threshold_value and target_balance are required when enabled",
            )
        return self


class EstimateUsageCostInputExtension(StiggInput):
    """Input of ``estimateUsageCost``: what reporting ``value`` of a feature would cost."""


class EstimateEventCostInputExtension(StiggInput):
    """Input of ``estimateEventCost``: what one raw event would cost."""


class GetEntitlementV2InputExtension(StiggInput):
    """Query of ``entitlementV2``: one feature's or one currency's entitlement (sent as ``$query``).

    Example:
        >>> from stigg_async.models import EntitlementOptions, GetEntitlementV2Input
        >>> GetEntitlementV2Input(
        ...     customer_id="customer-1", currency_id="currency-ai-credits",
        ...     options=EntitlementOptions(requested_usage=5),
        ... ).as_operation_variables()
        {'query': {'currencyId': 'currency-ai-credits', 'customerId': 'customer-1', 'options': {'requestedUsage': 5.0}}}
    """

    variable_name: ClassVar[str] = "query"

    @model_validator(mode="after")
    def _one_of_feature_or_currency(self) -> Any:
        if (getattr(self, "feature_id", None) is None) == (
            getattr(self, "currency_id", None) is None
        ):
            raise _invalid(self, "feature_id", "pass exactly one of feature_id and currency_id")
        return self
