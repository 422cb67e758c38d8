"""The retry policy: which failures are transient, how long to wait, when to stop.

Built on tenacity with the SDK's injectable clock, so tests count waits instead of
sleeping. Only transient failures are retried (connection errors, timeouts, HTTP
408/429/5xx and the server's "object busy" code); GraphQL business errors and other
4xx never are. ``CancelledError`` always propagates at once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception

from stigg_async._clock import Clock
from stigg_async._errors import (
    StiggConnectionError,
    StiggError,
    StiggGraphQLError,
    StiggHTTPError,
    StiggRateLimitError,
    StiggServerError,
    StiggValidationError,
)

__all__ = ["NO_RETRY", "RetryPolicy", "is_transient", "retry_delay", "run_with_retries"]

logger = logging.getLogger("stigg_async")

T = TypeVar("T")

#: Server codes that mean "try again shortly", whatever the HTTP status.
TRANSIENT_CODES = frozenset({"ObjectAlreadyBeingUsedByAnotherRequestError", "RateLimitExceeded"})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How calls are retried.

    Attributes:
        max_retries: retries after the first attempt (0 disables retrying).
        initial_backoff: the first wait, in seconds; doubles per retry.
        max_backoff: the longest single wait, in seconds.
        deadline: the longest a call may take over all its attempts and waits, in
            seconds (``None``: no overall limit). A wait that would cross it ends the
            call with the last error instead.
        jitter: fraction of each wait that is randomised (0 = none, 1 = full jitter).

    Example:
        >>> RetryPolicy(max_retries=5, deadline=10.0).max_retries
        5
    """

    max_retries: int = 3
    initial_backoff: float = 0.5
    max_backoff: float = 8.0
    deadline: float | None = 30.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if not isinstance(self.max_retries, int) or self.max_retries < 0:
            raise StiggValidationError(
                "max_retries must be a non-negative integer", field="max_retries"
            )
        for name in ("initial_backoff", "max_backoff"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not value >= 0 or value == float("inf"):
                raise StiggValidationError(f"{name} must be a finite number >= 0", field=name)
        if self.deadline is not None and (
            not isinstance(self.deadline, (int, float)) or not self.deadline > 0
        ):
            raise StiggValidationError(
                "deadline must be a positive number or None", field="deadline"
            )
        if not 0 <= self.jitter <= 1:
            raise StiggValidationError("jitter must be between 0 and 1", field="jitter")


#: One attempt, no waiting: for calls that must not be sent twice.
NO_RETRY = RetryPolicy(max_retries=0, deadline=None)


def is_transient(exc: BaseException) -> bool:
    """True for failures worth retrying: the request may succeed if sent again.

    Example:
        >>> from stigg_async._errors import StiggServerError, StiggValidationError
        >>> is_transient(StiggServerError("HTTP 503", status=503))
        True
        >>> is_transient(StiggValidationError("empty customer_id"))
        False
    """
    if isinstance(exc, StiggConnectionError):  # includes timeouts
        return True
    if isinstance(exc, (StiggServerError, StiggRateLimitError)):
        return True
    if isinstance(exc, StiggHTTPError):
        return exc.status == 408 or exc.code in TRANSIENT_CODES
    if isinstance(exc, StiggGraphQLError):
        return exc.code in TRANSIENT_CODES
    return False


def retry_delay(
    policy: RetryPolicy, retry_number: int, rnd: float, exc: BaseException | None
) -> float:
    """Seconds to wait before retry ``retry_number`` (1-based).

    Exponential backoff capped at ``max_backoff``, with ``jitter`` of it randomised;
    a server's ``Retry-After`` is a floor (it is never waited less than asked).
    """
    base = min(policy.max_backoff, policy.initial_backoff * 2.0 ** (retry_number - 1))
    delay = base * (1 - policy.jitter) + base * policy.jitter * rnd
    if isinstance(exc, StiggRateLimitError) and exc.retry_after is not None:
        delay = max(delay, float(exc.retry_after))
    return delay


async def run_with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy,
    clock: Clock,
    operation: str,
    on_failure: Callable[[StiggError], None] | None = None,
) -> T:
    """Await ``call()`` until it succeeds, fails permanently, or the policy gives up.

    The raised error has ``retries`` set to the number of retries taken. ``on_failure``
    sees every failed attempt's error before the decision to retry (the facade uses it
    to remember ambiguous failures of non-idempotent mutations).
    """
    started = clock.monotonic()
    attempts_total = policy.max_retries + 1

    def stop(state: RetryCallState) -> bool:
        if state.attempt_number >= attempts_total:
            return True
        if policy.deadline is None:
            return False
        elapsed = clock.monotonic() - started
        return elapsed + state.upcoming_sleep > policy.deadline

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        return retry_delay(policy, state.attempt_number, clock.random(), exc)

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        logger.warning(
            "stigg_async: retry %d of %d for %s in %.2fs after %s",
            state.attempt_number,
            policy.max_retries,
            operation,
            state.upcoming_sleep,
            exc,
        )

    # The first attempt runs without tenacity: building and driving an AsyncRetrying
    # costs ~17 µs of CPU per call (benchmark B2), and it is only needed after a
    # failure. A transient first failure is replayed to tenacity as its attempt 1, so
    # waits, logging, the deadline and the retry count are exactly as if it made it.
    try:
        return await call()
    except StiggError as exc:
        exc.operation = exc.operation or operation
        if on_failure is not None:
            on_failure(exc)
        elapsed = clock.monotonic() - started
        if (
            policy.max_retries == 0
            or not is_transient(exc)
            or (policy.deadline is not None and elapsed >= policy.deadline)
        ):
            exc.retries = 0
            raise
        first_failure: list[StiggError] = [exc]

    async def attempt() -> T:
        if first_failure:
            raise first_failure.pop()
        try:
            return await call()
        except StiggError as exc:
            exc.operation = exc.operation or operation
            if on_failure is not None:
                on_failure(exc)
            raise

    retrying = AsyncRetrying(
        sleep=clock.sleep,
        stop=stop,
        wait=wait,
        retry=retry_if_exception(is_transient),
        before_sleep=before_sleep,
        reraise=True,
    )
    try:
        return await retrying(attempt)
    except StiggError as exc:
        exc.retries = int(retrying.statistics.get("attempt_number", 1)) - 1
        raise
