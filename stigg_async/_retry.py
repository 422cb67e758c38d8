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
    StiggResponseError,
    StiggServerError,
)
from stigg_async._validation import check_count, check_fraction, check_seconds

__all__ = [
    "NO_RETRY",
    "UNLIMITED_RETRIES",
    "RetryPolicy",
    "is_transient",
    "retry_delay",
    "run_with_retries",
]

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

    Raises:
        StiggConfigurationError: a field is out of range or of the wrong type (a bool
            or a string where a number belongs, NaN, infinity).

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
        check_count(self.max_retries, "max_retries", minimum=0)
        for name in ("initial_backoff", "max_backoff"):
            object.__setattr__(
                self, name, check_seconds(getattr(self, name), name, allow_zero=True)
            )
        if self.deadline is not None:
            object.__setattr__(
                self, "deadline", check_seconds(self.deadline, "deadline", optional=True)
            )
        object.__setattr__(self, "jitter", check_fraction(self.jitter, "jitter"))


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
    if isinstance(exc, StiggResponseError):
        # A truncated or malformed 2xx body is a lost answer, not a refusal: the
        # same request (same keys) is sent again.
        return exc.may_have_landed
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


#: ``max_retries`` meaning "no attempt cap" (the usage pipeline retries while open).
UNLIMITED_RETRIES = 2**62


async def run_with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy,
    clock: Clock,
    operation: str,
    on_failure: Callable[[StiggError], None] | None = None,
    retry_if: Callable[[StiggError], bool] = is_transient,
    give_up: Callable[[StiggError, int], bool] | None = None,
    min_wait: Callable[[StiggError], float] | None = None,
    log_level: int = logging.WARNING,
) -> T:
    """Await ``call()`` until it succeeds, fails permanently, or the policy gives up.

    The one retry engine of the SDK: the facade, the cache's fetches and the usage
    pipeline all retry through it, so backoff, deadlines, logging and ambiguity are
    the same everywhere.

    The raised error has ``retries`` set to the number of retries taken, and
    ``may_have_landed`` set when any attempt's answer was lost after sending (a later
    refusal does not prove that an earlier attempt did not land). ``on_failure`` sees
    every failed attempt's error before the decision to retry. ``retry_if`` decides
    which errors are worth another attempt (default :func:`is_transient`);
    ``give_up(error, attempts)`` may end the retrying early; ``min_wait(error)`` is a
    floor for the wait after ``error``.

    Example:
        >>> from stigg_async._clock import FakeClock
        >>> async def ok() -> int:
        ...     return 1
        >>> import asyncio
        >>> asyncio.run(run_with_retries(ok, policy=RetryPolicy(), clock=FakeClock(),
        ...                              operation="Demo"))
        1
    """
    started = clock.monotonic()
    attempts_total = policy.max_retries + 1
    landed: list[bool] = [False]

    def failed(exc: StiggError) -> None:
        exc.operation = exc.operation or operation
        if exc.may_have_landed:
            landed[0] = True
        if on_failure is not None:
            on_failure(exc)

    def stop(state: RetryCallState) -> bool:
        if state.attempt_number >= attempts_total:
            return True
        exc = state.outcome.exception() if state.outcome else None
        if (
            give_up is not None
            and isinstance(exc, StiggError)
            and give_up(exc, state.attempt_number)
        ):
            return True
        if policy.deadline is None:
            return False
        elapsed = clock.monotonic() - started
        return elapsed + state.upcoming_sleep > policy.deadline

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        delay = retry_delay(policy, state.attempt_number, clock.random(), exc)
        if min_wait is not None and isinstance(exc, StiggError):
            delay = max(delay, min_wait(exc))
        return delay

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        of = "" if policy.max_retries >= UNLIMITED_RETRIES else f" of {policy.max_retries}"
        logger.log(
            log_level,
            "retry %d%s for %s in %.2fs after %s",
            state.attempt_number,
            of,
            operation,
            state.upcoming_sleep,
            exc,
        )

    def retry(exc: BaseException) -> bool:
        return isinstance(exc, StiggError) and retry_if(exc)

    def finish(exc: StiggError, retries: int) -> None:
        exc.retries = retries
        if landed[0]:
            exc.may_have_landed = True

    # The first attempt runs without tenacity: building and driving an AsyncRetrying
    # costs ~17 µs of CPU per call (benchmark B2), and it is only needed after a
    # failure. A transient first failure is replayed to tenacity as its attempt 1, so
    # waits, logging, the deadline and the retry count are exactly as if it made it.
    try:
        return await call()
    except StiggError as exc:
        failed(exc)
        elapsed = clock.monotonic() - started
        if (
            policy.max_retries == 0
            or not retry(exc)
            or (policy.deadline is not None and elapsed >= policy.deadline)
            or (give_up is not None and give_up(exc, 1))
        ):
            finish(exc, 0)
            raise
        first_failure: list[StiggError] = [exc]

    async def attempt() -> T:
        if first_failure:
            raise first_failure.pop()
        try:
            return await call()
        except StiggError as exc:
            failed(exc)
            raise

    retrying = AsyncRetrying(
        sleep=clock.sleep,
        stop=stop,
        wait=wait,
        retry=retry_if_exception(retry),
        before_sleep=before_sleep,
        reraise=True,
    )
    try:
        return await retrying(attempt)
    except StiggError as exc:
        finish(exc, int(retrying.statistics.get("attempt_number", 1)) - 1)
        raise
