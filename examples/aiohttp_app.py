"""An aiohttp service that gates features with stigg_async and meters what it does.

Same routes as ``fastapi_app.py``:
    POST /signup/{customer_id}              put a new customer on the free plan
                                             (signing up twice answers the same)
    GET  /customers/{customer_id}/analytics  a paid-only feature (403 on the free plan)
    POST /customers/{customer_id}/campaigns  send a campaign: allowed up to the plan's
                                             monthly limit, usage reported afterwards
    GET  /customers/{customer_id}/quota      campaigns used and left (local check)

Run it against the emulator (``make emulator`` in another terminal)::

    STIGG_API_URL=http://127.0.0.1:8787/graphql STIGG_SERVER_API_KEY=dev-key \
        python examples/aiohttp_app.py --port 8080
"""

from __future__ import annotations

import argparse

from aiohttp import web

from stigg_async import DuplicatedEntityNotAllowedError, UsagePipelineOptions
from stigg_async.integrations.aiohttp import (
    STIGG_KEY,
    entitlement_result,
    get_stigg,
    require_entitlement,
    setup_stigg,
    track_usage_after,
)

CAMPAIGNS = "feature-02-campaigns"
ANALYTICS = "feature-04-analytics"
routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@routes.post("/signup/{customer_id}")
async def signup(request: web.Request) -> web.Response:
    customer_id = request.match_info["customer_id"]
    stigg = get_stigg(request)
    try:
        provisioned = await stigg.provision_customer(
            customer_id=customer_id, subscription_params={"plan_id": "plan-revvenu-basic"}
        )
    except DuplicatedEntityNotAllowedError:
        # Signed up before (a retried request, a second run): answer with what exists.
        active = await stigg.get_active_subscriptions(customer_id)
        plan = active[0].plan_id if active else None
        return web.json_response({"customer_id": customer_id, "plan": plan})
    plan = provisioned.subscription.plan_id if provisioned.subscription else None
    return web.json_response({"customer_id": customer_id, "plan": plan})


@routes.get("/customers/{customer_id}/analytics")
@require_entitlement(ANALYTICS, customer_id="customer_id")  # denied -> 403 JSON
async def analytics(request: web.Request) -> web.Response:
    return web.json_response({"report": "all the charts"})


@routes.post("/customers/{customer_id}/campaigns")
@require_entitlement(CAMPAIGNS, customer_id="customer_id", requested_usage=1)
@track_usage_after(CAMPAIGNS, customer_id="customer_id")  # only if the status is < 400
async def send_campaign(request: web.Request) -> web.Response:
    decision = entitlement_result(request, CAMPAIGNS)
    return web.json_response({"sent": True, "used_before": decision.current_usage})


@routes.get("/customers/{customer_id}/quota")
async def quota(request: web.Request) -> web.Response:
    check = await get_stigg(request).get_entitlement(request.match_info["customer_id"], CAMPAIGNS)
    return web.json_response({"used": check.current_usage, "limit": check.usage_limit})


async def on_shutdown(app: web.Application) -> None:
    # Runs before cleanup_ctx closes the client, so the client is still open here.
    print(f"shutting down; usage sent so far: {app[STIGG_KEY].usage_stats.sent}", flush=True)


def create_app() -> web.Application:
    app = web.Application()
    # One AsyncStigg for the app, in cleanup_ctx: opened at startup, closed (usage
    # flushed) at cleanup. Key and URL from STIGG_SERVER_API_KEY / STIGG_API_URL.
    setup_stigg(app, usage=UsagePipelineOptions(flush_interval=0.1))
    app.on_shutdown.append(on_shutdown)
    app.add_routes(routes)
    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    print(f"aiohttp example on http://127.0.0.1:{args.port}", flush=True)
    web.run_app(create_app(), host="127.0.0.1", port=args.port, print=None)
