"""Stigg's official Python client (stigg-api-client-v2), unmodified, against an emulator.

Run by tests/fidelity/test_official_python_client.py with an interpreter that has the
official client installed (it is not a dependency of this project):

    python official_python_journey.py URL API_KEY CUSTOMER_ID SUBSCRIPTION_ID [CALL ...]

Performs each named call (all of them when none is named) and prints one JSON line
per call: ``{"call": name, "ok": true, "summary": ...}`` or ``{"ok": false, "error": ...}``.
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from stigg import Stigg  # type: ignore[import-not-found]
from stigg.generated import (  # type: ignore[import-not-found]
    ArchiveCustomerInput,
    CreateCouponInput,
    CustomerPortalInput,
    DetachCustomerPaymentMethodInput,
    EntitlementCheckRequested,
    EntitlementCheckResult,
    EstimateSubscriptionUpdateInput,
    GetActiveSubscriptionsInput,
    GetCustomerByRefIdInput,
    GetPaywallInput,
    GrantPromotionalEntitlementInput,
    GrantPromotionalEntitlementsGroupInput,
    ImportCustomerBulkInput,
    ImportCustomerInput,
    ImportSubscriptionInput,
    ImportSubscriptionsBulkInput,
    PaymentSessionInput,
    PromotionalEntitlementPeriod,
    RevokePromotionalEntitlementsGroupInput,
    SubscriptionInput,
    UnarchiveCustomerInput,
    UsageHistoryInput,
    UsageHistoryV2Input,
)


def main(argv: list[str]) -> int:
    url, api_key, customer_id, subscription_id, *wanted = argv
    client = Stigg.create_client(api_key, api_url=url, enable_edge=False)
    start = datetime.now(timezone.utc) - timedelta(days=3)

    calls: dict[str, Callable[[], Any]] = {
        "get_products": lambda: [e.node.ref_id for e in client.get_products().products.edges],
        "get_paywall": lambda: [
            p.ref_id
            for p in client.get_paywall(
                GetPaywallInput(customerId=customer_id, productId="product-revvenu")
            ).paywall.plans
        ],
        "get_usage_history_v_2": lambda: [
            [p.value for p in s.points]
            for s in client.get_usage_history_v_2(
                UsageHistoryV2Input(
                    customerId=customer_id,
                    featureId="feature-02-campaigns",
                    startDate=start.isoformat(),
                )
            ).usage_history_v_2.series
        ],
        "get_subscriptions": lambda: [
            e.node.subscription_id for e in client.get_subscriptions().subscriptions.edges
        ],
        "get_active_subscriptions_list": lambda: [
            s.subscription_id
            for s in client.get_active_subscriptions_list(
                GetActiveSubscriptionsInput(customerId=customer_id)
            ).get_active_subscriptions
        ],
        "get_sdk_configuration": lambda: (
            client.get_sdk_configuration().sdk_configuration is not None
        ),
        "estimate_subscription_update": lambda: (
            client.estimate_subscription_update(
                EstimateSubscriptionUpdateInput(subscriptionId=subscription_id, unitQuantity=7)
            ).estimate_subscription_update.total.amount
        ),
        "create_subscription": lambda: (
            client.create_subscription(
                SubscriptionInput(customerId=customer_id, planId="plan-revvenu-growth")
            ).create_subscription.status
        ),
        "archive_customer": lambda: (
            client.archive_customer(
                ArchiveCustomerInput(customerId=customer_id)
            ).archive_customer.customer_id
        ),
    }
    calls.update(_more_calls(client, customer_id, start))
    for name in wanted or list(calls):
        try:
            summary = calls[name]()
            line = {
                "call": name,
                "ok": True,
                "summary": json.loads(json.dumps(summary, default=str)),
            }
        except Exception as exc:  # report every failure, keep going
            line = {
                "call": name,
                "ok": False,
                "error": f"{type(exc).__name__}: {exc}",
                "trace": traceback.format_exc(limit=3),
            }
        print(json.dumps(line), flush=True)
    return 0


def _more_calls(client: Any, customer_id: str, start: datetime) -> dict[str, Callable[[], Any]]:
    """The official client's calls on the roots of customer administration and history."""
    group = GrantPromotionalEntitlementsGroupInput(
        customerId=customer_id,
        featureGroupId="group-pro",
        promotionalEntitlements=[
            GrantPromotionalEntitlementInput(
                featureId="feature-03-custom-domain",
                period=PromotionalEntitlementPeriod.ONE_MONTH,
            )
        ],
    )
    return {
        "get_customer_statistics": lambda: [
            (s.pricing_type, s.total_count)
            for s in client.get_customer_statistics(
                GetCustomerByRefIdInput(customerId=customer_id)
            ).get_customer_by_ref_id.statistics.active_subscriptions_by_pricing_type
        ],
        "get_customer_portal_by_ref_id": lambda: [
            s.plan_id
            for s in client.get_customer_portal_by_ref_id(
                CustomerPortalInput(customerId=customer_id)
            ).customer_portal.subscriptions
        ],
        "import_customer": lambda: (
            client.import_customer(
                ImportCustomerInput(customerId="customer-imported", email="i@b.test")
            ).import_customer.customer_id
        ),
        "import_customer_bulk": lambda: (
            client.import_customer_bulk(
                ImportCustomerBulkInput(customers=[ImportCustomerInput(customerId="customer-bulk")])
            ).import_customers_bulk
        ),
        "import_subscriptions_bulk": lambda: (
            client.import_subscriptions_bulk(
                ImportSubscriptionsBulkInput(
                    subscriptions=[
                        ImportSubscriptionInput(
                            customerId=customer_id, planId="plan-revvenu-basic", resourceId="site-9"
                        )
                    ]
                )
            ).import_subscriptions_bulk
        ),
        "promotion_groups": lambda: [
            len(
                client.grant_promotional_entitlements_group(
                    group
                ).grant_promotional_entitlements_group
            ),
            len(
                client.revoke_promotional_entitlements_group(
                    RevokePromotionalEntitlementsGroupInput(
                        customerId=customer_id, featureGroupId="group-pro"
                    )
                ).revoke_promotional_entitlements_group
            ),
        ],
        "create_coupon": lambda: (
            client.create_coupon(
                CreateCouponInput(refId="coupon-official", name="Official", percentOff=15)
            ).create_one_coupon.ref_id
        ),
        # get_checkout_state is left out: its document selects no ``__typename`` in the
        # ``billingCredentials`` union while its model requires one, so it cannot parse
        # a spec-compliant answer (the emulator's or any other server's).
        "create_payment_session": lambda: (
            client.create_payment_session(
                PaymentSessionInput(customerId=customer_id, planId="plan-revvenu-growth")
            ).create_payment_session.token
        ),
        "get_usage_history": lambda: [
            p.value
            for p in client.get_usage_history(
                UsageHistoryInput(
                    customerRefId=customer_id,
                    featureRefId="feature-02-campaigns",
                    startDate=start.isoformat(),
                )
            ).usage_history.usage_measurements
        ],
        "report_entitlement_check_requested": lambda: (
            client.report_entitlement_check_requested(
                EntitlementCheckRequested(
                    customerId=customer_id,
                    featureId="feature-02-campaigns",
                    entitlementCheckResult=EntitlementCheckResult(hasAccess=True),
                )
            ).report_entitlement_check_requested
        ),
        "detach_customer_payment_method": lambda: (
            client.detach_customer_payment_method(
                DetachCustomerPaymentMethodInput(customerId=customer_id)
            ).detach_customer_payment_method.customer_id
        ),
        "unarchive_customer": lambda: (
            client.unarchive_customer(
                UnarchiveCustomerInput(customerId=customer_id)
            ).unarchive_customer.customer_id
        ),
    }


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
