"""The store's fast path: it answers warm checks, and it agrees with the reference evaluator."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stigg_async._cache import EntitlementSource
from stigg_async._cache._evaluator import evaluate
from stigg_async._cache._model import parse_state
from stigg_async._cache._store import EntitlementStore
from stigg_async._clock import FakeClock
from stigg_async._usage._items import UsageRecord
from stigg_async._usage._observer import UsageOutcome
from tests.cache.conftest import MakeHost
from tests.cache.fakes import FakeTransport, entitlement, metered

KEY = ("customer-1", None)


def _store(clock: FakeClock, *, indexed: bool = False) -> EntitlementStore:
    """A store; ``indexed``: with timers, so warm checks come from the live index."""
    return EntitlementStore(
        max_entries=100,
        monotonic=clock.monotonic,
        wall=clock.now,
        on_evict=lambda _k: None,
        on_change=lambda _c: None,
        call_at=clock.call_at if indexed else None,
    )


def _record(feature: str, key: str, behavior: str, value: float) -> UsageRecord:
    return UsageRecord(KEY[0], feature, value, behavior, None, None, None, key, 0.0)


# -- the fast path is what answers warm checks --------------------------------------


async def test_warm_checks_never_reach_the_slow_path(
    make_host: MakeHost, transport: FakeTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the slow path broken, warm checks (awaited and peeked) still answer."""
    host = make_host()
    await host.prefetch(["customer-1"])
    cache = host._entitlements

    async def broken(*_a: Any, **_k: Any) -> Any:
        raise AssertionError("the slow path answered a warm check")

    def broken_peek(*_a: Any, **_k: Any) -> Any:
        raise AssertionError("the slow path answered a warm peek")

    monkeypatch.setattr(cache, "get", broken)
    monkeypatch.setattr(cache, "peek", broken_peek)
    for requested in (None, 0, 1, 2.5):
        result = await host.get_entitlement(
            "customer-1", "feature-metered", requested_usage=requested
        )
        assert result.source is EntitlementSource.FRESH_CACHE
        peeked = host.peek_entitlement("customer-1", "feature-metered", requested_usage=requested)
        assert peeked.is_granted == result.is_granted
    assert host.entitlement_stats.fast_hits == 8


async def test_a_check_after_tracking_is_answered_by_the_fast_path_with_the_pending_amount(
    make_host: MakeHost, transport: FakeTransport
) -> None:
    """Pending usage changes drop memoised answers; the fast path recomputes at once."""
    host = make_host()
    await host.prefetch(["customer-1"])
    store = host._entitlements.store
    before = await host.get_entitlement("customer-1", "feature-metered", requested_usage=1)
    hits = host.entitlement_stats.fast_hits
    store.usage_accepted(_record("feature-metered", "k1", "DELTA", before.remaining_usage or 0))
    after = await host.get_entitlement("customer-1", "feature-metered", requested_usage=1)
    assert before.is_granted
    assert not after.is_granted
    assert after.pending_usage == before.remaining_usage
    assert host.entitlement_stats.fast_hits == hits + 1


# -- the fast path agrees with the reference evaluator ------------------------------

_items = st.lists(
    st.tuples(st.sampled_from(["DELTA", "SET"]), st.integers(min_value=-3, max_value=12)),
    max_size=4,
)


@st.composite
def _cases(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["metered", "soft", "unlimited", "boolean", "value", "denied"]))
    limit = draw(st.integers(min_value=0, max_value=10))
    usage = draw(st.integers(min_value=0, max_value=12))
    return {
        "kind": kind,
        "limit": limit,
        "usage": usage,
        "period_over": draw(st.booleans()),
        "customer_denial": draw(st.sampled_from([None, None, None, "CustomerNotFound"])),
        "items": [
            (b, v if b == "DELTA" else abs(v)) for b, v in draw(_items)
        ],  # SET values are >= 0
        "settle": draw(st.lists(st.sampled_from(list(UsageOutcome)), max_size=4)),
        "requested": draw(st.one_of(st.none(), st.integers(0, 12), st.floats(0, 12))),
        "feature": draw(st.sampled_from(["f", "f", "f", "missing"])),
        "indexed": draw(st.booleans()),
    }


