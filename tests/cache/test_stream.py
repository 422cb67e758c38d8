"""The websocket data source against the emulator over 127.0.0.1, with a recording sink."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from graphql import GraphQLSchema, build_schema, parse, validate

from stigg_async import _fork
from stigg_async._cache._source import Key, SourceState
from stigg_async._cache._stream import (
    StreamOptions,
    StreamSource,
    stream_url,
    subscription_document,
)
from stigg_async._clock import FakeClock
from stigg_async._errors import (
    StiggAuthenticationError,
    StiggConfigurationError,
    StiggHTTPError,
)
from stigg_async._resources import schema_path
from stigg_async.emulator import Emulator
from stigg_async.emulator._state import UsageReport
from stigg_async.testing import STIGG_EMULATOR_API_KEY
from tests.operations.test_operation_documents import REFERENCE_SCHEMA

KEY = STIGG_EMULATOR_API_KEY
STATE_QUERY = """
query State($query: FetchEntitlementsQuery!) { entitlementsState(query: $query) {
  accessDeniedReason
  entitlements { isGranted currentUsage usageLimit usagePeriodEnd feature { refId } }
} }
"""
GRANT = """
mutation Grant($input: GrantPromotionalEntitlementsInput!) {
  grantPromotionalEntitlements(input: $input) { id }
}
"""


class RecordingSink:
    """A StoreSink that records every call and refreshes from the emulator for real."""

    def __init__(self, emu: Emulator, keys: Iterable[Key] = ()) -> None:
        self.emu = emu
        self.keys: dict[Key, None] = dict.fromkeys(keys)
        self.states: dict[Key, Mapping[str, Any]] = {}
        self.usage: list[Mapping[str, Any]] = []
        self.refreshes: list[list[Key]] = []
        self.upsert_result = True
        self.changed = asyncio.Condition()
        self.session: aiohttp.ClientSession | None = None

    # StoreSink
    def keys_in_use(self) -> list[Key]:
        return list(self.keys)

    def has_customer(self, customer_id: str) -> bool:
        return any(c == customer_id for c, _ in self.keys)

    def keys_of(self, customer_id: str) -> list[Key]:
        return [k for k in self.keys if k[0] == customer_id]

    def upsert_state(self, key: Key, raw: Mapping[str, Any], *, started: float) -> bool:
        if self.upsert_result:
            self.states[key] = raw
        self._notify()
        return self.upsert_result

    def apply_usage(self, change: Mapping[str, Any]) -> bool:
        self.usage.append(change)
        self._notify()
        return True

    def mark_stale(self, keys: Iterable[Key]) -> None:
        raise AssertionError("the stream never marks keys stale")

    async def refresh_keys(self, keys: Sequence[Key]) -> None:
        assert self.session is not None
        for customer_id, resource_id in keys:
            query = {"customerId": customer_id, "resourceId": resource_id}
            async with self.session.post(
                self.emu.url,
                json={"query": STATE_QUERY, "variables": {"query": query}},
                headers={"X-API-KEY": KEY},
            ) as response:
                body = await response.json()
            self.states[(customer_id, resource_id)] = body["data"]["entitlementsState"]
        self.refreshes.append(list(keys))  # recorded once done
        self._notify()

    def _notify(self) -> None:
        asyncio.get_running_loop().create_task(self._wake())

    async def _wake(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        """Wait until ``predicate()`` holds (bounded, so a broken stream fails, not hangs)."""
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(predicate), 10)

    def features(self, key: Key) -> dict[str, Any]:
        return {e["feature"]["refId"]: e for e in self.states[key]["entitlements"]}


class RecordingStatus:
    """A StatusSink that records every report."""

    def __init__(self) -> None:
        self.reports: list[tuple[str, SourceState, BaseException | None, str | None]] = []
        self.changed = asyncio.Condition()

    def report(
        self,
        source: str,
        state: SourceState,
        *,
        error: BaseException | None = None,
        reason: str | None = None,
    ) -> None:
        self.reports.append((source, state, error, reason))
        asyncio.get_running_loop().create_task(self._wake())

    async def _wake(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    @property
    def last(self) -> tuple[str, SourceState, BaseException | None, str | None]:
        return self.reports[-1]

    def states(self) -> list[SourceState]:
        return [r[1] for r in self.reports]

    async def wait_for(self, state: SourceState, count: int = 1) -> None:
        async with self.changed:
            await asyncio.wait_for(
                self.changed.wait_for(lambda: self.states().count(state) >= count), 10
            )


@pytest.fixture
def customer(stigg_emulator: Emulator) -> Emulator:
    stigg_emulator.state.provision_customer("c-1")
    stigg_emulator.state.provision_subscription("c-1", "plan-revvenu-basic")
    return stigg_emulator


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def sink(customer: Emulator) -> AsyncIterator[RecordingSink]:
    recording = RecordingSink(customer, [("c-1", None)])
    async with aiohttp.ClientSession() as session:
        recording.session = session
        yield recording


@pytest.fixture
def status() -> RecordingStatus:
    return RecordingStatus()


@pytest.fixture
async def source(customer: Emulator, clock: FakeClock) -> AsyncIterator[StreamSource]:
    stream = StreamSource(
        api_url=customer.url,
        api_key=KEY,
        clock=clock,
        options=StreamOptions(ping_interval=None, refused_retry=60),
    )
    yield stream
    await stream.aclose()


async def _started(
    source: StreamSource, sink: RecordingSink, status: RecordingStatus
) -> StreamSource:
    source.start(sink, status)
    await status.wait_for(SourceState.VALID)
    return source


def _end_backoff(clock: FakeClock) -> None:
    """Move time past the source's current backoff sleep (a hair more: float sums)."""
    assert clock.pending_sleepers == 1
    clock.advance(clock.sleeps[-1] + 1e-6)


