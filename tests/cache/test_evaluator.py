"""The local decision rules of DESIGN section 4, over built snapshots (no I/O)."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import pytest

from stigg_async._cache import EntitlementSource, Fallback
from stigg_async._cache._evaluator import (
    answer_fresh,
    build_snapshot,
    evaluate,
    evaluate_fallback,
    fallback_entitlement,
)
from stigg_async._cache._model import _Snapshot, _Stamp, parse_state
from stigg_async._clock import FakeClock
from stigg_async._models._enums import AccessDeniedReason as R
from tests.cache.fakes import entitlement, metered

FRESH = EntitlementSource.FRESH_CACHE


def snap(
    clock: FakeClock, entitlements: list[dict[str, Any]], denial: str | None = None
) -> _Snapshot:
    reason, ents = parse_state({"accessDeniedReason": denial, "entitlements": entitlements})
    return build_snapshot(
        ("customer-1", None),
        reason,
        ents,
        now_mono=clock.monotonic(),
        now_wall=clock.now(),
        ttl=60,
        stale_window=3600,
        monotonic=clock.monotonic,
    )


def check(s: _Snapshot, clock: FakeClock, feature: str, requested: float | None = None) -> Any:
    return evaluate(s, feature, requested, clock.monotonic(), FRESH)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_customer_level_denial_denies_every_feature(clock: FakeClock) -> None:
    """Rule 1: a customer-level reason denies even features the plan grants."""
    s = snap(clock, [entitlement("feature-bool")], denial="NoActiveSubscription")
    result = check(s, clock, "feature-bool")
    assert result.is_granted is False
    assert result.access_denied_reason is R.NO_ACTIVE_SUBSCRIPTION


def test_missing_feature_is_denied_as_not_in_subscription(clock: FakeClock) -> None:
    """Rule 2: a feature absent from the snapshot is NoFeatureEntitlementInSubscription."""
    s = snap(clock, [entitlement("feature-bool")])
    result = check(s, clock, "feature-other")
    assert (result.is_granted, result.access_denied_reason) == (
        False,
        R.NO_FEATURE_ENTITLEMENT_IN_SUBSCRIPTION,
    )
    assert result.feature_id == "feature-other"


def test_server_denial_reason_on_entitlement_denies(clock: FakeClock) -> None:
    """Rule 3: a server-set accessDeniedReason wins over the feature type."""
    s = snap(clock, [entitlement("feature-bool", access_denied_reason="Revoked", is_granted=False)])
    result = check(s, clock, "feature-bool")
    assert (result.is_granted, result.access_denied_reason) == (False, R.REVOKED)


def test_server_exceeded_reason_on_metered_is_recomputed_locally(clock: FakeClock) -> None:
    """Rule 3 exception: RequestedUsageExceedingLimit on a metered entitlement is rule 6's."""
    s = snap(
        clock,
        [metered("feature-m", 10, 3, access_denied_reason="RequestedUsageExceedingLimit")],
    )
    assert check(s, clock, "feature-m", 7).is_granted is True
    assert check(s, clock, "feature-m", 8).is_granted is False


def test_boolean_feature_is_granted(clock: FakeClock) -> None:
    """Rule 4: BOOLEAN grants whatever usage is requested."""
    s = snap(clock, [entitlement("feature-bool")])
    assert check(s, clock, "feature-bool", 1_000).is_granted is True


def test_number_feature_without_meter_is_granted(clock: FakeClock) -> None:
    """Rule 4: NUMBER with meter None is a value (e.g. max file size), not a quota."""
    s = snap(
        clock,
        [entitlement("feature-size", feature_type="NUMBER", meter_type="None", usage_limit=5)],
    )
    result = check(s, clock, "feature-size", 50)
    assert result.is_granted is True
    assert result.usage_limit == 5


@pytest.mark.parametrize("flag", ["has_unlimited_usage", "has_soft_limit"])
def test_unlimited_or_soft_limit_is_granted_past_the_limit(clock: FakeClock, flag: str) -> None:
    """Rule 5: unlimited usage or a soft limit grants beyond usageLimit."""
    s = snap(clock, [metered("feature-m", 10, 10, **{flag: True})])
    assert check(s, clock, "feature-m", 5).is_granted is True


def test_metered_grants_up_to_the_limit_and_denies_past_it(clock: FakeClock) -> None:
    """Rule 6: granted iff currentUsage + requestedUsage <= usageLimit."""
    s = snap(clock, [metered("feature-m", 10, 3)])
    assert check(s, clock, "feature-m").is_granted is True
    assert check(s, clock, "feature-m", 7).is_granted is True
    denied = check(s, clock, "feature-m", 7.5)
    assert (denied.is_granted, denied.access_denied_reason) == (
        False,
        R.REQUESTED_USAGE_EXCEEDING_LIMIT,
    )
    assert denied.requested_usage == 7.5
    assert denied.current_usage == 3
    assert denied.remaining_usage == 7


