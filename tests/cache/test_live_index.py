"""The live index: warm checks answered with no clock read, retired by timers on time."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from stigg_async import StiggConnectionError
from stigg_async._cache import EntitlementCache, EntitlementCacheOptions, EntitlementSource
from stigg_async._cache._model import parse_state
from stigg_async._cache._store import EntitlementStore
from stigg_async._clock import FakeClock, Timer
from stigg_async._facade_entitlements import _EntitlementMethods
from tests.cache.conftest import NO_RETRY, MakeHost
from tests.cache.fakes import FakeTransport, entitlement, metered

KEY = ("customer-1", None)
LIVE = ("customer-1", None, "f")


class CountingClock(FakeClock):
    """A fake clock that counts monotonic readings."""

    reads = 0

    def monotonic(self) -> float:
        self.reads += 1
        return super().monotonic()


class NoTimerClock:
    """A clock that offers no ``call_at`` (a user's own clock may not)."""

    def __init__(self, inner: FakeClock) -> None:
        self.inner = inner

    def monotonic(self) -> float:
        return self.inner.monotonic()

    def now(self) -> datetime:
        return self.inner.now()

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)

    def random(self) -> float:
        return self.inner.random()


@pytest.fixture
def clock() -> CountingClock:
    return CountingClock()


def _store(clock: FakeClock, call_at: Any = "clock") -> EntitlementStore:
    return EntitlementStore(
        max_entries=100,
        monotonic=clock.monotonic,
        wall=clock.now,
        on_evict=lambda _k: None,
        on_change=lambda _c: None,
        call_at=clock.call_at if call_at == "clock" else call_at,
    )


def _load(
    store: EntitlementStore, clock: FakeClock, *ents: dict[str, Any], ttl: float = 60
) -> None:
    denial, parsed = parse_state(
        {"accessDeniedReason": None, "entitlements": list(ents or [metered("f", 10, 2)])}, KEY
    )
    store.upsert(KEY, denial, parsed, started=clock.monotonic(), ttl=ttl, stale_window=3600)


# -- through the facade ----------------------------------------------------------------


async def test_warm_checks_read_no_clock(make_host: MakeHost, clock: CountingClock) -> None:
    """Awaited and peeked warm checks (memoised or not) never read the clock."""
    host = make_host()
    await host.prefetch(["customer-1"])
    reads = clock.reads
    hits = host.entitlement_stats.fast_hits
    for requested in (None, 0, 1, 2.5, 1, None):
        result = await host.get_entitlement(
            "customer-1", "feature-metered", requested_usage=requested
        )
        assert result.source is EntitlementSource.FRESH_CACHE
        peeked = host.peek_entitlement("customer-1", "feature-metered", requested_usage=requested)
        assert peeked is result or peeked == result
    assert clock.reads == reads
    assert host.entitlement_stats.fast_hits == hits + 12


async def test_checks_turn_stale_when_the_ttl_passes(
    make_host: MakeHost, clock: CountingClock, transport: FakeTransport
) -> None:
    """The timer retires the data at the ttl: the next check is labelled stale."""
    host = make_host(ttl=60, max_staleness=600)
    await host.prefetch(["customer-1"])
    clock.advance(59.9)
    fresh = await host.get_entitlement("customer-1", "feature-metered")
    assert fresh.source is EntitlementSource.FRESH_CACHE
    transport.fail_with = _unreachable()
    clock.advance(0.2)
    stale = host.peek_entitlement("customer-1", "feature-metered")
    assert stale.source is EntitlementSource.STALE_CACHE


async def test_a_clock_without_timers_still_answers_warm_checks_fast(
    make_host: MakeHost, transport: FakeTransport
) -> None:
    """Without ``call_at`` the fast path reads the clock instead: same answers, same ttl."""
    inner = FakeClock()
    host = make_host(ttl=60, max_staleness=600, clock=NoTimerClock(inner))
    await host.prefetch(["customer-1"])
    assert not host._entitlements.store.live
    hits = host.entitlement_stats.fast_hits
    for _ in range(3):
        result = await host.get_entitlement("customer-1", "feature-metered", requested_usage=1)
        assert result.source is EntitlementSource.FRESH_CACHE
    assert host.entitlement_stats.fast_hits == hits + 3
    transport.fail_with = _unreachable()
    inner.advance(61)
    assert host.peek_entitlement("customer-1", "feature-metered").source is (
        EntitlementSource.STALE_CACHE
    )


def _unreachable() -> Any:
    return StiggConnectionError("unreachable", operation="GetEntitlementsBatch")


# -- the store ---------------------------------------------------------------------


