"""Run the official Python client's credit calls against a Stigg endpoint (the emulator).

The official client (``stigg-api-client-v2`` on PyPI) pins ``tenacity<9`` while gql
needs ``tenacity>=9.1.2``, so it lives in its own virtualenv.
``tests/emulator/test_official_client_credits.py`` builds one under ``.cache/`` on
demand, starts an emulator and runs this script with it; by hand, ``make
official-client`` builds ``.venv-official``::

    STIGG_API_URL=http://127.0.0.1:8787/graphql STIGG_SERVER_API_KEY=dev-key \\
        .venv-official/bin/python scripts/official_client_credits.py customer-1

It prints ``ok <call> <detail>`` per call and exits non-zero at the first failure.
"""

from __future__ import annotations

import os
import sys
import uuid
from typing import Any

from stigg import Stigg  # type: ignore[import-not-found]
from stigg.generated import (  # type: ignore[import-not-found]
    ConsumeCreditInput,
    ConsumeCreditsAsyncInput,
    CreditBalanceSummaryInput,
    CreditGrantInput,
    CreditLedgerInput,
    CreditUsageInput,
    EntitlementOptions,
    EstimateEventCostInput,
    EstimateUsageCostInput,
    FetchEntitlementsQuery,
    GetAutoRechargeSettingsInput,
    GetCreditGrantsInput,
    GetEntitlementV2Input,
    SaveAutoRechargeSettingsInput,
    VoidCreditGrantInput,
)

CUR = "currency-ai-credits"


def main(customer: str) -> None:
    client = Stigg.create_client(
        api_key=os.environ["STIGG_SERVER_API_KEY"],
        api_url=os.environ["STIGG_API_URL"],
        enable_edge=False,
    )

    def ok(call: str, detail: Any) -> None:
        print(f"ok {call} {detail}", flush=True)

    grant = client.grant_credits(
        CreditGrantInput(
            customerId=customer,
            currencyId=CUR,
            amount=100,
            displayName="Official client pack",
            grantType="PAID",
        )
    ).create_credit_grant
    ok("createCreditGrant", grant.amount)
    promo = client.grant_credits(
        CreditGrantInput(
            customerId=customer,
            currencyId=CUR,
            amount=10,
            displayName="Official client promo",
            grantType="PROMOTIONAL",
        )
    ).create_credit_grant
    ok("createCreditGrant", promo.amount)
    consumed = client.consume_credits(
        ConsumeCreditInput(
            customerId=customer, currencyId=CUR, amount=5, idempotencyKey=uuid.uuid4().hex
        )
    ).consume_credits
    ok("consumeCredits", consumed.credit.current_usage if consumed.credit else None)
    client.consume_credits_async(
        ConsumeCreditsAsyncInput(
            consumptions=[
                ConsumeCreditInput(
                    customerId=customer, currencyId=CUR, amount=1, idempotencyKey=uuid.uuid4().hex
                )
            ]
        )
    )
    ok("consumeCreditsAsync", "accepted")
    voided = client.void_credit_grant(VoidCreditGrantInput(id=promo.grant_id)).void_credit_grant
    ok("voidCreditGrant", voided.status.value)
    balance = client.get_credit_balance(
        CreditBalanceSummaryInput(customerId=customer, currencyId=CUR)
    ).credit_balance_summary
    ok("creditBalanceSummary", balance.balances[0].current_balance)
    grants = client.get_credit_grants(GetCreditGrantsInput(customerId=customer)).credit_grants
    ok("creditGrants", grants.total_count)
    ledger = client.get_credit_ledger(CreditLedgerInput(customerId=customer)).credits_ledger
    ok("creditsLedger", sum(e.node.amount for e in ledger.edges))
    usage = client.get_credit_usage(CreditUsageInput(customerId=customer)).credit_usage
    ok("creditUsage", len(usage.series))
    saved = client.save_automatic_recharge_configuration(
        SaveAutoRechargeSettingsInput(
            customerId=customer,
            currencyId=CUR,
            isEnabled=True,
            thresholdType="CreditAmount",
            thresholdValue=10,
            targetBalance=50,
        )
    ).save_auto_recharge_settings
    ok("saveAutoRechargeSettings", saved.is_enabled)
    read = client.get_automatic_recharge_configuration(
        GetAutoRechargeSettingsInput(customerId=customer, currencyId=CUR)
    ).get_auto_recharge_settings
    ok("getAutoRechargeSettings", read.target_balance)
    usage_cost = client.estimate_usage_cost(
        EstimateUsageCostInput(customerId=customer, featureId="feature-08-ai-generations", value=3)
    ).estimate_usage_cost
    ok("estimateUsageCost", usage_cost.estimates[0].estimated_cost)
    event_cost = client.estimate_event_cost(
        EstimateEventCostInput(
            customerId=customer, eventName="image_rendered", dimensions={"images": 2}
        )
    ).estimate_event_cost
    ok("estimateEventCost", event_cost.estimates[0].estimated_cost)
    ent = client.get_entitlement_v_2(
        GetEntitlementV2Input(
            customerId=customer,
            currencyId=CUR,
            options=EntitlementOptions(requestedUsage=1),
        )
    ).entitlement_v_2
    ok("entitlementV2", f"{type(ent).__name__} {ent.is_granted}")
    state = client.get_entitlements_state(
        FetchEntitlementsQuery(customerId=customer)
    ).entitlements_state
    kinds = sorted({type(e).__name__.rsplit("V2", 1)[-1] for e in state.entitlements_v_2})
    ok("entitlementsState", ",".join(kinds))


if __name__ == "__main__":
    main(sys.argv[1])
