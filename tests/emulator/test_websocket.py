"""GraphQL subscriptions over websocket: protocol, auth, every push kind, faults, counters."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from stigg_async.emulator import Emulator, FakeClock
from stigg_async.emulator._catalog import default_catalog_path
from stigg_async.emulator._records import SubscriptionRequest
from stigg_async.emulator._state import UsageReport
from stigg_async.testing import STIGG_EMULATOR_API_KEY

from .conftest import Poster

KEY = STIGG_EMULATOR_API_KEY
TRANSPORT_WS = "graphql-transport-ws"

ENTITLEMENT_FIELDS = """
  isGranted accessDeniedReason currentUsage usageLimit hasUnlimitedUsage hasSoftLimit
  resetPeriod usagePeriodStart usagePeriodEnd usageUpdatedAt feature { refId }
"""
ENTITLEMENTS_V2 = f"""
subscription Ents {{ entitlementsUpdatedV2 {{
  customerId resourceId accessDeniedReason accountId environmentId
  entitlements {{ __typename ... on FeatureEntitlement {{ {ENTITLEMENT_FIELDS} }} }}
}} }}
"""
ENTITLEMENTS_V1 = f"""
subscription EntsV1 {{ entitlementsUpdated {{
  customerId resourceId accessDeniedReason entitlements {{ {ENTITLEMENT_FIELDS} }}
}} }}
"""
USAGE_V2 = """
subscription Usage { usageUpdatedV2 {
  customerId resourceId entitlementReference { id type }
  usage { currentUsage usagePeriodStart usagePeriodEnd usageUpdatedAt }
} }
"""
USAGE_V1 = """
subscription UsageV1 { usageUpdated {
  entitlement { currentUsage usageLimit feature { refId } }
  usage { customerId featureId resourceId currentUsage usagePeriodEnd }
} }
"""
PACKAGES = """
subscription Packages { packagePublished {
  packageRefId packageType packageVersion migrationType accountId environmentId
} }
"""
CREDITS = """
subscription Credits { creditBalanceUpdated {
  customerId currencyId currentBalance totalConsumed totalGranted currency { currencyId }
} }
"""
STATE_QUERY = f"""
query State($query: FetchEntitlementsQuery!) {{ entitlementsState(query: $query) {{
  accessDeniedReason entitlements {{ {ENTITLEMENT_FIELDS} }}
}} }}
"""


class WsClient:
    """A bare graphql-transport-ws client over aiohttp, one message at a time."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self._ids = 0

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send_json(message)

    async def receive(self) -> dict[str, Any]:
        # A generous bound only so a broken server fails the test instead of hanging it.
        message = await self.ws.receive(timeout=10)
        assert message.type is aiohttp.WSMsgType.TEXT, (message.type, message.data)
        data: dict[str, Any] = message.json()
        return data

    async def init(self, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        await self.send({"type": "connection_init", "payload": payload or {"X-API-KEY": KEY}})
        return await self.receive()

    async def subscribe(self, query: str, op_id: str | None = None) -> str:
        """Subscribe and wait until the server has registered it (ping/pong barrier)."""
        self._ids += 1
        op_id = op_id or str(self._ids)
        await self.send({"type": "subscribe", "id": op_id, "payload": {"query": query}})
        await self.send({"type": "ping"})
        assert (await self.receive())["type"] == "pong"
        return op_id

    async def next(self) -> dict[str, Any]:
        """The next ``next`` message's data (pings answered on the way)."""
        while True:
            message = await self.receive()
            if message["type"] == "ping":
                await self.send({"type": "pong"})
                continue
            assert message["type"] == "next", message
            data: dict[str, Any] = message["payload"]["data"]
            return data

    async def closed(self) -> int | None:
        message = await self.ws.receive(timeout=10)
        assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), message
        return self.ws.close_code


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as http:
        yield http