def test_fresh_checks_are_live_until_the_ttl() -> None:
    clock = FakeClock()
    store = _store(clock)
    _load(store, clock, ttl=60)
    assert LIVE in store.live
    clock.advance(59.9)
    assert LIVE in store.live
    clock.advance(0.2)
    assert LIVE not in store.live
    assert store.fast_check(*KEY[:1], "f", None, 1) is None  # stale: the slow path answers


def test_a_usage_period_end_retires_the_check_before_the_ttl() -> None:
    clock = FakeClock()
    store = _store(clock)
    end = (clock.now() + timedelta(seconds=30)).isoformat()
    _load(store, clock, metered("f", 10, 9, usage_period_end=end), ttl=60)
    assert not store.fast_check(KEY[0], "f", None, 2).is_granted  # type: ignore[union-attr]
    clock.advance(30)
    assert LIVE not in store.live
    assert store.fast_check(KEY[0], "f", None, 2) is None  # period over: the slow path


def test_a_refresh_replaces_the_live_checks_and_their_timer() -> None:
    clock = FakeClock()
    store = _store(clock)
    _load(store, clock, ttl=60)
    first = store.live[LIVE]
    clock.advance(30)
    _load(store, clock, metered("f", 10, 5), ttl=60)
    second = store.live[LIVE]
    assert second is not first
    clock.advance(31)  # past the first snapshot's ttl: its (cancelled) timer does nothing
    assert store.live.get(LIVE) is second
    clock.advance(30)
    assert LIVE not in store.live


@pytest.mark.parametrize(
    "retire",
    [
        lambda store: store.mark_stale([KEY]),
        lambda store: store.remove(KEY),
        lambda store: store.clear(),
        lambda store: store.park(),
    ],
    ids=["mark_stale", "remove", "clear", "park"],
)
def test_every_way_out_of_the_cache_leaves_the_live_index(
    retire: Callable[[EntitlementStore], object],
) -> None:
    clock = FakeClock()
    store = _store(clock)
    _load(store, clock, metered("f", 10), entitlement("b"))
    assert len(store.live) == 2
    retire(store)
    assert not store.live


def test_unparking_serves_the_fresh_data_again() -> None:
    clock = FakeClock()
    store = _store(clock)
    _load(store, clock)
    store.park()
    assert store.fast_check(KEY[0], "f", None, None) is None
    store.unpark()
    assert LIVE in store.live
    assert store.fast_check(KEY[0], "f", None, None) is not None


def test_a_usage_answer_swaps_the_live_check() -> None:
    clock = FakeClock()
    store = _store(clock)
    _load(store, clock)
    before = store.live[LIVE]
    answer = {"customerId": KEY[0], "featureId": "f", "currentUsage": 7}
    assert store.apply_usage(answer)
    after = store.live[LIVE]
    assert after is not before
    assert after.usage == 7


def test_when_no_timer_can_be_set_the_clock_checked_path_answers() -> None:
    """``call_at`` raising (no running loop): nothing is indexed, the data still serves."""

    def no_loop(_when: float, _callback: Callable[[], object]) -> Timer:
        raise RuntimeError("no running event loop")

    clock = FakeClock()
    store = _store(clock, call_at=no_loop)
    _load(store, clock, ttl=60)
    assert not store.live
    assert store.fast_check(KEY[0], "f", None, 1) is not None
    clock.advance(61)
    assert store.fast_check(KEY[0], "f", None, 1) is None


def test_an_observer_turns_the_index_off_so_it_sees_every_check() -> None:
    clock = FakeClock()
    store = _store(clock)
    _load(store, clock)
    seen: list[Any] = []
    store.observe_checks(lambda *args: seen.append(args))
    assert not store.live
    assert store.fast_check(KEY[0], "f", None, 1) is not None
    assert len(seen) == 1
    store.observe_checks(None)
    assert LIVE in store.live


def test_hits_are_kept_across_refreshes_and_evictions() -> None:
    clock = FakeClock()
    store = _store(clock)
    _load(store, clock)
    for _ in range(3):
        store.fast_check(KEY[0], "f", None, 1)
    _load(store, clock)  # new checks: the old ones' hits are retired, not lost
    store.fast_check(KEY[0], "f", None, None)
    assert store.fast_hits == 4
    store.remove(KEY)
    assert store.fast_hits == 4


def test_reads_through_the_index_count_as_recent_for_the_idle_sweep() -> None:
    clock = FakeClock()
    store = _store(clock)
    _load(store, clock)
    now = clock.monotonic()
    store.sweep(now, idle_timeout=100)  # folds the load's own "used" flag
    store.fast_check(KEY[0], "f", None, 1)
    kept, dropped = store.sweep(now + 150, idle_timeout=100)
    assert (kept, dropped) == ([KEY], [])
    kept, dropped = store.sweep(now + 300, idle_timeout=100)  # unread since
    assert (kept, dropped) == ([], [KEY])


