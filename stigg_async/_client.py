"""``AsyncStigg``: the SDK's facade. One instance per application.

It owns one HTTP session (through :class:`GraphQLTransport`), the entitlement cache
with its poller, and the buffered usage pipeline, and offers one async method per
Stigg operation. The methods live in small per-topic mixins; this module wires
them together and owns the life cycle.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from stigg_async import _fork
from stigg_async._analytics import (
    AnalyticsStats,
    EntitlementAnalyticsOptions,
    EntitlementCheckReporter,
)
from stigg_async._cache import EntitlementCache, EntitlementCacheOptions, EntitlementResult
from stigg_async._cache._stream import StreamSource
from stigg_async._clock import Clock, SystemClock
from stigg_async._errors import (
    StiggClientStateError,
    StiggConfigurationError,
    StiggValidationError,
)
from stigg_async._facade_admin import _AdminMethods
from stigg_async._facade_catalog import _CatalogMethods
from stigg_async._facade_core import _FacadeCore
from stigg_async._facade_credits import _CreditMethods
from stigg_async._facade_customers import _CustomerMethods
from stigg_async._facade_entitlements import _EntitlementMethods
from stigg_async._facade_guards import _EntitlementGuards
from stigg_async._facade_paging import _PagingMethods
from stigg_async._facade_promotions import _PromotionMethods
from stigg_async._facade_reporting import _ReportingMethods
from stigg_async._facade_subscriptions import _SubscriptionMethods
from stigg_async._facade_subscriptions_admin import _SubscriptionAdminMethods
from stigg_async._facade_usage import _UsageMethods
from stigg_async._facade_usage_history import _UsageHistoryMethods
from stigg_async._redis._factory import create_shared_cache, resolve_shared_cache
from stigg_async._redis._options import SharedCacheOptions

if TYPE_CHECKING:
    from stigg_async._redis._messages import SharedTierStatus
from stigg_async._retry import NO_RETRY, RetryPolicy, run_with_retries
from stigg_async._transport import DEFAULT_API_URL, GraphQLTransport
from stigg_async._usage import UsageCloseReport, UsagePipeline, UsagePipelineOptions
from stigg_async._validation import (
    check_bool,
    check_count,
    check_id,
    check_seconds,
    check_timeout,
    coerce_options,
)

__all__ = ["AsyncStigg"]

API_KEY_ENV = "STIGG_SERVER_API_KEY"
API_URL_ENV = "STIGG_API_URL"


class AsyncStigg(
    _EntitlementGuards,
    _PagingMethods,
    _CatalogMethods,
    _SubscriptionAdminMethods,
    _EntitlementMethods,
    _UsageMethods,
    _CustomerMethods,
    _SubscriptionMethods,
    _ReportingMethods,
    _PromotionMethods,
    _AdminMethods,
    _UsageHistoryMethods,
    _CreditMethods,
    _FacadeCore,
):
    """The async Stigg client.

    Args:
        api_key: the server API key. Defaults to the ``STIGG_SERVER_API_KEY``
            environment variable; missing both is an error.
        api_url: the GraphQL endpoint. Defaults to ``STIGG_API_URL``, then
            ``https://api.stigg.io/graphql``. Plain ``http://`` is accepted only for
            loopback hosts (the emulator).
        timeout: seconds allowed for each HTTP request (default 10).
        max_retries: retries of a transient failure (default 3; 0 disables).
        retry: the full retry policy (backoff, deadline, jitter); ``max_retries``
            overrides its ``max_retries`` when both are given.
        entitlements: options of the entitlement cache and poller.
        usage: options of the buffered usage pipeline.
        analytics: reporting of local entitlement checks to Stigg's analytics
            (off unless ``EntitlementAnalyticsOptions(enabled=True)``).

    ``retry``, ``entitlements`` and ``usage`` take their option object or a dict of
    its fields (``usage={"usage_batch_size": 100}``). Every argument is checked before
    anything is created; a bad one raises :class:`StiggConfigurationError`.
        max_connections: size of the HTTP connection pool (default 100).
        clock: time source (tests pass a ``FakeClock``).
        redis_url: share the entitlement cache with the other processes of a fleet
            through Redis (``docs/redis.md``): a ``redis://`` URL or a
            ``redis.asyncio.Redis`` you own. Defaults to ``STIGG_REDIS_URL``; needs the
            ``redis`` extra. Without it nothing is shared.
        shared_cache: options of the shared tier (lease, ttls, key prefix).

    Example:
        >>> import asyncio
        >>> async def main() -> None:
        ...     url = "http://127.0.0.1:8787/graphql"  # the emulator; omit for Stigg itself
        ...     async with AsyncStigg(api_key="...", api_url=url) as stigg:
        ...         decision = await stigg.get_entitlement("customer-1", "feature-03-custom-domain")
        ...         print(decision.is_granted)
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        api_url: str | None = None,
        timeout: float = 10.0,
        max_retries: int | None = None,
        retry: RetryPolicy | Mapping[str, Any] | None = None,
        entitlements: EntitlementCacheOptions | Mapping[str, Any] | None = None,
        usage: UsagePipelineOptions | Mapping[str, Any] | None = None,
        analytics: EntitlementAnalyticsOptions | None = None,
        max_connections: int = 100,
        clock: Clock | None = None,
        redis_url: Any = None,
        shared_cache: SharedCacheOptions | None = None,
    ) -> None:
        key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
        if not key or not isinstance(key, str) or not key.strip():
            raise StiggConfigurationError(
                f"no API key: pass api_key=... or set {API_KEY_ENV} "
                "(Stigg Console > Settings > Account > Environments > Server API key)"
            )
        url = api_url if api_url is not None else os.environ.get(API_URL_ENV) or DEFAULT_API_URL
        if not isinstance(url, str):
            raise StiggConfigurationError(f"api_url must be a string, not {type(url).__name__}")
        timeout = check_seconds(timeout, "timeout")
        check_count(max_connections, "max_connections")
        # Option objects may be passed as dicts of their fields.
        policy = coerce_options(retry, RetryPolicy, "retry")
        entitlement_options = coerce_options(entitlements, EntitlementCacheOptions, "entitlements")
        usage_options = coerce_options(usage, UsagePipelineOptions, "usage")
        if max_retries is not None:
            policy = dataclasses.replace(
                policy, max_retries=check_count(max_retries, "max_retries", minimum=0)
            )
        self._clock = clock or SystemClock()
        self._retry = policy
        self._timeout = float(timeout)
        self._transport_args: dict[str, Any] = {
            "api_url": url,
            "api_key": key,
            "timeout": self._timeout,
            "max_connections": max_connections,
        }
        self._transport = GraphQLTransport(**self._transport_args)
        self._usage_options = usage_options
        self._entitlements = EntitlementCache(
            transport=self._transport,
            retry_policy=policy,
            clock=self._clock,
            options=entitlement_options,
        )
        if entitlement_options.streaming:
            self._entitlements.add_source(StreamSource(api_url=url, api_key=key, clock=self._clock))
        shared_options = resolve_shared_cache(redis_url, shared_cache)
        self._shared = (
            None
            if shared_options is None
            else create_shared_cache(shared_options, api_key=key, clock=self._clock)
        )
        if self._shared is not None:
            self._entitlements.use_shared_tier(self._shared, self._shared.source)
        # Usage in flight (buffered or awaited) counts in local checks (DESIGN
        # section 9), and in the fleet's pending usage when a shared tier is set.
        store = self._entitlements.store
        self._usage_observer = store if self._shared is None else self._shared.wrap_observer(store)
        self._usage = self._new_usage_pipeline()
        self._bind_fast_paths()
        self._bind_consume()
        self._analytics_options = coerce_options(
            analytics, EntitlementAnalyticsOptions, "analytics"
        )
        self._analytics = self._new_analytics()
        if self._analytics_options.enabled:
            # Opt-in: every answered check is offered to the reporter (a bounded,
            # sampled buffer sent in the background); off, checks pay nothing.
            self._entitlements.store.observe_checks(self._record_check)
        self._fork_generation = _fork.generation()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._state = "new"  # new -> open -> closed
        self._close_task: asyncio.Task[UsageCloseReport | None] | None = None

    def _new_usage_pipeline(self) -> UsagePipeline:
        return UsagePipeline(
            transport=self._transport,
            retry_policy=self._retry,
            clock=self._clock,
            options=self._usage_options,
            on_measurements=self._entitlements.apply_measurements,
            observer=self._usage_observer,
        )

    def _record_check(
        self,
        customer_id: str,
        resource_id: str | None,
        feature_id: str,
        requested_usage: float | None,
        result: EntitlementResult,
    ) -> None:
        # Through self: restart_after_fork replaces the reporter.
        self._analytics.record(customer_id, resource_id, feature_id, requested_usage, result)

    def _new_analytics(self) -> EntitlementCheckReporter:
        return EntitlementCheckReporter(
            self._analytics_options, send=self._send_entitlement_checks, clock=self._clock
        )

    # -- life cycle --------------------------------------------------------------

    @property
    def api_url(self) -> str:
        """The GraphQL endpoint this client talks to."""
        return str(self._transport.url)

    @property
    def analytics_stats(self) -> AnalyticsStats:
        """Counts of the entitlement-check reports (recorded, sampled out, sent...)."""
        return self._analytics.stats

    @property
    def shared_cache_status(self) -> SharedTierStatus | None:
        """This process's place in a fleet sharing Redis (``None`` without ``redis_url``).

        ``role`` is ``leader`` (refreshes for the fleet), ``follower``, ``standalone``
        (Redis unreachable: polling on its own) or ``off``; see docs/redis.md.

        Example:
            >>> stigg.shared_cache_status.role  # doctest: +SKIP
            <Role.FOLLOWER: 'follower'>
        """
        return None if self._shared is None else self._shared.status()

    @property
    def is_closed(self) -> bool:
        """True once :meth:`aclose` has been called."""
        return self._state == "closed"

    async def open(self) -> AsyncStigg:
        """Open the HTTP session and start the poller and the usage flusher.

        Called by ``async with`` and, lazily, by the first call; calling it again is
        harmless.
        """
        await self._ensure_open()
        return self

    async def _ensure_open(self) -> None:
        if self._state == "open":
            self._check_context()
            return
        if self._state == "closed":
            raise StiggClientStateError("this AsyncStigg is closed; create a new one")
        self._check_context()
        self._loop = asyncio.get_running_loop()
        self._state = "open"
        try:
            await self._transport.open()
            if self._shared is not None:
                await self._shared.start()  # takes a role before the sources start
            self._entitlements.start()
            self._usage.start()
            self._analytics.start()
        except BaseException:
            self._state = "new"
            raise

    def _check_context(self) -> None:
        if self._fork_generation != _fork.generation():
            raise StiggClientStateError(
                "this AsyncStigg was created in another process before a fork; its "
                "connections and background tasks do not exist here. Call "
                "`await stigg.restart_after_fork()` in the child, or create a new AsyncStigg."
            )
        if self._loop is not None and asyncio.get_running_loop() is not self._loop:
            raise StiggClientStateError(
                "this AsyncStigg is bound to the event loop it was opened in; create one "
                "client per event loop"
            )

    async def restart_after_fork(self) -> None:
        """Make a client inherited through ``os.fork()`` usable in the child process.

        Call it once in the child, inside its event loop, before using the client.
        The child gets its own HTTP session and poller; cached entitlements are kept
        (and refreshed). Usage the parent had queued stays the parent's to deliver:
        the child starts with an empty queue, so nothing is sent twice. In the
        process that created the client this does nothing.

        Example:
            >>> if os.fork() == 0:  # doctest: +SKIP
            ...     await stigg.restart_after_fork()
        """
        if self._fork_generation == _fork.generation():
            return
        if self._state == "closed":
            raise StiggClientStateError("this AsyncStigg is closed; create a new one")
        if self._shared is not None:
            # Its Redis connections and lease are the parent's: using them here would
            # interleave two processes on one socket.
            raise StiggClientStateError(
                "a client sharing its cache through Redis cannot be moved across a fork; "
                "create a new AsyncStigg in the child (e.g. in each worker's startup)"
            )
        # The parent's session, tasks and queue are copies that belong to the parent:
        # drop them without closing anything (closing would touch shared sockets).
        self._transport = GraphQLTransport(**self._transport_args)
        self._usage = self._new_usage_pipeline()
        self._bind_consume()
        self._analytics = self._new_analytics()
        self._fork_generation = _fork.generation()
        self._loop = asyncio.get_running_loop()
        self._state = "open"
        await self._transport.open()
        self._entitlements.restart_after_fork(transport=self._transport)
        self._usage.start()
        self._analytics.start()

    async def aclose(self, *, timeout: float | None = None) -> UsageCloseReport | None:
        """Flush buffered usage, stop background work and close the HTTP session.

        Buffered usage gets ``timeout`` seconds to be delivered (default: the usage
        option ``close_timeout``); what could not be delivered is logged, handed to
        the usage ``on_error`` callback and counted in the returned report
        (a :class:`FlushReport` with the undelivered items).

        Idempotent: later calls return the same report. Cancellation-safe: cancelling
        it (``asyncio.wait_for(stigg.aclose(), 1)``) abandons delivery at once (items
        in flight are reported as may-have-landed, queued ones as failed), still stops
        every task and closes the session, and keeps the report for the next call.

        Raises:
            StiggValidationError: ``timeout`` is not ``None`` or a finite number >= 0
                (checked before anything is closed).

        Example:
            >>> report = await stigg.aclose(timeout=5)  # doctest: +SKIP
            >>> report.delivered_all if report else True  # doctest: +SKIP
            True
        """
        timeout = check_timeout(timeout)
        if self._close_task is None:
            was_open = self._state == "open"
            self._state = "closed"
            self._close_task = asyncio.get_running_loop().create_task(
                self._close(was_open, timeout), name="stigg_async close"
            )
        task = self._close_task
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if not task.done():
                self._usage.abandon()
                # Bounded: abandoned, closing only cancels tasks and closes the session.
                await asyncio.wait((task,))
            raise

    async def _close(self, was_open: bool, timeout: float | None) -> UsageCloseReport | None:
        report: UsageCloseReport | None = None
        same_process = self._fork_generation == _fork.generation()
        try:
            # Usage tracked before the client was ever opened is delivered too: the
            # pipeline opens the transport lazily.
            if same_process and (was_open or self._usage.stats.pending):
                report = await self._usage.aclose(timeout)
        finally:
            try:
                if was_open and same_process:
                    await self._analytics.aclose()
                    await self._entitlements.aclose()
                    if self._shared is not None:
                        await self._shared.aclose()
            finally:
                await self._transport.close()
        return report

    async def __aenter__(self) -> AsyncStigg:
        return await self.open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- escape hatch ------------------------------------------------------------

    async def execute(
        self,
        document: str,
        variables: dict[str, Any] | None = None,
        *,
        operation_name: str | None = None,
        retry: bool = False,
    ) -> dict[str, Any]:
        """Send any GraphQL document and return its raw ``data``.

        Not retried unless ``retry=True`` (the SDK cannot know whether an arbitrary
        mutation is safe to send twice). Errors map to the usual exception classes.

        Example:
            >>> data = await stigg.execute(  # doctest: +SKIP
            ...     "query Q($input: GetCustomerByRefIdInput!) "
            ...     "{ getCustomerByRefId(input: $input) { refId } }",
            ...     {"input": {"customerId": "customer-1"}},
            ... )
        """
        if not isinstance(document, str) or not document.strip():
            raise StiggValidationError(
                "document must be a non-empty GraphQL string", field="document"
            )
        if variables is not None and (
            not isinstance(variables, Mapping) or not all(isinstance(k, str) for k in variables)
        ):
            raise StiggValidationError(
                "variables must be a dict of variable names to values, or None",
                field="variables",
            )
        if operation_name is not None:
            check_id(operation_name, "operation_name")
        check_bool(retry, "retry", error=StiggValidationError)
        await self._ensure_open()
        name = operation_name or "Execute"

        async def send() -> dict[str, Any]:
            return await self._transport.execute_text(document, variables, operation_name or "")

        policy = self._retry if retry else NO_RETRY
        return await run_with_retries(send, policy=policy, clock=self._clock, operation=name)

    def __repr__(self) -> str:
        return f"AsyncStigg(api_url={self.api_url!r}, api_key='***', state={self._state!r})"
