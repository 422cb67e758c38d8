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
    EstimateSubscriptionUpdateInput,
    GetActiveSubscriptionsInput,
    GetPaywallInput,
    SubscriptionInput,
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


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
