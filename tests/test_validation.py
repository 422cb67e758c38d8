"""One validation for every input: ids, amounts, timeouts, option objects.

Issue 11, findings 5, 6 and 8: huge numbers give a typed error (never OverflowError),
bools are never numbers, option classes raise StiggConfigurationError, dicts are
accepted where option objects are expected, and every method applies the same id
rule (no 1 MB ids, NUL, lone surrogates or zero-width characters sent anywhere).
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from stigg_async import (
    AsyncStigg,
    EntitlementCacheOptions,
    Fallback,
    RetryPolicy,
    StiggConfigurationError,
    StiggError,
    StiggValidationError,
    UsagePipelineOptions,
)
from stigg_async._validation import (
    MAX_AMOUNT,
    MAX_ID_LENGTH,
    check_amount,
    check_id,
    check_timeout,
    coerce_options,
    id_problem,
)

BAD_IDS = [
    "",
    "   ",
    "\t\n",
    "x" * (MAX_ID_LENGTH + 1),
    "x" * 1_000_000,
    "a\x00b",
    "a\ud800b",  # a lone surrogate
    "a\u200bb",  # zero-width space
    "a\u200db",  # zero-width joiner
    "\ufeffid",  # byte-order mark
    "line\nbreak",
    None,
    42,
    b"bytes",
    ["list"],
]
GOOD_IDS = ["customer-1", "a", "x" * MAX_ID_LENGTH, " padded ", "ünïcödé-ид-客户", "with space"]
BAD_AMOUNTS = [10**400, -(10**400), math.nan, math.inf, -math.inf, True, False, "1", None, 1e300]


@pytest.mark.parametrize("value", BAD_IDS, ids=repr)
def test_bad_ids_are_refused_with_a_typed_error_naming_the_argument(value: Any) -> None:
    """Every bad id is a StiggValidationError whose field and message name the argument."""
    with pytest.raises(StiggValidationError) as info:
        check_id(value, "customer_id")
    assert info.value.field == "customer_id"
    assert str(info.value).startswith("customer_id ")
    assert id_problem(value) is not None


@pytest.mark.parametrize("value", GOOD_IDS, ids=repr)
def test_good_ids_pass_unchanged(value: str) -> None:
    """Visible text up to the cap is accepted as is."""
    assert check_id(value, "customer_id") == value


@pytest.mark.parametrize("value", BAD_AMOUNTS, ids=repr)
def test_bad_amounts_are_refused_without_overflow(value: Any) -> None:
    """Huge ints, NaN, infinities, bools and strings: a typed error, never OverflowError."""
    with pytest.raises(StiggValidationError) as info:
        check_amount(value, "value")
    assert info.value.field == "value"


def test_amounts_within_range_pass_and_the_bound_is_exact() -> None:
    """±2**53 are accepted; one past is not; minimum applies."""
    assert check_amount(MAX_AMOUNT, "value") == MAX_AMOUNT
    assert check_amount(-MAX_AMOUNT, "value") == -MAX_AMOUNT
    assert check_amount(2.5, "value") == 2.5
    with pytest.raises(StiggValidationError):
        check_amount(MAX_AMOUNT + 1, "value")
    with pytest.raises(StiggValidationError):
        check_amount(-1, "requested_usage", minimum=0)


@pytest.mark.parametrize("value", [math.nan, -1, math.inf, "5", True, 10**400, [5]], ids=repr)
def test_bad_timeouts_are_refused(value: Any) -> None:
    """A timeout is None or a finite number of seconds >= 0."""
    with pytest.raises(StiggValidationError):
        check_timeout(value)


def test_good_timeouts_become_floats() -> None:
    """None stays None; 0 and numbers become floats."""
    assert (check_timeout(None), check_timeout(0), check_timeout(2)) == (None, 0.0, 2.0)


@pytest.mark.parametrize(
    ("factory", "kwargs"),
    [
        (RetryPolicy, {"max_retries": True}),
        (RetryPolicy, {"jitter": "0.5"}),
        (RetryPolicy, {"initial_backoff": 10**400}),
        (RetryPolicy, {"deadline": math.nan}),
        (EntitlementCacheOptions, {"ttl": 10**400}),
        (EntitlementCacheOptions, {"ttl": True}),
        (EntitlementCacheOptions, {"poll_jitter": "0.1"}),
        (EntitlementCacheOptions, {"max_entries": 2.0}),
        (EntitlementCacheOptions, {"max_staleness": math.inf}),
        (EntitlementCacheOptions, {"fallbacks": {"f": "granted"}}),
        (EntitlementCacheOptions, {"fallbacks": {"": {"is_granted": True}}}),
        (EntitlementCacheOptions, {"fallbacks": {"f": {"is_granted": True, "colour": 1}}}),
        (EntitlementCacheOptions, {"fallbacks": ["f"]}),
        (Fallback, {"is_granted": True, "usage_limit": 10**400}),
        (Fallback, {"is_granted": True, "usage_limit": True}),
        (Fallback, {"is_granted": 1}),
        (Fallback, {"is_granted": True, "has_unlimited_usage": "yes"}),
        (UsagePipelineOptions, {"max_queue_size": True}),
        (UsagePipelineOptions, {"flush_interval": 10**400}),
        (UsagePipelineOptions, {"close_timeout": math.nan}),
        (UsagePipelineOptions, {"auth_grace_period": -1}),
        (UsagePipelineOptions, {"auth_retry_interval": 0}),
        (UsagePipelineOptions, {"bisect_on_error": "no"}),
        (UsagePipelineOptions, {"on_error": "log"}),
    ],
    ids=lambda v: repr(v) if isinstance(v, dict) else getattr(v, "__name__", repr(v)),
)
def test_every_option_class_raises_configuration_errors(factory: Any, kwargs: Any) -> None:
    """Bad option values raise StiggConfigurationError (never OverflowError or TypeError)."""
    with pytest.raises(StiggConfigurationError):
        factory(**kwargs)


def test_fallbacks_accept_dicts_of_fallback_fields() -> None:
    """A dict where a Fallback belongs is converted."""
    opts = EntitlementCacheOptions(fallbacks={"feature-1": {"is_granted": True, "usage_limit": 5}})
    assert opts.fallbacks["feature-1"] == Fallback(is_granted=True, usage_limit=5)


def test_client_accepts_option_dicts_and_refuses_other_shapes() -> None:
    """AsyncStigg(entitlements={...}, retry={...}, usage={...}) works; a list is refused."""
    stigg = AsyncStigg(
        api_key="k",
        api_url="http://127.0.0.1:9/graphql",
        entitlements={"ttl": 5, "poll": False},
        retry={"max_retries": 1},
        usage={"usage_batch_size": 7},
    )
    assert stigg._retry.max_retries == 1
    for kwargs in (
        {"entitlements": ["ttl", 5]},
        {"retry": "fast"},
        {"usage": {"no_such_option": 1}},
        {"usage": {1: 2}},
        {"timeout": math.nan},
        {"timeout": "5"},
        {"timeout": 10**400},
        {"max_connections": True},
        {"max_retries": True},
        {"api_url": 5},
    ):
        arguments: dict[str, Any] = {"api_url": "http://127.0.0.1:9/graphql", **kwargs}
        with pytest.raises(StiggConfigurationError):
            AsyncStigg(api_key="k", **arguments)


def test_coerce_options_says_what_to_pass() -> None:
    """The message names the option and the class to pass."""
    with pytest.raises(StiggConfigurationError) as info:
        coerce_options(3, RetryPolicy, "retry")
    assert "retry must be a RetryPolicy or a dict of its fields" in str(info.value)


@pytest.mark.parametrize("value", BAD_IDS[:11], ids=repr)
def test_buffered_and_direct_methods_share_the_id_rule(value: Any) -> None:
    """track_usage refuses exactly the ids check_id refuses (the rule is shared)."""
    stigg = AsyncStigg(api_key="k", api_url="http://127.0.0.1:9/graphql")
    with pytest.raises(StiggValidationError):
        stigg.track_usage(value, "feature-1", 1)
    with pytest.raises(StiggValidationError):
        stigg.track_usage("customer-1", "feature-1", 1, resource_id=value)


@pytest.mark.parametrize("value", [10**400, 1e300, -(10**400), MAX_AMOUNT + 1], ids=repr)
def test_track_usage_refuses_values_the_api_cannot_take(value: Any) -> None:
    """track_usage(value=10**400) is refused at once instead of failing at the server later."""
    stigg = AsyncStigg(api_key="k", api_url="http://127.0.0.1:9/graphql")
    with pytest.raises(StiggValidationError) as info:
        stigg.track_usage("customer-1", "feature-1", value)
    assert info.value.field == "value"
    assert stigg.usage_stats.enqueued == 0


@pytest.mark.parametrize("value", [10**400, 1e300, True, math.nan], ids=repr)
def test_peek_entitlement_refuses_huge_requested_usage(value: Any) -> None:
    """peek_entitlement(requested_usage=10**400) raises StiggValidationError, not OverflowError."""
    stigg = AsyncStigg(api_key="k", api_url="http://127.0.0.1:9/graphql")
    with pytest.raises(StiggError) as info:
        stigg.peek_entitlement("customer-1", "feature-1", requested_usage=value)
    assert isinstance(info.value, StiggValidationError)


async def test_warm_get_entitlement_refuses_requested_usage_past_the_api_range() -> None:
    """A cached key checked with requested_usage=10**400 is refused like a cold one."""
    from stigg_async._clock import FakeClock
    from stigg_async.emulator import Emulator

    async with Emulator(api_key="k-warm") as emu:
        emu.state.provision_customer("customer-1")
        emu.state.provision_subscription("customer-1", "plan-revvenu-growth", skip_trial=True)
        async with AsyncStigg(
            api_key="k-warm", api_url=emu.url, clock=FakeClock(), entitlements={"poll": False}
        ) as stigg:
            await stigg.prefetch(["customer-1"])
            with pytest.raises(StiggValidationError):
                await stigg.get_entitlement(
                    "customer-1", "feature-02-campaigns", requested_usage=10**400
                )
