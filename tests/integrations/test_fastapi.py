"""The FastAPI integration against the emulator: lifespan, client dependency, guard, usage."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

from stigg_async import AsyncStigg, EntitlementResult
from stigg_async.emulator import Emulator
from stigg_async.integrations.fastapi import (
    PendingUsage,
    Stigg,
    StiggUsageMiddleware,
    from_header,
    from_query,
    get_stigg,
    require_entitlement,
    stigg_lifespan,
    track_usage_after,
)

CAMPAIGNS = "feature-02-campaigns"
ANALYTICS = "feature-04-analytics"


async def customer_from_token(request: Request) -> str | None:
    token = request.headers.get("Authorization", "")
    return token.removeprefix("Bearer ") or None


# Module level: with postponed annotations FastAPI resolves Annotated[...] in the
# module's globals, so dependencies used in annotations must live here.
by_header = require_entitlement(CAMPAIGNS, customer_id=from_header("X-Customer-Id"))
by_token = require_entitlement(CAMPAIGNS, customer_id=customer_from_token)
by_query = require_entitlement(CAMPAIGNS, customer_id=from_query("customer"))


def build_app(client_kwargs: dict[str, Any], lifespan: Any = None) -> FastAPI:
    app = FastAPI(lifespan=stigg_lifespan(lifespan, **client_kwargs))
    app.add_middleware(StiggUsageMiddleware)

    @app.get("/customers/{customer_id}/analytics")
    async def analytics(
        decision: Annotated[
            EntitlementResult, Depends(require_entitlement(ANALYTICS, customer_id="customer_id"))
        ],
    ) -> dict[str, Any]:
        return {"granted": decision.is_granted}

    @app.post("/customers/{customer_id}/campaigns")
    async def campaigns(
        request: Request,
        decision: Annotated[
            EntitlementResult,
            Depends(require_entitlement(CAMPAIGNS, customer_id="customer_id", requested_usage=1)),
        ],
        usage: Annotated[
            PendingUsage, Depends(track_usage_after(CAMPAIGNS, customer_id="customer_id"))
        ],
    ) -> Any:
        outcome = request.query_params.get("outcome", "ok")
        if outcome == "raise":
            raise HTTPException(status_code=422, detail="refused by the route")
        if outcome == "status":
            return JSONResponse({"sent": False}, status_code=409)
        if outcome == "cancel":
            usage.cancel()
        if outcome == "three":
            usage.value = 3
        return {"sent": True, "remaining": decision.remaining_usage}

    @app.post("/customers/{customer_id}/campaigns/consume")
    async def consume_campaign(
        decision: Annotated[
            EntitlementResult,
            Depends(require_entitlement(CAMPAIGNS, customer_id="customer_id", consume=1)),
        ],
    ) -> dict[str, Any]:
        return {"key": decision.idempotency_key}

    @app.get("/header-guarded")
    async def header_guarded(
        decision: Annotated[EntitlementResult, Depends(by_header)],
    ) -> dict[str, Any]:
        return {"feature": decision.feature_id}

    @app.get("/callable-guarded")
    async def callable_guarded(
        decision: Annotated[EntitlementResult, Depends(by_token)],
    ) -> dict[str, Any]:
        return {"feature": decision.feature_id}

    @app.get("/query-guarded")
    async def query_guarded(
        decision: Annotated[EntitlementResult, Depends(by_query)],
    ) -> dict[str, Any]:
        return {"feature": decision.feature_id}

    @app.get("/client")
    async def client(stigg: Stigg) -> dict[str, Any]:
        return {"url": stigg.api_url}

    return app


@asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan and give an HTTP client speaking ASGI to it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            yield http


def app_stigg(app: FastAPI) -> AsyncStigg:
    stigg: AsyncStigg = app.state.stigg
    return stigg


async def test_importing_stigg_async_does_not_import_fastapi() -> None:
    """FastAPI is an optional extra: the core package never imports it."""
    code = "import sys, stigg_async, stigg_async.integrations; print('fastapi' in sys.modules)"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 0
    assert out.decode().strip() == "False"


async def test_lifespan_opens_one_client_and_closes_it(client_kwargs: dict[str, Any]) -> None:
    """The lifespan stores an open client on app.state and closes it at shutdown."""
    app = build_app(client_kwargs)
    async with serve(app) as http:
        stigg = app_stigg(app)
        assert isinstance(stigg, AsyncStigg)
        assert not stigg.is_closed
        response = await http.get("/client")
        assert response.json() == {"url": client_kwargs["api_url"]}
    assert stigg.is_closed


async def test_lifespan_composes_with_the_users_lifespan(client_kwargs: dict[str, Any]) -> None:
    """The user's lifespan runs inside, sees the client, and its state is merged."""
    seen: list[str] = []

    @asynccontextmanager
    async def mine(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        seen.append(f"start:{app.state.stigg.is_closed}")
        yield {"db": "connected"}
        seen.append(f"stop:{app.state.stigg.is_closed}")

    app = build_app(client_kwargs, lifespan=mine)
    async with app.router.lifespan_context(app) as state:
        assert state is not None
        assert state["db"] == "connected"
        assert state["stigg"] is app.state.stigg
    assert seen == ["start:False", "stop:False"]
    assert app_stigg(app).is_closed


async def test_lifespan_shutdown_delivers_tracked_usage(
    client_kwargs: dict[str, Any], emulator: Emulator
) -> None:
    """Usage tracked during the app's life is flushed when the lifespan closes the client."""
    app = build_app(client_kwargs)
    async with serve(app):
        assert app_stigg(app).track_usage("customer-basic", CAMPAIGNS, 2)
    assert emulator.state.usage_total("customer-basic", CAMPAIGNS) == 2


async def test_get_stigg_without_the_lifespan_says_what_to_do() -> None:
    """A route asking for the client on an app without the lifespan fails clearly."""
    app = FastAPI()

    @app.get("/")
    async def root(stigg: Annotated[AsyncStigg, Depends(get_stigg)]) -> str:
        return stigg.api_url

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        with pytest.raises(RuntimeError, match="stigg_lifespan"):
            await http.get("/")


async def test_guard_grants_and_hands_the_decision_to_the_route(
    client_kwargs: dict[str, Any],
) -> None:
    """A granted check runs the route with the EntitlementResult."""
    async with serve(build_app(client_kwargs)) as http:
        response = await http.post("/customers/customer-basic/campaigns")
    assert response.status_code == 200
    assert response.json() == {"sent": True, "remaining": 4.0}


async def test_guard_denies_with_403_naming_the_reason(client_kwargs: dict[str, Any]) -> None:
    """A feature outside the plan answers 403 JSON with the feature and the denial reason."""
    async with serve(build_app(client_kwargs)) as http:
        response = await http.get("/customers/customer-basic/analytics")
    assert response.status_code == 403
    detail = response.json()["detail"]
    assert detail["error"] == "entitlement_denied"
    assert detail["feature_id"] == ANALYTICS
    assert detail["customer_id"] == "customer-basic"
    assert detail["access_denied_reason"] == "NoFeatureEntitlementInSubscription"


async def test_guard_denies_over_the_limit_with_the_usage_numbers(
    client_kwargs: dict[str, Any], emulator: Emulator
) -> None:
    """A metered check over the limit says RequestedUsageExceedingLimit with the numbers."""
    emulator.state.provision_customer("customer-full")
    emulator.state.provision_subscription("customer-full", "plan-revvenu-basic")
    app = build_app(client_kwargs)
    async with serve(app) as http:
        await app_stigg(app).report_usage(
            customer_id="customer-full", feature_id=CAMPAIGNS, value=4
        )
        response = await http.post("/customers/customer-full/campaigns")
    assert response.status_code == 403
    detail = response.json()["detail"]
    assert detail["access_denied_reason"] == "RequestedUsageExceedingLimit"
    assert (detail["current_usage"], detail["usage_limit"], detail["requested_usage"]) == (4, 4, 1)


async def test_unknown_customer_is_denied(client_kwargs: dict[str, Any]) -> None:
    """A customer the API does not know is denied with CustomerNotFound."""
    async with serve(build_app(client_kwargs)) as http:
        response = await http.get("/customers/nobody/analytics")
    assert response.status_code == 403
    assert response.json()["detail"]["access_denied_reason"] == "CustomerNotFound"


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/header-guarded", {"X-Customer-Id": "customer-basic"}),
        ("/callable-guarded", {"Authorization": "Bearer customer-basic"}),
        ("/query-guarded?customer=customer-basic", {}),
    ],
)
async def test_customer_id_from_header_callable_or_query(
    client_kwargs: dict[str, Any], path: str, headers: dict[str, str]
) -> None:
    """The customer id can come from a header, an async callable or the query string."""
    async with serve(build_app(client_kwargs)) as http:
        response = await http.get(path, headers=headers)
    assert response.status_code == 200
    assert response.json() == {"feature": CAMPAIGNS}


