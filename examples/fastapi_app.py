"""A FastAPI service that gates features with stigg_async and meters what it does.

Routes:
    POST /signup/{customer_id}              put a new customer on the free plan
                                             (signing up twice answers the same)
    GET  /customers/{customer_id}/analytics  a paid-only feature (403 on the free plan)
    POST /customers/{customer_id}/campaigns  send a campaign: allowed up to the plan's
                                             monthly limit, usage reported afterwards
    GET  /customers/{customer_id}/quota      campaigns used and left (local check)

Run it against the emulator (``make emulator`` in another terminal)::

    STIGG_API_URL=http://127.0.0.1:8787/graphql STIGG_SERVER_API_KEY=dev-key \
        python examples/fastapi_app.py --port 8000
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import uvicorn
from fastapi import Depends, FastAPI

from stigg_async import DuplicatedEntityNotAllowedError, EntitlementResult, UsagePipelineOptions
from stigg_async.integrations.fastapi import (
    Stigg,
    StiggUsageMiddleware,
    require_entitlement,
    stigg_lifespan,
    track_usage_after,
)

CAMPAIGNS = "feature-02-campaigns"
ANALYTICS = "feature-04-analytics"

# A guard is a dependency: it lets the request in only if the check is granted, and
# answers 403 {"detail": {"access_denied_reason": ..., "feature_id": ...}} otherwise.
CanUseAnalytics = Annotated[
    EntitlementResult, Depends(require_entitlement(ANALYTICS, customer_id="customer_id"))
]
CanSendCampaign = Annotated[
    EntitlementResult,
    Depends(require_entitlement(CAMPAIGNS, customer_id="customer_id", requested_usage=1)),
]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Your own startup and shutdown code. It runs inside stigg_lifespan, so the
    # client is already open here and still open at shutdown.
    print("stigg client ready", flush=True)
    yield
    print(f"shutting down; usage sent so far: {app.state.stigg.usage_stats.sent}", flush=True)


# One AsyncStigg for the whole app: opened at startup, closed (and usage flushed) at
# shutdown. The API key and URL come from STIGG_SERVER_API_KEY / STIGG_API_URL.
# Usage is sent every 0.1 s here so the quota route catches up quickly.
app = FastAPI(lifespan=stigg_lifespan(lifespan, usage=UsagePipelineOptions(flush_interval=0.1)))
# Reports track_usage_after() usage once a response has succeeded (status < 400).
app.add_middleware(StiggUsageMiddleware)


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/signup/{customer_id}")
async def signup(customer_id: str, stigg: Stigg) -> dict[str, str | None]:
    try:
        provisioned = await stigg.provision_customer(
            customer_id=customer_id, subscription_params={"plan_id": "plan-revvenu-basic"}
        )
    except DuplicatedEntityNotAllowedError:
        # Signed up before (a retried request, a second run): answer with what exists.
        active = await stigg.get_active_subscriptions(customer_id)
        return {"customer_id": customer_id, "plan": active[0].plan_id if active else None}
    plan = provisioned.subscription.plan_id if provisioned.subscription else None
    return {"customer_id": customer_id, "plan": plan}


@app.get("/customers/{customer_id}/analytics")
async def analytics(decision: CanUseAnalytics) -> dict[str, str]:
    return {"report": "all the charts", "source": decision.source.value}


@app.post(
    "/customers/{customer_id}/campaigns",
    # After a successful response, track_usage("customer_id", CAMPAIGNS, 1).
    dependencies=[Depends(track_usage_after(CAMPAIGNS, customer_id="customer_id"))],
)
async def send_campaign(decision: CanSendCampaign) -> dict[str, object]:
    return {"sent": True, "used_before": decision.current_usage}


@app.get("/customers/{customer_id}/quota")
async def quota(customer_id: str, stigg: Stigg) -> dict[str, float | None]:
    check = await stigg.get_entitlement(customer_id, CAMPAIGNS)
    return {"used": check.current_usage, "limit": check.usage_limit}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    print(f"fastapi example on http://127.0.0.1:{args.port}", flush=True)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")