@pytest.fixture
async def ws(emu: Emulator, session: aiohttp.ClientSession) -> AsyncIterator[WsClient]:
    """An acknowledged graphql-transport-ws connection to ``emu``."""
    async with session.ws_connect(emu.url, protocols=[TRANSPORT_WS]) as raw:
        client = WsClient(raw)
        assert (await client.init())["type"] == "connection_ack"
        yield client


@pytest.fixture
def customer(emu: Emulator) -> Emulator:
    emu.state.provision_customer("c-1")
    emu.state.provision_subscription("c-1", "plan-revvenu-basic")
    return emu


def _by_feature(entitlements: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        e["feature"]["refId"]: {k: v for k, v in e.items() if k != "__typename"}
        for e in entitlements
    }


async def _state(gql: Poster, customer_id: str, resource_id: str | None = None) -> Any:
    query: dict[str, Any] = {"customerId": customer_id}
    if resource_id is not None:
        query["resourceId"] = resource_id
    return (await gql.ok(STATE_QUERY, {"query": query}))["entitlementsState"]


# ---------------------------------------------------------------------- handshake and auth


@pytest.mark.parametrize(
    ("payload", "headers", "params"),
    [
        ({"X-API-KEY": KEY}, None, None),
        ({"headers": {"X-API-KEY": KEY}}, None, None),  # Stigg's Node SDK
        ({}, {"X-API-KEY": KEY}, None),
        ({}, None, {"apiKey": KEY}),
    ],
    ids=["payload", "payload-headers", "upgrade-header", "query-parameter"],
)
async def test_the_key_is_accepted_wherever_stiggs_clients_send_it(
    emu: Emulator,
    session: aiohttp.ClientSession,
    payload: dict[str, Any],
    headers: dict[str, str] | None,
    params: dict[str, str] | None,
) -> None:
    """connection_init payload, payload.headers, the upgrade header and ?apiKey= all work."""
    async with session.ws_connect(
        emu.url, protocols=[TRANSPORT_WS], headers=headers, params=params
    ) as raw:
        assert raw.protocol == TRANSPORT_WS
        assert (await WsClient(raw).init(payload))["type"] == "connection_ack"


async def test_a_wrong_key_closes_with_4403(emu: Emulator, session: aiohttp.ClientSession) -> None:
    """A bad key is refused with close code 4403 and counted."""
    async with session.ws_connect(emu.url, protocols=[TRANSPORT_WS]) as raw:
        client = WsClient(raw)
        await client.send({"type": "connection_init", "payload": {"X-API-KEY": "wrong"}})
        assert await client.closed() == 4403
    assert emu.stream.counters.unauthorized == 1


