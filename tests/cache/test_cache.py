"""The entitlement cache over a fake transport: reads, misses, failures, bounds, events."""

from __future__ import annotations

import asyncio
import math
from datetime import timedelta
from typing import Any

import pytest

from stigg_async._cache import (
    CacheState,
    EntitlementsChange,
    EntitlementSource,
    Fallback,
)
from stigg_async._clock import FakeClock
from stigg_async._errors import (
    GraphQLErrorDetail,
    StiggAuthenticationError,
    StiggClientStateError,
    StiggGraphQLError,
    StiggHTTPError,
    StiggServerError,
    StiggValidationError,
)
from stigg_async._fork import _after_fork_in_child
from stigg_async._models._enums import AccessDeniedReason as R
from stigg_async._retry import RetryPolicy
from tests.cache.conftest import MakeHost
from tests.cache.fakes import FakeTransport, entitlement, metered

FRESH = EntitlementSource.FRESH_CACHE
STALE = EntitlementSource.STALE_CACHE
NETWORK = EntitlementSource.NETWORK
FALLBACK = EntitlementSource.FALLBACK


def outage() -> StiggServerError:
    return StiggServerError("HTTP 503: down", status=503)


def alias_refusal(code_on: str = "http") -> StiggHTTPError | StiggGraphQLError:
    detail = GraphQLErrorDetail(message="too many aliases", code="GraphQLAliasesLimitExceeded")
    if code_on == "http":
        return StiggHTTPError("HTTP 400", status=400, errors=[detail])
    return StiggGraphQLError("too many aliases", errors=[detail])


def usage(customer: str, feature: str, current: float, ts: str, **extra: Any) -> dict[str, Any]:
    return {
        "customerId": customer,
        "featureId": feature,
        "resourceId": None,
        "currentUsage": current,
        "timestamp": ts,
        **extra,
    }


# -- reads -----------------------------------------------------------------------------


async def test_cold_check_fetches_once_then_answers_warm_without_requests(
    make_host: MakeHost, transport: FakeTransport
) -> None:
    """The first check goes to the network; later ones are fresh cache hits, no request."""
    host = make_host()
    first = await host.get_entitlement("customer-1", "feature-metered", requested_usage=1)
    assert (first.is_granted, first.source) == (True, NETWORK)
    for _ in range(100):
        warm = await host.get_entitlement("customer-1", "feature-metered", requested_usage=1)
    assert warm.source is FRESH
    assert transport.count == 1
    assert host.entitlement_stats.hits >= 100


async def test_warm_path_agrees_with_the_evaluator_for_every_rule(
    make_host: MakeHost, transport: FakeTransport, clock: FakeClock
) -> None:
    """The facade's inlined warm path answers exactly what the pure evaluator answers."""
    end = (clock.now() + timedelta(seconds=30)).isoformat()
    transport.states[("customer-1", None)] = {
        "accessDeniedReason": None,
        "entitlements": [
            entitlement("f-bool"),
            entitlement("f-revoked", access_denied_reason="Revoked", is_granted=False),
            entitlement("f-size", feature_type="NUMBER", meter_type="None", usage_limit=5),
            metered("f-unlimited", 1, 5, has_unlimited_usage=True),
            metered("f-soft", 1, 5, has_soft_limit=True),
            metered("f-metered", 10, 4),
            metered("f-rolling", 10, 10, usage_period_end=end),
        ],
    }
    host = make_host()
    await host.prefetch(["customer-1"])
    cache = host._entitlements
    snap = cache.store.entries[("customer-1", None)]
    from stigg_async._cache._evaluator import evaluate

    for _ in range(2):  # before and after the usage period of f-rolling ends
        for feature in [*snap.checks, "f-missing"]:
            for requested in (None, 0, 1, 6, 6.5, 100):
                fast = await host.get_entitlement("customer-1", feature, requested_usage=requested)
                ref = evaluate(snap, feature, requested, clock.monotonic(), FRESH)
                assert fast[1:6] == ref[1:6], (feature, requested)
        clock.advance(31)


