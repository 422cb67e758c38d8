"""Paywall, mock paywall, products and SDK configuration, end to end against the emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from stigg_async import AsyncStigg, StiggValidationError
from stigg_async._clock import FakeClock
from stigg_async._errors import StiggGraphQLError
from stigg_async.emulator import Emulator
from stigg_async.testing import STIGG_EMULATOR_API_KEY
from tests.support.breadth_catalog import breadth_catalog

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def stigg_emulator(stigg_emulator_clock: FakeClock) -> AsyncIterator[Emulator]:
    """The emulator with the breadth catalog (a Danish price, a plan hidden from paywalls)."""
    async with Emulator(
        api_key=STIGG_EMULATOR_API_KEY, clock=stigg_emulator_clock, catalog=breadth_catalog()
    ) as emulator:
        yield emulator


async def test_paywall_lists_visible_plans_in_catalog_order(stigg_client: AsyncStigg) -> None:
    """Plans come in catalog order; a plan hidden from the paywall is left out."""
    paywall = await stigg_client.get_paywall(product_id="product-revvenu")
    assert [p.ref_id for p in paywall.plans] == [
        "plan-revvenu-basic",
        "plan-revvenu-essentials",
        "plan-revvenu-growth",
    ]
    assert paywall.currency.code == "USD"
    assert paywall.customer is None
    assert paywall.current_plan_ids == ()


async def test_hidden_plans_are_included_on_request(stigg_client: AsyncStigg) -> None:
    """include_hidden_plans shows the plans hidden from the paywall too."""
    paywall = await stigg_client.get_paywall(include_hidden_plans=True)
    assert "plan-revvenu-internal" in [p.ref_id for p in paywall.plans]


async def test_paywall_marks_the_customers_current_plan(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """With a customer, its live subscription's plan is the current one."""
    stigg_emulator.state.provision_customer("c-1")
    stigg_emulator.state.provision_subscription("c-1", "plan-revvenu-essentials")
    paywall = await stigg_client.get_paywall(customer_id="c-1")
    assert paywall.customer is not None
    assert paywall.customer.customer_id == "c-1"
    assert paywall.is_current("plan-revvenu-essentials")
    assert not paywall.is_current("plan-revvenu-basic")


async def test_paywall_scopes_current_plan_to_the_resource(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """With a resource, only that resource's subscriptions count as current."""
    stigg_emulator.state.provision_customer("c-1")
    stigg_emulator.state.provision_subscription(
        "c-1", "plan-revvenu-essentials", resource_id="site-1"
    )
    other = await stigg_client.get_paywall(customer_id="c-1", resource_id="site-2")
    mine = await stigg_client.get_paywall(customer_id="c-1", resource_id="site-1")
    assert other.current_plan_ids == ()
    assert mine.current_plan_ids == ("plan-revvenu-essentials",)
    assert mine.resource is not None
    assert mine.resource.resource_id == "site-1"


async def test_paywall_prices_follow_the_country(stigg_client: AsyncStigg) -> None:
    """A country with its own price gets it; others get the default prices."""
    dk = await stigg_client.get_paywall(billing_country_code="DK")
    us = await stigg_client.get_paywall(billing_country_code="US")

    def essentials_monthly(paywall: object) -> list[tuple[float, str]]:
        plan = next(p for p in paywall.plans if p.ref_id == "plan-revvenu-essentials")  # type: ignore[attr-defined]
        return [
            (p.price.amount, str(p.price.currency))
            for p in plan.prices
            if p.billing_period == "MONTHLY" and p.price is not None
        ]

    assert essentials_monthly(dk) == [(45.0, "DKK")]
    assert essentials_monthly(us) == [(6.0, "USD")]
    points = {(p.plan_id, p.billing_period): p.amount for p in dk.paywall_calculated_price_points}
    assert points[("plan-revvenu-essentials", "MONTHLY")] == 45.0
    assert dk.currency.code == "DKK"


async def test_paywall_of_unknown_customer_is_a_typed_error(stigg_client: AsyncStigg) -> None:
    """A paywall for a customer that does not exist is refused with CustomerNotFound."""
    with pytest.raises(StiggGraphQLError) as info:
        await stigg_client.get_paywall(customer_id="nobody")
    assert info.value.code == "CustomerNotFound"


async def test_bad_country_code_is_rejected_before_sending(stigg_client: AsyncStigg) -> None:
    """The country is ISO alpha-2; anything else fails locally, naming the field."""
    with pytest.raises(StiggValidationError) as info:
        await stigg_client.get_paywall(billing_country_code="Denmark")
    assert info.value.field == "billing_country_code"


async def test_mock_paywall_has_plans_addons_and_prices(stigg_client: AsyncStigg) -> None:
    """The mock paywall shows each plan's product, base plan, prices and add-ons."""
    mock = await stigg_client.get_mock_paywall(product_id="product-revvenu")
    essentials = next(p for p in mock.plans if p.ref_id == "plan-revvenu-essentials")
    assert essentials.base_plan is not None
    assert essentials.base_plan.ref_id == "plan-revvenu-basic"
    assert essentials.product is not None
    assert essentials.product.ref_id == "product-revvenu"
    assert {a.ref_id for a in essentials.compatible_addons} == {
        "addon-10-campaigns",
        "addon-extra-stuff",
    }
    assert {(p.billing_period, p.feature_id) for p in essentials.prices} == {
        ("MONTHLY", "feature-01-templates"),
        ("ANNUALLY", "feature-01-templates"),
    }


async def test_products_page_and_iterator(stigg_client: AsyncStigg) -> None:
    """Products come from the catalog; the iterator follows cursors to the end."""
    page = await stigg_client.get_products(first=1)
    assert [p.ref_id for p in page.items] == ["product-revvenu"]
    assert page.total_count == 1
    assert [p.ref_id async for p in stigg_client.iter_products(page_size=1)] == ["product-revvenu"]
    none = await stigg_client.get_products(filter={"ref_id": {"eq": "nope"}})
    assert none.items == ()


async def test_sdk_configuration_is_answered(stigg_client: AsyncStigg) -> None:
    """sdkConfiguration (the Node SDK's start-up query) is answered, watermark off."""
    config = await stigg_client.get_sdk_configuration()
    assert config.show_watermark is False
    assert config.is_widget_watermark_enabled is False


async def test_paywall_can_fetch_every_countrys_prices(stigg_client: AsyncStigg) -> None:
    """fetch_all_countries_prices lists the default and the country prices together."""
    paywall = await stigg_client.get_paywall(fetch_all_countries_prices=True)
    plan = next(p for p in paywall.plans if p.ref_id == "plan-revvenu-essentials")
    assert {p.billing_country_code for p in plan.prices} == {None, "DK"}
