"""Entitlement results: one feature's access decision and a customer's full state."""

from __future__ import annotations

from typing import Annotated

from stigg_async._models._base import Items, StiggModel, UtcDateTime, lenient
from stigg_async._models._common import Feature
from stigg_async._models._enums import (
    AccessDeniedReason,
    EntitlementResetPeriod,
    EntitlementsStateAccessDeniedReason,
)

__all__ = ["Entitlement", "EntitlementsState"]


class Entitlement(StiggModel):
    """A customer's entitlement to one feature, as evaluated by the API.

    Example:
        >>> e = Entitlement.model_validate({
        ...     "isGranted": False,
        ...     "accessDeniedReason": "RequestedUsageExceedingLimit",
        ...     "usageLimit": 5, "currentUsage": 3, "requestedUsage": 10,
        ...     "hasUnlimitedUsage": False,
        ...     "feature": {"refId": "feature-01-templates", "featureType": "NUMBER"},
        ... })
        >>> (e.is_granted, e.access_denied_reason, e.feature_id)
        (False, <AccessDeniedReason.REQUESTED_USAGE_EXCEEDING_LIMIT: 'RequestedUsageExceedingLimit'>, 'feature-01-templates')
    """  # noqa: E501

    is_granted: bool
    access_denied_reason: (
        Annotated[AccessDeniedReason | str, lenient(AccessDeniedReason)] | None
    ) = None
    customer_id: str | None = None
    resource_id: str | None = None
    usage_limit: float | None = None
    current_usage: float | None = None
    requested_usage: float | None = None
    has_unlimited_usage: bool = False
    has_soft_limit: bool | None = None
    reset_period: (
        Annotated[EntitlementResetPeriod | str, lenient(EntitlementResetPeriod)] | None
    ) = None
    usage_period_anchor: UtcDateTime | None = None
    usage_period_start: UtcDateTime | None = None
    usage_period_end: UtcDateTime | None = None
    next_reset_date: UtcDateTime | None = None
    entitlement_updated_at: UtcDateTime | None = None
    usage_updated_at: UtcDateTime | None = None
    valid_until: float | None = None
    feature: Feature | None = None

    @property
    def feature_id(self) -> str | None:
        """The feature's ``ref_id`` (the id used in checks and usage reports)."""
        return self.feature.ref_id if self.feature is not None else None


class EntitlementsState(StiggModel):
    """All entitlements of a customer plus a customer-level denial reason.

    ``access_denied_reason`` is set when nothing can be granted at all (customer not
    found, no active subscription).

    Example:
        >>> s = EntitlementsState.model_validate(
        ...     {"accessDeniedReason": "NoActiveSubscription", "entitlements": []}
        ... )
        >>> s.access_denied_reason
        <EntitlementsStateAccessDeniedReason.NO_ACTIVE_SUBSCRIPTION: 'NoActiveSubscription'>
    """

    access_denied_reason: (
        Annotated[
            EntitlementsStateAccessDeniedReason | str,
            lenient(EntitlementsStateAccessDeniedReason),
        ]
        | None
    ) = None
    entitlements: Items[Entitlement] = ()