def _stream_tasks() -> list[asyncio.Task[Any]]:
    return [
        t
        for t in asyncio.all_tasks()
        if t.get_name().startswith("stigg-") and not t.get_name().startswith("stigg-emulator")
    ]


# ---------------------------------------------------------------------- documents and options


@pytest.mark.parametrize("name", ["EntitlementsUpdated", "UsageUpdated", "PackagePublished"])
@pytest.mark.parametrize("schema_file", [schema_path(), REFERENCE_SCHEMA], ids=["pruned", "full"])
def test_subscription_documents_are_valid_against_the_schemas(name: str, schema_file: Path) -> None:
    """Each subscription document validates against the pruned and the full Stigg schema."""
    if not schema_file.is_file():
        pytest.skip("the full reference schema is not beside the repo")
    assert validate(_schema(schema_file), parse(subscription_document(name))) == []


@cache
def _schema(path: Path) -> GraphQLSchema:
    return build_schema(path.read_text(encoding="utf-8"))


def test_stream_url_keeps_host_and_path_and_switches_scheme() -> None:
    """https -> wss, loopback http -> ws; plain http elsewhere is refused like the API URL."""
    assert stream_url("https://api.stigg.io/graphql") == "wss://api.stigg.io/graphql"
    assert stream_url("http://127.0.0.1:8787/graphql") == "ws://127.0.0.1:8787/graphql"
    with pytest.raises(StiggConfigurationError):
        stream_url("http://example.invalid/graphql")


@pytest.mark.parametrize(
    "options",
    [
        {"backoff_initial": 0},
        {"backoff_max": -1},
        {"refused_retry": float("inf")},
        {"backoff_initial": 5, "backoff_max": 1},
        {"ping_interval": 0},
        {"connect_timeout": "3"},
    ],
)
def test_bad_options_are_configuration_errors(options: dict[str, Any]) -> None:
    """Each bad stream option is a StiggConfigurationError naming it."""
    with pytest.raises(StiggConfigurationError):
        StreamOptions(**options)


def test_an_empty_key_is_refused_before_anything_is_sent() -> None:
    """No key, no stream: a configuration error at construction."""
    with pytest.raises(StiggConfigurationError):
        StreamSource(api_url="https://api.stigg.io/graphql", api_key=" ")


# ---------------------------------------------------------------------- pushes reach the sink


async def test_connect_reports_valid_and_refreshes_the_keys_in_use(
    source: StreamSource, sink: RecordingSink, status: RecordingStatus
) -> None:
    """Initializing, then valid once subscribed; then one refresh of every key in use."""
    await _started(source, sink, status)
    assert status.states()[:2] == [SourceState.INITIALIZING, SourceState.VALID]
    await sink.wait_for(lambda: bool(sink.refreshes))
    assert sink.refreshes == [[("c-1", None)]]


