"""Inputs of the entitlement and promotional-entitlement operations."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, ValidationInfo, field_validator

from stigg_async._models._base import (
    Id,
    InputDateTime,
    NonNegativeFloat,
    StiggInput,
    StrictBool,
)
from stigg_async._models._enums import EntitlementResetPeriod, PromotionalEntitlementPeriod

__all__ = [
    "EntitlementOptions",
    "FetchEntitlementQuery",
    "FetchEntitlementsQuery",
    "GrantPromotionalEntitlementInput",
    "GrantPromotionalEntitlementsInput",
    "RevokePromotionalEntitlementInput",
]


class EntitlementOptions(StiggInput):
    """Options of a server-side entitlement check."""

    requested_usage: NonNegativeFloat | None = None
    requested_values: tuple[Id, ...] | None = None
    should_track: StrictBool | None = None


class FetchEntitlementQuery(StiggInput):
    """Query of ``entitlement``: one feature of one customer, evaluated by the API.

    Example:
        >>> FetchEntitlementQuery(
        ...     customer_id="customer-demo-01", feature_id="feature-01-templates",
        ...     options=EntitlementOptions(requested_usage=10),
        ... ).as_operation_variables()
        {'query': {'customerId': 'customer-demo-01', 'featureId': 'feature-01-templates', 'options': {'requestedUsage': 10.0}}}
    """  # noqa: E501

    variable_name: ClassVar[str] = "query"

    customer_id: Id
    feature_id: Id
    resource_id: Id | None = None
    options: EntitlementOptions | None = None


class FetchEntitlementsQuery(StiggInput):
    """Query of ``cachedEntitlements`` / ``entitlementsState``: all of a customer's features.

    Example:
        >>> FetchEntitlementsQuery(customer_id="customer-demo-01", resource_id="site-1").to_variables()
        {'customerId': 'customer-demo-01', 'resourceId': 'site-1'}
    """  # noqa: E501

    variable_name: ClassVar[str] = "query"

    customer_id: Id
    resource_id: Id | None = None


class GrantPromotionalEntitlementInput(StiggInput):
    """One promotional entitlement to grant; a CUSTOM period needs ``custom_end_date``.

    Example:
        >>> GrantPromotionalEntitlementInput(
        ...     feature_id="feature-02-campaigns", period="CUSTOM", usage_limit=100,
        ...     custom_end_date="2030-01-01T00:00:00Z",
        ... ).to_variables()
        {'featureId': 'feature-02-campaigns', 'period': 'CUSTOM', 'customEndDate': '2030-01-01T00:00:00Z', 'usageLimit': 100.0}
    """  # noqa: E501

    feature_id: Id
    # Declared before custom_end_date so that its validator can see it.
    period: PromotionalEntitlementPeriod
    custom_end_date: InputDateTime | None = Field(default=None, validate_default=True)
    usage_limit: NonNegativeFloat | None = None
    has_unlimited_usage: StrictBool | None = None
    has_soft_limit: StrictBool | None = None
    reset_period: EntitlementResetPeriod | None = None
    is_visible: StrictBool | None = None
    enum_values: tuple[Id, ...] | None = None

    @field_validator("custom_end_date")
    @classmethod
    def _custom_needs_end_date(cls, value: object, info: ValidationInfo) -> object:
        if value is None and info.data.get("period") is PromotionalEntitlementPeriod.CUSTOM:
            raise ValueError("required when period is CUSTOM")
        return value


class GrantPromotionalEntitlementsInput(StiggInput):
    """Input of ``grantPromotionalEntitlements``: one customer, one or more grants."""

    customer_id: Id
    promotional_entitlements: tuple[GrantPromotionalEntitlementInput, ...] = Field(min_length=1)


class RevokePromotionalEntitlementInput(StiggInput):
    """Input of ``revokePromotionalEntitlement``.

    Example:
        >>> RevokePromotionalEntitlementInput(
        ...     customer_id="customer-demo-01", feature_id="feature-04-analytics"
        ... ).to_variables()
        {'customerId': 'customer-demo-01', 'featureId': 'feature-04-analytics'}
    """

    customer_id: Id
    feature_id: Id
