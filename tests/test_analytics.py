"""Entitlement-check analytics: sampling, bounded buffer, batching, background sending."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

import pytest

from stigg_async import (
    AccessDeniedReason,
    AsyncStigg,
    EntitlementAnalyticsOptions,
    StiggConfigurationError,
    StiggServerError,
)
from stigg_async._analytics import EntitlementCheckReporter, check_payload
from stigg_async._clock import FakeClock
from stigg_async.emulator import Emulator
from stigg_async.emulator._admin import entitlement_checks
from stigg_async.testing import STIGG_EMULATOR_API_KEY

GRANTED = SimpleNamespace(
    is_granted=True, usage_limit=10.0, current_usage=3.0, has_unlimited_usage=False
)


class Sink:
    """A sender that records each batch; ``fail`` makes the next sends raise."""

    def __init__(self) -> None:
        self.batches: list[list[Mapping[str, Any]]] = []
        self.fail = False

    async def __call__(self, payloads: Sequence[Mapping[str, Any]]) -> None:
        if self.fail:
            raise StiggServerError("boom", status=503)
        self.batches.append(list(payloads))


def reporter(sink: Sink, clock: FakeClock, **options: Any) -> EntitlementCheckReporter:
    opts = EntitlementAnalyticsOptions(**{"enabled": True, **options})
    return EntitlementCheckReporter(opts, send=sink, clock=clock)


async def settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def test_disabled_by_default_records_nothing() -> None:
    """Without enabled=True, record keeps nothing and no task starts."""
    sink = Sink()
    rep = EntitlementCheckReporter(EntitlementAnalyticsOptions(), send=sink, clock=FakeClock())
    rep.start()
    assert rep.record("c-1", None, "f", None, GRANTED) is False
    assert rep.stats.recorded == 0
    await rep.aclose()
    assert sink.batches == []


async def test_full_batch_is_sent_in_the_background_without_waiting_for_the_interval() -> None:
    """batch_size checks wake the sender at once; fewer wait for flush_interval."""
    clock, sink = FakeClock(), Sink()
    rep = reporter(sink, clock, batch_size=3, flush_interval=10)
    rep.start()
    for i in range(4):
        assert rep.record(f"c-{i}", None, "feature-01-templates", None, GRANTED)
    await settle()
    assert [len(b) for b in sink.batches] == [3]
    assert rep.stats.pending == 1
    await clock.run_for(10)
    await settle()
    assert [len(b) for b in sink.batches] == [3, 1]
    assert rep.stats.sent == 4
    await rep.aclose()


async def test_sampling_keeps_about_the_configured_fraction() -> None:
    """sample_rate=0.25 over 2000 checks keeps roughly a quarter (seeded clock)."""
    rep = reporter(Sink(), FakeClock(), sample_rate=0.25, max_buffer=5000)
    kept = sum(rep.record("c", None, "f", None, GRANTED) for _ in range(2000))
    assert 400 < kept < 600
    assert rep.stats.sampled_out == 2000 - kept


async def test_zero_sample_rate_keeps_nothing() -> None:
    """sample_rate=0 reports no check at all."""
    rep = reporter(Sink(), FakeClock(), sample_rate=0)
    assert not any(rep.record("c", None, "f", None, GRANTED) for _ in range(50))


async def test_full_buffer_drops_new_checks_and_counts_them() -> None:
    """Beyond max_buffer, record refuses without waiting."""
    rep = reporter(Sink(), FakeClock(), max_buffer=2, batch_size=10)
    results = [rep.record("c", None, "f", None, GRANTED) for _ in range(5)]
    assert results == [True, True, False, False, False]
    assert (rep.stats.pending, rep.stats.dropped) == (2, 3)


async def test_a_failed_batch_is_dropped_counted_and_the_sender_keeps_going() -> None:
    """Best effort: failures are counted, logged and never raised to the caller."""
    clock, sink = FakeClock(), Sink()
    rep = reporter(sink, clock, batch_size=2)
    rep.start()
    sink.fail = True
    rep.record("c", None, "f", None, GRANTED)
    rep.record("c", None, "f", None, GRANTED)
    await settle()
    assert rep.stats.failed == 2
    sink.fail = False
    rep.record("c", None, "f", None, GRANTED)
    rep.record("c", None, "f", None, GRANTED)
    await settle()
    assert rep.stats.sent == 2
    await rep.aclose()


async def test_close_flushes_what_is_left_and_refuses_later_checks() -> None:
    """aclose sends the partial batch; afterwards record is a no-op."""
    clock, sink = FakeClock(), Sink()
    rep = reporter(sink, clock, batch_size=50)
    rep.start()
    rep.record("c", None, "f", None, GRANTED)
    stats = await rep.aclose()
    assert (stats.sent, stats.pending) == (1, 0)
    assert rep.record("c", None, "f", None, GRANTED) is False


def test_payload_carries_the_decision_and_drops_unknown_enum_values() -> None:
    """A denial reason the schema knows is sent; an unknown one is left out."""
    denied = SimpleNamespace(
        is_granted=False,
        access_denied_reason=AccessDeniedReason.REQUESTED_USAGE_EXCEEDING_LIMIT,
        usage_limit=5,
        current_usage=5,
        reset_period="MONTH",
        next_reset_date=datetime(2026, 2, 1, tzinfo=timezone.utc),
    )
    payload = check_payload("c-1", "site-1", "f", 2, denied)
    assert payload == {
        "customerId": "c-1",
        "featureId": "f",
        "resourceId": "site-1",
        "requestedUsage": 2.0,
        "entitlementCheckResult": {
            "hasAccess": False,
            "accessDeniedReason": "RequestedUsageExceedingLimit",
            "usageLimit": 5.0,
            "currentUsage": 5.0,
            "resetPeriod": "MONTH",
            "nextResetDate": "2026-02-01T00:00:00+00:00",
            "requestedUsage": 2.0,
        },
    }
    odd = SimpleNamespace(is_granted=False, access_denied_reason="SomethingNew")
    assert (
        "accessDeniedReason"
        not in check_payload("c", None, "f", None, odd)["entitlementCheckResult"]
    )


@pytest.mark.parametrize(
    "options",
    [
        {"sample_rate": 1.5},
        {"sample_rate": float("nan")},
        {"batch_size": 0},
        {"max_buffer": True},
        {"flush_interval": 0},
        {"enabled": "yes"},
    ],
)
def test_bad_options_are_configuration_errors(options: dict[str, Any]) -> None:
    """Out-of-range analytics options fail at construction."""
    with pytest.raises(StiggConfigurationError):
        EntitlementAnalyticsOptions(**options)


async def test_checks_reach_the_emulator_in_aliased_batches(
    stigg_emulator: Emulator, stigg_emulator_clock: FakeClock
) -> None:
    """End to end: recorded checks arrive as reportEntitlementCheckRequested, two per request."""
    stigg_emulator.state.provision_customer("c-1")
    options = EntitlementAnalyticsOptions(enabled=True, batch_size=2, flush_interval=5)
    async with AsyncStigg(
        api_key=STIGG_EMULATOR_API_KEY,
        api_url=stigg_emulator.url,
        clock=stigg_emulator_clock,
        analytics=options,
    ) as stigg:
        features = ("feature-01-templates", "feature-02-campaigns", "feature-04-analytics")
        for feature in features:
            assert stigg._analytics.record("c-1", None, feature, 1, GRANTED)
    # Closing delivered the partial last batch after the full one.
    assert stigg.analytics_stats.sent == 3
    assert stigg_emulator.counters.operation("ReportEntitlementChecks") == 2
    checks = entitlement_checks(stigg_emulator.state)
    assert [c["featureId"] for c in checks] == list(features)
    assert checks[0]["entitlementCheckResult"]["hasAccess"] is True
    assert checks[0]["requestedUsage"] == 1


async def test_report_entitlement_check_sends_one_validated_check(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """The direct method validates its input, sends one check and returns the answer."""
    stigg_emulator.state.provision_customer("c-1")
    assert await stigg_client.report_entitlement_check(
        "c-1", "feature-01-templates", {"has_access": False, "access_denied_reason": "Revoked"}
    )
    (check,) = entitlement_checks(stigg_emulator.state)
    assert check["entitlementCheckResult"] == {"hasAccess": False, "accessDeniedReason": "Revoked"}


async def test_checks_of_unknown_customers_do_not_fail_their_batch(
    stigg_emulator: Emulator, stigg_emulator_clock: FakeClock
) -> None:
    """A denial for an unknown customer is reported alongside the others."""
    stigg_emulator.state.provision_customer("c-1")
    options = EntitlementAnalyticsOptions(enabled=True, batch_size=10)
    denied = SimpleNamespace(
        is_granted=False, access_denied_reason=AccessDeniedReason.CUSTOMER_NOT_FOUND
    )
    async with AsyncStigg(
        api_key=STIGG_EMULATOR_API_KEY,
        api_url=stigg_emulator.url,
        clock=stigg_emulator_clock,
        analytics=options,
    ) as stigg:
        stigg._analytics.record("c-1", None, "feature-01-templates", None, GRANTED)
        stigg._analytics.record("ghost", None, "feature-01-templates", None, denied)
    assert (stigg.analytics_stats.sent, stigg.analytics_stats.failed) == (2, 0)
    reasons = [
        c["entitlementCheckResult"].get("accessDeniedReason")
        for c in entitlement_checks(stigg_emulator.state)
    ]
    assert reasons == [None, "CustomerNotFound"]


@pytest.mark.parametrize("enabled", [True, False], ids=["on", "off"])
async def test_local_checks_are_offered_to_the_reporter_only_when_enabled(
    stigg_emulator: Emulator, stigg_emulator_clock: FakeClock, enabled: bool
) -> None:
    """Warm (fast path) and cold checks are recorded when analytics are on; none when off."""
    stigg_emulator.state.provision_customer("c-an")
    stigg_emulator.state.provision_subscription("c-an", "plan-revvenu-basic")
    async with AsyncStigg(
        api_key=STIGG_EMULATOR_API_KEY,
        api_url=stigg_emulator.url,
        clock=stigg_emulator_clock,
        entitlements={"poll": False},
        analytics=EntitlementAnalyticsOptions(enabled=enabled),
    ) as stigg:
        await stigg.get_entitlement("c-an", "feature-02-campaigns")  # cold: slow path
        for _ in range(3):  # warm: fast path
            await stigg.get_entitlement("c-an", "feature-02-campaigns", requested_usage=1)
        assert stigg.entitlement_stats.fast_hits == 3
        assert stigg.analytics_stats.recorded == (4 if enabled else 0)
