"""Customer administration end to end: the facade over HTTP against the emulator's state."""

from __future__ import annotations

from datetime import timedelta

import pytest

from stigg_async import AsyncStigg, StiggGraphQLError, StiggValidationError
from stigg_async._models import PricingType, SubscriptionStatus
from stigg_async.emulator import Emulator


async def test_archive_hides_refuses_and_denies_until_unarchived(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """Archived: not listed, no new subscription, checks denied; unarchive restores all."""
    state = stigg_emulator.state
    state.provision_customer("c-1")
    state.provision_customer("c-2")
    state.provision_subscription("c-1", "plan-revvenu-basic")
    assert (await stigg_client.get_entitlement("c-1", "feature-02-campaigns")).is_granted

    archived = await stigg_client.archive_customer("c-1")
    assert archived.is_archived
    assert archived.ref_id == "c-1"
    listed = await stigg_client.get_customers()
    assert [c.ref_id for c in listed.items] == ["c-2"]
    denied = await stigg_client.get_entitlement("c-1", "feature-02-campaigns")
    assert not denied.is_granted
    assert str(denied.access_denied_reason) == "CustomerIsArchived"
    with pytest.raises(StiggGraphQLError) as refused:
        await stigg_client.provision_subscription(customer_id="c-1", plan_id="plan-revvenu-basic")
    assert refused.value.code == "EntityIsArchivedError"
    fetched = await stigg_client.get_customer("c-1")
    assert fetched is not None
    assert fetched.is_archived

    restored = await stigg_client.unarchive_customer("c-1")
    assert not restored.is_archived
    assert {c.ref_id for c in (await stigg_client.get_customers()).items} == {"c-1", "c-2"}
    assert (await stigg_client.get_entitlement("c-1", "feature-02-campaigns")).is_granted


async def test_archive_of_an_unknown_customer_is_customer_not_found(
    stigg_client: AsyncStigg,
) -> None:
    """The emulator refuses to archive a customer it does not know."""
    with pytest.raises(StiggGraphQLError) as err:
        await stigg_client.archive_customer("nobody")
    assert err.value.code == "CustomerNotFound"


async def test_statistics_count_live_subscriptions_by_pricing_type(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """get_customer's statistics follow the live subscriptions (a cancelled one drops out)."""
    state = stigg_emulator.state
    state.provision_customer("c-1")
    assert (await stigg_client.get_customer("c-1")).statistics.active_subscriptions(  # type: ignore[union-attr]
        PricingType.FREE
    ) == 0
    state.provision_subscription("c-1", "plan-revvenu-basic", resource_id="site-1")
    paid = state.provision_subscription("c-1", "plan-revvenu-growth", resource_id="site-2")
    customer = await stigg_client.get_customer("c-1")
    assert customer is not None
    assert customer.statistics is not None
    assert customer.statistics.active_subscriptions("FREE") == 1
    assert customer.statistics.active_subscriptions(PricingType.PAID) == 1
    state.cancel_subscription(paid.subscription_id, when="IMMEDIATE")
    customer = await stigg_client.get_customer("c-1")
    assert customer is not None
    assert customer.statistics is not None
    assert customer.statistics.active_subscriptions("PAID") == 0


async def test_detach_payment_method_then_detach_again_is_refused(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """The method goes away; a second detach has nothing to remove."""
    stigg_emulator.state.provision_customer("c-1", payment_method_id="pm_card_visa")
    customer = await stigg_client.detach_customer_payment_method("c-1")
    assert customer.has_payment_method is False
    assert stigg_emulator.state.customers["c-1"].payment_method_id is None
    with pytest.raises(StiggGraphQLError) as err:
        await stigg_client.detach_customer_payment_method("c-1")
    assert err.value.code == "CannotRemovePaymentMethodFromCustomerError"


async def test_import_one_customer_keeps_billing_ids_and_payment_method(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """importOneCustomer creates the customer with what the other system knew."""
    customer = await stigg_client.import_one_customer(
        customer_id="c-9", email="a@b.test", billing_id="cus_123", payment_method_id="pm_1"
    )
    assert (customer.ref_id, customer.billing_id, customer.has_payment_method) == (
        "c-9",
        "cus_123",
        True,
    )
    assert stigg_emulator.state.customers["c-9"].email == "a@b.test"


async def test_bulk_customer_import_is_all_or_nothing_with_per_item_errors(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """A duplicate item fails the batch; the error lists it by index and nothing lands."""
    stigg_emulator.state.provision_customer("c-1")
    with pytest.raises(StiggGraphQLError) as err:
        await stigg_client.import_customers_bulk(
            [{"customer_id": "c-new"}, {"customer_id": "c-1"}, {"customer_id": "c-new"}]
        )
    assert err.value.code == "FailedToImportCustomer"
    failures = err.value.errors[0].extensions["failures"]
    assert [(f["index"], f["code"]) for f in failures] == [
        (1, "DuplicatedEntityNotAllowed"),
        (2, "DuplicatedEntityNotAllowed"),
    ]
    assert "c-new" not in stigg_emulator.state.customers

    task = await stigg_client.import_customers_bulk(
        [{"customer_id": "c-2"}, {"customer_id": "c-3", "name": "Three"}]
    )
    assert task
    assert stigg_emulator.state.customers["c-3"].name == "Three"


async def test_bulk_subscription_import_creates_subscriptions_and_refreshes_each_customer(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """Imported subscriptions are live at once (no trial, no payment) and checks see them."""
    state = stigg_emulator.state
    state.provision_customer("c-1")
    state.provision_customer("c-2")
    assert not (await stigg_client.get_entitlement("c-2", "feature-04-analytics")).is_granted
    end = state.now() + timedelta(days=30)
    await stigg_client.import_subscriptions_bulk(
        [
            {"customer_id": "c-1", "plan_id": "plan-revvenu-basic", "subscription_id": "s-1"},
            {
                "customer_id": "c-2",
                "plan_id": "plan-revvenu-growth",
                "subscription_id": "s-2",
                "end_date": end,
            },
        ]
    )
    assert state.subscriptions["s-2"].status == "ACTIVE"
    assert state.subscriptions["s-2"].effective_end_date == end
    assert (await stigg_client.get_entitlement("c-2", "feature-04-analytics")).is_granted
    assert (await stigg_client.get_entitlement("c-1", "feature-02-campaigns")).is_granted


async def test_bulk_subscription_import_lists_every_bad_item(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """Unknown customer, unknown plan and an archived customer are each reported."""
    state = stigg_emulator.state
    state.provision_customer("c-1")
    state.provision_customer("c-archived")
    await stigg_client.archive_customer("c-archived")
    with pytest.raises(StiggGraphQLError) as err:
        await stigg_client.import_subscriptions_bulk(
            [
                {"customer_id": "c-1", "plan_id": "plan-revvenu-basic"},
                {"customer_id": "ghost", "plan_id": "plan-revvenu-basic"},
                {"customer_id": "c-1", "plan_id": "plan-nope"},
                {"customer_id": "c-archived", "plan_id": "plan-revvenu-basic"},
            ]
        )
    codes = [(f["index"], f["code"]) for f in err.value.errors[0].extensions["failures"]]
    assert codes == [(1, "CustomerNotFound"), (2, "PlanNotFound"), (3, "EntityIsArchivedError")]
    assert state.customer_subscriptions("c-1") == []


async def test_promotion_group_grant_unlink_and_revoke(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """A group grants together, revokes together; unlinked promotions survive a revoke."""
    stigg_emulator.state.provision_customer("c-1")
    grants = await stigg_client.grant_promotional_entitlements_group(
        "c-1",
        "group-pro",
        [
            {"feature_id": "feature-04-analytics", "period": "ONE_MONTH"},
            {"feature_id": "feature-03-custom-domain", "period": "LIFETIME"},
        ],
    )
    assert [g.feature_group_ids for g in grants] == [("group-pro",), ("group-pro",)]
    assert (await stigg_client.get_entitlement("c-1", "feature-03-custom-domain")).is_granted

    revoked = await stigg_client.revoke_promotional_entitlements_group("c-1", "group-pro")
    assert {r.feature_ref_id for r in revoked} == {
        "feature-04-analytics",
        "feature-03-custom-domain",
    }
    assert not (await stigg_client.get_entitlement("c-1", "feature-03-custom-domain")).is_granted

    await stigg_client.grant_promotional_entitlements_group(
        "c-1", "group-pro", [{"feature_id": "feature-04-analytics", "period": "LIFETIME"}]
    )
    unlinked = await stigg_client.unlink_promotional_entitlements_group("c-1", "group-pro")
    assert [u.feature_group_ids for u in unlinked] == [()]
    with pytest.raises(StiggGraphQLError) as err:
        await stigg_client.revoke_promotional_entitlements_group("c-1", "group-pro")
    assert err.value.code == "FeatureGroupNotFoundError"
    assert (await stigg_client.get_entitlement("c-1", "feature-04-analytics")).is_granted


async def test_created_coupon_is_listed_and_usable(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """createOneCoupon adds a coupon that lists, applies to customers, and refuses a twin."""
    coupon = await stigg_client.create_coupon(
        ref_id="coupon-spring", name="Spring", percent_off=20, duration_in_months=3
    )
    assert (coupon.ref_id, coupon.discount_value, str(coupon.type)) == (
        "coupon-spring",
        20.0,
        "PERCENTAGE",
    )
    page = await stigg_client.get_coupons(coupon_id="coupon-spring")
    assert [c.name for c in page.items] == ["Spring"]
    await stigg_client.provision_customer(customer_id="c-1", coupon_ref_id="coupon-spring")
    assert stigg_emulator.state.customers["c-1"].coupon_id == "coupon-spring"
    with pytest.raises(StiggGraphQLError) as err:
        await stigg_client.create_coupon(ref_id="coupon-spring", name="Again", percent_off=5)
    assert err.value.code == "DuplicatedEntityNotAllowed"


async def test_fixed_coupon_discounts_the_estimate(stigg_client: AsyncStigg) -> None:
    """A FIXED coupon created through the API takes its amount off an estimate."""
    await stigg_client.create_coupon(
        ref_id="coupon-5off", name="5 off", amounts_off=[{"amount": 5, "currency": "USD"}]
    )
    await stigg_client.provision_customer(customer_id="c-1")
    plain = await stigg_client.estimate_subscription(
        customer_id="c-1", plan_id="plan-revvenu-growth"
    )
    discounted = await stigg_client.estimate_subscription(
        customer_id="c-1",
        plan_id="plan-revvenu-growth",
        promotion_code="coupon-5off",
    )
    assert discounted.total.amount == plain.total.amount - 5


async def test_payment_session_feeds_the_checkout_state(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """checkoutState carries the session's secret, the plan and the active subscription."""
    state = stigg_emulator.state
    state.provision_customer("c-1")
    state.provision_subscription("c-1", "plan-revvenu-basic")
    session = await stigg_client.create_payment_session("c-1", "plan-revvenu-growth")
    checkout = await stigg_client.get_checkout_state("c-1", "plan-revvenu-growth")
    assert checkout.setup_secret == session.token
    assert checkout.plan.ref_id == "plan-revvenu-growth"
    assert checkout.customer.ref_id == "c-1"
    assert checkout.active_subscription is not None
    assert checkout.active_subscription.plan_id == "plan-revvenu-basic"
    with pytest.raises(StiggGraphQLError) as err:
        await stigg_client.create_payment_session("c-1", "plan-nope")
    assert err.value.code == "PlanNotFound"


async def test_customer_portal_shows_subscriptions_prices_promotions_and_invoice_link(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """The portal is built from live subscriptions, entitlements, promotions and invoices."""
    state = stigg_emulator.state
    state.provision_customer("c-1", payment_method_id="pm_card_visa", email="a@b.test")
    state.provision_subscription("c-1", "plan-revvenu-essentials", unit_quantity=6, skip_trial=True)
    await stigg_client.grant_promotional_entitlements(
        "c-1", [{"feature_id": "feature-03-custom-domain", "period": "ONE_WEEK"}]
    )
    portal = await stigg_client.get_customer_portal("c-1")
    (sub,) = portal.subscriptions
    assert (sub.plan_id, sub.plan_name, sub.status) == (
        "plan-revvenu-essentials",
        "Essentials",
        SubscriptionStatus.ACTIVE,
    )
    assert sub.pricing is not None
    assert sub.pricing.unit_quantity == 6
    assert sub.total_price is not None
    assert sub.total_price.total.amount == 36
    assert [p.display_name for p in portal.promotional_entitlements] == ["Custom domain"]
    assert "feature-04-analytics" in {e.feature_id for e in portal.entitlements}
    assert portal.billing_information.email == "a@b.test"
    assert portal.billing_information.default_payment_method_last4_digits == "4242"
    assert portal.billing_portal_url
    assert "c-1" in portal.billing_portal_url
    assert portal.can_upgrade_subscription


async def test_bad_input_is_refused_before_sending(stigg_client: AsyncStigg) -> None:
    """Typed inputs reject what the API would: both discounts, an empty import, a bad range."""
    with pytest.raises(StiggValidationError):
        await stigg_client.create_coupon(
            ref_id="c", name="n", percent_off=5, amounts_off=[{"amount": 1}]
        )
    with pytest.raises(StiggValidationError):
        await stigg_client.create_coupon(ref_id="c", name="n", percent_off=150)
    with pytest.raises(StiggValidationError):
        await stigg_client.import_customers_bulk([])
    with pytest.raises(StiggValidationError):
        await stigg_client.import_one_customer(email="no-id@b.test")
    with pytest.raises(StiggValidationError):
        await stigg_client.create_payment_session("c-1", "p", billing_country_code="usa")


async def test_archived_customers_are_listed_when_the_filter_asks_about_deleted_at(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """A deletedAt filter reaches archived customers (e.g. to list them for unarchiving)."""
    stigg_emulator.state.provision_customer("c-1")
    stigg_emulator.state.provision_customer("c-2")
    await stigg_client.archive_customer("c-1")
    page = await stigg_client.get_customers(filter={"deletedAt": {"isNot": None}})
    assert [c.ref_id for c in page.items] == ["c-1"]


async def test_bulk_subscription_import_checks_add_ons_before_creating_anything(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """An unknown add-on in the last item leaves the first item uncreated too."""
    stigg_emulator.state.provision_customer("c-1")
    stigg_emulator.state.provision_customer("c-2")
    with pytest.raises(StiggGraphQLError) as err:
        await stigg_client.import_subscriptions_bulk(
            [
                {"customer_id": "c-1", "plan_id": "plan-revvenu-essentials"},
                {
                    "customer_id": "c-2",
                    "plan_id": "plan-revvenu-essentials",
                    "addons": [{"addon_id": "addon-nope"}],
                },
            ]
        )
    assert [f["code"] for f in err.value.errors[0].extensions["failures"]] == ["AddonNotFound"]
    assert stigg_emulator.state.customer_subscriptions("c-1") == []