def test_a_loop_that_ends_with_the_cache_open_stops_the_live_index(
    transport: FakeTransport,
) -> None:
    """Its timers die with the loop: the data then serves only until its ttl."""
    clock = FakeClock()
    cache = EntitlementCache(
        transport=transport,  # type: ignore[arg-type]
        retry_policy=NO_RETRY,
        clock=clock,
        options=EntitlementCacheOptions(poll=False, streaming=False, ttl=60),
    )

    async def main() -> None:
        cache.start()
        await cache.prefetch([("customer-1", None)])
        assert cache.store.live

    asyncio.run(main())  # ends without closing the cache
    store = cache.store
    assert not store.live
    assert store.fast_check("customer-1", "feature-metered", None, 1) is not None
    clock.advance(61)
    assert store.fast_check("customer-1", "feature-metered", None, 1) is None


def test_one_timer_retires_every_snapshot_on_time() -> None:
    """The timer is armed at the earliest deadline only, and re-armed as each comes due."""
    clock = FakeClock()
    start = clock.monotonic()
    armed: list[float] = []

    def call_at(when: float, callback: Callable[[], object]) -> Timer:
        armed.append(when - start)
        return clock.call_at(when, callback)

    store = _store(clock, call_at=call_at)
    for customer, ttl in (("c-30", 30), ("c-10", 10), ("c-20", 20)):
        key = (customer, None)
        denial, parsed = parse_state(
            {"accessDeniedReason": None, "entitlements": [metered("f", 10)]}, key
        )
        store.upsert(key, denial, parsed, started=start, ttl=ttl, stale_window=3600)
    assert armed == [30, 10]  # c-20's deadline is later than the armed one

    def live() -> set[str]:
        return {customer for customer, _, _ in store.live}

    assert live() == {"c-10", "c-20", "c-30"}
    clock.advance(10)
    assert live() == {"c-20", "c-30"}
    clock.advance(10)
    assert live() == {"c-30"}
    clock.advance(10)
    assert live() == set()
    assert armed == [30, 10, 20, 30]


async def test_the_bound_checks_carry_the_documented_names_and_signatures(
    make_host: MakeHost,
) -> None:
    """What help() and introspection show of the instance's bound functions."""
    host = make_host()
    for name in ("get_entitlement", "peek_entitlement"):
        bound = getattr(host, name)
        method = getattr(_EntitlementMethods, name)
        assert bound is not getattr(type(host), name)  # the store's function
        assert bound.__doc__ == method.__doc__
        assert bound.__qualname__ == method.__qualname__
        expected = list(inspect.signature(method).parameters)[1:]  # without self
        assert list(inspect.signature(bound).parameters) == expected
    assert inspect.iscoroutinefunction(host.get_entitlement)


def _load_key(
    store: EntitlementStore, clock: FakeClock, customer: str, ttl: float, period: float | None
) -> None:
    key = (customer, None)
    end = None if period is None else (clock.now() + timedelta(seconds=period)).isoformat()
    ents = [metered("f", 10, customer_id=customer, usage_period_end=end)]
    denial, parsed = parse_state({"accessDeniedReason": None, "entitlements": ents}, key)
    store.upsert(key, denial, parsed, started=clock.monotonic(), ttl=ttl, stale_window=3600)


def _usage_answer(store: EntitlementStore, clock: FakeClock, customer: str, period: float) -> None:
    end = clock.now() + timedelta(seconds=period)
    assert store.apply_usage(
        {
            "customerId": customer,
            "featureId": "f",
            "currentUsage": 1,
            "usagePeriodEnd": end.isoformat(),
        }
    )


def test_a_usage_answer_that_ends_the_period_sooner_moves_the_deadline() -> None:
    clock = FakeClock()
    store = _store(clock)
    _load_key(store, clock, "c-1", ttl=40, period=None)
    _usage_answer(store, clock, "c-1", period=5)
    clock.advance(5)
    assert ("c-1", None, "f") not in store.live
    assert store.fast_check("c-1", "f", None, 1) is None  # period over: the slow path


def test_a_snapshot_indexed_again_when_due_keeps_the_others_on_time() -> None:
    """A period moved on by a usage answer re-indexes at its due time; others still retire."""
    clock = FakeClock()
    store = _store(clock)
    _load_key(store, clock, "c-1", ttl=40, period=10)
    _load_key(store, clock, "c-2", ttl=20, period=None)
    _usage_answer(store, clock, "c-1", period=50)  # c-1's period now ends after its ttl
    clock.advance(10)  # c-1's old deadline: indexed again until its ttl (40)
    assert ("c-1", None, "f") in store.live
    clock.advance(10)  # c-2's ttl
    assert ("c-2", None, "f") not in store.live
    clock.advance(20)
    assert not store.live
