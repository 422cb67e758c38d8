"""Inputs of the usage operations: calculated usage and raw events."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field, ValidationInfo, field_validator

from stigg_async._models._base import (
    Dimensions,
    FiniteFloat,
    Id,
    InputDateTime,
    StiggInput,
)
from stigg_async._models._enums import UsageUpdateBehavior

__all__ = [
    "ReportUsageBaseInput",
    "ReportUsageBulkInput",
    "ReportUsageInput",
    "UsageEventReportInput",
    "UsageEventsReportInput",
    "UsageMeasurementCreateInput",
]


class ReportUsageBaseInput(StiggInput):
    """One calculated-usage report inside ``reportUsageBulk``.

    Example:
        >>> ReportUsageBaseInput(
        ...     customer_id="customer-demo-01", feature_id="feature-02-campaigns", value=-1
        ... ).to_variables()
        {'customerId': 'customer-demo-01', 'featureId': 'feature-02-campaigns', 'value': -1.0}
    """

    customer_id: Id
    feature_id: Id
    # Declared before value so that value's validator can see it.
    update_behavior: UsageUpdateBehavior | None = None
    value: FiniteFloat
    resource_id: Id | None = None
    idempotency_key: Id | None = None
    dimensions: Dimensions | None = None
    created_at: InputDateTime | None = None

    @field_validator("value")
    @classmethod
    def _set_is_not_negative(cls, value: float, info: ValidationInfo) -> float:
        # A DELTA may be negative (fluctuating meters decrement); whether the meter
        # fluctuates is only known server-side. An absolute SET below 0 never is valid.
        if value < 0 and info.data.get("update_behavior") is UsageUpdateBehavior.SET:
            raise ValueError("must be >= 0 when update_behavior is SET")
        return value


class ReportUsageInput(ReportUsageBaseInput):
    """Input of ``reportUsage``: change (DELTA, default) or set (SET) a feature's usage.

    Example:
        >>> ReportUsageInput(
        ...     customer_id="customer-demo-01", feature_id="feature-02-campaigns",
        ...     value=3, update_behavior="SET", idempotency_key="k-1",
        ... ).to_variables()
        {'customerId': 'customer-demo-01', 'featureId': 'feature-02-campaigns', 'updateBehavior': 'SET', 'value': 3.0, 'idempotencyKey': 'k-1'}
    """  # noqa: E501


class UsageMeasurementCreateInput(ReportUsageBaseInput):
    """Input of the legacy ``createUsageMeasurement`` (sent as ``$usageMeasurement``)."""

    variable_name: ClassVar[str] = "usageMeasurement"


class ReportUsageBulkInput(StiggInput):
    """Input of ``reportUsageBulk``: several usage reports in one request."""

    usages: Annotated[tuple[ReportUsageBaseInput, ...], Field(min_length=1)]


class UsageEventReportInput(StiggInput):
    """One raw usage event; ``idempotency_key`` is required and deduplicates retries.

    Example:
        >>> UsageEventReportInput(
        ...     customer_id="customer-demo-01", event_name="user_login",
        ...     idempotency_key="227c1b73", dimensions={"user_id": "user-01"},
        ...     timestamp="2023-11-21T16:26:11+02:00",
        ... ).to_variables()["timestamp"]
        '2023-11-21T14:26:11Z'
    """

    customer_id: Id
    event_name: Id
    idempotency_key: Id
    resource_id: Id | None = None
    timestamp: InputDateTime | None = None
    dimensions: Dimensions | None = None


class UsageEventsReportInput(StiggInput):
    """Input of ``reportEvent``: a batch of raw events (sent as ``$events``)."""

    variable_name: ClassVar[str] = "events"

    usage_events: Annotated[tuple[UsageEventReportInput, ...], Field(min_length=1)]
