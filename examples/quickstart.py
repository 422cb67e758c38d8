"""Quickstart: provision, check, meter, hit the limit, upgrade, and check out.

Run it against the built-in emulator with ``make demo``, or by hand::

    python -m stigg_async.emulator --port 8787 --api-key dev-key &
    STIGG_API_URL=http://127.0.0.1:8787/graphql STIGG_SERVER_API_KEY=dev-key \
        python examples/quickstart.py

Against Stigg itself, set ``STIGG_SERVER_API_KEY`` only (and use your own plan and
feature ids).
"""

from __future__ import annotations

import asyncio
import os
import uuid

from stigg_async import AsyncStigg, EntitlementResult, MeterType

CAMPAIGNS = "feature-02-campaigns"


def show(label: str, result: EntitlementResult) -> None:
    """Print one entitlement decision on one line."""
    verdict = "granted" if result.is_granted else f"denied ({result.access_denied_reason})"
    usage = ""
    metered = result.feature is not None and result.feature.meter_type not in (None, MeterType.NONE)
    if result.has_unlimited_usage:
        usage = "  unlimited"
    elif result.usage_limit is not None and metered:
        usage = f"  usage {result.current_usage or 0:g}/{result.usage_limit:g}"
    elif result.usage_limit is not None:
        usage = f"  value {result.usage_limit:g}"
    print(f"  {label:<34} {verdict}{usage}  [{result.source.value}]")


async def main() -> None:
    run = uuid.uuid4().hex[:6]
    base = os.environ.get("STIGG_API_URL", "").rsplit("/graphql", 1)[0] or "http://127.0.0.1"
    async with AsyncStigg() as stigg:
        print(f"Stigg at {stigg.api_url}\n")

        # 1. A new customer on the free plan.
        customer_id = f"customer-{run}"
        provisioned = await stigg.provision_customer(
            customer_id=customer_id,
            name="Acme Inc.",
            email="billing@acme.test",
            subscription_params={"plan_id": "plan-revvenu-basic"},
        )
        plan = provisioned.subscription.plan_id if provisioned.subscription else None
        print(f"1. Provisioned {customer_id} on {plan}")

        # 2. Everything the plan grants, answered from the local cache.
        everything = await stigg.get_entitlements(customer_id)
        print("2. Entitlements:")
        for feature_id, result in sorted(everything.entitlements.items()):
            show(feature_id, result)

        # 3. Use campaigns until the monthly limit is reached; each acknowledgement is
        #    written into the cache, so the local check flips without a refresh.
        print(f"3. Sending campaigns ({CAMPAIGNS}):")
        sent = 0
        while True:
            check = await stigg.get_entitlement(customer_id, CAMPAIGNS, requested_usage=1)
            if not check.is_granted:
                show(f"campaign #{sent + 1} check", check)
                break
            ack = await stigg.report_usage(customer_id=customer_id, feature_id=CAMPAIGNS, value=1)
            sent += 1
            print(f"  campaign #{sent} sent, usage now {ack.current_usage:g}")

        # 4. Upgrade: add a payment method, move to the paid plan, check again.
        await stigg.update_customer(
            customer_id=customer_id, billing_information={"payment_method_id": "pm_card_visa"}
        )
        upgrade = await stigg.provision_subscription(
            customer_id=customer_id,
            plan_id="plan-revvenu-essentials",
            billing_period="MONTHLY",
            unit_quantity=5,
        )
        print(f"4. Upgraded to plan-revvenu-essentials: {upgrade.status}")
        show(
            "campaign check after upgrade",
            await stigg.get_entitlement(customer_id, CAMPAIGNS, requested_usage=1),
        )

        # 5. A customer without a payment method gets a checkout page instead.
        prospect = f"prospect-{run}"
        await stigg.provision_customer(customer_id=prospect, name="Prospect LLC")
        checkout = await stigg.initiate_checkout(
            prospect,
            "plan-revvenu-essentials",
            billing_period="MONTHLY",
            unit_quantity=5,
            success_url=f"{base}/checkout/success",
            cancel_url=f"{base}/checkout/cancel",
        )
        print(f"5. {prospect} has no payment method; checkout at:\n  {checkout.checkout_url}")

        stats = stigg.entitlement_stats
        print(f"\nCache: {stats.hits} local hits, {stats.misses} misses.")


if __name__ == "__main__":
    asyncio.run(main())
