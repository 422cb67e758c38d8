"""Credits: grant, check, consume, top up by automatic recharge, and read the ledger.

Run it against the built-in emulator (its catalog has the ``currency-ai-credits``
currency; AI generations cost 2 credits each)::

    python -m stigg_async.emulator --port 8787 --api-key dev-key &
    STIGG_API_URL=http://127.0.0.1:8787/graphql STIGG_SERVER_API_KEY=dev-key \
        python examples/credits.py

Each run works on a new customer, so it can run any number of times against the
same emulator. Against Stigg itself, use your own currency and plan ids.
"""

from __future__ import annotations

import asyncio
import uuid

from stigg_async import AsyncStigg, CreditEntitlement, StiggGraphQLError

CREDITS = "currency-ai-credits"
GENERATION_COST = 2  # credits per AI generation (the emulator catalog's creditCost)


async def main() -> None:
    customer_id = f"customer-credits-{uuid.uuid4().hex[:8]}"
    async with AsyncStigg() as stigg:
        # 1. A customer on a plan: consuming credits needs an active subscription.
        await stigg.provision_customer(
            customer_id=customer_id,
            name="Acme Inc.",
            subscription_params={"plan_id": "plan-revvenu-basic"},
        )
        print(f"1. Provisioned {customer_id}")

        # 2. Grants: a paid pack and promotional credits that expire (consumed first).
        await stigg.create_credit_grant(
            customer_id=customer_id,
            currency_id=CREDITS,
            amount=100,
            display_name="Starter pack",
            grant_type="PAID",
        )
        await stigg.create_credit_grant(
            customer_id=customer_id,
            currency_id=CREDITS,
            amount=20,
            display_name="Welcome credits",
            grant_type="PROMOTIONAL",
        )
        summary = await stigg.get_credit_balance_summary(customer_id)
        print(f"2. Granted 100 paid + 20 promotional: balance {summary.balance(CREDITS):g}")

        # 3. Check before spending: what would 10 generations cost, and may we?
        estimate = await stigg.estimate_usage_cost(customer_id, "feature-08-ai-generations", 10)
        cost = estimate.estimates[0].estimated_cost
        check = await stigg.fetch_entitlement_v2(
            customer_id, currency_id=CREDITS, requested_usage=cost
        )
        assert isinstance(check, CreditEntitlement)
        verdict = "granted" if check.is_granted else f"denied ({check.access_denied_reason})"
        print(f"3. 10 generations cost {cost:g} credits: {verdict}")

        # 4. Consume. Each call carries an idempotency key minted once, so a retry
        #    after a lost answer never charges twice.
        ack = await stigg.consume_credits(
            customer_id=customer_id,
            currency_id=CREDITS,
            amount=cost,
            dimensions={"featureId": "feature-08-ai-generations"},
        )
        left = ack.credit.balance if ack.credit else None
        print(f"4. Consumed {ack.amount:g} credits, balance {left:g}")

        # 5. Top up automatically: below 50 credits, buy back up to 150.
        await stigg.save_auto_recharge_settings(
            customer_id=customer_id,
            currency_id=CREDITS,
            is_enabled=True,
            threshold_value=50,
            target_balance=150,
            grant_expiration_period="OneYear",
        )
        ack = await stigg.consume_credits(customer_id=customer_id, currency_id=CREDITS, amount=60)
        settings = await stigg.get_auto_recharge_settings(customer_id, CREDITS)
        left = ack.credit.balance if ack.credit else None
        print(
            f"5. Consumed 60 more: recharged to {left:g} "
            f"(spent ${settings.current_monthly_spend or 0:.2f} this month)"
        )

        # 6. Spending more than is left is refused.
        try:
            await stigg.consume_credits(customer_id=customer_id, currency_id=CREDITS, amount=1000)
        except StiggGraphQLError as exc:
            print(f"6. Consuming 1000 refused: {exc.code}")

        # 7. The ledger: every change, newest first; it sums to the balance.
        print("7. Ledger:")
        total = 0.0
        async for entry in stigg.iter_credits_ledger(customer_id, currency_id=CREDITS):
            total += entry.amount
            print(f"   {entry.event_type:<18} {entry.amount:+8g}")
        summary = await stigg.get_credit_balance_summary(customer_id)
        print(f"   sum {total:g} = balance {summary.balance(CREDITS):g}")


if __name__ == "__main__":
    asyncio.run(main())
