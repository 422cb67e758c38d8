"""The HTTP surface: auth, validation, aliases, scalars, hooks, pause/resume, the CLI."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import aiohttp
import pytest

from stigg_async.emulator import Emulator, FakeClock
from stigg_async.emulator._time import format_datetime, parse_datetime

from .conftest import Poster


async def test_wrong_api_key_is_401_with_graphql_json(gql: Poster, emu: Emulator) -> None:
    """A wrong key: HTTP 401, code Unauthenticated, the key never echoed."""
    reply = await gql("query { __typename }", headers={"X-API-KEY": "wrong-secret"})
    assert reply.status == 401
    assert reply.codes == ["Unauthenticated"]
    assert "wrong-secret" not in str(reply.body)
    assert emu.counters.unauthorized == 1
    assert emu.counters.total == 0
    assert "test-key" not in repr(emu)


async def test_invalid_json_and_invalid_documents_are_400(gql: Poster) -> None:
    """Garbage bodies and documents that fail validation: HTTP 400, BadUserInput."""
    async with gql.session.post(
        gql.emu.url, data=b"{not json", headers={"X-API-KEY": "test-key"}
    ) as response:
        assert response.status == 400
        assert (await response.json())["errors"][0]["extensions"]["code"] == "BadUserInput"
    reply = await gql("query { customers { edges { node { nope } } } }")
    assert reply.status == 400
    assert reply.codes == ["BadUserInput"]
    syntax = await gql("query {")
    assert syntax.status == 400
    assert syntax.codes == ["BadUserInput"]
    wrong_vars = await gql(
        "query Q($q: FetchEntitlementsQuery!) { cachedEntitlements(query: $q) { isGranted } }",
        {"q": {"nope": 1}},
    )
    assert wrong_vars.status == 400
    assert set(wrong_vars.codes) == {"BadUserInput"}


async def test_unsupported_root_field_names_it(gql: Poster) -> None:
    """A root field the emulator does not serve: an error naming it, with a code."""
    reply = await gql("query { plans { edges { node { refId } } } }")
    assert reply.status == 400
    assert "'plans'" in reply.errors[0]["message"]
    assert reply.errors[0]["extensions"] == {"code": "UnsupportedParameter", "field": "plans"}


async def test_alias_limit(gql: Poster, emu: Emulator) -> None:
    """Over the alias limit: HTTP 400 GraphQLAliasesLimitExceeded; at the limit: fine."""

    def batch(n: int) -> str:
        fields = " ".join(
            f'c{i}: entitlementsState(query: {{customerId: "c{i}"}}) {{ accessDeniedReason }}'
            for i in range(n)
        )
        return f"query {{ {fields} }}"

    ok = await gql(batch(50))
    assert ok.status == 200
    assert len(ok.data) == 50
    too_many = await gql(batch(51))
    assert too_many.status == 400
    assert too_many.codes == ["GraphQLAliasesLimitExceeded"]
    emu.max_aliases = 4
    assert (await gql(batch(5))).codes == ["GraphQLAliasesLimitExceeded"]


async def test_documents_are_parsed_once(gql: Poster, emu: Emulator) -> None:
    """The same query text is parsed and validated once, then served from the cache."""
    query = "query Same { __typename }"
    await gql.ok(query)
    first = emu._documents.get(query)
    await gql.ok(query)
    assert emu._documents.get(query) is first


def test_datetime_wire_format() -> None:
    """DateTime: ISO-8601 UTC with milliseconds and Z; parses ISO strings and epochs."""
    parsed = parse_datetime("2022-09-22T08:00:28.965Z")
    assert format_datetime(parsed) == "2022-09-22T08:00:28.965Z"
    assert format_datetime(parse_datetime(1703116800)) == "2023-12-21T00:00:00.000Z"
    assert format_datetime(parse_datetime(1703116800000)) == "2023-12-21T00:00:00.000Z"
    assert (
        format_datetime(parse_datetime("2023-12-21T02:00:00+02:00")) == "2023-12-21T00:00:00.000Z"
    )


async def test_counters_by_operation_and_root_field(gql: Poster, emu: Emulator) -> None:
    """Counters count requests per operation name and per root field, plus a total."""
    await gql.ok("query A { __typename }")
    await gql.ok("query A { __typename }")
    await gql.ok('query B { getCustomerByRefId(input: {customerId: "x"}) { refId } }')
    assert emu.counters.total == 3
    assert emu.counters.operation("A") == 2
    assert emu.counters.root_field("getCustomerByRefId") == 1
    snapshot = (await gql.hook("GET", "/counters")).body
    assert snapshot["byOperation"] == {"A": 2, "B": 1}
    await gql.hook("DELETE", "/counters")
    assert emu.counters.total == 0


async def test_http_hooks(gql: Poster, emu: Emulator) -> None:
    """Reset, clock, catalog, payment method, usage and stats hooks over HTTP."""
    emu.state.provision_customer("c")
    emu.state.provision_subscription("c", "plan-revvenu-basic")
    await gql.ok(
        'mutation { reportUsage(input: {customerId: "c", featureId: "feature-02-campaigns",'
        " value: 2})"
        " { currentUsage } }"
    )
    usage = await gql.hook("GET", "/usage?customerId=c&featureId=feature-02-campaigns")
    assert usage.body == {"currentUsage": 2}
    assert (await gql.hook("GET", "/stats")).body["appliedUsageReports"] == 1
    clock = await gql.hook("POST", "/clock", {"advanceSeconds": 31 * 24 * 3600})
    assert clock.body["now"].startswith("2026-02-01")
    assert (await gql.hook("GET", "/usage?customerId=c&featureId=feature-02-campaigns")).body == {
        "currentUsage": 0
    }
    pm = await gql.hook("POST", "/customers/c/payment-method", {"paymentMethodId": "pm_card_visa"})
    assert pm.body["hasPaymentMethod"] is True
    missing = await gql.hook("POST", "/customers/ghost/payment-method", {})
    assert missing.status == 404
    catalog = await gql.hook(
        "PUT",
        "/catalog",
        {
            "products": [{"id": "p"}],
            "features": [{"id": "f", "featureType": "BOOLEAN"}],
            "plans": [{"id": "plan-x", "entitlements": [{"feature": "f"}]}],
        },
    )
    assert catalog.body["plans"] == ["plan-x"]
    bad = await gql.hook("PUT", "/catalog", {"plans": [{"id": "x", "product": "nope"}]})
    assert bad.status == 400
    assert (await gql.hook("POST", "/reset")).status == 200
    assert emu.state.customers == {}
    async with gql.session.post(f"{emu.base_url}/_emulator/reset") as unauthorized:
        assert unauthorized.status == 401


async def test_pause_and_resume_keep_state_and_port(gql: Poster, emu: Emulator) -> None:
    """Paused: connections are refused. Resumed: same port, same state."""
    emu.state.provision_customer("c")
    port = emu.port
    await emu.pause()
    assert emu.paused
    with pytest.raises(aiohttp.ClientConnectionError):
        await gql("query { __typename }")
    await emu.resume()
    assert emu.port == port
    data = await gql.ok('query { getCustomerByRefId(input: {customerId: "c"}) { refId } }')
    assert data["getCustomerByRefId"] == {"refId": "c"}


async def test_emulator_with_system_clock_moves_by_offset() -> None:
    """Without a FakeClock, advance_time shifts the emulator's now by an offset."""
    emu = Emulator(api_key="k")
    before = emu.state.now()
    emu.advance_time(3600)
    assert (emu.state.now() - before).total_seconds() >= 3600
    with pytest.raises(ValueError, match="backwards"):
        emu.advance_time(-1)


async def test_checkout_unknown_session_is_404(emu: Emulator) -> None:
    """GET of an unknown checkout session: 404."""
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{emu.base_url}/checkout/nope") as response:
            assert response.status == 404
        async with session.get(f"{emu.base_url}/health") as response:
            assert (await response.json()) == {"status": "ok"}


async def test_command_line_starts_and_stops_cleanly(tmp_path: object) -> None:
    """python -m stigg_async.emulator prints where it listens, serves, and exits on SIGTERM."""
    env = {**os.environ, "STIGG_EMULATOR_API_KEY": "cli-key"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "stigg_async.emulator",
        "--port",
        "0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        assert line.startswith("stigg emulator listening on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[1].strip()
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                url, json={"query": "{ __typename }"}, headers={"X-API-KEY": "cli-key"}
            ) as response,
        ):
            assert (await response.json()) == {"data": {"__typename": "Query"}}
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_fixture_uses_a_fake_clock(stigg_emulator: Emulator) -> None:
    """The public fixture runs on 127.0.0.1 with a FakeClock."""
    assert isinstance(stigg_emulator.clock, FakeClock)
    assert stigg_emulator.url.startswith("http://127.0.0.1:")