async def test_a_promotion_granted_by_another_client_reaches_the_sink_as_its_state(
    customer: Emulator, source: StreamSource, sink: RecordingSink, status: RecordingStatus
) -> None:
    """grantPromotionalEntitlements over HTTP -> upsert_state with what a fresh query says."""
    await _started(source, sink, status)
    await sink.wait_for(lambda: bool(sink.refreshes))
    assert sink.session is not None
    variables = {
        "input": {
            "customerId": "c-1",
            "promotionalEntitlements": [
                {"featureId": "feature-03-custom-domain", "period": "ONE_MONTH"}
            ],
        }
    }
    async with sink.session.post(
        customer.url, json={"query": GRANT, "variables": variables}, headers={"X-API-KEY": KEY}
    ) as response:
        assert response.status == 200
    await sink.wait_for(lambda: "feature-03-custom-domain" in sink.features(("c-1", None)))
    pushed = sink.states[("c-1", None)]
    denial, fresh = customer.state.entitlements("c-1")
    assert pushed["accessDeniedReason"] == denial
    assert {e["feature"]["refId"] for e in pushed["entitlements"]} == {v.feature_id for v in fresh}
    for entitlement in pushed["entitlements"]:
        # The same shape a fetch gives the store: EntitlementFragment's fields.
        assert entitlement["customerId"] == "c-1"
        assert entitlement["resourceId"] is None
        assert "nextResetDate" in entitlement
        assert "__typename" not in entitlement
    assert source.stats.applied >= 1


async def test_usage_reported_elsewhere_is_applied_as_the_new_base(
    customer: Emulator, source: StreamSource, sink: RecordingSink, status: RecordingStatus
) -> None:
    """A usage push becomes apply_usage({currentUsage: total, timestamp, period}) - not a delta."""
    await _started(source, sink, status)
    customer.state.report_usage(UsageReport("c-1", "feature-02-campaigns", 2))
    customer.state.report_usage(UsageReport("c-1", "feature-02-campaigns", 1))
    await sink.wait_for(lambda: any(u["currentUsage"] == 3 for u in sink.usage))
    change = sink.usage[-1]
    value = customer.state.entitlement("c-1", "feature-02-campaigns")
    assert change["customerId"] == "c-1"
    assert change["featureId"] == "feature-02-campaigns"
    assert change["resourceId"] is None
    assert change["currentUsage"] == value.current_usage == 3
    assert change["timestamp"] is not None
    assert change["usagePeriodEnd"] == change["nextResetDate"] is not None


async def test_pushes_for_customers_not_in_use_are_skipped(
    customer: Emulator, source: StreamSource, sink: RecordingSink, status: RecordingStatus
) -> None:
    """Another customer's changes cost a lookup and nothing else."""
    await _started(source, sink, status)
    customer.state.provision_customer("other")
    customer.state.provision_subscription("other", "plan-revvenu-basic")
    customer.state.report_usage(UsageReport("other", "feature-02-campaigns", 1))
    customer.state.report_usage(UsageReport("c-1", "feature-02-campaigns", 1))
    await sink.wait_for(lambda: bool(sink.usage))
    assert [u["customerId"] for u in sink.usage] == ["c-1"]
    assert "other" not in {k[0] for k in sink.states}
    assert source.stats.skipped == 2  # its entitlements (one push for both changes), its usage


async def test_a_resource_not_in_use_is_skipped_and_one_in_use_is_applied(
    customer: Emulator, source: StreamSource, sink: RecordingSink, status: RecordingStatus
) -> None:
    """Pushes are applied per (customer, resource) key in use only."""
    sink.keys[("c-1", "site-2")] = None
    await _started(source, sink, status)
    await sink.wait_for(lambda: bool(sink.refreshes))
    sink.states.clear()
    customer.state.provision_subscription("c-1", "plan-revvenu-growth", resource_id="site-1")
    customer.state.provision_subscription("c-1", "plan-revvenu-growth", resource_id="site-2")
    await sink.wait_for(lambda: ("c-1", "site-2") in sink.states)
    assert ("c-1", "site-1") not in sink.states
    _, fresh = customer.state.entitlements("c-1", "site-2")
    assert set(sink.features(("c-1", "site-2"))) == {v.feature_id for v in fresh}


