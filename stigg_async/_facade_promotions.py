"""Facade methods for promotional entitlements and coupons."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from stigg_async._errors import StiggResponseError
from stigg_async._facade_core import _FacadeCore, build_arguments
from stigg_async._models import (
    CouponFilter,
    CouponPage,
    CouponStatus,
    CursorPaging,
    GrantPromotionalEntitlementInput,
    PromotionalEntitlement,
    RevokePromotionalEntitlementInput,
    build_input,
)
from stigg_async._models import (
    GrantPromotionalEntitlementsInput as _GrantMany,
)
from stigg_async._types import CouponStatusName
from stigg_async._validation import check_id

__all__ = ["_PromotionMethods"]


class _PromotionMethods(_FacadeCore):
    async def grant_promotional_entitlements(
        self,
        customer_id: str,
        promotional_entitlements: Sequence[GrantPromotionalEntitlementInput | Mapping[str, Any]],
    ) -> list[PromotionalEntitlement]:
        """Grant features or extra limits to a customer beyond their plan.

        Each grant names a ``feature_id`` and a ``period`` (``ONE_WEEK`` ... ``LIFETIME``,
        or ``CUSTOM`` with ``custom_end_date``), optionally a ``usage_limit``. The
        customer's cached entitlements are refreshed afterwards.

        Example:
            >>> grants = await stigg.grant_promotional_entitlements(  # doctest: +SKIP
            ...     "customer-1",
            ...     [{"feature_id": "feature-04-analytics", "period": "ONE_MONTH"}],
            ... )
        """
        op = "GrantPromotionalEntitlements"
        grants = self._inputs(
            GrantPromotionalEntitlementInput,
            promotional_entitlements,
            "promotional_entitlements",
            op,
        )
        model = build_input(
            _GrantMany, operation=op, customer_id=customer_id, promotional_entitlements=grants
        )
        raw = await self._call(op, {"input": model.to_variables()})
        if not isinstance(raw, list):
            raise StiggResponseError(  # the grant ran: only the answer is unusable
                "grantPromotionalEntitlements did not return a list",
                operation=op,
                may_have_landed=True,
            )
        return [self._result(PromotionalEntitlement, r, op) for r in raw]

    async def revoke_promotional_entitlement(
        self, customer_id: str, feature_id: str
    ) -> PromotionalEntitlement:
        """Take back a promotional entitlement; the customer's cache is refreshed.

        Example:
            >>> grant = {"feature_id": "feature-04-analytics", "period": "ONE_MONTH"}
            >>> await stigg.grant_promotional_entitlements("customer-1", [grant])  # doctest: +SKIP
            >>> await stigg.revoke_promotional_entitlement(  # doctest: +SKIP
            ...     "customer-1", "feature-04-analytics"
            ... )
        """
        op = "RevokePromotionalEntitlement"
        model = build_input(
            RevokePromotionalEntitlementInput,
            operation=op,
            customer_id=customer_id,
            feature_id=feature_id,
        )
        raw = await self._call(op, {"input": model.to_variables()})
        return self._result(PromotionalEntitlement, raw, op)

    async def get_coupons(
        self,
        *,
        status: CouponStatus | CouponStatusName | None = None,
        coupon_id: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> CouponPage:
        """One page of coupons (``coupons``), optionally by status or id.

        Example:
            >>> page = await stigg.get_coupons(status="ACTIVE")  # doctest: +SKIP
            >>> [c.ref_id for c in page.items]  # doctest: +SKIP
        """
        op = "GetCoupons"
        variables: dict[str, Any] = {}
        flt: dict[str, Any] = {}
        if status is not None:
            flt["status"] = {"eq": status}
        if coupon_id is not None:
            # The filter model takes any text; an id follows the SDK's id rule.
            check_id(coupon_id, "coupon_id")
            flt["ref_id"] = {"eq": coupon_id}
        if flt:
            model = build_arguments(CouponFilter, op, {"ref_id.eq": "coupon_id"}, **flt)
            variables["filter"] = model.to_variables()
        if first is not None or after is not None:
            paging = build_input(CursorPaging, operation=op, first=first, after=after)
            variables["paging"] = paging.to_variables()
        raw = await self._call(op, variables)
        return self._result(CouponPage, raw, op)
