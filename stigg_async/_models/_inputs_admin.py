"""Inputs of customer administration, imports, promotion groups, coupons, checkout,
usage history and entitlement-check analytics."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field, model_validator

from stigg_async._models._base import (
    CountryCode,
    FiniteFloat,
    Id,
    InputDateTime,
    JsonObject,
    NonNegativeFloat,
    StiggInput,
    StrictBool,
    Text,
)
from stigg_async._models._enums import (
    AccessDeniedReason,
    BillingPeriod,
    CouponType,
    Currency,
    EntitlementResetPeriod,
)
from stigg_async._models._inputs import (
    BillableFeatureInput,
    CursorPaging,
    GrantPromotionalEntitlementInput,
    SubscriptionAddonInput,
)

__all__ = [
    "ArchiveCustomerInput",
    "CheckoutStateInput",
    "CreateCouponInput",
    "CustomerPortalInput",
    "DetachCustomerPaymentMethodInput",
    "EntitlementCheckRequested",
    "EntitlementCheckResult",
    "GrantPromotionalEntitlementsGroupInput",
    "ImportCustomerBulkInput",
    "ImportCustomerInput",
    "ImportSubscriptionInput",
    "ImportSubscriptionsBulkInput",
    "MoneyInputDTO",
    "PaymentSessionInput",
    "RevokePromotionalEntitlementsGroupInput",
    "UnarchiveCustomerInput",
    "UnlinkPromotionalEntitlementsGroupInput",
    "UsageHistoryInput",
    "UsageHistoryV2Input",
]

#: Most items one bulk import may carry (the API takes the batch as one request).
MAX_IMPORT_ITEMS = 1000
#: Most dimensions a usage history may be grouped by.
MAX_GROUP_BY = 10


class ArchiveCustomerInput(StiggInput):
    """Input of ``archiveCustomer``."""

    customer_id: Id


class UnarchiveCustomerInput(StiggInput):
    """Input of ``unarchiveCustomer``."""

    customer_id: Id


class DetachCustomerPaymentMethodInput(StiggInput):
    """Input of ``detachCustomerPaymentMethod``."""

    customer_id: Id


class CustomerPortalInput(StiggInput):
    """Input of ``customerPortal``: one customer, optionally one product or resource."""

    customer_id: Id
    product_id: Id | None = None
    resource_id: Id | None = None


class ImportCustomerInput(StiggInput):
    """One customer to import (``importOneCustomer`` / ``importCustomersBulk``).

    Example:
        >>> ImportCustomerInput(customer_id="c-1", email="a@b.test").to_variables()
        {'customerId': 'c-1', 'email': 'a@b.test'}
    """

    customer_id: Id | None = None
    ref_id: Id | None = None
    name: Text | None = None
    email: Text | None = None
    billing_id: Id | None = None
    payment_method_id: Id | None = None
    salesforce_id: Id | None = None
    additional_meta_data: JsonObject | None = None
    updated_at: InputDateTime | None = None

    @model_validator(mode="after")
    def _needs_an_id(self) -> ImportCustomerInput:
        if self.customer_id is None and self.ref_id is None:
            raise ValueError("customer_id is required to import a customer")
        return self


class ImportCustomerBulkInput(StiggInput):
    """Input of ``importCustomersBulk``: 1 to 1000 customers."""

    customers: Annotated[
        tuple[ImportCustomerInput, ...], Field(min_length=1, max_length=MAX_IMPORT_ITEMS)
    ]
    integration_id: Id | None = None


class ImportSubscriptionInput(StiggInput):
    """One subscription to import: a customer, a plan, and optionally its dates."""

    customer_id: Id
    plan_id: Id
    subscription_id: Id | None = None
    resource_id: Id | None = None
    billing_period: BillingPeriod | None = None
    billing_id: Id | None = None
    start_date: InputDateTime | None = None
    end_date: InputDateTime | None = None
    unit_quantity: NonNegativeFloat | None = None
    addons: tuple[SubscriptionAddonInput, ...] | None = None
    billable_features: tuple[BillableFeatureInput, ...] | None = None
    salesforce_id: Id | None = None
    additional_meta_data: JsonObject | None = None
    updated_at: InputDateTime | None = None

    @model_validator(mode="after")
    def _ends_after_start(self) -> ImportSubscriptionInput:
        if self.start_date and self.end_date and self.end_date <= self.start_date:
            raise ValueError("end_date must be after start_date")
        return self


class ImportSubscriptionsBulkInput(StiggInput):
    """Input of ``importSubscriptionsBulk``: 1 to 1000 subscriptions."""

    subscriptions: Annotated[
        tuple[ImportSubscriptionInput, ...], Field(min_length=1, max_length=MAX_IMPORT_ITEMS)
    ]
    integration_id: Id | None = None


class GrantPromotionalEntitlementsGroupInput(StiggInput):
    """Input of ``grantPromotionalEntitlementsGroup``."""

    customer_id: Id
    feature_group_id: Id
    promotional_entitlements: Annotated[
        tuple[GrantPromotionalEntitlementInput, ...], Field(min_length=1)
    ]


class RevokePromotionalEntitlementsGroupInput(StiggInput):
    """Input of ``revokePromotionalEntitlementsGroup``."""

    customer_id: Id
    feature_group_id: Id


class UnlinkPromotionalEntitlementsGroupInput(StiggInput):
    """Input of ``unlinkPromotionalEntitlementsGroup``."""

    customer_id: Id
    feature_group_id: Id


class MoneyInputDTO(StiggInput):
    """An amount off, in a currency."""

    amount: Annotated[float, Field(gt=0, allow_inf_nan=False, strict=True)]
    currency: Currency | None = None


class CreateCouponInput(StiggInput):
    """Input of ``createOneCoupon``: a PERCENTAGE (``percent_off``) or FIXED (``amounts_off``).

    Example:
        >>> CreateCouponInput(ref_id="coupon-10", name="10% off", percent_off=10).to_variables()
        {'refId': 'coupon-10', 'name': '10% off', 'percentOff': 10.0, 'type': 'PERCENTAGE'}
    """

    ref_id: Id
    name: Annotated[Text, Field(min_length=1)]
    description: Text | None = None
    percent_off: Annotated[float, Field(gt=0, le=100, allow_inf_nan=False, strict=True)] | None = (
        None
    )
    amounts_off: Annotated[tuple[MoneyInputDTO, ...], Field(min_length=1)] | None = None
    discount_value: NonNegativeFloat | None = None
    duration_in_months: Annotated[float, Field(gt=0, allow_inf_nan=False, strict=True)] | None = (
        None
    )
    type: CouponType | None = None
    additional_meta_data: JsonObject | None = None

    @model_validator(mode="after")
    def _one_discount(self) -> CreateCouponInput:
        if (self.percent_off is None) == (self.amounts_off is None):
            raise ValueError("give exactly one of percent_off and amounts_off")
        implied = CouponType.PERCENTAGE if self.percent_off is not None else CouponType.FIXED
        if self.type is not None and self.type != implied:
            raise ValueError(f"type {self.type.value} does not match the discount given")
        if self.type is None:
            object.__setattr__(self, "type", implied)
        return self


class PaymentSessionInput(StiggInput):
    """Input of ``createPaymentSession``."""

    customer_id: Id
    plan_id: Id
    billing_country_code: CountryCode | None = None


class CheckoutStateInput(StiggInput):
    """Input of ``checkoutState``."""

    customer_id: Id
    plan_id: Id
    product_id: Id | None = None
    resource_id: Id | None = None
    billing_country_code: CountryCode | None = None


def _check_range(start: object, end: object) -> None:
    if start is not None and end is not None and end <= start:  # type: ignore[operator]
        raise ValueError("end_date must be after start_date")


class UsageHistoryInput(StiggInput):
    """Input of ``usageHistory`` (sent as ``$usageHistoryInput``)."""

    variable_name: ClassVar[str] = "usageHistoryInput"

    customer_ref_id: Id
    feature_ref_id: Id
    resource_ref_id: Id | None = None
    start_date: InputDateTime
    end_date: InputDateTime | None = None
    group_by: Annotated[tuple[Id, ...], Field(max_length=MAX_GROUP_BY)] | None = None
    reset_period: EntitlementResetPeriod | None = None

    @model_validator(mode="after")
    def _range(self) -> UsageHistoryInput:
        _check_range(self.start_date, self.end_date)
        return self


class UsageHistoryV2Input(StiggInput):
    """Input of ``usageHistoryV2``."""

    customer_id: Id
    feature_id: Id
    resource_id: Id | None = None
    start_date: InputDateTime
    end_date: InputDateTime | None = None
    group_by: Annotated[tuple[Id, ...], Field(max_length=MAX_GROUP_BY)] | None = None
    include_inactive_subscriptions: StrictBool | None = None
    paging: CursorPaging | None = None

    @model_validator(mode="after")
    def _range(self) -> UsageHistoryV2Input:
        _check_range(self.start_date, self.end_date)
        return self


class EntitlementCheckResult(StiggInput):
    """What a local entitlement check answered, as reported for analytics."""

    has_access: StrictBool
    access_denied_reason: AccessDeniedReason | None = None
    current_usage: FiniteFloat | None = None
    usage_limit: FiniteFloat | None = None
    requested_usage: FiniteFloat | None = None
    has_unlimited_usage: StrictBool | None = None
    has_soft_limit: StrictBool | None = None
    reset_period: EntitlementResetPeriod | None = None
    next_reset_date: InputDateTime | None = None


class EntitlementCheckRequested(StiggInput):
    """Input of ``reportEntitlementCheckRequested`` (one check, for Stigg's analytics)."""

    variable_name: ClassVar[str] = "entitlementCheckRequested"

    customer_id: Id
    feature_id: Id
    resource_id: Id | None = None
    requested_usage: FiniteFloat | None = None
    entitlement_check_result: EntitlementCheckResult