async def test_a_push_the_store_cannot_apply_refreshes_that_key(
    customer: Emulator, source: StreamSource, sink: RecordingSink, status: RecordingStatus
) -> None:
    """upsert_state -> False (unparseable for the store): the key is fetched instead."""
    await _started(source, sink, status)
    await sink.wait_for(lambda: len(sink.refreshes) == 1)
    sink.upsert_result = False
    customer.state.grant_promotion("c-1", "feature-03-custom-domain")
    await sink.wait_for(lambda: len(sink.refreshes) == 2)
    assert sink.refreshes[1] == [("c-1", None)]
    assert "feature-03-custom-domain" in sink.features(("c-1", None))  # from the refresh


async def test_package_published_refreshes_every_key_in_use_in_one_call(
    customer: Emulator, source: StreamSource, sink: RecordingSink, status: RecordingStatus
) -> None:
    """packagePublished -> sink.refresh(keys in use) (the sink batches them)."""
    sink.keys[("c-1", "site-1")] = None
    await _started(source, sink, status)
    await sink.wait_for(lambda: len(sink.refreshes) == 1)
    customer.stream.package_published("plan-revvenu-basic", "PLAN", 2)
    await sink.wait_for(lambda: len(sink.refreshes) == 2)
    assert sorted(sink.refreshes[1], key=str) == sorted([("c-1", None), ("c-1", "site-1")], key=str)
    assert source.stats.package_pushes == 1


async def test_credit_usage_cannot_be_applied_so_the_customer_is_refreshed(
    customer: Emulator, source: StreamSource, sink: RecordingSink, status: RecordingStatus
) -> None:
    """A usage push for a credit entitlement refreshes the customer's keys."""
    await _started(source, sink, status)
    await sink.wait_for(lambda: len(sink.refreshes) == 1)
    source._on_usage(
        {
            "customerId": "c-1",
            "resourceId": None,
            "entitlementReference": {"id": "credits", "type": "CREDIT"},
            "usage": {"currentUsage": 5, "usageUpdatedAt": "2026-01-01T00:00:00.000Z"},
        }
    )
    await sink.wait_for(lambda: len(sink.refreshes) == 2)
    assert sink.refreshes[1] == [("c-1", None)]
    assert sink.usage == []


# ---------------------------------------------------------------------- disconnects


async def test_reconnect_after_a_dropped_socket_refreshes_and_loses_no_change(
    customer: Emulator,
    clock: FakeClock,
    source: StreamSource,
    sink: RecordingSink,
    status: RecordingStatus,
) -> None:
    """Dropped: interrupted with the error; a change made meanwhile arrives by the refresh."""
    await _started(source, sink, status)
    await sink.wait_for(lambda: len(sink.refreshes) == 1)
    customer.stream.drop_connections()
    await status.wait_for(SourceState.INTERRUPTED)
    _, _, error, reason = status.last
    assert error is not None
    assert reason is not None
    assert "reconnecting" in reason
    # Made while nobody listens: no push can carry it.
    customer.state.grant_promotion("c-1", "feature-03-custom-domain")
    assert "feature-03-custom-domain" not in sink.features(("c-1", None))
    assert sink.states  # nothing was emptied
    assert clock.pending_sleepers == 1
    assert 0.25 <= clock.sleeps[-1] <= 0.5  # first backoff: jittered initial delay
    _end_backoff(clock)
    await status.wait_for(SourceState.VALID, count=2)
    await sink.wait_for(lambda: len(sink.refreshes) == 2)
    assert sink.refreshes[1] == [("c-1", None)]
    assert "feature-03-custom-domain" in sink.features(("c-1", None))
    assert source.stats.connects == 2


async def test_backoff_grows_with_jitter_while_the_server_is_away(
    customer: Emulator,
    clock: FakeClock,
    source: StreamSource,
    sink: RecordingSink,
    status: RecordingStatus,
) -> None:
    """Each failed reconnect waits longer (doubling, jittered, capped)."""
    await _started(source, sink, status)
    await customer.pause()
    customer.stream.drop_connections()
    waits: list[float] = []
    for attempt in range(1, 5):
        await status.wait_for(SourceState.INTERRUPTED, count=attempt)
        assert clock.pending_sleepers == 1
        waits.append(clock.sleeps[-1])
        if attempt < 4:
            _end_backoff(clock)
    for i, wait in enumerate(waits):
        assert 0.5 * 0.5 * 2**i <= wait <= 0.5 * 2**i
    await customer.resume()
    _end_backoff(clock)
    await status.wait_for(SourceState.VALID, count=2)


