"""The OpenFeature provider, driven through the real OpenFeature SDK against the emulator."""

from __future__ import annotations

import asyncio
import itertools
import math
import queue
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from openfeature import api
from openfeature.client import OpenFeatureClient
from openfeature.evaluation_context import EvaluationContext
from openfeature.event import EventDetails, ProviderEvent
from openfeature.exception import ErrorCode, ProviderFatalError, ProviderNotReadyError
from openfeature.flag_evaluation import Reason
from openfeature.provider import ProviderStatus
from openfeature.track import TrackingEventDetails

from stigg_async import AsyncStigg, EntitlementCacheOptions, Fallback, StiggConfigurationError
from stigg_async.emulator import Emulator, Fault
from stigg_async.integrations.openfeature import StiggProvider
from stigg_async.testing import STIGG_EMULATOR_API_KEY, FakeClock

CAMPAIGNS = "feature-02-campaigns"  # basic: 4 a month
ANALYTICS = "feature-04-analytics"  # not in basic
TEMPLATES = "feature-01-templates"  # basic: 3
DOMAIN = "feature-03-custom-domain"  # boolean, not in basic

_domains = (f"stigg-test-{n}" for n in itertools.count())


@pytest_asyncio.fixture(autouse=True)
async def _clean_openfeature() -> AsyncIterator[None]:
    """OpenFeature's registry is global: leave it as each test found it (on the loop,
    so each provider's status watch is cancelled there)."""
    yield
    api.clear_providers()


@pytest_asyncio.fixture
async def stigg(
    stigg_emulator: Emulator, stigg_emulator_clock: FakeClock
) -> AsyncIterator[AsyncStigg]:
    """A client on the emulator's fake clock, no retries (faults fail at once), no poller."""
    stigg_emulator.state.provision_customer("customer-basic")
    stigg_emulator.state.provision_subscription("customer-basic", "plan-revvenu-basic")
    async with AsyncStigg(
        api_key=STIGG_EMULATOR_API_KEY,
        api_url=stigg_emulator.url,
        clock=stigg_emulator_clock,
        max_retries=0,
        entitlements=EntitlementCacheOptions(poll=False, streaming=False),
    ) as client:
        yield client


def flags_for(provider: StiggProvider) -> OpenFeatureClient:
    """A fresh OpenFeature domain bound to ``provider``, initialised."""
    domain = next(_domains)
    api.set_provider_and_wait(provider, domain)
    return api.get_client(domain)


class Events:
    """Provider events as a client's handlers saw them (OpenFeature runs handlers on a pool)."""

    def __init__(self, flags: OpenFeatureClient, *kinds: ProviderEvent) -> None:
        self._queue: queue.Queue[tuple[ProviderEvent, EventDetails]] = queue.Queue()
        for kind in kinds:
            flags.add_handler(kind, lambda details, kind=kind: self._queue.put((kind, details)))

    def next(self) -> tuple[ProviderEvent, EventDetails]:
        """The next event, waiting for the handler thread (bounded: a missing event fails)."""
        return self._queue.get(timeout=10)


def basic(**attributes: object) -> EvaluationContext:
    return EvaluationContext("customer-basic", dict(attributes))  # type: ignore[arg-type]


async def test_async_boolean_is_the_entitlement_check_with_network_then_cached_reason(
    stigg: AsyncStigg,
) -> None:
    """A first async evaluation waits for the API; the next is answered from the cache."""
    flags = flags_for(StiggProvider(stigg))
    first = await flags.get_boolean_details_async(CAMPAIGNS, False, basic())
    assert (first.value, first.reason, first.variant) == (True, Reason.TARGETING_MATCH, "granted")
    assert first.flag_metadata["source"] == "network"
    second = await flags.get_boolean_details_async(CAMPAIGNS, False, basic())
    assert (second.value, second.reason) == (True, Reason.CACHED)
    denied = await flags.get_boolean_details_async(ANALYTICS, True, basic())
    assert (denied.value, denied.variant, denied.error_code) == (False, "denied", None)
    assert denied.flag_metadata["access_denied_reason"] == "NoFeatureEntitlementInSubscription"


