"""Usage history results: a feature's usage over time, overall or per group of dimensions."""

from __future__ import annotations

from typing import Annotated

from stigg_async._models._base import Items, StiggModel, UtcDateTime, lenient
from stigg_async._models._common import PageInfo
from stigg_async._models._enums import UsageMarkerType

__all__ = [
    "UsageHistory",
    "UsageHistoryGroup",
    "UsageHistoryPoint",
    "UsageHistorySeries",
    "UsageHistoryV2",
    "UsageMarker",
    "UsageMeasurementPoint",
    "UsageTag",
]


class UsageMarker(StiggModel):
    """A moment when usage was reset."""

    timestamp: UtcDateTime
    type: Annotated[UsageMarkerType | str, lenient(UsageMarkerType)]


class UsageTag(StiggModel):
    """One dimension value identifying a group (``key`` = the dimension)."""

    key: str
    value: str


class UsageMeasurementPoint(StiggModel):
    """The usage level at one moment (``usageHistory``)."""

    date: UtcDateTime
    value: float
    is_reset_point: bool


class UsageHistoryGroup(StiggModel):
    """The usage points of one group of dimension values."""

    group_info: Items[UsageTag] = ()
    usage_measurements: Items[UsageMeasurementPoint] = ()


class UsageHistory(StiggModel):
    """A feature's usage over time (``usageHistory``), grouped when ``group_by`` was given.

    Example:
        >>> h = UsageHistory.model_validate({
        ...     "startDate": "2026-01-01T00:00:00Z",
        ...     "usageMeasurements": [
        ...         {"date": "2026-01-01T00:00:00Z", "value": 3, "isResetPoint": False}],
        ...     "markers": [],
        ... })
        >>> [p.value for p in h.usage_measurements]
        [3.0]
    """

    start_date: UtcDateTime
    end_date: UtcDateTime | None = None
    usage_measurements: Items[UsageMeasurementPoint] = ()
    groups: Items[UsageHistoryGroup] = ()
    markers: Items[UsageMarker] = ()


class UsageHistoryPoint(StiggModel):
    """The usage level at one moment (``usageHistoryV2``)."""

    timestamp: UtcDateTime
    value: float
    is_reset_point: bool


class UsageHistorySeries(StiggModel):
    """The points of one series; ``tags`` name its group (empty when ungrouped)."""

    tags: Items[UsageTag] = ()
    points: Items[UsageHistoryPoint] = ()

    @property
    def tag_values(self) -> dict[str, str]:
        """The group as a mapping of dimension to value."""
        return {tag.key: tag.value for tag in self.tags}


class UsageHistoryV2(StiggModel):
    """A feature's usage over time as series, paged by series (``usageHistoryV2``).

    Example:
        >>> h = UsageHistoryV2.model_validate({"series": [{"tags": [{"key": "region",
        ...     "value": "eu"}], "points": []}], "markers": []})
        >>> h.series[0].tag_values
        {'region': 'eu'}
    """

    series: Items[UsageHistorySeries] = ()
    markers: Items[UsageMarker] = ()
    page_info: PageInfo | None = None

    @property
    def has_next_page(self) -> bool:
        """True when more series follow (pass ``end_cursor`` as ``after``)."""
        return bool(self.page_info and self.page_info.has_next_page)

    @property
    def end_cursor(self) -> str | None:
        """The cursor to continue after this page of series."""
        return self.page_info.end_cursor if self.page_info else None
