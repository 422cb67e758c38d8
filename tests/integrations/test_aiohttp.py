"""The aiohttp integration against the emulator: cleanup_ctx, get_stigg, guard, usage."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from stigg_async import AsyncStigg
from stigg_async.emulator import Emulator
from stigg_async.integrations.aiohttp import (
    STIGG_KEY,
    entitlement_result,
    from_header,
    get_stigg,
    require_entitlement,
    setup_stigg,
    track_usage_after,
)

CAMPAIGNS = "feature-02-campaigns"
ANALYTICS = "feature-04-analytics"
UNITS = web.RequestKey("units", int)


def build_app(client_kwargs: dict[str, Any]) -> web.Application:
    @require_entitlement(ANALYTICS, customer_id="customer_id")
    async def analytics(request: web.Request) -> web.Response:
        return web.json_response({"granted": True})

    @require_entitlement(CAMPAIGNS, customer_id="customer_id", requested_usage=1)
    @track_usage_after(CAMPAIGNS, customer_id="customer_id", value=lambda r: r.get(UNITS, 1))
    async def campaigns(request: web.Request) -> web.Response:
        outcome = request.query.get("outcome", "ok")
        if outcome == "raise":
            raise web.HTTPUnprocessableEntity(text="refused")
        if outcome == "status":
            return web.json_response({"sent": False}, status=409)
        if outcome == "three":
            request[UNITS] = 3
        decision = entitlement_result(request, CAMPAIGNS)
        return web.json_response({"sent": True, "remaining": decision.remaining_usage})

    @require_entitlement(CAMPAIGNS, customer_id=from_header("X-Customer-Id"))
    async def header_guarded(request: web.Request) -> web.Response:
        return web.json_response({"feature": entitlement_result(request, CAMPAIGNS).feature_id})

    async def client(request: web.Request) -> web.Response:
        return web.json_response({"url": get_stigg(request).api_url})

    @require_entitlement(CAMPAIGNS, customer_id="customer_id", consume=1)
    async def consume_campaign(request: web.Request) -> web.Response:
        return web.json_response({"key": entitlement_result(request, CAMPAIGNS).idempotency_key})

    app = web.Application()
    setup_stigg(app, **client_kwargs)
    app.router.add_get("/customers/{customer_id}/analytics", analytics)
    app.router.add_post("/customers/{customer_id}/campaigns", campaigns)
    app.router.add_get("/header-guarded", header_guarded)
    app.router.add_get("/client", client)
    app.router.add_post("/customers/{customer_id}/campaigns/consume", consume_campaign)
    return app


@asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    async with TestClient(TestServer(app, host="127.0.0.1")) as http:
        yield http


async def test_setup_stigg_opens_the_client_and_closes_it_with_the_app(
    client_kwargs: dict[str, Any], emulator: Emulator
) -> None:
    """cleanup_ctx opens one client for the app and closes it (flushing usage) at cleanup."""
    app = build_app(client_kwargs)
    async with serve(app) as http:
        stigg = app[STIGG_KEY]
        assert isinstance(stigg, AsyncStigg)
        response = await http.get("/client")
        assert await response.json() == {"url": client_kwargs["api_url"]}
        stigg.track_usage("customer-basic", CAMPAIGNS, 2)
    assert stigg.is_closed
    assert emulator.state.usage_total("customer-basic", CAMPAIGNS) == 2


async def test_get_stigg_works_from_a_sub_application(client_kwargs: dict[str, Any]) -> None:
    """Handlers of a sub-application find the parent's client."""

    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"url": get_stigg(request).api_url})

    app = web.Application()
    setup_stigg(app, **client_kwargs)
    sub = web.Application()
    sub.router.add_get("/url", handler)
    app.add_subapp("/sub", sub)
    async with serve(app) as http:
        response = await http.get("/sub/url")
        assert await response.json() == {"url": client_kwargs["api_url"]}


