"""``iter_customers`` and ``iter_coupons``: the one-page list calls, followed to the end."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from stigg_async._facade_customers import _CustomerMethods
from stigg_async._facade_promotions import _PromotionMethods
from stigg_async._models import Coupon, CouponPage, CouponStatus, Customer, CustomerPage
from stigg_async._paging import DEFAULT_PAGE_SIZE, check_page_size, follow_cursors
from stigg_async._types import CouponStatusName

__all__ = ["_PagingMethods"]


class _PagingMethods(_CustomerMethods, _PromotionMethods):
    def iter_customers(
        self,
        *,
        filter: Mapping[str, Any] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> AsyncIterator[Customer]:
        """Every customer (optionally filtered), following cursors ``page_size`` at a time.

        Example:
            >>> async for customer in stigg.iter_customers(page_size=100):  # doctest: +SKIP
            ...     print(customer.customer_id)
        """
        size = check_page_size(page_size, "GetCustomers")

        async def fetch(after: str | None) -> CustomerPage:
            return await self.get_customers(filter=filter, first=size, after=after)

        return follow_cursors(fetch)

    def iter_coupons(
        self,
        *,
        status: CouponStatus | CouponStatusName | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> AsyncIterator[Coupon]:
        """Every coupon (optionally of one status), following cursors.

        Example:
            >>> codes = [c.ref_id async for c in stigg.iter_coupons()]  # doctest: +SKIP
        """
        size = check_page_size(page_size, "GetCoupons")

        async def fetch(after: str | None) -> CouponPage:
            return await self.get_coupons(status=status, first=size, after=after)

        return follow_cursors(fetch)
