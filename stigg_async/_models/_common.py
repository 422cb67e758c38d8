"""Small result models shared by several operations: money, features, paging."""

from __future__ import annotations

from typing import Annotated

from stigg_async._models._base import JsonObject, StiggModel, UtcDateTime, lenient
from stigg_async._models._enums import Currency, FeatureStatus, FeatureType, MeterType

__all__ = ["Connection", "DateRange", "Feature", "Money", "PageInfo"]


class Money(StiggModel):
    """An amount in a currency.

    Example:
        >>> Money.model_validate({"amount": 30, "currency": "USD"}).amount
        30.0
    """

    amount: float
    currency: Annotated[Currency | str, lenient(Currency)]


class Feature(StiggModel):
    """A feature of the product catalog (as selected on entitlements, prices, promotions).

    Only ``ref_id`` (the id you chose, e.g. ``"feature-01-templates"``) is always
    present; the rest depends on the selection.

    Example:
        >>> f = Feature.model_validate(
        ...     {"refId": "feature-01-templates", "featureType": "NUMBER",
        ...      "meterType": "Fluctuating"}
        ... )
        >>> (f.ref_id, f.feature_type, f.is_metered)
        ('feature-01-templates', <FeatureType.NUMBER: 'NUMBER'>, True)
    """

    ref_id: str
    id: str | None = None
    display_name: str | None = None
    description: str | None = None
    feature_type: Annotated[FeatureType | str, lenient(FeatureType)] | None = None
    meter_type: Annotated[MeterType | str, lenient(MeterType)] | None = None
    feature_units: str | None = None
    feature_units_plural: str | None = None
    feature_status: Annotated[FeatureStatus | str, lenient(FeatureStatus)] | None = None
    additional_meta_data: JsonObject | None = None

    @property
    def is_metered(self) -> bool:
        """True for a NUMBER feature whose usage is metered (incremental or fluctuating)."""
        return self.feature_type == FeatureType.NUMBER and self.meter_type not in (
            None,
            MeterType.NONE,
        )


class DateRange(StiggModel):
    """A span of time; either end may be open."""

    start: UtcDateTime | None = None
    end: UtcDateTime | None = None


class PageInfo(StiggModel):
    """Cursor paging state of a connection."""

    # Nullable in the schema; None reads as "no".
    has_next_page: bool | None = None
    has_previous_page: bool | None = None
    start_cursor: str | None = None
    end_cursor: str | None = None


class Connection(StiggModel):
    """What every page of a cursor-paged list has besides its edges."""

    page_info: PageInfo = PageInfo()
    total_count: int | None = None

    @property
    def has_next_page(self) -> bool:
        """True when another page follows (pass ``end_cursor`` as ``after``)."""
        return bool(self.page_info.has_next_page)

    @property
    def end_cursor(self) -> str | None:
        """The cursor to continue after this page."""
        return self.page_info.end_cursor