async def test_guard_grants_and_hands_the_decision_to_the_handler(
    client_kwargs: dict[str, Any],
) -> None:
    """A granted check runs the handler, which reads the decision."""
    async with serve(build_app(client_kwargs)) as http:
        response = await http.post("/customers/customer-basic/campaigns")
        assert response.status == 200
        assert await response.json() == {"sent": True, "remaining": 4.0}


async def test_guard_denies_with_403_naming_the_reason(client_kwargs: dict[str, Any]) -> None:
    """A feature outside the plan answers 403 JSON naming the feature and the reason."""
    async with serve(build_app(client_kwargs)) as http:
        response = await http.get("/customers/customer-basic/analytics")
        assert response.status == 403
        body = await response.json()
    assert body["error"] == "entitlement_denied"
    assert body["feature_id"] == ANALYTICS
    assert body["access_denied_reason"] == "NoFeatureEntitlementInSubscription"


async def test_guard_reads_the_customer_from_a_header(client_kwargs: dict[str, Any]) -> None:
    """from_header finds the customer; without the header the answer is 400."""
    async with serve(build_app(client_kwargs)) as http:
        ok = await http.get("/header-guarded", headers={"X-Customer-Id": "customer-basic"})
        assert ok.status == 200
        assert await ok.json() == {"feature": CAMPAIGNS}
        missing = await http.get("/header-guarded")
        assert missing.status == 400
        assert (await missing.json())["error"] == "customer_id_missing"


@pytest.mark.parametrize(
    ("outcome", "expected"), [("ok", 1), ("three", 3), ("raise", 0), ("status", 0)]
)
async def test_usage_is_tracked_only_after_success(
    client_kwargs: dict[str, Any], emulator: Emulator, outcome: str, expected: float
) -> None:
    """track_usage_after reports only responses below 400, with a value from the request."""
    app = build_app(client_kwargs)
    async with serve(app) as http:
        await http.post(f"/customers/customer-basic/campaigns?outcome={outcome}")
        assert (await app[STIGG_KEY].flush(timeout=10)).delivered_all
    assert emulator.state.usage_total("customer-basic", CAMPAIGNS) == expected


async def test_get_stigg_without_setup_says_what_to_do() -> None:
    """get_stigg on an app without setup_stigg raises a RuntimeError naming the fix."""
    request_app = web.Application()
    captured: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        try:
            get_stigg(request)
        except RuntimeError as exc:
            captured.append(str(exc))
        return web.Response(text="")

    request_app.router.add_get("/", handler)
    async with serve(request_app) as http:
        await http.get("/")
    assert captured
    assert "setup_stigg" in captured[0]


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("   ", "customer_id_missing"),
        ("\t", "customer_id_missing"),
        ("x" * 300, "customer_id_invalid"),
    ],
)
async def test_blank_or_invalid_customer_id_answers_400_not_500(
    client_kwargs: dict[str, Any], value: str, error: str
) -> None:
    """A whitespace-only or unusable customer id gets the documented 400, never a 500."""
    async with serve(build_app(client_kwargs)) as http:
        response = await http.get("/header-guarded", headers={"X-Customer-Id": value})
        assert response.status == 400
        assert (await response.json())["error"] == error


async def test_consume_guard_never_lets_a_burst_past_the_limit(
    client_kwargs: dict[str, Any], emulator: Emulator
) -> None:
    """10 concurrent requests through consume=1 against a limit of 4: exactly 4 pass."""
    emulator.state.provision_customer("customer-burst")
    emulator.state.provision_subscription("customer-burst", "plan-revvenu-basic")
    app = build_app(client_kwargs)
    async with serve(app) as http:
        responses = await asyncio.gather(
            *(http.post("/customers/customer-burst/campaigns/consume") for _ in range(10))
        )
        statuses = sorted(r.status for r in responses)
        await app[STIGG_KEY].flush(timeout=10)
    assert statuses == [200] * 4 + [403] * 6
    assert emulator.state.usage_total("customer-burst", CAMPAIGNS) == 4