async def test_a_refused_upgrade_reports_off_with_the_reason_and_retries_slowly(
    customer: Emulator,
    clock: FakeClock,
    source: StreamSource,
    sink: RecordingSink,
    status: RecordingStatus,
) -> None:
    """HTTP 405 on the upgrade: OFF, reason names it, slow retry; later it streams."""
    customer.stream.faults.refuse_status = 405
    source.start(sink, status)
    await status.wait_for(SourceState.OFF)
    _, _, error, reason = status.last
    assert isinstance(error, StiggHTTPError)
    assert error.status == 405
    assert reason is not None
    assert "HTTP 405" in reason
    assert 0.8 * 60 <= clock.sleeps[-1] <= 1.2 * 60
    assert sink.refreshes == []
    customer.stream.faults.refuse_status = None
    _end_backoff(clock)
    await status.wait_for(SourceState.VALID)
    assert source.stats.refused == 1


async def test_a_rejected_key_reports_off_without_the_key_anywhere(
    customer: Emulator,
    clock: FakeClock,
    sink: RecordingSink,
    status: RecordingStatus,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Close 4403 after connection_init: OFF with an authentication error; the key is in no log."""
    secret = "sk-wrong-9f8e7d6c5b4a"
    source = StreamSource(
        api_url=customer.url,
        api_key=secret,
        clock=clock,
        options=StreamOptions(ping_interval=None),
    )
    caplog.set_level(logging.DEBUG)
    try:
        source.start(sink, status)
        await status.wait_for(SourceState.OFF)
        _, _, error, reason = status.last
        assert isinstance(error, StiggAuthenticationError)
        assert reason is not None
        assert "4403" in reason
        for text in (str(error), repr(error), reason, repr(source), caplog.text):
            assert secret not in text
        assert any(r.name.startswith("gql") for r in caplog.records)  # gql did log frames
    finally:
        await source.aclose()
    assert customer.stream.counters.unauthorized == 1


async def test_aclose_leaves_no_task_and_no_socket(
    customer: Emulator, source: StreamSource, sink: RecordingSink, status: RecordingStatus
) -> None:
    """After aclose: no stigg-* task, the server sees no open socket, status OFF (closed)."""
    await _started(source, sink, status)
    assert customer.stream.stats()["openConnections"] == 1
    await source.aclose()
    assert _stream_tasks() == []
    assert status.last[1] is SourceState.OFF
    assert status.last[3] == "closed"
    for _ in range(100):
        if customer.stream.stats()["openConnections"] == 0:
            break
        await asyncio.sleep(0)
    assert customer.stream.stats()["openConnections"] == 0
    await source.aclose()  # idempotent
    source.start(sink, status)  # closed stays closed
    assert _stream_tasks() == []


async def test_aclose_while_retrying_stops_the_backoff(
    customer: Emulator,
    clock: FakeClock,
    source: StreamSource,
    sink: RecordingSink,
    status: RecordingStatus,
) -> None:
    """Closing during a backoff sleep cancels it; nothing is left waiting."""
    customer.stream.faults.refuse_status = 503
    source.start(sink, status)
    await status.wait_for(SourceState.OFF)
    assert clock.pending_sleepers == 1
    await source.aclose()
    assert _stream_tasks() == []
    assert clock.pending_sleepers == 0


async def test_after_fork_the_child_never_touches_the_parents_socket(
    customer: Emulator,
    source: StreamSource,
    sink: RecordingSink,
    status: RecordingStatus,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In a (simulated) forked child: forget, then start anew; the parent's socket stays."""
    await _started(source, sink, status)
    parent_task, parent_session = source._task, source._session
    source.forget_after_fork()  # not a child yet: nothing happens
    assert source._task is parent_task
    monkeypatch.setattr(_fork, "_generation", _fork.generation() + 1)  # what os.fork() does
    source.forget_after_fork()
    assert source._task is None
    source.start(sink, status)
    await status.wait_for(SourceState.VALID, count=2)
    # The "parent's" socket is still open: the child did not close it.
    assert customer.stream.stats()["openConnections"] == 2
    # The parent's own shutdown, in this one-process simulation.
    assert parent_task is not None
    parent_task.cancel()
    await asyncio.gather(parent_task, return_exceptions=True)
    assert parent_session is not None
    await parent_session.close()
    assert source.state is SourceState.VALID  # the child's stream was not disturbed
    await source.aclose()  # the child's own close: its socket goes
    assert _stream_tasks() == []
