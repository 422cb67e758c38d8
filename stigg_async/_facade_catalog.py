"""Facade methods for the catalog and pricing pages: paywall, products, SDK settings."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from stigg_async._facade_core import _FacadeCore, keywords
from stigg_async._models import (
    CursorPaging,
    GetPaywallInput,
    MockPaywall,
    Paywall,
    Product,
    ProductFilter,
    ProductPage,
    ProductSort,
    SdkConfiguration,
    build_input,
)
from stigg_async._paging import DEFAULT_PAGE_SIZE, check_page_size, follow_cursors

__all__ = ["_CatalogMethods"]


class _CatalogMethods(_FacadeCore):
    async def get_paywall(
        self,
        input: GetPaywallInput | Mapping[str, Any] | None = None,
        /,
        *,
        customer_id: str | None = None,
        resource_id: str | None = None,
        product_id: str | None = None,
        billing_country_code: str | None = None,
        include_hidden_plans: bool | None = None,
        fetch_all_countries_prices: bool | None = None,
    ) -> Paywall:
        """What a pricing page shows (``paywall``): plans in order with prices and add-ons.

        With ``customer_id`` the customer's active subscriptions come along, so the
        current plan can be marked (``paywall.is_current(plan_id)``);
        ``billing_country_code`` picks that country's prices.

        Example:
            >>> paywall = await stigg.get_paywall(  # doctest: +SKIP
            ...     customer_id="customer-1", product_id="product-revvenu",
            ... )
            >>> [(p.ref_id, paywall.is_current(p.ref_id)) for p in paywall.plans]  # doctest: +SKIP
        """
        op = "GetPaywall"
        model = self._input(GetPaywallInput, input, keywords(locals()), op)
        raw = await self._call(op, {"input": model.to_variables()})
        return self._result(Paywall, raw, op)

    async def get_mock_paywall(
        self,
        input: GetPaywallInput | Mapping[str, Any] | None = None,
        /,
        *,
        product_id: str | None = None,
        billing_country_code: str | None = None,
        include_hidden_plans: bool | None = None,
    ) -> MockPaywall:
        """The catalog as a pricing-page preview, without a customer (``mockPaywall``).

        Example:
            >>> mock = await stigg.get_mock_paywall(product_id="product-revvenu")  # doctest: +SKIP
            >>> [p.ref_id for p in mock.plans]  # doctest: +SKIP
        """
        op = "GetMockPaywall"
        model = self._input(GetPaywallInput, input, keywords(locals()), op)
        raw = await self._call(op, {"input": model.to_variables()})
        return self._result(MockPaywall, raw, op)

    async def get_products(
        self,
        *,
        filter: ProductFilter | Mapping[str, Any] | None = None,
        sorting: Sequence[ProductSort | Mapping[str, Any]] | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> ProductPage:
        """One page of the catalog's products (``products``); page on with ``after``.

        Example:
            >>> page = await stigg.get_products(first=20)  # doctest: +SKIP
            >>> [p.ref_id for p in page.items]  # doctest: +SKIP
        """
        op = "GetProducts"
        variables: dict[str, Any] = {}
        if filter is not None:
            variables["filter"] = self._input(ProductFilter, filter, {}, op).to_variables()
        if sorting is not None:
            sorts = self._inputs(ProductSort, sorting, "sorting", op)
            variables["sorting"] = [s.to_variables() for s in sorts]
        if first is not None or after is not None:
            paging = build_input(CursorPaging, operation=op, first=first, after=after)
            variables["paging"] = paging.to_variables()
        raw = await self._call(op, variables)
        return self._result(ProductPage, raw, op)

    def iter_products(
        self,
        *,
        filter: ProductFilter | Mapping[str, Any] | None = None,
        sorting: Sequence[ProductSort | Mapping[str, Any]] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> AsyncIterator[Product]:
        """Every product, fetched ``page_size`` at a time.

        Example:
            >>> ids = [p.ref_id async for p in stigg.iter_products()]  # doctest: +SKIP
        """
        size = check_page_size(page_size, "GetProducts")

        async def fetch(after: str | None) -> ProductPage:
            return await self.get_products(filter=filter, sorting=sorting, first=size, after=after)

        return follow_cursors(fetch)

    async def get_sdk_configuration(self) -> SdkConfiguration:
        """The environment's SDK settings (``sdkConfiguration``).

        Example:
            >>> config = await stigg.get_sdk_configuration()  # doctest: +SKIP
        """
        op = "GetSdkConfiguration"
        raw = await self._call(op, None)
        return self._result(SdkConfiguration, raw or {}, op)
