"""The retry policy: what is retried, how long it waits, when it stops."""

from __future__ import annotations

import asyncio
import logging

import pytest

from stigg_async._clock import FakeClock
from stigg_async._errors import (
    CustomerNotFoundError,
    StiggAuthenticationError,
    StiggConfigurationError,
    StiggConnectionError,
    StiggError,
    StiggGraphQLError,
    StiggHTTPError,
    StiggRateLimitError,
    StiggServerError,
    StiggTimeoutError,
    StiggValidationError,
)
from stigg_async._retry import RetryPolicy, is_transient, retry_delay, run_with_retries


class Script:
    """A call that fails with the given errors in order, then succeeds."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def server_error() -> StiggServerError:
    return StiggServerError("HTTP 503", status=503)


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (StiggConnectionError("reset"), True),
        (StiggTimeoutError("slow"), True),
        (StiggServerError("HTTP 500", status=500), True),
        (StiggRateLimitError("HTTP 429", status=429), True),
        (StiggHTTPError("HTTP 408", status=408), True),
        (StiggHTTPError("HTTP 400", status=400), False),
        (StiggAuthenticationError("HTTP 401", status=401), False),
        (StiggAuthenticationError("HTTP 403", status=403), False),
        (CustomerNotFoundError("missing"), False),
        (StiggValidationError("bad"), False),
        (ValueError("not ours"), False),
        (asyncio.CancelledError(), False),
    ],
)
def test_is_transient_classifies_failures(exc: BaseException, expected: bool) -> None:
    """Only connection errors, timeouts, 408/429/5xx and busy codes are transient."""
    assert is_transient(exc) is expected


def test_object_busy_code_is_transient_in_graphql_and_http_errors() -> None:
    """The server's 'object busy' code is worth a retry whatever the status."""
    from stigg_async._errors import GraphQLErrorDetail

    busy = (GraphQLErrorDetail("busy", code="ObjectAlreadyBeingUsedByAnotherRequestError"),)
    assert is_transient(StiggGraphQLError("busy", errors=busy))
    assert is_transient(StiggHTTPError("HTTP 409", status=409, errors=busy))


async def test_transient_failures_are_retried_until_success() -> None:
    """Two 503s then success: three attempts, two recorded waits."""
    clock = FakeClock(auto_advance=True)
    call = Script(server_error(), StiggConnectionError("reset"))
    result = await run_with_retries(call, policy=RetryPolicy(), clock=clock, operation="Op")
    assert result == "ok"
    assert call.calls == 3
    assert len(clock.sleeps) == 2


async def test_attempt_cap_raises_the_last_error_with_the_retry_count() -> None:
    """After max_retries the last error propagates, saying how many retries were taken."""
    clock = FakeClock(auto_advance=True)
    call = Script(*(server_error() for _ in range(10)))
    with pytest.raises(StiggServerError) as info:
        await run_with_retries(
            call, policy=RetryPolicy(max_retries=2, deadline=None), clock=clock, operation="Op"
        )
    assert call.calls == 3
    assert info.value.retries == 2
    assert info.value.operation == "Op"


@pytest.mark.parametrize(
    "exc",
    [
        CustomerNotFoundError("missing"),
        StiggAuthenticationError("HTTP 401", status=401),
        StiggHTTPError("HTTP 400", status=400),
    ],
)
async def test_permanent_failures_are_not_retried(exc: StiggError) -> None:
    """Business errors and 4xx fail on the first attempt."""
    clock = FakeClock(auto_advance=True)
    call = Script(exc)
    with pytest.raises(type(exc)) as info:
        await run_with_retries(call, policy=RetryPolicy(), clock=clock, operation="Op")
    assert call.calls == 1
    assert clock.sleeps == []
    assert info.value.retries == 0


