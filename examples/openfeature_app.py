"""OpenFeature: Stigg entitlements behind the vendor-neutral feature-flag API.

Needs the ``openfeature`` extra (``pip install '.[openfeature]'``). Run it against
the emulator (``make emulator`` in another terminal)::

    STIGG_API_URL=http://127.0.0.1:8787/graphql STIGG_SERVER_API_KEY=dev-key \
        python examples/openfeature_app.py

Flag key = feature id, targeting key = customer id; see ``docs/openfeature.md``.
"""

from __future__ import annotations

import asyncio
import uuid

from openfeature import api
from openfeature.evaluation_context import EvaluationContext
from openfeature.track import TrackingEventDetails

from stigg_async import AsyncStigg
from stigg_async.integrations.openfeature import StiggProvider

CAMPAIGNS = "feature-02-campaigns"
ANALYTICS = "feature-04-analytics"


async def main() -> None:
    customer_id = f"of-customer-{uuid.uuid4().hex[:6]}"  # a new one per run
    async with AsyncStigg() as stigg:
        await stigg.provision_customer(
            customer_id=customer_id, subscription_params={"plan_id": "plan-revvenu-basic"}
        )
        print(f"customer {customer_id} on plan-revvenu-basic")

        # The application owns the client; the provider only reads from it.
        api.set_provider_and_wait(StiggProvider(stigg, number_value="remaining_usage"))
        flags = api.get_client()
        who = EvaluationContext(customer_id)

        # Async evaluation: a miss waits for the API once, then answers from the cache.
        first = await flags.get_boolean_details_async(CAMPAIGNS, False, who)
        print(f"{CAMPAIGNS}: {first.value} (reason {first.reason})")
        again = await flags.get_boolean_details_async(CAMPAIGNS, False, who)
        print(f"{CAMPAIGNS} again: {again.value} (reason {again.reason})")

        # Sync evaluation never waits: it answers from the cache loaded above.
        denied = flags.get_boolean_details(ANALYTICS, True, who)
        reason = denied.flag_metadata.get("access_denied_reason")
        print(f"{ANALYTICS}: {denied.value} ({reason})")

        # Numbers: what is left of the monthly limit; objects: the whole entitlement.
        print(f"campaigns left: {await flags.get_integer_value_async(CAMPAIGNS, 0, who)}")
        flags.track(CAMPAIGNS, who, TrackingEventDetails(value=3))  # report 3 campaigns
        await stigg.flush()
        print(f"campaigns left after 3: {await flags.get_integer_value_async(CAMPAIGNS, 0, who)}")
        five = EvaluationContext(customer_id, {"requested_usage": 5})
        print(f"room for 5 more: {await flags.get_boolean_value_async(CAMPAIGNS, True, five)}")
        whole = await flags.get_object_value_async(CAMPAIGNS, {}, who)
        assert isinstance(whole, dict)
        print(f"entitlement: limit {whole['usage_limit']}, used {whole['current_usage']}")

        api.shutdown()  # detaches the provider; the client is closed by `async with`


if __name__ == "__main__":
    asyncio.run(main())
