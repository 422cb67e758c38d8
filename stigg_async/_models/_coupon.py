"""Coupon results and the paged coupon list."""

from __future__ import annotations

from typing import Annotated

from stigg_async._models._base import Items, JsonObject, StiggModel, UtcDateTime, lenient
from stigg_async._models._common import Connection, Money
from stigg_async._models._enums import CouponSource, CouponStatus, CouponType

__all__ = ["Coupon", "CouponEdge", "CouponPage"]


class Coupon(StiggModel):
    """A discount coupon.

    Example:
        >>> c = Coupon.model_validate(
        ...     {"refId": "coupon-vip", "type": "PERCENTAGE", "discountValue": 20,
        ...      "status": "ACTIVE"}
        ... )
        >>> (c.ref_id, c.type, c.discount_value)
        ('coupon-vip', <CouponType.PERCENTAGE: 'PERCENTAGE'>, 20.0)
    """

    ref_id: str
    id: str | None = None
    name: str | None = None
    description: str | None = None
    type: Annotated[CouponType | str, lenient(CouponType)] | None = None
    status: Annotated[CouponStatus | str, lenient(CouponStatus)] | None = None
    source: Annotated[CouponSource | str, lenient(CouponSource)] | None = None
    discount_value: float | None = None
    percent_off: float | None = None
    duration_in_months: float | None = None
    amounts_off: Items[Money] = ()
    billing_id: str | None = None
    billing_link_url: str | None = None
    additional_meta_data: JsonObject | None = None
    created_at: UtcDateTime | None = None
    updated_at: UtcDateTime | None = None


class CouponEdge(StiggModel):
    """One coupon in a page, with its cursor."""

    node: Coupon
    cursor: str | None = None


class CouponPage(Connection):
    """A page of coupons (the ``coupons`` connection).

    Example:
        >>> page = CouponPage.model_validate(
        ...     {"edges": [{"node": {"refId": "coupon-vip"}, "cursor": "c1"}],
        ...      "pageInfo": {"hasNextPage": False, "endCursor": "c1"}, "totalCount": 1}
        ... )
        >>> ([c.ref_id for c in page.items], page.has_next_page, page.end_cursor)
        (['coupon-vip'], False, 'c1')
    """

    edges: Items[CouponEdge] = ()

    @property
    def items(self) -> tuple[Coupon, ...]:
        """The coupons of this page, in order."""
        return tuple(edge.node for edge in self.edges)
