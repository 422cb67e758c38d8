"""Fault injection: every kind, matching by operation and root field, times and probability."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from stigg_async.emulator import Emulator, FakeClock, Fault, FaultInjector

from .conftest import Poster

USAGE = """
mutation ReportUsage($input: ReportUsageInput!) { reportUsage(input: $input) { currentUsage } }
"""
USAGE_VARS = {"input": {"customerId": "c", "featureId": "feature-02-campaigns", "value": 1}}


@pytest.fixture
def customer(emu: Emulator) -> Emulator:
    emu.state.provision_customer("c")
    emu.state.provision_subscription("c", "plan-revvenu-basic")
    return emu


async def test_status_fault_with_retry_after(gql: Poster, customer: Emulator) -> None:
    """429 with Retry-After and RateLimitExceeded; the write does not land; then it clears."""
    customer.faults.add(Fault.http_error(429, retry_after=2), operation="ReportUsage", times=1)
    reply = await gql(USAGE, USAGE_VARS)
    assert reply.status == 429
    assert reply.headers["Retry-After"] == "2"
    assert reply.codes == ["RateLimitExceeded"]
    assert customer.state.applied_usage_reports == 0
    assert (await gql(USAGE, USAGE_VARS)).status == 200
    assert customer.state.applied_usage_reports == 1


async def test_503_defaults_to_unexpected_error(gql: Poster, customer: Emulator) -> None:
    """A 503 rule for every request answers UnexpectedError."""
    customer.faults.add(Fault.http_error(503))
    reply = await gql("query { __typename }")
    assert reply.status == 503
    assert reply.codes == ["UnexpectedError"]


async def test_rules_match_operation_or_root_field(gql: Poster, customer: Emulator) -> None:
    """A rule for one root field leaves other requests alone."""
    customer.faults.add(Fault.http_error(500), root_field="reportUsage")
    assert (await gql("query Other { __typename }")).status == 200
    assert (await gql(USAGE, USAGE_VARS)).status == 500
    customer.faults.clear()
    assert (await gql(USAGE, USAGE_VARS)).status == 200


async def test_graphql_error_fault(gql: Poster, customer: Emulator) -> None:
    """A GraphQL-level fault (object busy) at HTTP 200."""
    customer.faults.add(Fault.graphql_error("ObjectAlreadyBeingUsedByAnotherRequestError"), times=1)
    reply = await gql(USAGE, USAGE_VARS)
    assert reply.status == 200
    assert reply.codes == ["ObjectAlreadyBeingUsedByAnotherRequestError"]
    assert customer.state.applied_usage_reports == 0


async def test_drop_closes_without_response(gql: Poster, customer: Emulator) -> None:
    """A drop closes the connection with nothing sent; nothing is applied."""
    customer.faults.add(Fault.drop(), times=1)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await gql(USAGE, USAGE_VARS)
    assert customer.state.applied_usage_reports == 0
    assert (await gql(USAGE, USAGE_VARS)).status == 200


async def test_apply_then_fail_lands_the_write(gql: Poster, customer: Emulator) -> None:
    """apply_then_fail: the usage is counted but the client sees a 502."""
    customer.faults.add(Fault.apply_then_fail(502), operation="ReportUsage", times=1)
    reply = await gql(USAGE, USAGE_VARS)
    assert reply.status == 502
    assert reply.codes == ["UnexpectedError"]
    assert customer.state.usage_total("c", "feature-02-campaigns") == 1


async def test_apply_then_drop_lands_the_write(gql: Poster, customer: Emulator) -> None:
    """apply_then_drop: the usage is counted and the connection drops."""
    customer.faults.add(Fault.apply_then_drop(), times=1)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await gql(USAGE, USAGE_VARS)
    assert customer.state.usage_total("c", "feature-02-campaigns") == 1


async def test_truncated_raw_and_huge_bodies(gql: Poster, customer: Emulator) -> None:
    """Malformed answers: half a JSON body, a raw HTML page, a huge valid body."""
    customer.faults.add(Fault.truncated(), times=1)
    truncated = await gql(USAGE, USAGE_VARS)
    assert truncated.status == 200
    assert truncated.body is None
    customer.faults.add(Fault.raw("<html>bad gateway</html>", status=502), times=1)
    async with gql.session.post(
        customer.url, json={"query": "{ __typename }"}, headers={"X-API-KEY": "test-key"}
    ) as response:
        assert response.status == 502
        assert response.content_type == "text/html"
        assert await response.text() == "<html>bad gateway</html>"
    customer.faults.add(Fault.huge(2_000_000), times=1)
    async with gql.session.post(
        customer.url, json={"query": "{ __typename }"}, headers={"X-API-KEY": "test-key"}
    ) as response:
        raw = await response.read()
    assert len(raw) > 2_000_000
    assert json.loads(raw)["data"] == {"__typename": "Query"}


async def test_latency_waits_on_the_emulator_clock(gql: Poster, customer: Emulator) -> None:
    """Latency parks the request on the FakeClock until time is moved."""
    clock = customer.clock
    assert isinstance(clock, FakeClock)
    customer.faults.add(Fault.latency(30), times=1)
    task = asyncio.create_task(gql(USAGE, USAGE_VARS))
    for _ in range(10_000):
        if clock.pending_sleepers:
            break
        await asyncio.sleep(0)
    assert clock.pending_sleepers == 1
    assert not task.done()
    clock.advance(30)
    reply = await task
    assert reply.status == 200
    assert customer.state.applied_usage_reports == 1


def test_times_and_seeded_probability() -> None:
    """times counts hits only; the same seed gives the same sequence."""

    def run(seed: int) -> list[bool]:
        faults = FaultInjector(seed=seed)
        faults.add(Fault.http_error(503), probability=0.5)
        return [faults.pick("Op", ["f"])[1] is not None for _ in range(50)]

    assert run(7) == run(7)
    assert 5 < sum(run(7)) < 45
    faults = FaultInjector()
    rule = faults.add(Fault.drop(), times=2)
    assert [faults.pick(None, [])[1] is not None for _ in range(4)] == [True, True, False, False]
    assert rule.hits == 2
    assert faults.rules == []
    with pytest.raises(ValueError, match="times"):
        faults.add(Fault.drop(), times=0)


async def test_faults_over_http(gql: Poster, customer: Emulator) -> None:
    """Fault rules can be added, listed and removed through the hook."""
    created = await gql.hook(
        "POST",
        "/faults",
        {"kind": "status", "status": 503, "retryAfter": 1, "times": 1, "operation": "ReportUsage"},
    )
    assert created.status == 201
    listed = await gql.hook("GET", "/faults")
    assert listed.body[0]["fault"]["status"] == 503
    reply = await gql(USAGE, USAGE_VARS)
    assert reply.status == 503
    assert reply.headers["Retry-After"] == "1"
    rule = await gql.hook("POST", "/faults", {"kind": "drop"})
    removed = await gql.hook("DELETE", f"/faults/{rule.body['id']}")
    assert removed.body == {"removed": True}
    assert (await gql.hook("POST", "/faults", {"kind": "bogus"})).status == 400
    await gql.hook("POST", "/faults", {"kind": "latency", "seconds": 1})
    await gql.hook("DELETE", "/faults")
    assert customer.faults.rules == []


async def test_reset_clears_faults_counters_and_state(gql: Poster, customer: Emulator) -> None:
    """reset() forgets state, counters and fault rules but keeps the catalog."""
    customer.faults.add(Fault.drop())
    customer.reset()
    assert customer.faults.rules == []
    assert customer.counters.total == 0
    assert customer.state.customers == {}
    assert "plan-revvenu-basic" in customer.state.catalog.plans