def _entitlement(case: dict[str, Any], clock: FakeClock) -> dict[str, Any]:
    end = clock.now() + timedelta(seconds=30)
    common: dict[str, Any] = {"usage_period_end": end.isoformat()}
    kind = case["kind"]
    if kind == "boolean":
        return entitlement("f")
    if kind == "value":
        return entitlement("f", feature_type="NUMBER", usage_limit=case["limit"])
    if kind == "denied":
        return entitlement("f", access_denied_reason="Revoked", is_granted=False)
    return metered(
        "f",
        case["limit"],
        case["usage"],
        has_soft_limit=kind == "soft",
        has_unlimited_usage=kind == "unlimited",
        **common,
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=_cases())
def test_fast_path_equals_the_reference_evaluator(case: dict[str, Any]) -> None:
    """On generated cases (pending usage, SET/DELTA, rollover, unlimited, soft, denials).

    Both ways a warm check is answered: from the live index (timers retire stale data
    and ended periods) and from the clock-checked snapshot.
    """
    clock = FakeClock()
    store = _store(clock, indexed=case["indexed"])
    denial, ents = parse_state(
        {
            "accessDeniedReason": case["customer_denial"],
            "entitlements": [_entitlement(case, clock)],
        },
        KEY,
    )
    store.upsert(KEY, denial, ents, started=clock.monotonic(), ttl=60, stale_window=3600)
    records = [_record("f", f"k{i}", b, v) for i, (b, v) in enumerate(case["items"])]
    for record in records:
        store.usage_accepted(record)
    for record, outcome in zip(records, case["settle"], strict=False):
        store.usage_settled(record, outcome)
    if case["period_over"]:
        clock.advance(31)
    requested = case["requested"]
    for _ in range(2):  # the second answer may come from the memo: it must agree too
        fast = store.fast_check(KEY[0], case["feature"], None, requested)
        snap = store.get(KEY)
        assert snap is not None
        ref = evaluate(
            snap, case["feature"], requested, clock.monotonic(), EntitlementSource.FRESH_CACHE
        )
        if fast is None:
            # Only what the fast path leaves to the slow path: a denial snapshot, an
            # absent feature, or a usage period that is over.
            assert snap.denial is not None or case["feature"] == "missing" or case["period_over"]
            continue
        assert (fast.is_granted, fast.access_denied_reason) == (
            ref.is_granted,
            ref.access_denied_reason,
        )
        assert (fast.current_usage, fast.pending_usage) == (ref.current_usage, ref.pending_usage)


def test_unknown_outcomes_of_uncached_keys_do_not_accumulate() -> None:
    """No refresh will settle an unknown item of a key nobody caches: it is not kept."""
    clock = FakeClock()
    store = _store(clock)
    record = _record("f", "k-unknown", "DELTA", 5)
    store.usage_accepted(record)
    assert store.pending_items == 1
    store.usage_settled(record, UsageOutcome.UNKNOWN)
    assert store.pending_items == 0


def test_evicting_a_key_drops_its_unknown_items_but_keeps_those_in_flight() -> None:
    """Eviction forgets what only a refresh of that key could settle."""
    clock = FakeClock()
    store = _store(clock)
    denial, ents = parse_state(
        {"accessDeniedReason": None, "entitlements": [metered("f", 10)]}, KEY
    )
    store.upsert(KEY, denial, ents, started=clock.monotonic(), ttl=60, stale_window=3600)
    unknown, flying = _record("f", "k1", "DELTA", 2), _record("f", "k2", "DELTA", 3)
    store.usage_accepted(unknown)
    store.usage_accepted(flying)
    store.usage_settled(unknown, UsageOutcome.UNKNOWN)
    assert store.pending_usage(KEY, "f") == 5
    store.remove(KEY)
    assert store.pending_usage(KEY, "f") == 3
    store.usage_settled(flying, UsageOutcome.DELIVERED)
    assert store.pending_items == 0
