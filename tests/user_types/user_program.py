"""A user's program, type-checked by tests/user_types/test_user_types.py with ``mypy --strict``.

Not collected by pytest (no ``test_`` prefix) and never run: only its types matter.
The one line marked ``REJECTED`` must be the only error mypy reports.
"""

from __future__ import annotations

from stigg_async import (
    AsyncStigg,
    BillingPeriod,
    EntitlementResult,
    UpdateBehavior,
    UsageUpdateBehavior,
)


async def handler(stigg: AsyncStigg, customer_id: str) -> bool:
    check: EntitlementResult = await stigg.get_entitlement(
        customer_id, "feature-02-campaigns", requested_usage=1
    )
    if check.is_granted:
        stigg.track_usage(customer_id, "feature-02-campaigns", 1)
        stigg.track_usage(customer_id, "feature-01-templates", 3, update_behavior="SET")
        stigg.track_usage(
            customer_id, "feature-01-templates", 3, update_behavior=UsageUpdateBehavior.SET
        )
        behavior: UpdateBehavior = "DELTA"
        await stigg.track_usage_async(
            customer_id, "feature-02-campaigns", 1, update_behavior=behavior
        )
    await stigg.cancel_subscription("subscription-1", cancellation_time="END_OF_BILLING_PERIOD")
    await stigg.migrate_subscription_to_latest("subscription-1", migration_time="IMMEDIATE")
    await stigg.provision_subscription(
        customer_id=customer_id, plan_id="plan-revvenu-basic", billing_period="ANNUALLY"
    )
    await stigg.provision_subscription(
        customer_id=customer_id, plan_id="plan-revvenu-basic", billing_period=BillingPeriod.MONTHLY
    )
    await stigg.get_coupons(status="ACTIVE")
    stigg.track_usage(customer_id, "feature-01-templates", 3, update_behavior="ADD")  # REJECTED
    return check.is_granted
