"""The live index under random histories: it never serves what the clock would refuse.

A state machine drives one store through refreshes, usage answers, pending usage,
time passing, staleness, removal, parking and observers. After every step:

* every indexed check belongs to the current snapshot of its key, which is fresh,
  and its usage period lasts (so a check that skips the clock is never wrong);
* every warm check (indexed or not) answers what the reference evaluator answers.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from stigg_async._cache import EntitlementSource
from stigg_async._cache._evaluator import evaluate
from stigg_async._cache._model import parse_state
from stigg_async._cache._store import EntitlementStore
from stigg_async._clock import FakeClock
from stigg_async._usage._items import UsageRecord
from stigg_async._usage._observer import UsageOutcome
from tests.cache.fakes import entitlement, metered

CUSTOMERS = ("c-1", "c-2")
FEATURES = ("f", "g")


class LiveIndexMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.store = EntitlementStore(
            max_entries=100,
            monotonic=self.clock.monotonic,
            wall=self.clock.now,
            on_evict=lambda _k: None,
            on_change=lambda _c: None,
            call_at=self.clock.call_at,
        )
        self.records: list[UsageRecord] = []
        self.minted = 0

    @rule(
        customer=st.sampled_from(CUSTOMERS),
        ttl=st.integers(1, 40),
        usage=st.integers(0, 12),
        limit=st.integers(0, 10),
        period=st.one_of(st.none(), st.integers(1, 60)),
    )
    def refresh(self, customer: str, ttl: int, usage: int, limit: int, period: int | None) -> None:
        end = None if period is None else (self.clock.now() + timedelta(seconds=period))
        key = (customer, None)
        ents = [
            metered(
                "f",
                limit,
                usage,
                customer_id=customer,
                usage_period_end=None if end is None else end.isoformat(),
            ),
            entitlement("g", customer_id=customer),
        ]
        denial, parsed = parse_state({"accessDeniedReason": None, "entitlements": ents}, key)
        self.store.upsert(
            key, denial, parsed, started=self.clock.monotonic(), ttl=ttl, stale_window=3600
        )

    @rule(customer=st.sampled_from(CUSTOMERS), usage=st.integers(0, 12), period=st.integers(1, 60))
    def usage_answer(self, customer: str, usage: int, period: int) -> None:
        end = self.clock.now() + timedelta(seconds=period)
        self.store.apply_usage(
            {
                "customerId": customer,
                "featureId": "f",
                "currentUsage": usage,
                "usagePeriodEnd": end.isoformat(),
                "timestamp": self.clock.now().isoformat(),
            }
        )

    @rule(customer=st.sampled_from(CUSTOMERS), amount=st.integers(-2, 5))
    def track(self, customer: str, amount: int) -> None:
        self.minted += 1
        record = UsageRecord(
            customer, "f", amount, "DELTA", None, None, None, f"k{self.minted}", 0.0
        )
        self.records.append(record)
        self.store.usage_accepted(record)

    @rule(data=st.data(), outcome=st.sampled_from(list(UsageOutcome)))
    def settle(self, data: st.DataObject, outcome: UsageOutcome) -> None:
        if self.records:
            record = self.records.pop(data.draw(st.integers(0, len(self.records) - 1)))
            self.store.usage_settled(record, outcome)

    @rule(seconds=st.floats(0.1, 30))
    def time_passes(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @rule(customer=st.sampled_from(CUSTOMERS))
    def mark_stale(self, customer: str) -> None:
        self.store.mark_stale([(customer, None)])

    @rule(customer=st.sampled_from(CUSTOMERS))
    def remove(self, customer: str) -> None:
        self.store.remove((customer, None))

    @rule()
    def park_and_unpark(self) -> None:
        self.store.park()
        self.store.unpark()

    @rule(on=st.booleans())
    def observe(self, on: bool) -> None:
        self.store.observe_checks((lambda *_a: None) if on else None)

    @invariant()
    def indexed_checks_are_current_fresh_and_in_period(self) -> None:
        now = self.clock.monotonic()
        for (customer, resource, feature), check in self.store.live.items():
            snap = self.store.get((customer, resource))
            assert snap is not None
            assert snap.checks[feature] is check
            assert now < snap.fresh_until
            assert now < check.reset_at

    @invariant()
    def warm_checks_agree_with_the_reference_evaluator(self) -> None:
        now = self.clock.monotonic()
        for customer in CUSTOMERS:
            snap = self.store.get((customer, None))
            for feature in FEATURES:
                for requested in (None, 1, 2.5):
                    fast = self.store.fast_check(customer, feature, None, requested)
                    if fast is None:
                        continue
                    assert snap is not None
                    ref = evaluate(snap, feature, requested, now, EntitlementSource.FRESH_CACHE)
                    got: Any = (fast.is_granted, fast.current_usage, fast.pending_usage)
                    assert got == (ref.is_granted, ref.current_usage, ref.pending_usage)


LiveIndexMachine.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_live_index_under_random_histories = LiveIndexMachine.TestCase
