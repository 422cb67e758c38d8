"""Inputs of the list operations: simple filters, sorting and cursor paging."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from stigg_async._models._base import Id, StiggInput, Text
from stigg_async._models._enums import (
    CouponSortFields,
    CouponStatus,
    CouponType,
    CustomerSortFields,
    SortDirection,
    SortNulls,
)

__all__ = [
    "CouponFilter",
    "CouponSort",
    "CouponStatusFilterComparison",
    "CouponTypeFilterComparison",
    "CursorPaging",
    "CustomerFilter",
    "CustomerSort",
    "StringFieldComparison",
]

#: Page sizes the SDK accepts locally; the API applies its own cap too.
PageSize = Annotated[int, Field(strict=True, ge=1, le=1000)]


class StringFieldComparison(StiggInput):
    """A comparison on a text field (``eq``, ``in_``, ``like``...).

    Example:
        >>> StringFieldComparison(eq="customer-id").to_variables()
        {'eq': 'customer-id'}
        >>> StringFieldComparison(in_=["a", "b"]).to_variables()
        {'in': ['a', 'b']}
    """

    eq: Text | None = None
    neq: Text | None = None
    in_: tuple[Text, ...] | None = Field(default=None, alias="in")
    not_in: tuple[Text, ...] | None = None
    like: Text | None = None
    i_like: Text | None = None


class CustomerFilter(StiggInput):
    """A filter on customers; the given conditions must all hold."""

    variable_name: ClassVar[str] = "filter"

    customer_id: StringFieldComparison | None = None
    ref_id: StringFieldComparison | None = None
    email: StringFieldComparison | None = None
    name: StringFieldComparison | None = None
    billing_id: StringFieldComparison | None = None


class CustomerSort(StiggInput):
    """One sort key of a customer list."""

    field: CustomerSortFields
    direction: SortDirection
    nulls: SortNulls | None = None


class CouponStatusFilterComparison(StiggInput):
    """A comparison on a coupon's status."""

    eq: CouponStatus | None = None
    neq: CouponStatus | None = None
    in_: tuple[CouponStatus, ...] | None = Field(default=None, alias="in")


class CouponTypeFilterComparison(StiggInput):
    """A comparison on a coupon's type."""

    eq: CouponType | None = None
    neq: CouponType | None = None
    in_: tuple[CouponType, ...] | None = Field(default=None, alias="in")


class CouponFilter(StiggInput):
    """A filter on coupons.

    Example:
        >>> CouponFilter(status=CouponStatusFilterComparison(eq="ACTIVE")).to_variables()
        {'status': {'eq': 'ACTIVE'}}
    """

    variable_name: ClassVar[str] = "filter"

    ref_id: StringFieldComparison | None = None
    name: StringFieldComparison | None = None
    billing_id: StringFieldComparison | None = None
    status: CouponStatusFilterComparison | None = None
    type: CouponTypeFilterComparison | None = None


class CouponSort(StiggInput):
    """One sort key of a coupon list."""

    field: CouponSortFields
    direction: SortDirection
    nulls: SortNulls | None = None


class CursorPaging(StiggInput):
    """Cursor paging: ``first`` items ``after`` a cursor (or ``last`` ``before`` one).

    Example:
        >>> CursorPaging(first=50, after="c1").as_operation_variables()
        {'paging': {'first': 50, 'after': 'c1'}}
    """

    variable_name: ClassVar[str] = "paging"

    first: PageSize | None = None
    after: Id | None = None
    last: PageSize | None = None
    before: Id | None = None