async def test_missing_customer_id_answers_400(client_kwargs: dict[str, Any]) -> None:
    """A request without a customer id is refused with 400, not checked."""
    async with serve(build_app(client_kwargs)) as http:
        response = await http.get("/header-guarded")
    assert response.status_code == 400
    assert response.json()["detail"]["error"] == "customer_id_missing"
    assert "X-Customer-Id" in response.json()["detail"]["detail"]


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [("ok", 1), ("three", 3), ("cancel", 0), ("raise", 0), ("status", 0)],
)
async def test_usage_is_tracked_only_after_a_successful_response(
    client_kwargs: dict[str, Any], emulator: Emulator, outcome: str, expected: float
) -> None:
    """track_usage_after reports the (adjustable) value only when the status is < 400."""
    app = build_app(client_kwargs)
    async with serve(app) as http:
        response = await http.post(f"/customers/customer-basic/campaigns?outcome={outcome}")
        assert (response.status_code < 400) == (outcome in ("ok", "three", "cancel"))
        assert (await app_stigg(app).flush(timeout=10)).delivered_all
    assert emulator.state.usage_total("customer-basic", CAMPAIGNS) == expected


async def test_track_usage_after_without_the_middleware_fails_loudly(
    client_kwargs: dict[str, Any],
) -> None:
    """Without StiggUsageMiddleware the dependency raises instead of silently dropping usage."""
    app = FastAPI(lifespan=stigg_lifespan(**client_kwargs))

    @app.post("/use/{customer_id}")
    async def use(
        usage: Annotated[
            PendingUsage, Depends(track_usage_after(CAMPAIGNS, customer_id="customer_id"))
        ],
    ) -> dict[str, Any]:
        return {}

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            with pytest.raises(RuntimeError, match="StiggUsageMiddleware"):
                await http.post("/use/customer-basic")


def test_client_and_kwargs_are_exclusive() -> None:
    """Passing both a client and client options is a mistake caught at once."""
    with pytest.raises(TypeError):
        stigg_lifespan(client=AsyncStigg(api_key="k"), timeout=3)


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
    assert response.status_code == 400
    assert response.json()["detail"]["error"] == error


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
        statuses = sorted(r.status_code for r in responses)
        await app_stigg(app).flush(timeout=10)
    assert statuses == [200] * 4 + [403] * 6
    keys = {r.json()["key"] for r in responses if r.status_code == 200}
    assert len(keys) == 4
    assert None not in keys
    assert emulator.state.usage_total("customer-burst", CAMPAIGNS) == 4


def test_consume_and_requested_usage_together_are_refused() -> None:
    """The guard takes one of the two, said when the route is declared."""
    from stigg_async import StiggConfigurationError

    with pytest.raises(StiggConfigurationError, match="not both"):
        require_entitlement(CAMPAIGNS, customer_id="c", requested_usage=1, consume=1)