async def test_customer_without_subscription_is_denied_with_its_reason(
    make_host: MakeHost, transport: FakeTransport
) -> None:
    """A customer-level denial from entitlementsState answers every feature."""
    transport.states[("customer-9", None)] = {
        "accessDeniedReason": "CustomerNotFound",
        "entitlements": [],
    }
    host = make_host()
    result = await host.get_entitlement("customer-9", "feature-bool")
    assert (result.is_granted, result.access_denied_reason) == (False, R.CUSTOMER_NOT_FOUND)
    everything = await host.get_entitlements("customer-9")
    assert everything.access_denied_reason is R.CUSTOMER_NOT_FOUND
    assert len(everything) == 0


async def test_get_entitlements_lists_every_feature(make_host: MakeHost) -> None:
    """get_entitlements answers all features of the key, evaluated locally."""
    host = make_host()
    everything = await host.get_entitlements("customer-1")
    assert sorted(r.feature_id for r in everything) == ["feature-bool", "feature-metered"]
    assert everything["feature-metered"].usage_limit == 10
    assert "feature-bool" in everything
    assert everything.source is NETWORK


async def test_resource_scoped_keys_are_cached_separately(
    make_host: MakeHost, transport: FakeTransport
) -> None:
    """(customer, resource) keys hold their own snapshots and are fetched separately."""
    transport.states[("customer-1", "site-a")] = {
        "accessDeniedReason": None,
        "entitlements": [metered("feature-metered", 1, 1, resource_id="site-a")],
    }
    host = make_host()
    plain = await host.get_entitlement("customer-1", "feature-metered", requested_usage=1)
    scoped = await host.get_entitlement(
        "customer-1", "feature-metered", resource_id="site-a", requested_usage=1
    )
    assert (plain.is_granted, scoped.is_granted) == (True, False)
    assert transport.keys_requested() == [("customer-1", None), ("customer-1", "site-a")]


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("", "feature-bool"), {}),
        (("customer-1", ""), {}),
        ((None, "feature-bool"), {}),
        (("customer-1", 3), {}),
        ((["x"], "feature-bool"), {}),
        (("customer-1", "feature-bool"), {"resource_id": ""}),
        (("customer-1", "feature-bool"), {"resource_id": 5}),
        (("customer-1", "feature-metered"), {"requested_usage": -1}),
        (("customer-1", "feature-metered"), {"requested_usage": math.nan}),
        (("customer-1", "feature-metered"), {"requested_usage": math.inf}),
        (("customer-1", "feature-metered"), {"requested_usage": "3"}),
    ],
)
async def test_bad_arguments_raise_validation_errors_warm_or_cold(
    make_host: MakeHost, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    """Bad ids or requested usage raise StiggValidationError, even when the key is warm."""
    host = make_host()
    await host.prefetch(["customer-1"])
    with pytest.raises(StiggValidationError):
        await host.get_entitlement(*args, **kwargs)
    with pytest.raises(StiggValidationError):
        host.peek_entitlement(*args, **kwargs)


# -- misses: single flight and negative caching --------------------------------------


async def test_concurrent_cold_checks_share_one_fetch(
    make_host: MakeHost, transport: FakeTransport
) -> None:
    """1,000 concurrent checks of one cold key make exactly one request."""
    host = make_host()
    transport.gate = asyncio.Event()
    checks = [
        asyncio.ensure_future(host.get_entitlement("customer-1", "feature-bool"))
        for _ in range(1000)
    ]
    await asyncio.sleep(0)
    transport.gate.set()
    results = await asyncio.gather(*checks)
    assert transport.count == 1
    assert all(r.is_granted for r in results)


async def test_cancelled_waiter_does_not_cancel_the_shared_fetch(
    make_host: MakeHost, transport: FakeTransport
) -> None:
    """One caller giving up leaves the other waiters' fetch running."""
    host = make_host()
    transport.gate = asyncio.Event()
    first = asyncio.ensure_future(host.get_entitlement("customer-1", "feature-bool"))
    second = asyncio.ensure_future(host.get_entitlement("customer-1", "feature-bool"))
    await asyncio.sleep(0)
    first.cancel()
    transport.gate.set()
    assert (await second).source is NETWORK
    assert transport.count == 1


async def test_failed_fetch_is_cached_briefly_so_checks_do_not_hammer(
    make_host: MakeHost, transport: FakeTransport, clock: FakeClock
) -> None:
    """After a failed fetch, checks answer the fallback without requests until negative_ttl."""
    host = make_host(negative_ttl=10)
    transport.fail_with = outage()
    for _ in range(500):
        result = await host.get_entitlement("customer-1", "feature-bool")
    assert (result.source, result.access_denied_reason) == (FALLBACK, R.UNKNOWN)
    assert transport.count == 1
    clock.advance(10)
    await host.get_entitlement("customer-1", "feature-bool")
    assert transport.count == 2


async def test_configured_fallback_answers_when_nothing_is_known(
    make_host: MakeHost, transport: FakeTransport
) -> None:
    """A per-feature Fallback answers while the API cannot; others deny Unknown."""
    host = make_host(fallbacks={"feature-bool": Fallback(is_granted=True)})
    transport.fail_with = outage()
    granted = await host.get_entitlement("customer-1", "feature-bool")
    other = await host.get_entitlement("customer-1", "feature-metered")
    assert (granted.is_granted, granted.source) == (True, FALLBACK)
    assert (other.is_granted, other.access_denied_reason) == (False, R.UNKNOWN)
    everything = await host.get_entitlements("customer-1")
    assert everything.source is FALLBACK
    assert [r.feature_id for r in everything] == ["feature-bool"]


# -- staleness and outages -------------------------------------------------------------


async def test_outage_serves_stale_then_fallback_past_max_staleness(
    make_host: MakeHost, transport: FakeTransport, clock: FakeClock
) -> None:
    """During an outage checks answer stale data, until max_staleness, then the fallback."""
    host = make_host(ttl=60, max_staleness=600)
    await host.prefetch(["customer-1"])
    transport.fail_with = outage()
    clock.advance(61)
    first = await host.get_entitlement("customer-1", "feature-metered", requested_usage=7)
    assert (first.source, first.is_granted) == (STALE, True)
    requests = transport.count
    for _ in range(100):
        stale = await host.get_entitlement("customer-1", "feature-metered")
    assert stale.source is STALE
    assert stale.age == pytest.approx(61)
    assert transport.count == requests  # interrupted: no request per check
    assert host.entitlement_status.state is CacheState.INTERRUPTED
    clock.advance(600)
    assert (await host.get_entitlement("customer-1", "feature-metered")).source is FALLBACK


async def test_poller_recovers_within_one_interval_after_an_outage(
    make_host: MakeHost, transport: FakeTransport, clock: FakeClock
) -> None:
    """After an outage ends, the poller refreshes within poll_interval and status is valid."""
    host = make_host(poll=True, poll_interval=30, ttl=60, error_backoff=1)
    await host.prefetch(["customer-1"])
    await clock.run_for(1, step=0.5)
    transport.fail_with = outage()
    await clock.run_for(300, step=1)
    assert host.entitlement_status.state is CacheState.INTERRUPTED
    assert (await host.get_entitlement("customer-1", "feature-bool")).source is STALE
    failing_requests = transport.count
    assert failing_requests <= 2 + 300 / 30 + 6  # backoff 1,2,4,8,16 then every interval
    transport.fail_with = None
    await clock.run_for(30 * 1.1, step=0.5)
    assert host.entitlement_status.state is CacheState.VALID
    assert (await host.get_entitlement("customer-1", "feature-bool")).source is FRESH


async def test_authentication_errors_bound_requests_and_status_says_why(
    make_host: MakeHost, transport: FakeTransport, clock: FakeClock
) -> None:
    """A rejected key costs one attempt per auth_error_interval; checks make no requests."""
    host = make_host(poll=True, poll_interval=30, auth_error_interval=300)
    await host.prefetch(["customer-1"])
    transport.fail_with = StiggAuthenticationError("HTTP 401: Unauthenticated", status=401)
    await clock.run_for(3000, step=5)
    for i in range(50):
        result = await host.get_entitlement(f"new-customer-{i}", "feature-bool")
        assert result.source is FALLBACK
    assert transport.count <= 1 + 1 + 3000 / 300 + 1
    status = host.entitlement_status
    assert status.state is CacheState.INTERRUPTED
    assert status.reason is not None
    assert "rejected" in status.reason
    assert status.last_error is not None
    assert "StiggAuthenticationError" in status.last_error
    transport.fail_with = None
    await clock.run_for(301, step=5)
    assert host.entitlement_status.state is CacheState.VALID


async def test_poller_survives_unexpected_exceptions(
    make_host: MakeHost, transport: FakeTransport, clock: FakeClock
) -> None:
    """A bug-like exception in a cycle is logged and counted; the poller keeps polling."""
    host = make_host(poll=True, poll_interval=30)
    await host.prefetch(["customer-1"])
    cache = host._entitlements
    original = cache.store.sweep
    calls = 0

    def broken(now: float, idle: float) -> Any:
        nonlocal calls
        calls += 1
        if calls <= 2:
            raise RuntimeError("boom")
        return original(now, idle)

    cache.store.sweep = broken  # type: ignore[method-assign]
    await clock.run_for(200, step=1)
    assert calls > 3
    assert cache.is_polling
    assert host.entitlement_stats.failures >= 2


# -- poller batching -------------------------------------------------------------------


async def test_poller_refreshes_many_customers_in_batches(
    make_host: MakeHost, transport: FakeTransport, clock: FakeClock
) -> None:
    """10,000 cached customers cost at most 10,000 / batch_size requests per cycle."""
    host = make_host(poll=True, poll_interval=30, batch_size=50, max_entries=20_000)
    summary = await host.prefetch([f"c{i}" for i in range(10_000)])
    assert summary.loaded == 10_000
    assert transport.count <= 200 + 1  # the poller's first cycle may overlap the warm-up
    before = transport.count
    await clock.run_for(34, step=0.5)  # exactly one cycle: 30 s +- 10% jitter
    assert transport.count - before == 200
    assert set(host.entitlement_stats.batch_sizes) <= {50, 1}


async def test_batch_size_halves_on_alias_refusal_and_is_remembered(
    make_host: MakeHost, transport: FakeTransport
) -> None:
    """GraphQLAliasesLimitExceeded halves the batch until accepted; the size sticks."""
    host = make_host(batch_size=16)
    transport.fail_with = lambda n: alias_refusal() if n > 4 else None
    summary = await host.prefetch([f"c{i}" for i in range(20)])
    assert (summary.loaded, summary.failed) == (20, ())
    assert host.entitlement_stats.batch_size == 4
    before = transport.count
    await host.prefetch([f"d{i}" for i in range(8)])
    assert transport.count - before == 2  # straight at 4 per request, no refusals


async def test_alias_refusal_as_graphql_error_also_halves(
    make_host: MakeHost, transport: FakeTransport
) -> None:
    """The refusal is recognised by its code whether it comes as HTTP 400 or GraphQL error."""
    host = make_host(batch_size=8)
    transport.fail_with = lambda n: alias_refusal("graphql") if n > 2 else None
    summary = await host.prefetch([f"c{i}" for i in range(8)])
    assert summary.loaded == 8
    assert host.entitlement_stats.batch_size == 2


async def test_eviction_keeps_entry_count_bounded(
    make_host: MakeHost, transport: FakeTransport
) -> None:
    """Beyond max_entries the least recently used keys are evicted."""
    host = make_host(max_entries=5)
    await host.prefetch([f"c{i}" for i in range(20)])
    stats = host.entitlement_stats
    assert stats.entries == 5
    assert stats.evictions == 15
    assert ("c19", None) in host._entitlements.store.entries


async def test_idle_keys_are_dropped_and_no_longer_refreshed(
    make_host: MakeHost, transport: FakeTransport, clock: FakeClock
) -> None:
    """Keys nobody reads for idle_timeout stop being polled and leave the cache."""
    host = make_host(poll=True, poll_interval=30, idle_timeout=100, ttl=60)
    await host.prefetch(["idle", "busy"])
    for _ in range(10):
        await clock.run_for(30, step=1)
        await host.get_entitlement("busy", "feature-bool")
    entries = host._entitlements.store.entries
    assert ("busy", None) in entries
    assert ("idle", None) not in entries


# -- write-through ---------------------------------------------------------------------


async def test_reported_usage_past_the_limit_flips_the_local_decision(
    make_host: MakeHost, transport: FakeTransport
) -> None:
    """apply_usage writes currentUsage through: the next check denies without a refresh."""
    host = make_host()
    assert (
        await host.get_entitlement("customer-1", "feature-metered", requested_usage=1)
    ).is_granted
    host._entitlements.apply_measurements(
        [usage("customer-1", "feature-metered", 10, "2026-01-01T00:00:01Z")]
    )
    after = await host.get_entitlement("customer-1", "feature-metered", requested_usage=1)
    assert (after.is_granted, after.current_usage, after.source) == (False, 10, FRESH)
    assert transport.count == 1


async def test_older_usage_answer_never_overwrites_newer(make_host: MakeHost) -> None:
    """Newest timestamp wins between write-throughs."""
    host = make_host()
    await host.prefetch(["customer-1"])
    cache = host._entitlements
    cache.apply_measurements([usage("customer-1", "feature-metered", 9, "2026-01-01T00:00:05Z")])
    cache.apply_measurements([usage("customer-1", "feature-metered", 4, "2026-01-01T00:00:01Z")])
    result = await host.get_entitlement("customer-1", "feature-metered")
    assert result.current_usage == 9


async def test_refresh_that_left_before_a_write_through_does_not_regress_it(
    make_host: MakeHost, transport: FakeTransport
) -> None:
    """A fetch sent before the usage write-through cannot undo it when it lands after."""
    host = make_host()
    await host.prefetch(["customer-1"])
    transport.gate = asyncio.Event()
    refresh = asyncio.ensure_future(host.refresh_entitlements("customer-1"))
    await asyncio.sleep(0)
    host._entitlements.apply_measurements(
        [usage("customer-1", "feature-metered", 10, "2026-01-01T00:00:05Z")]
    )
    transport.gate.set()
    await refresh  # answers currentUsage 3 (sent before the write-through)
    result = await host.get_entitlement("customer-1", "feature-metered")
    assert result.current_usage == 10


async def test_usage_rolls_over_to_zero_when_the_period_ends(
    make_host: MakeHost, clock: FakeClock
) -> None:
    """With usagePeriodEnd passed (per the clock), usage counts as 0 until a refresh."""
    host = make_host(ttl=10_000)
    await host.prefetch(["customer-1"])
    end = (clock.now() + timedelta(minutes=5)).isoformat()
    host._entitlements.apply_measurements(
        [usage("customer-1", "feature-metered", 10, "2026-01-01T00:00:01Z", usagePeriodEnd=end)]
    )
    assert not (
        await host.get_entitlement("customer-1", "feature-metered", requested_usage=1)
    ).is_granted
    clock.advance(301)
    after = await host.get_entitlement("customer-1", "feature-metered", requested_usage=1)
    assert (after.is_granted, after.current_usage) == (True, 0)


async def test_malformed_usage_answers_are_ignored(make_host: MakeHost) -> None:
    """apply_usage never raises, whatever it is given."""
    host = make_host()
    await host.prefetch(["customer-1"])
    host._entitlements.apply_measurements(
        [{}, {"customerId": 1}, usage("customer-1", "feature-metered", "x", "bad")]  # type: ignore[list-item]
    )
    host._entitlements.apply_measurements(None)  # type: ignore[arg-type]
    assert (await host.get_entitlement("customer-1", "feature-metered")).current_usage == 3


# -- listeners, refreshes, readiness ----------------------------------------------------


async def test_listener_hears_changed_features_only(
    make_host: MakeHost, transport: FakeTransport
) -> None:
    """Listeners get the key and the feature ids that changed (refresh and usage)."""
    host = make_host()
    await host.prefetch(["customer-1"])
    changes: list[EntitlementsChange] = []
    remove = host.add_entitlement_listener(changes.append)
    await host.refresh_entitlements("customer-1")  # same data: no change
    transport.states[("customer-1", None)] = {
        "accessDeniedReason": None,
        "entitlements": [entitlement("feature-bool"), metered("feature-metered", 20, 3)],
    }
    await host.refresh_entitlements("customer-1")
    host._entitlements.apply_measurements(
        [usage("customer-1", "feature-metered", 5, "2026-01-01T00:00:01Z")]
    )
    assert [(c.feature_ids, c.cause) for c in changes] == [
        (frozenset({"feature-metered"}), "refresh"),
        (frozenset({"feature-metered"}), "usage"),
    ]
    remove()
    await host.refresh_entitlements("customer-1")
    assert len(changes) == 2


async def test_failing_and_async_listeners_do_not_break_the_cache(
    make_host: MakeHost,
) -> None:
    """A raising listener is logged and ignored; an async listener is awaited in a task."""
    host = make_host()
    seen: list[str] = []

    def broken(change: EntitlementsChange) -> None:
        raise RuntimeError("listener bug")

    async def async_listener(change: EntitlementsChange) -> None:
        seen.append(change.customer_id)

    host.add_entitlement_listener(broken)
    host.add_entitlement_listener(async_listener)
    result = await host.get_entitlement("customer-1", "feature-bool")
    await asyncio.sleep(0)
    assert result.is_granted
    assert seen == ["customer-1"]


async def test_refresh_customer_refetches_every_key_of_that_customer(
    make_host: MakeHost, transport: FakeTransport
) -> None:
    """refresh_customer reloads all of a customer's keys (all resources) in one request."""
    host = make_host()
    await host.prefetch(["customer-1", ("customer-1", "site-a"), "customer-2"])
    before = transport.count
    await host._entitlements.refresh_customer("customer-1")
    assert transport.count == before + 1
    assert sorted(transport.keys_requested()[-2:], key=str) == sorted(
        [("customer-1", None), ("customer-1", "site-a")], key=str
    )
    transport.fail_with = outage()
    await host._entitlements.refresh_customer("customer-1")  # never raises


async def test_wait_until_ready_returns_false_on_timeout_and_true_once_loaded(
    make_host: MakeHost, transport: FakeTransport, clock: FakeClock
) -> None:
    """wait_until_ready never raises: False on timeout, True after a successful refresh."""
    host = make_host(poll=False)
    transport.fail_with = outage()
    await host.get_entitlement("customer-1", "feature-bool")
    waiter = asyncio.ensure_future(host.wait_until_ready(timeout=5))
    await clock.run_for(6, step=1)
    assert await waiter is False
    transport.fail_with = None
    await host.prefetch(["customer-2"])
    assert await host.wait_until_ready(timeout=5) is True


async def test_peek_never_waits_and_fetches_in_the_background(
    make_host: MakeHost, transport: FakeTransport
) -> None:
    """peek_entitlement answers the fallback on a miss and schedules the fetch."""
    host = make_host()
    first = host.peek_entitlement("customer-1", "feature-bool")
    assert first.source is FALLBACK
    for _ in range(3):
        await asyncio.sleep(0)
    second = host.peek_entitlement("customer-1", "feature-bool")
    assert (second.source, second.is_granted) == (FRESH, True)
    assert transport.count == 1


async def test_status_and_stats_describe_the_cache(make_host: MakeHost) -> None:
    """Status starts initializing, becomes valid after data arrives; counters add up."""
    host = make_host()
    assert host.entitlement_status.state is CacheState.INITIALIZING
    await host.get_entitlement("customer-1", "feature-bool")
    await host.get_entitlement("customer-1", "feature-bool")
    status, stats = host.entitlement_status, host.entitlement_stats
    assert status.state is CacheState.VALID
    assert status.is_healthy
    assert (stats.misses, stats.network_answers, stats.hits, stats.requests) == (1, 1, 1, 1)
    assert stats.batch_sizes == {1: 1}


async def test_close_leaves_no_task_and_reads_then_raise(
    make_host: MakeHost, transport: FakeTransport
) -> None:
    """aclose cancels the poller and fetches; later checks raise StiggClientStateError."""
    host = make_host(poll=True)
    await host.prefetch(["customer-1"])
    transport.gate = asyncio.Event()
    pending = asyncio.ensure_future(host.get_entitlement("customer-2", "feature-bool"))
    await asyncio.sleep(0)
    cache = host._entitlements
    await cache.aclose()
    assert cache.status.state is CacheState.CLOSED
    assert not cache._inflight
    assert not cache.is_polling
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert all(t is pending or t.done() for t in others)
    pending.cancel()
    with pytest.raises(StiggClientStateError, match="closed"):
        await host.get_entitlement("customer-1", "feature-bool")


# -- process and loop safety -----------------------------------------------------------


async def test_forked_child_is_told_instead_of_served_a_frozen_cache(
    make_host: MakeHost, transport: FakeTransport
) -> None:
    """After a fork, checks raise StiggClientStateError until restart_after_fork()."""
    host = make_host()
    await host.prefetch(["customer-1"])
    _after_fork_in_child()  # what os.register_at_fork runs in a child
    with pytest.raises(StiggClientStateError, match="fork"):
        await host.get_entitlement("customer-1", "feature-bool")
    with pytest.raises(StiggClientStateError, match="fork"):
        host.peek_entitlement("customer-1", "feature-bool")
    host._entitlements.restart_after_fork(transport=transport)  # type: ignore[arg-type]
    result = await host.get_entitlement("customer-1", "feature-bool")
    assert (result.is_granted, result.source) == (True, FRESH)


async def test_use_from_another_event_loop_is_refused(make_host: MakeHost) -> None:
    """A miss from a loop other than the one the cache started in raises a clear error."""
    host = make_host()

    def other_loop() -> BaseException | None:
        async def check() -> None:
            await host.get_entitlement("customer-1", "feature-bool")

        try:
            asyncio.run(check())
        except BaseException as exc:
            return exc
        return None

    error = await asyncio.to_thread(other_loop)
    assert isinstance(error, StiggClientStateError)
    assert "event loop" in str(error)


async def test_retries_on_miss_respect_the_fetch_deadline(
    make_host: MakeHost, transport: FakeTransport, clock: FakeClock
) -> None:
    """A cold check during an outage retries within fetch_deadline, then falls back."""
    host = make_host(
        retry=RetryPolicy(max_retries=10, initial_backoff=1, max_backoff=4, jitter=0),
        fetch_deadline=5,
    )
    transport.fail_with = outage()
    check = asyncio.ensure_future(host.get_entitlement("customer-1", "feature-bool"))
    await clock.run_for(20, step=0.5)
    result = await check
    assert result.source is FALLBACK
    assert 2 <= transport.count <= 4
