"""Usage results: what ``reportUsage`` / ``createUsageMeasurement`` answer."""

from __future__ import annotations

from stigg_async._models._base import StiggModel, UtcDateTime

__all__ = ["UsageMeasurement"]


class UsageMeasurement(StiggModel):
    """One recorded usage measurement and the feature's usage after it.

    ``current_usage`` and the usage period let the entitlement cache update the
    customer's entitlement without another round trip.

    Example:
        >>> m = UsageMeasurement.model_validate(
        ...     {"id": "5fc4", "currentUsage": 3, "timestamp": 1700595372.708}
        ... )
        >>> (m.current_usage, m.timestamp.year)
        (3.0, 2023)
    """

    id: str
    customer_id: str | None = None
    feature_id: str | None = None
    resource_id: str | None = None
    value: float | None = None
    current_usage: float | None = None
    timestamp: UtcDateTime | None = None
    created_at: UtcDateTime | None = None
    usage_period_start: UtcDateTime | None = None
    usage_period_end: UtcDateTime | None = None
    next_reset_date: UtcDateTime | None = None
