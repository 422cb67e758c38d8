"""Promotional entitlement results (granted on top of a customer's subscriptions)."""

from __future__ import annotations

from typing import Annotated

from stigg_async._models._base import Items, StiggModel, UtcDateTime, lenient
from stigg_async._models._common import Feature
from stigg_async._models._enums import (
    EntitlementResetPeriod,
    PromotionalEntitlementPeriod,
    PromotionalEntitlementStatus,
)

__all__ = ["PromotionalEntitlement"]


class PromotionalEntitlement(StiggModel):
    """A feature granted to a customer outside their subscription, for a period.

    Example:
        >>> p = PromotionalEntitlement.model_validate({
        ...     "status": "Active", "usageLimit": 100, "endDate": 1703188216.028,
        ...     "isVisible": True, "feature": {"refId": "feature-02-campaigns"},
        ... })
        >>> (p.status, p.feature_ref_id, p.end_date.year)
        (<PromotionalEntitlementStatus.ACTIVE: 'Active'>, 'feature-02-campaigns', 2023)
    """

    id: str | None = None
    feature_id: str | None = None
    status: (
        Annotated[PromotionalEntitlementStatus | str, lenient(PromotionalEntitlementStatus)] | None
    ) = None
    period: (
        Annotated[PromotionalEntitlementPeriod | str, lenient(PromotionalEntitlementPeriod)] | None
    ) = None
    usage_limit: float | None = None
    has_unlimited_usage: bool | None = None
    has_soft_limit: bool | None = None
    reset_period: (
        Annotated[EntitlementResetPeriod | str, lenient(EntitlementResetPeriod)] | None
    ) = None
    start_date: UtcDateTime | None = None
    end_date: UtcDateTime | None = None
    is_visible: bool | None = None
    created_at: UtcDateTime | None = None
    updated_at: UtcDateTime | None = None
    feature: Feature | None = None
    #: The feature groups it was granted through (``grant_promotional_entitlements_group``).
    feature_group_ids: Items[str] = ()

    @property
    def feature_ref_id(self) -> str | None:
        """The feature's ``ref_id`` (``feature_id`` is the API's internal id)."""
        return self.feature.ref_id if self.feature is not None else None
