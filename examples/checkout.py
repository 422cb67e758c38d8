"""Checkout: a paid plan for a customer without a payment method.

Stigg answers with a checkout URL instead of a subscription. The payer completes the
checkout there; afterwards the subscription exists and its entitlements apply. Here
the emulator's checkout page stands in for the payment provider: visiting it
completes the checkout with a test card.

Run it against the emulator (``make emulator`` in another terminal)::

    STIGG_API_URL=http://127.0.0.1:8787/graphql STIGG_SERVER_API_KEY=dev-key \
        python examples/checkout.py
"""

from __future__ import annotations

import asyncio
import os
import uuid

import aiohttp

from stigg_async import AsyncStigg

PLAN = "plan-revvenu-essentials"
ANALYTICS = "feature-04-analytics"  # in Essentials, not in the free Basic plan


async def main() -> None:
    customer_id = f"prospect-{uuid.uuid4().hex[:6]}"
    # Where your app wants the payer sent back (your own pages).
    app_url = os.environ.get("STIGG_API_URL", "http://127.0.0.1:8787").rsplit("/graphql", 1)[0]
    async with AsyncStigg() as stigg:
        await stigg.provision_customer(customer_id=customer_id, name="Prospect LLC")
        print(f"customer {customer_id} has no payment method")

        result = await stigg.initiate_checkout(
            customer_id,
            PLAN,
            billing_period="MONTHLY",
            unit_quantity=5,
            success_url=f"{app_url}/checkout/success",
            cancel_url=f"{app_url}/checkout/cancel",
        )
        print(f"provision {PLAN}: {result.status}")
        if result.checkout_url is None:
            raise SystemExit("expected a checkout URL")
        print(f"checkout url: {result.checkout_url}")
        before = await stigg.get_active_subscriptions(customer_id)
        print(f"active subscriptions before checkout: {len(before)}")

        # The payer visits the checkout page and pays (the emulator completes it).
        async with aiohttp.ClientSession() as http, http.get(result.checkout_url) as page:
            print(f"checkout page answered {page.status}: {(await page.json())['status']}")

        after = await stigg.get_active_subscriptions(customer_id)
        plans = sorted(sub.plan_id or "?" for sub in after)
        print(f"active subscriptions after checkout: {plans}")
        # The new plan's entitlements apply (refresh: the cache cannot know yet).
        await stigg.refresh_entitlements(customer_id)
        check = await stigg.get_entitlement(customer_id, ANALYTICS)
        print(f"{ANALYTICS}: {'granted' if check.is_granted else 'denied'}")


if __name__ == "__main__":
    asyncio.run(main())