async def test_retry_after_is_a_floor_for_the_wait() -> None:
    """A 429 asking for 7 s is waited at least 7 s even when backoff is shorter."""
    clock = FakeClock(auto_advance=True)
    call = Script(StiggRateLimitError("HTTP 429", status=429, retry_after=7.0))
    await run_with_retries(
        call, policy=RetryPolicy(initial_backoff=0.1, max_backoff=1.0), clock=clock, operation="Op"
    )
    assert clock.sleeps == [pytest.approx(7.0)]


async def test_deadline_stops_before_a_wait_that_would_cross_it() -> None:
    """With a 3 s deadline and 2 s waits, the call gives up after the second attempt."""
    clock = FakeClock(auto_advance=True)
    call = Script(*(server_error() for _ in range(10)))
    policy = RetryPolicy(
        max_retries=10, initial_backoff=2.0, max_backoff=2.0, deadline=3.0, jitter=0
    )
    with pytest.raises(StiggServerError) as info:
        await run_with_retries(call, policy=policy, clock=clock, operation="Op")
    assert call.calls == 2
    assert clock.sleeps == [2.0]
    assert info.value.retries == 1


def test_backoff_doubles_up_to_the_cap_and_jitter_stays_in_bounds() -> None:
    """Waits grow 1, 2, 4, capped at 5; jitter keeps each within [half, full]."""
    policy = RetryPolicy(initial_backoff=1.0, max_backoff=5.0, jitter=0.5)
    assert [retry_delay(policy, n, 1.0, None) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 5.0]
    assert [retry_delay(policy, n, 0.0, None) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 2.5]


async def test_cancellation_propagates_at_once_and_is_not_retried() -> None:
    """CancelledError raised by the call is never swallowed or retried."""
    clock = FakeClock(auto_advance=True)
    call = Script(asyncio.CancelledError())
    with pytest.raises(asyncio.CancelledError):
        await run_with_retries(call, policy=RetryPolicy(), clock=clock, operation="Op")
    assert call.calls == 1


async def test_cancelling_during_a_backoff_wait_stops_the_call() -> None:
    """A task cancelled while waiting between attempts ends with CancelledError."""
    clock = FakeClock()
    call = Script(*(server_error() for _ in range(10)))
    task = asyncio.create_task(
        run_with_retries(call, policy=RetryPolicy(), clock=clock, operation="Op")
    )
    for _ in range(5):
        await asyncio.sleep(0)
    assert clock.pending_sleepers == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert call.calls == 1


async def test_each_retry_is_logged_without_secrets(caplog: pytest.LogCaptureFixture) -> None:
    """A warning 'retry i of n' names the operation and the error."""
    clock = FakeClock(auto_advance=True)
    call = Script(server_error(), server_error())
    with caplog.at_level(logging.WARNING, logger="stigg_async"):
        await run_with_retries(
            call, policy=RetryPolicy(max_retries=3), clock=clock, operation="ReportUsage"
        )
    messages = [r.getMessage() for r in caplog.records]
    assert any("retry 1 of 3 for ReportUsage" in m for m in messages)
    assert any("retry 2 of 3 for ReportUsage" in m for m in messages)


async def test_on_failure_sees_every_failed_attempt() -> None:
    """The facade's hook is told of each failure, in order."""
    clock = FakeClock(auto_advance=True)
    first, second = server_error(), StiggConnectionError("drop")
    seen: list[StiggError] = []
    await run_with_retries(
        Script(first, second),
        policy=RetryPolicy(),
        clock=clock,
        operation="Op",
        on_failure=seen.append,
    )
    assert seen == [first, second]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_retries": -1},
        {"initial_backoff": float("nan")},
        {"max_backoff": float("inf")},
        {"deadline": 0},
        {"jitter": 1.5},
        {"max_retries": True},
        {"jitter": "0.5"},
        {"initial_backoff": 10**400},
        {"deadline": float("nan")},
    ],
)
def test_invalid_policy_values_are_rejected(kwargs: dict[str, float]) -> None:
    """Nonsense settings (bools, strings, huge ints included) fail with a configuration error."""
    with pytest.raises(StiggConfigurationError):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]