async def test_subscribe_before_init_closes_with_4401(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    """Subscribing before connection_ack is a protocol violation (4401)."""
    async with session.ws_connect(emu.url, protocols=[TRANSPORT_WS]) as raw:
        client = WsClient(raw)
        await client.send({"type": "subscribe", "id": "1", "payload": {"query": USAGE_V2}})
        assert await client.closed() == 4401


async def test_duplicate_ids_and_second_init_close_the_socket(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    """A second subscription under a live id closes with 4409; a second init with 4429."""
    async with session.ws_connect(emu.url, protocols=[TRANSPORT_WS]) as raw:
        client = WsClient(raw)
        await client.init()
        await client.subscribe(USAGE_V2, "a")
        await client.send({"type": "subscribe", "id": "a", "payload": {"query": USAGE_V2}})
        assert await client.closed() == 4409
    async with session.ws_connect(emu.url, protocols=[TRANSPORT_WS]) as raw:
        client = WsClient(raw)
        await client.init()
        await client.send({"type": "connection_init", "payload": {}})
        assert await client.closed() == 4429


async def test_plain_get_is_405_pointing_at_post(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    """GET /graphql without an upgrade says to use POST (or the websocket)."""
    async with session.get(emu.url) as response:
        assert response.status == 405
        assert "websocket" in (await response.json())["errors"][0]["message"]


async def test_invalid_and_non_subscription_documents_get_an_error_message(
    ws: WsClient,
) -> None:
    """Validation errors and queries sent over the socket answer ``error`` for that id only."""
    await ws.send(
        {"type": "subscribe", "id": "q", "payload": {"query": "{ coupons { totalCount } }"}}
    )
    error = await ws.receive()
    assert error["type"] == "error"
    assert error["id"] == "q"
    assert "POST" in error["payload"][0]["message"]
    await ws.send({"type": "subscribe", "id": "v", "payload": {"query": "subscription { nope }"}})
    error = await ws.receive()
    assert error["type"] == "error"
    assert error["id"] == "v"
    await ws.send({"type": "ping"})
    assert (await ws.receive())["type"] == "pong"  # still open


async def test_server_pings_and_answers_pings(emu: Emulator, ws: WsClient) -> None:
    """Keep-alive: the server pings every 10 s of its clock and answers a ping with a pong."""
    await ws.send({"type": "ping", "payload": {"n": 1}})
    assert await ws.receive() == {"type": "pong", "payload": {"n": 1}}
    clock = emu.clock
    assert isinstance(clock, FakeClock)
    clock.advance(10.5)
    assert await ws.receive() == {"type": "ping"}
    assert emu.stream.counters.pings >= 1


async def test_complete_stops_a_subscription(customer: Emulator, ws: WsClient) -> None:
    """After the client's ``complete`` the feed is gone and no more pushes come for it."""
    op_id = await ws.subscribe(USAGE_V2)
    assert customer.stream.subscribers("usageUpdatedV2") == 1
    await ws.send({"type": "complete", "id": op_id})
    await ws.send({"type": "ping"})
    assert (await ws.receive())["type"] == "pong"
    assert customer.stream.subscribers("usageUpdatedV2") == 0


# ---------------------------------------------------------------------- pushes


async def test_usage_reported_over_http_is_pushed_as_the_new_current_usage(
    customer: Emulator, ws: WsClient, gql: Poster
) -> None:
    """reportUsage -> usageUpdatedV2 whose currentUsage and period match a fresh query."""
    await ws.subscribe(USAGE_V2)
    await gql.ok(
        "mutation($input: ReportUsageInput!) { reportUsage(input: $input) { currentUsage } }",
        {"input": {"customerId": "c-1", "featureId": "feature-02-campaigns", "value": 3}},
    )
    push = (await ws.next())["usageUpdatedV2"]
    assert push["customerId"] == "c-1"
    assert push["entitlementReference"] == {"id": "feature-02-campaigns", "type": "FEATURE"}
    fresh = _by_feature((await _state(gql, "c-1"))["entitlements"])["feature-02-campaigns"]
    assert push["usage"]["currentUsage"] == fresh["currentUsage"] == 3
    assert push["usage"]["usagePeriodEnd"] == fresh["usagePeriodEnd"]
    assert push["usage"]["usageUpdatedAt"] == fresh["usageUpdatedAt"]


async def test_usage_from_raw_events_and_bulk_reports_is_pushed(
    customer: Emulator, ws: WsClient
) -> None:
    """Every usage path publishes: bulk reports (per feature) and raw events through meters."""
    await ws.subscribe(USAGE_V2)
    customer.state.report_usage_bulk(
        [
            UsageReport("c-1", "feature-02-campaigns", 1),
            UsageReport("c-1", "feature-02-campaigns", 1, update_behavior="SET"),
        ]
    )
    push = (await ws.next())["usageUpdatedV2"]
    assert push["usage"]["currentUsage"] == 1  # the final value of the bulk
    metered = next(f for f in customer.state.catalog.features.values() if f.meter is not None)
    customer.state.provision_customer("c-2")
    customer.state.provision_subscription("c-2", "plan-revvenu-growth")
    customer.state.report_events(
        [
            {
                "customerId": "c-2",
                "eventName": metered.meter.event_name,
                "idempotencyKey": "e1",
                "dimensions": {metered.meter.dimension or "x": "u-1"},
            }
        ]
    )
    push = (await ws.next())["usageUpdatedV2"]
    assert push["customerId"] == "c-2"
    assert push["entitlementReference"]["id"] == metered.id
    assert push["usage"]["currentUsage"] == customer.state.usage_total("c-2", metered.id)


async def test_entitlement_pushes_equal_a_fresh_query_after_each_kind_of_change(
    customer: Emulator, ws: WsClient, gql: Poster
) -> None:
    """Promotion granted/revoked, plan upgraded, updated, cancelled: each push equals the query."""
    await ws.subscribe(ENTITLEMENTS_V2)
    state = customer.state
    sub_id = state.live_subscriptions("c-1")[0].subscription_id

    async def push_equals_query() -> dict[str, Any]:
        push = (await ws.next())["entitlementsUpdatedV2"]
        fresh = await _state(gql, push["customerId"], push["resourceId"])
        assert push["accessDeniedReason"] == fresh["accessDeniedReason"]
        assert _by_feature(push["entitlements"]) == _by_feature(fresh["entitlements"])
        assert {e["__typename"] for e in push["entitlements"]} <= {"FeatureEntitlement"}
        return push

    state.grant_promotion("c-1", "feature-03-custom-domain")
    push = await push_equals_query()
    assert "feature-03-custom-domain" in _by_feature(push["entitlements"])
    state.revoke_promotion("c-1", "feature-03-custom-domain")
    push = await push_equals_query()
    assert "feature-03-custom-domain" not in _by_feature(push["entitlements"])
    state.update_subscription(sub_id, billable_features={"feature-02-campaigns": 9})
    await push_equals_query()
    upgraded = state.provision_subscription("c-1", "plan-revvenu-growth", skip_trial=True)
    push = await push_equals_query()  # one push for the replacement, not one per step
    assert push["accessDeniedReason"] is None
    state.cancel_subscription(upgraded.subscription_id, when="IMMEDIATE")
    push = await push_equals_query()
    assert push["accessDeniedReason"] == "NoActiveSubscription"


async def test_resource_subscriptions_push_per_resource(
    customer: Emulator, ws: WsClient, gql: Poster
) -> None:
    """A resource's subscription pushes that resource; a promotion pushes every resource."""
    await ws.subscribe(ENTITLEMENTS_V2)
    customer.state.provision_subscription("c-1", "plan-revvenu-growth", resource_id="site-1")
    push = (await ws.next())["entitlementsUpdatedV2"]
    assert (push["customerId"], push["resourceId"]) == ("c-1", "site-1")
    customer.state.grant_promotion("c-1", "feature-03-custom-domain")
    pushed = {(await ws.next())["entitlementsUpdatedV2"]["resourceId"] for _ in range(2)}
    assert pushed == {None, "site-1"}


async def test_trial_end_and_migration_are_pushed(emu: Emulator, ws: WsClient) -> None:
    """Time alone (a trial ending, seen on advance_time) and migrations publish entitlements."""
    state = emu.state
    state.provision_customer("t-1")
    outcome = state.provision(
        SubscriptionRequest(customer_id="t-1", plan_id="plan-revvenu-essentials", trial=True),
        enforce_payment=False,
    )
    sub = outcome.subscription
    assert sub is not None
    assert sub.status == "IN_TRIAL"
    await ws.subscribe(ENTITLEMENTS_V2)
    emu.advance_time(40 * 86400)
    push = (await ws.next())["entitlementsUpdatedV2"]
    assert push["customerId"] == "t-1"
    assert push["accessDeniedReason"] == (
        "NoActiveSubscription" if sub.status == "EXPIRED" else None
    )
    assert sub.status in {"EXPIRED", "ACTIVE"}
    state.migrate_subscription(sub.subscription_id)  # already latest: no change, no push
    state.grant_promotion("t-1", "feature-01-templates")
    assert (await ws.next())["entitlementsUpdatedV2"]["customerId"] == "t-1"


async def test_catalog_publish_pushes_package_published(emu: Emulator, ws: WsClient) -> None:
    """Loading a catalog with a changed plan publishes packagePublished with its new version."""
    await ws.subscribe(PACKAGES)
    catalog = json.loads(default_catalog_path().read_text(encoding="utf-8"))
    plan = catalog["plans"][0]
    plan["displayName"] = f"{plan.get('displayName', plan['id'])} v2"
    emu.load_catalog(catalog)
    push = (await ws.next())["packagePublished"]
    assert push["packageRefId"] == plan["id"]
    assert push["packageType"] == "PLAN"
    assert push["packageVersion"] == emu.state.catalog.plans[plan["id"]].version
    assert push["migrationType"] == "NEW_CUSTOMERS"


async def test_credit_balance_hook_and_v1_roots(customer: Emulator, ws: WsClient) -> None:
    """creditBalanceUpdated goes out when the credits hook is called; v1 roots are served."""
    await ws.subscribe(CREDITS)
    await ws.subscribe(ENTITLEMENTS_V1)
    await ws.subscribe(USAGE_V1)
    customer.stream.publish_credit_balance(
        "c-1", "cred", current_balance=90, total_consumed=10, total_granted=100
    )
    credit = (await ws.next())["creditBalanceUpdated"]
    assert credit["currentBalance"] == 90
    assert credit["currency"]["currencyId"] == "cred"
    customer.state.report_usage(UsageReport("c-1", "feature-02-campaigns", 2))
    usage = (await ws.next())["usageUpdated"]
    assert usage["usage"]["currentUsage"] == usage["entitlement"]["currentUsage"] == 2
    customer.state.grant_promotion("c-1", "feature-03-custom-domain")
    ents = (await ws.next())["entitlementsUpdated"]
    assert "feature-03-custom-domain" in _by_feature(ents["entitlements"])


async def test_no_work_without_subscribers(customer: Emulator) -> None:
    """Changes with nobody subscribed publish nothing (no payload is even built)."""
    customer.state.report_usage(UsageReport("c-1", "feature-02-campaigns", 1))
    customer.state.grant_promotion("c-1", "feature-03-custom-domain")
    assert customer.stream.counters.published == 0


async def test_legacy_graphql_ws_protocol(
    customer: Emulator, session: aiohttp.ClientSession
) -> None:
    """The older subscriptions-transport-ws protocol: start / data / stop, ``ka`` keep-alive."""
    async with session.ws_connect(customer.url, protocols=["graphql-ws"]) as raw:
        assert raw.protocol == "graphql-ws"
        client = WsClient(raw)
        await client.send({"type": "connection_init", "payload": {"X-API-KEY": KEY}})
        assert (await client.receive())["type"] == "connection_ack"
        assert (await client.receive())["type"] == "ka"
        await client.send({"type": "start", "id": "1", "payload": {"query": USAGE_V2}})
        await client.send({"type": "ping"})
        assert (await client.receive())["type"] == "pong"
        customer.state.report_usage(UsageReport("c-1", "feature-02-campaigns", 1))
        data = await client.receive()
        assert data["type"] == "data"
        assert data["id"] == "1"
        assert data["payload"]["data"]["usageUpdatedV2"]["usage"]["currentUsage"] == 1
        await client.send({"type": "stop", "id": "1"})


# ---------------------------------------------------------------------- faults and counters


async def test_refused_upgrades_answer_the_status(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    """refuse_status makes the upgrade fail with that HTTP status, and it is counted."""
    emu.stream.faults.refuse_status = 503
    with pytest.raises(aiohttp.WSServerHandshakeError) as raised:
        await session.ws_connect(emu.url, protocols=[TRANSPORT_WS])
    assert raised.value.status == 503
    assert emu.stream.counters.refused == 1
    emu.stream.faults.refuse_status = None
    async with session.ws_connect(emu.url, protocols=[TRANSPORT_WS]) as raw:
        assert (await WsClient(raw).init())["type"] == "connection_ack"


async def test_drop_connections_cuts_every_socket(customer: Emulator, ws: WsClient) -> None:
    """drop_connections closes the socket under the client; counters say so."""
    await ws.subscribe(USAGE_V2)
    assert customer.stream.stats()["openConnections"] == 1
    assert customer.stream.drop_connections() == 1
    message = await ws.ws.receive(timeout=10)
    assert message.type in (
        aiohttp.WSMsgType.CLOSE,
        aiohttp.WSMsgType.CLOSED,
        aiohttp.WSMsgType.ERROR,
    )
    assert customer.stream.counters.dropped_connections == 1


async def test_pause_holds_pushes_until_resume_in_order(customer: Emulator, ws: WsClient) -> None:
    """Paused pushes are held, then sent in order on resume."""
    await ws.subscribe(USAGE_V2)
    customer.stream.pause()
    customer.state.report_usage(UsageReport("c-1", "feature-02-campaigns", 1))
    await ws.send({"type": "ping"})
    assert (await ws.receive())["type"] == "pong"  # nothing came before it
    customer.stream.flush()
    assert customer.stream.stats()["held"] == 1
    assert customer.stream.resume() == 1
    assert (await ws.next())["usageUpdatedV2"]["usage"]["currentUsage"] == 1


async def test_delay_waits_on_the_emulator_clock(customer: Emulator, ws: WsClient) -> None:
    """A push delay is spent on the emulator's clock (FakeClock: only when it moves)."""
    await ws.subscribe(USAGE_V2)
    customer.stream.faults.delay = 5.0
    customer.state.report_usage(UsageReport("c-1", "feature-02-campaigns", 1))
    customer.stream.flush()
    clock = customer.clock
    assert isinstance(clock, FakeClock)
    await ws.send({"type": "ping"})
    assert (await ws.receive())["type"] == "pong"
    clock.advance(5)
    assert (await ws.next())["usageUpdatedV2"]["usage"]["currentUsage"] == 1


async def test_drop_one_message(customer: Emulator, ws: WsClient) -> None:
    """drop_messages(1) loses exactly the next push; the one after arrives."""
    await ws.subscribe(USAGE_V2)
    customer.stream.faults.drop_messages(1)
    customer.state.report_usage(UsageReport("c-1", "feature-02-campaigns", 1))
    customer.stream.flush()
    await ws.send({"type": "ping"})
    assert (await ws.receive())["type"] == "pong"
    customer.state.report_usage(UsageReport("c-1", "feature-02-campaigns", 1))
    assert (await ws.next())["usageUpdatedV2"]["usage"]["currentUsage"] == 2
    counters = customer.stream.counters
    assert counters.dropped_messages == 1
    assert counters.messages == 1
    assert counters.by_root_field["usageUpdatedV2"] == 1


async def test_http_stream_hook_sets_faults_and_reports_counters(
    customer: Emulator, gql: Poster, session: aiohttp.ClientSession
) -> None:
    """/_emulator/stream: POST actions, GET counters, DELETE clears; it needs the key."""
    reply = await gql.hook("POST", "/stream", {"action": "refuse_upgrades", "status": 403})
    assert reply.status == 200
    assert reply.body["faults"]["refuseStatus"] == 403
    with pytest.raises(aiohttp.WSServerHandshakeError):
        await session.ws_connect(customer.url, protocols=[TRANSPORT_WS])
    reply = await gql.hook("GET", "/stream")
    assert reply.body["refused"] == 1
    assert (await gql.hook("POST", "/stream", {"action": "bogus"})).status == 400
    assert (await gql.hook("DELETE", "/stream")).body["faults"]["refuseStatus"] is None
    async with session.get(f"{customer.base_url}/_emulator/stream") as unauthenticated:
        assert unauthenticated.status == 401
