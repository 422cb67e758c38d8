"""Retries through the facade: keys reused on every attempt, ambiguity resolved."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from stigg_async import AsyncStigg
from stigg_async._clock import FakeClock
from stigg_async._errors import (
    DuplicatedEntityNotAllowedError,
    StiggAuthenticationError,
    StiggServerError,
)
from tests.support.facade import CacheSpy, make_client
from tests.support.recording_server import RecordingServer, Reply

BUSY = Reply(
    status=503, body={"errors": [{"message": "busy", "extensions": {"code": "UnexpectedError"}}]}
)
DUPLICATE = Reply(
    body={
        "data": None,
        "errors": [{"message": "exists", "extensions": {"code": "DuplicatedEntityNotAllowed"}}],
    }
)
ACK = {
    "id": "u-1",
    "currentUsage": 4,
    "customerId": "c",
    "featureId": "f",
    "timestamp": "2026-01-01T00:00:00Z",
}
CUSTOMER = {"refId": "customer-1", "customerId": "customer-1", "name": "Acme"}
SUB = {
    "refId": "subscription-x",
    "subscriptionId": "subscription-x",
    "status": "ACTIVE",
    "customer": {"refId": "customer-1", "customerId": "customer-1"},
    "plan": {"refId": "plan-revvenu-basic"},
}


@pytest.fixture
async def server() -> AsyncIterator[RecordingServer]:
    srv = await RecordingServer().start()
    yield srv
    await srv.stop()


@pytest.fixture
async def api(server: RecordingServer) -> AsyncIterator[tuple[AsyncStigg, CacheSpy, FakeClock]]:
    clock = FakeClock(auto_advance=True)
    client, spy = make_client(server.url, clock=clock, max_retries=3)
    async with client:
        yield client, spy, clock


async def test_report_usage_sends_the_same_key_on_every_attempt(
    api: tuple[AsyncStigg, CacheSpy, FakeClock], server: RecordingServer
) -> None:
    """A 503, a drop, then success: three attempts, one idempotency key."""
    client, _, clock = api
    server.reply(BUSY, Reply(drop=True), Reply(body={"data": {"reportUsage": ACK}}))
    ack = await client.report_usage(customer_id="c", feature_id="f", value=1)
    keys = {r.variables["input"]["idempotencyKey"] for r in server.received}
    assert len(server.received) == 3
    assert len(keys) == 1
    assert ack.current_usage == 4
    assert len(clock.sleeps) == 2


async def test_bulk_items_keep_their_keys_across_retries(
    api: tuple[AsyncStigg, CacheSpy, FakeClock], server: RecordingServer
) -> None:
    """Each bulk item's key is identical in every attempt."""
    client, _, _ = api
    server.reply(BUSY, Reply(body={"data": {"reportUsageBulk": [ACK, ACK]}}))
    await client.report_usage_bulk(
        [
            {"customer_id": "c", "feature_id": "f", "value": 1},
            {"customer_id": "d", "feature_id": "f", "value": 2},
        ]
    )
    first, second = (
        [u["idempotencyKey"] for u in r.variables["input"]["usages"]] for r in server.received
    )
    assert first == second
    assert len(set(first)) == 2


async def test_events_keep_their_keys_across_retries(
    api: tuple[AsyncStigg, CacheSpy, FakeClock], server: RecordingServer
) -> None:
    """Event keys are minted once, before the first attempt."""
    client, _, _ = api
    server.reply(Reply(drop=True), Reply(body={"data": {"reportEvent": None}}))
    await client.report_events([{"customer_id": "c", "event_name": "user_login"}])
    keys = [r.variables["events"]["usageEvents"][0]["idempotencyKey"] for r in server.received]
    assert len(keys) == 2
    assert keys[0] == keys[1]


async def test_exhausted_retries_raise_with_operation_and_count(
    api: tuple[AsyncStigg, CacheSpy, FakeClock], server: RecordingServer
) -> None:
    """After 1 + max_retries attempts the server error propagates with context."""
    client, _, _ = api
    server.default = BUSY
    with pytest.raises(StiggServerError) as info:
        await client.report_usage(customer_id="c", feature_id="f", value=1)
    assert len(server.received) == 4
    assert info.value.retries == 3
    assert info.value.operation == "ReportUsage"
    assert info.value.status == 503


async def test_authentication_errors_are_not_retried(
    api: tuple[AsyncStigg, CacheSpy, FakeClock], server: RecordingServer
) -> None:
    """A 401 fails at once: one request, zero retries."""
    client, _, clock = api
    server.default = Reply(
        status=401, body={"errors": [{"message": "no", "extensions": {"code": "Unauthenticated"}}]}
    )
    with pytest.raises(StiggAuthenticationError) as info:
        await client.get_customer("c")
    assert len(server.received) == 1
    assert info.value.retries == 0
    assert clock.sleeps == []


async def test_duplicate_after_ambiguous_failure_returns_the_created_customer(
    api: tuple[AsyncStigg, CacheSpy, FakeClock], server: RecordingServer
) -> None:
    """Drop (write landed), retry says duplicate: the SDK fetches and returns the customer."""
    client, _, _ = api
    server.reply(
        Reply(drop=True),
        DUPLICATE,
        Reply(body={"data": {"getCustomerByRefId": CUSTOMER}}),
    )
    result = await client.provision_customer(customer_id="customer-1", name="Acme")
    assert [r.operation_name for r in server.received] == [
        "ProvisionCustomer",
        "ProvisionCustomer",
        "GetCustomerByRefId",
    ]
    assert server.received[0].variables == server.received[1].variables
    assert result.customer.ref_id == "customer-1"


async def test_duplicate_on_the_first_attempt_is_a_real_conflict(
    api: tuple[AsyncStigg, CacheSpy, FakeClock], server: RecordingServer
) -> None:
    """Without an earlier ambiguous failure, a duplicate is the caller's error."""
    client, _, _ = api
    server.reply(DUPLICATE)
    with pytest.raises(DuplicatedEntityNotAllowedError):
        await client.provision_customer(customer_id="customer-1")
    assert len(server.received) == 1


async def test_duplicate_after_ambiguous_failure_returns_the_created_subscription(
    api: tuple[AsyncStigg, CacheSpy, FakeClock], server: RecordingServer
) -> None:
    """A 502 after the write, then duplicate: the minted subscription id is fetched."""
    client, spy, _ = api
    server.reply(
        Reply(status=502, text="bad gateway"),
        DUPLICATE,
        Reply(body={"data": {"getSubscription": SUB}}),
    )
    result = await client.provision_subscription(
        customer_id="customer-1", plan_id="plan-revvenu-basic"
    )
    minted = server.received[0].variables["input"]["subscriptionId"]
    assert server.received[1].variables["input"]["subscriptionId"] == minted
    assert server.received[2].variables == {"input": {"subscriptionId": minted}}
    assert result.is_success
    assert result.subscription is not None
    assert result.subscription.ref_id == "subscription-x"
    assert spy.refreshed == ["customer-1"]


async def test_execute_is_not_retried_by_default(
    api: tuple[AsyncStigg, CacheSpy, FakeClock], server: RecordingServer
) -> None:
    """The escape hatch sends once unless retry=True."""
    client, _, _ = api
    server.default = BUSY
    with pytest.raises(StiggServerError):
        await client.execute("mutation M { x }")
    assert len(server.received) == 1
    with pytest.raises(StiggServerError):
        await client.execute("mutation M { x }", retry=True)
    assert len(server.received) == 5
