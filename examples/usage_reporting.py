"""Buffered usage reporting: track_usage / track_event, flush, and check the totals.

``track_usage`` and ``track_event`` cost about a microsecond and never wait: items go
to a queue and are sent in batches in the background (with idempotency keys, so a
retried batch is counted once). ``flush()`` sends what is queued now, waits, and
reports how many items were delivered, failed, may have landed or are still pending.

Run it against the emulator (``make emulator`` in another terminal)::

    STIGG_API_URL=http://127.0.0.1:8787/graphql STIGG_SERVER_API_KEY=dev-key \
        python examples/usage_reporting.py
"""

from __future__ import annotations

import asyncio
import uuid

from stigg_async import AsyncStigg

CAMPAIGNS = "feature-02-campaigns"  # incremental meter: report deltas
TEMPLATES = "feature-01-templates"  # fluctuating meter: report the new total with SET
ACTIVE_USERS = "feature-07-active-users"  # raw events: unique user_id of user_login events


async def main() -> None:
    customer_id = f"customer-{uuid.uuid4().hex[:6]}"
    async with AsyncStigg() as stigg:
        await stigg.provision_customer(
            customer_id=customer_id, subscription_params={"plan_id": "plan-revvenu-basic"}
        )
        print(f"customer {customer_id} on plan-revvenu-basic")

        # Three campaigns sent, one at a time: three DELTA reports of 1.
        for _ in range(3):
            stigg.track_usage(customer_id, CAMPAIGNS, 1)
        # Templates go up and down: report the current count.
        stigg.track_usage(customer_id, TEMPLATES, 1, update_behavior="SET")
        stigg.track_usage(customer_id, TEMPLATES, 2, update_behavior="SET")
        # Logins: Stigg counts unique users (user-a twice, user-b once -> 2).
        for user in ("user-a", "user-b", "user-a"):
            stigg.track_event(customer_id, "user_login", dimensions={"user_id": user})

        # The report says what happened to every item tracked before the call.
        report = await stigg.flush(timeout=10)
        print(
            f"flush: delivered={report.delivered} failed={report.failed} "
            f"may_have_landed={report.may_have_landed} pending={report.pending}"
        )
        print(f"delivered all: {report.delivered_all}")
        stats = stigg.usage_stats
        print(
            f"stats: enqueued={stats.enqueued} sent={stats.sent} failed={stats.failed} "
            f"may_have_landed={stats.may_have_landed} dropped={stats.dropped} "
            f"pending={stats.pending}"
        )

        # Ask the API itself (not the local cache) what it counted.
        expected = {CAMPAIGNS: 3, TEMPLATES: 2, ACTIVE_USERS: 2}
        for feature_id, tracked in expected.items():
            server = await stigg.fetch_entitlement(customer_id, feature_id)
            verdict = "match" if server.current_usage == tracked else "MISMATCH"
            print(f"{feature_id}: tracked {tracked}, server {server.current_usage:g} -> {verdict}")


if __name__ == "__main__":
    asyncio.run(main())