async def test_sync_boolean_never_waits_and_answers_from_the_cache_once_loaded(
    stigg: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """A cold sync evaluation returns the default at once; it starts the load it lacked."""
    flags = flags_for(StiggProvider(stigg))
    before = stigg_emulator.counters.total
    cold = flags.get_boolean_details(CAMPAIGNS, False, basic())
    assert (cold.value, cold.reason, cold.error_code) == (False, Reason.ERROR, ErrorCode.GENERAL)
    assert stigg_emulator.counters.total == before  # nothing was awaited
    await stigg.get_entitlement("customer-basic", CAMPAIGNS)  # joins the started fetch
    assert stigg_emulator.counters.total == before + 1
    warm = flags.get_boolean_details(CAMPAIGNS, False, basic())
    assert (warm.value, warm.reason) == (True, Reason.CACHED)


async def test_configured_fallback_resolves_with_reason_default(
    stigg_emulator: Emulator, stigg_emulator_clock: FakeClock
) -> None:
    """With nothing cached, a feature's configured fallback is the value, reason DEFAULT."""
    options = EntitlementCacheOptions(
        poll=False, streaming=False, fallbacks={DOMAIN: Fallback(is_granted=True)}
    )
    async with AsyncStigg(
        api_key=STIGG_EMULATOR_API_KEY,
        api_url=stigg_emulator.url,
        clock=stigg_emulator_clock,
        entitlements=options,
    ) as client:
        flags = flags_for(StiggProvider(client))
        details = flags.get_boolean_details(DOMAIN, False, EvaluationContext("nobody-yet"))
        assert (details.value, details.reason, details.error_code) == (True, Reason.DEFAULT, None)


async def test_requested_usage_and_resource_come_from_context_attributes(
    stigg: AsyncStigg,
) -> None:
    """``requested_usage`` beyond the limit denies; a malformed attribute is INVALID_CONTEXT."""
    flags = flags_for(StiggProvider(stigg))
    fits = await flags.get_boolean_details_async(CAMPAIGNS, False, basic(requested_usage=4))
    over = await flags.get_boolean_details_async(CAMPAIGNS, True, basic(requested_usage=5))
    assert (fits.value, over.value) == (True, False)
    assert over.flag_metadata["access_denied_reason"] == "RequestedUsageExceedingLimit"
    bad = await flags.get_boolean_details_async(CAMPAIGNS, True, basic(requested_usage="many"))
    assert (bad.value, bad.error_code) == (True, ErrorCode.INVALID_CONTEXT)
    scoped = await flags.get_boolean_details_async(CAMPAIGNS, True, basic(resource_id="site-a"))
    assert scoped.flag_metadata["source"] == "network"  # another cache key: fetched anew
    renamed = flags_for(StiggProvider(stigg, requested_usage_attribute="units"))
    assert await renamed.get_boolean_value_async(CAMPAIGNS, True, basic(units=9)) is False


async def test_missing_targeting_key_returns_the_default_with_its_error_code(
    stigg: AsyncStigg,
) -> None:
    """Without a customer there is nothing to check: TARGETING_KEY_MISSING, default value."""
    flags = flags_for(StiggProvider(stigg))
    details = await flags.get_boolean_details_async(CAMPAIGNS, True, EvaluationContext())
    assert (details.value, details.error_code) == (True, ErrorCode.TARGETING_KEY_MISSING)


async def test_numbers_resolve_to_the_limit_or_the_remaining_usage(
    stigg: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """Integer flags give the limit (or what is left); unlimited floats are infinite."""
    limits = flags_for(StiggProvider(stigg))
    remaining = flags_for(StiggProvider(stigg, number_value="remaining_usage"))
    assert await limits.get_integer_value_async(CAMPAIGNS, 0, basic()) == 4
    await stigg.report_usage(customer_id="customer-basic", feature_id=CAMPAIGNS, value=1)
    assert await remaining.get_integer_value_async(CAMPAIGNS, 0, basic()) == 3
    assert remaining.get_float_value(CAMPAIGNS, 0.0, basic()) == 3.0
    boolean = await limits.get_integer_details_async(ANALYTICS, 7, basic())
    assert (boolean.value, boolean.reason) == (7, Reason.DEFAULT)
    stigg_emulator.state.grant_promotion("customer-basic", TEMPLATES, unlimited=True)
    await stigg.refresh_entitlements("customer-basic")
    assert math.isinf(await limits.get_float_value_async(TEMPLATES, 0.0, basic()))
    assert await limits.get_integer_value_async(TEMPLATES, -1, basic()) == -1


async def test_objects_carry_the_whole_entitlement(stigg: AsyncStigg) -> None:
    """An object flag is the entitlement as a mapping, absent values left out."""
    flags = flags_for(StiggProvider(stigg))
    value = await flags.get_object_value_async(CAMPAIGNS, {}, basic(requested_usage=1))
    assert isinstance(value, dict)
    assert value["is_granted"] is True
    assert (value["usage_limit"], value["requested_usage"], value["reset_period"]) == (
        4,
        1,
        "MONTH",
    )
    assert value["feature"] == {  # type: ignore[comparison-overlap]
        "id": CAMPAIGNS,
        "display_name": "Campaigns",
        "feature_type": "NUMBER",
        "meter_type": "Incremental",
        "units": "campaign",
        "units_plural": "campaigns",
    }
    assert "access_denied_reason" not in value
    synced = flags.get_object_value(CAMPAIGNS, {}, basic())
    assert isinstance(synced, dict)
    assert synced["source"] == "fresh_cache"


async def test_string_flags_are_a_type_mismatch(stigg: AsyncStigg) -> None:
    """Stigg has no string answers; the default comes back with TYPE_MISMATCH."""
    flags = flags_for(StiggProvider(stigg))
    details = await flags.get_string_details_async(CAMPAIGNS, "x", basic())
    assert (details.value, details.error_code) == ("x", ErrorCode.TYPE_MISMATCH)


async def test_changed_entitlements_emit_configuration_changed_with_the_features(
    stigg: AsyncStigg,
) -> None:
    """The first load, then usage written through the cache, announce the changed flag keys."""
    flags = flags_for(StiggProvider(stigg))
    events = Events(flags, ProviderEvent.PROVIDER_CONFIGURATION_CHANGED)
    await flags.get_boolean_value_async(CAMPAIGNS, False, basic())
    kind, loaded = events.next()
    assert kind is ProviderEvent.PROVIDER_CONFIGURATION_CHANGED
    assert CAMPAIGNS in (loaded.flags_changed or [])
    assert loaded.metadata == {"customer_id": "customer-basic", "cause": "refresh"}
    await stigg.report_usage(customer_id="customer-basic", feature_id=CAMPAIGNS, value=2)
    _, used = events.next()
    assert used.flags_changed == [CAMPAIGNS]
    assert used.metadata == {"customer_id": "customer-basic", "cause": "usage"}


async def test_outage_moves_the_provider_to_stale_and_back_to_ready(
    stigg: AsyncStigg, stigg_emulator: Emulator, stigg_emulator_clock: FakeClock
) -> None:
    """A failing refresh after a success is STALE (old answers served), then READY again."""
    flags = flags_for(StiggProvider(stigg))
    events = Events(flags, ProviderEvent.PROVIDER_STALE, ProviderEvent.PROVIDER_READY)
    assert events.next()[0] is ProviderEvent.PROVIDER_READY  # run once for a READY provider
    await flags.get_boolean_value_async(CAMPAIGNS, False, basic())
    rule = stigg_emulator.faults.add(Fault.http_error(503))
    stigg_emulator_clock.advance(120)  # past the ttl
    stale = await flags.get_boolean_details_async(CAMPAIGNS, False, basic())
    assert (stale.value, stale.reason) == (True, Reason.STALE)
    assert flags.get_provider_status() is ProviderStatus.STALE
    kind, details = events.next()
    assert kind is ProviderEvent.PROVIDER_STALE
    assert details.message  # the cache says why, in words
    stigg_emulator.faults.remove(rule)
    await stigg.refresh_entitlements("customer-basic")
    again = await flags.get_boolean_details_async(CAMPAIGNS, False, basic())
    assert (again.value, again.reason) == (True, Reason.CACHED)
    assert flags.get_provider_status() is ProviderStatus.READY
    assert events.next()[0] is ProviderEvent.PROVIDER_READY


async def test_a_rejected_key_before_any_success_fails_initialisation(
    stigg_emulator: Emulator, stigg_emulator_clock: FakeClock
) -> None:
    """Nothing can be served with a wrong key: the provider is not READY but in ERROR."""
    async with AsyncStigg(
        api_key="wrong-key", api_url=stigg_emulator.url, clock=stigg_emulator_clock
    ) as client:
        await client.get_entitlement("customer-basic", CAMPAIGNS)
        provider = StiggProvider(client)
        with pytest.raises(ProviderNotReadyError):
            api.set_provider_and_wait(provider, "stigg-wrong-key")
        assert api.get_client("stigg-wrong-key").get_provider_status() is ProviderStatus.ERROR


async def test_a_closed_client_is_fatal(stigg_emulator: Emulator) -> None:
    """A closed client will never answer: initialisation fails with PROVIDER_FATAL."""
    client = await AsyncStigg(api_key=STIGG_EMULATOR_API_KEY, api_url=stigg_emulator.url).open()
    await client.aclose()
    with pytest.raises(ProviderFatalError):
        api.set_provider_and_wait(StiggProvider(client), "stigg-closed")
    assert api.get_client("stigg-closed").get_provider_status() is ProviderStatus.FATAL


async def test_track_reports_usage_of_the_named_feature(
    stigg: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """``track(feature, context, details)`` queues usage that reaches the API."""
    flags = flags_for(StiggProvider(stigg))
    flags.track(CAMPAIGNS, basic(), TrackingEventDetails(value=3))
    flags.track(CAMPAIGNS, basic())
    await stigg.flush()
    fetched = await stigg.fetch_entitlement("customer-basic", CAMPAIGNS)
    assert fetched.current_usage == 4
    assert await flags.get_boolean_value_async(CAMPAIGNS, True, basic(requested_usage=1)) is False


async def test_bad_configuration_is_refused(stigg: AsyncStigg) -> None:
    """Options are checked when the provider is built."""
    with pytest.raises(StiggConfigurationError, match="number_value"):
        StiggProvider(stigg, number_value="limit")  # type: ignore[arg-type]
    with pytest.raises(StiggConfigurationError, match="AsyncStigg"):
        StiggProvider(object())  # type: ignore[arg-type]
    for interval in (0, -1, math.nan, True):
        with pytest.raises(StiggConfigurationError, match="status_interval"):
            StiggProvider(stigg, status_interval=interval)


async def test_sync_evaluation_from_another_thread_answers_from_the_cache(
    stigg: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """A worker thread's sync evaluation reads the cache; a miss there loads on the loop."""
    flags = flags_for(StiggProvider(stigg))
    await flags.get_boolean_value_async(CAMPAIGNS, False, basic())
    warm = await asyncio.to_thread(flags.get_boolean_details, CAMPAIGNS, False, basic())
    assert (warm.value, warm.reason) == (True, Reason.CACHED)
    stigg_emulator.state.provision_customer("customer-other")
    stigg_emulator.state.provision_subscription("customer-other", "plan-revvenu-basic")
    other = EvaluationContext("customer-other")
    before = stigg_emulator.counters.total
    cold = await asyncio.to_thread(flags.get_boolean_details, CAMPAIGNS, False, other)
    assert (cold.value, cold.error_code) == (False, ErrorCode.GENERAL)
    for _ in range(10_000):  # let the loop run the fetch the thread scheduled
        if stigg_emulator.counters.total > before:
            break
        await asyncio.sleep(0)
    assert stigg_emulator.counters.total == before + 1
    await stigg.get_entitlement("customer-other", CAMPAIGNS)  # joins or finds it
    assert stigg_emulator.counters.total == before + 1
    loaded = await asyncio.to_thread(flags.get_boolean_details, CAMPAIGNS, False, other)
    assert (loaded.value, loaded.reason) == (True, Reason.CACHED)


async def test_the_status_watch_announces_an_outage_without_evaluations(
    stigg: AsyncStigg, stigg_emulator: Emulator, stigg_emulator_clock: FakeClock
) -> None:
    """Every ``status_interval`` the provider looks at the cache: STALE arrives unasked."""
    provider = StiggProvider(stigg, status_interval=5, clock=stigg_emulator_clock)
    flags = flags_for(provider)
    events = Events(flags, ProviderEvent.PROVIDER_STALE, ProviderEvent.PROVIDER_READY)
    assert events.next()[0] is ProviderEvent.PROVIDER_READY  # run once for a READY provider
    await flags.get_boolean_value_async(CAMPAIGNS, False, basic())
    stigg_emulator.faults.add(Fault.http_error(503))
    await stigg.refresh_entitlements("customer-basic")  # fails, not through the provider
    assert flags.get_provider_status() is ProviderStatus.READY  # not looked at yet
    await stigg_emulator_clock.run_for(5, step=5)
    assert flags.get_provider_status() is ProviderStatus.STALE
    assert events.next()[0] is ProviderEvent.PROVIDER_STALE


async def test_without_a_watch_the_status_moves_on_evaluation_only(
    stigg: AsyncStigg, stigg_emulator: Emulator, stigg_emulator_clock: FakeClock
) -> None:
    """``status_interval=None`` leaves status changes to evaluations and entitlement changes."""
    flags = flags_for(StiggProvider(stigg, status_interval=None, clock=stigg_emulator_clock))
    await flags.get_boolean_value_async(CAMPAIGNS, False, basic())
    stigg_emulator.faults.add(Fault.http_error(503))
    await stigg.refresh_entitlements("customer-basic")
    await stigg_emulator_clock.run_for(60, step=5)
    assert flags.get_provider_status() is ProviderStatus.READY
    await flags.get_boolean_value_async(CAMPAIGNS, False, basic())
    assert flags.get_provider_status() is ProviderStatus.STALE