def test_metered_at_limit_is_denied_even_with_no_requested_usage(clock: FakeClock) -> None:
    """Rule 6 with requested usage 0: usage already past the limit denies."""
    s = snap(clock, [metered("feature-m", 10, 11)])
    assert check(s, clock, "feature-m").is_granted is False


def test_usage_counts_as_zero_once_the_usage_period_ended(clock: FakeClock) -> None:
    """Rule 6 rollover: after usagePeriodEnd the usage is 0 until the next refresh."""
    end = (clock.now() + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    s = snap(clock, [metered("feature-m", 10, 10, usage_period_end=end)])
    assert check(s, clock, "feature-m", 1).is_granted is False
    clock.advance(3600)
    after = check(s, clock, "feature-m", 1)
    assert after.is_granted is True
    assert after.current_usage == 0


def test_next_reset_date_in_the_past_also_rolls_usage_over(clock: FakeClock) -> None:
    """Rule 6 rollover also follows nextResetDate."""
    past = (clock.now() - timedelta(seconds=1)).isoformat()
    s = snap(clock, [metered("feature-m", 10, 10, next_reset_date=past)])
    assert check(s, clock, "feature-m", 10).is_granted is True


def test_no_requested_usage_returns_the_prebuilt_answer(clock: FakeClock) -> None:
    """A fresh check without requested usage allocates nothing: same object each time."""
    s = snap(clock, [metered("feature-m", 10, 3)])
    assert check(s, clock, "feature-m") is check(s, clock, "feature-m")


def test_memoised_fresh_answer_matches_the_evaluator(clock: FakeClock) -> None:
    """answer_fresh (the warm path's builder) agrees with evaluate for every case."""
    s = snap(clock, [metered("feature-m", 10, 3), entitlement("feature-bool")])
    for feature in ("feature-m", "feature-bool"):
        for requested in (0, 1, 7, 8, 100):
            fast = answer_fresh(s.checks[feature], requested)
            slow = check(s, clock, feature, requested)
            assert tuple(fast[:6]) == tuple(slow[:6])
            assert s.checks[feature].memo[requested] is fast


def test_result_reports_source_and_lazy_age(clock: FakeClock) -> None:
    """A result carries its source and computes its age from the fetch time on access."""
    s = snap(clock, [entitlement("feature-bool")])
    result = check(s, clock, "feature-bool")
    assert result.source is FRESH
    clock.advance(12.5)
    assert result.age == pytest.approx(12.5)


def test_truth_value_of_a_result_is_refused(clock: FakeClock) -> None:
    """`if result:` would always be true for a tuple; it raises to force `.is_granted`."""
    s = snap(clock, [entitlement("feature-bool")])
    with pytest.raises(TypeError, match="is_granted"):
        bool(check(s, clock, "feature-bool"))


def test_fallback_without_configuration_denies_unknown(clock: FakeClock) -> None:
    """No fallback configured: deny with reason Unknown, source fallback."""
    stamp = _Stamp(clock.monotonic(), clock.monotonic)
    result = evaluate_fallback(fallback_entitlement("feature-x", None), None, stamp)
    assert (result.is_granted, result.access_denied_reason) == (False, R.UNKNOWN)
    assert result.source is EntitlementSource.FALLBACK


def test_configured_fallback_grants_within_its_limit(clock: FakeClock) -> None:
    """A configured fallback grants, and denies past its own usage limit."""
    stamp = _Stamp(clock.monotonic(), clock.monotonic)
    ent = fallback_entitlement("feature-x", Fallback(is_granted=True, usage_limit=5))
    assert evaluate_fallback(ent, 5, stamp).is_granted is True
    assert evaluate_fallback(ent, 6, stamp).is_granted is False


def test_unknown_feature_type_trusts_the_server_decision(clock: FakeClock) -> None:
    """A feature type this SDK does not know answers with the server's isGranted."""
    raw = entitlement("feature-new", is_granted=False)
    raw["feature"]["featureType"] = "SOMETHING_NEW"
    s = snap(clock, [raw])
    assert check(s, clock, "feature-new").is_granted is False


def test_infinite_limit_values_are_not_trusted_as_numbers(clock: FakeClock) -> None:
    """A non-finite usageLimit is treated as absent rather than as a float."""
    raw = metered("feature-m", 10)
    raw["usageLimit"] = math.inf
    s = snap(clock, [raw])
    assert s.checks["feature-m"].ent.usage_limit is None
