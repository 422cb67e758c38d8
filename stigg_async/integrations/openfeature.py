"""OpenFeature provider: Stigg entitlements behind the vendor-neutral flag API.

Needs the ``openfeature`` extra (``pip install '.[openfeature]'``, which brings
``openfeature-sdk``); importing ``stigg_async`` alone never imports it.

* flag key = feature id; targeting key = customer id; the context attributes
  ``resource_id`` and ``requested_usage`` (names configurable) scope the check;
* boolean flags: ``is_granted``; number flags: the usage limit or the remaining
  usage (``number_value=``); object flags: the whole entitlement as a mapping;
  string flags are not something Stigg answers (``TYPE_MISMATCH``);
* synchronous evaluation (``client.get_boolean_value``) answers from the local cache
  and never waits (:meth:`AsyncStigg.peek_entitlement`: on a miss it answers the
  default and loads in the background); asynchronous evaluation
  (``await client.get_boolean_value_async``) goes through
  :meth:`AsyncStigg.get_entitlement` and waits for a miss to load;
* reasons: ``CACHED`` (fresh cache), ``TARGETING_MATCH`` (fetched for this call),
  ``STALE`` (older data served while the API fails), ``DEFAULT`` (a configured
  fallback), ``ERROR`` with a code otherwise;
* provider events: ``PROVIDER_CONFIGURATION_CHANGED`` when cached entitlements
  change (``flags_changed`` = the feature ids), and ``PROVIDER_READY`` /
  ``PROVIDER_STALE`` / ``PROVIDER_ERROR`` when the cache's status moves;
* ``client.track(feature_id, context, TrackingEventDetails(value=3))`` reports
  usage through :meth:`AsyncStigg.track_usage` (buffered, never waits).

The application owns the :class:`AsyncStigg` (open it in its event loop, close it at
shutdown); the provider never closes it. See ``docs/openfeature.md``.

Example:
    >>> from openfeature import api  # doctest: +SKIP
    >>> from openfeature.evaluation_context import EvaluationContext  # doctest: +SKIP
    >>> api.set_provider_and_wait(StiggProvider(stigg))  # doctest: +SKIP
    >>> flags = api.get_client()  # doctest: +SKIP
    >>> await flags.get_boolean_value_async(  # doctest: +SKIP
    ...     "feature-02-campaigns", False, EvaluationContext("customer-1")
    ... )
    True
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from openfeature.evaluation_context import EvaluationContext
from openfeature.event import ProviderEventDetails
from openfeature.exception import ErrorCode, ProviderFatalError, ProviderNotReadyError
from openfeature.flag_evaluation import FlagResolutionDetails, FlagValueType
from openfeature.provider import AbstractProvider, Metadata, ProviderStatus
from openfeature.track import TrackingEventDetails

from stigg_async._cache import EntitlementResult, EntitlementsChange
from stigg_async._client import AsyncStigg
from stigg_async._clock import Clock, SystemClock
from stigg_async._errors import StiggConfigurationError, StiggError, StiggValidationError
from stigg_async.integrations._openfeature_mapping import (
    NumberValue as _NumberValue,
)
from stigg_async.integrations._openfeature_mapping import (
    Query,
    error,
    provider_status,
    read_context,
    resolve_boolean,
    resolve_number,
    resolve_object,
)

__all__ = ["NumberValue", "StiggProvider"]

logger = logging.getLogger("stigg_async")

#: What integer and float flags resolve to: ``"usage_limit"`` or ``"remaining_usage"``.
NumberValue = _NumberValue

T = TypeVar("T")
_Object = Sequence[FlagValueType] | Mapping[str, FlagValueType]


class StiggProvider(AbstractProvider):
    """An OpenFeature provider answering flags from a Stigg client's entitlement cache.

    Args:
        stigg: the application's client (the provider does not close it).
        number_value: what integer and float flags resolve to: ``"usage_limit"``
            (default) or ``"remaining_usage"``.
        resource_id_attribute: the context attribute holding the resource id.
        requested_usage_attribute: the context attribute holding the usage about to
            be used (a check is granted iff it fits under the limit).
        status_interval: seconds between looks at the cache's status, so an outage
            is announced (``PROVIDER_STALE`` / ``PROVIDER_ERROR``) even while nothing
            is evaluated (default 5; ``None``: only on evaluations and changes). The
            watch runs on the event loop the provider was built in, if any.
        clock: what the watch sleeps on (tests pass a ``FakeClock``).

    Example:
        >>> from openfeature import api
        >>> provider = StiggProvider(stigg, number_value="remaining_usage")  # doctest: +SKIP
        >>> api.set_provider_and_wait(provider)  # doctest: +SKIP
    """

    def __init__(
        self,
        stigg: AsyncStigg,
        *,
        number_value: NumberValue = "usage_limit",
        resource_id_attribute: str = "resource_id",
        requested_usage_attribute: str = "requested_usage",
        status_interval: float | None = 5.0,
        clock: Clock | None = None,
    ) -> None:
        super().__init__()
        if not isinstance(stigg, AsyncStigg):
            raise StiggConfigurationError("StiggProvider needs an AsyncStigg client")
        if number_value not in ("usage_limit", "remaining_usage"):
            raise StiggConfigurationError("number_value must be 'usage_limit' or 'remaining_usage'")
        for name, attribute in (
            ("resource_id_attribute", resource_id_attribute),
            ("requested_usage_attribute", requested_usage_attribute),
        ):
            if not isinstance(attribute, str) or not attribute:
                raise StiggConfigurationError(f"{name} must be a non-empty string")
        if status_interval is not None and (
            isinstance(status_interval, bool)
            or not isinstance(status_interval, (int, float))
            or not math.isfinite(status_interval)
            or status_interval <= 0
        ):
            raise StiggConfigurationError("status_interval must be a positive number or None")
        self._stigg = stigg
        self._number_value: NumberValue = number_value
        self._resource_attribute = resource_id_attribute
        self._usage_attribute = requested_usage_attribute
        self._remove_listener: Callable[[], None] | None = None
        # Evaluations may run on several threads (sync OpenFeature callers); one
        # lock keeps status transitions, and so the events, in order and unrepeated.
        self._status_lock = threading.Lock()
        self._status = ProviderStatus.NOT_READY
        self._status_interval = status_interval
        self._clock = clock or SystemClock()
        self._watch: asyncio.Task[None] | None = None
        try:
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:  # built outside a loop: status is derived on evaluations only
            self._loop = None

    # -- life cycle ----------------------------------------------------------------

    def get_metadata(self) -> Metadata:
        """The provider's name, ``"stigg"``."""
        return Metadata(name="stigg")

    def initialize(self, evaluation_context: EvaluationContext) -> None:
        """Start listening to the cache; refuse when the client cannot answer.

        Called by OpenFeature's ``set_provider`` (possibly on another thread).
        Raises ``ProviderFatalError`` for a closed client and
        ``ProviderNotReadyError`` when the cache has never loaded and is failing.
        """
        status = self._stigg.entitlement_status
        mapped = provider_status(status)
        if mapped is ProviderStatus.FATAL:
            raise ProviderFatalError("the Stigg client is closed")
        if mapped is ProviderStatus.ERROR:
            raise ProviderNotReadyError(f"Stigg is unreachable: {status.reason or status.state}")
        if self._remove_listener is None:
            self._remove_listener = self._stigg.add_entitlement_listener(self._on_change)
        with self._status_lock:
            # OpenFeature emits PROVIDER_READY itself when initialize returns; a stale
            # cache is announced (PROVIDER_STALE) by the next look at the status.
            self._status = ProviderStatus.READY
        self._on_loop(self._start_watch)

    def shutdown(self) -> None:
        """Stop listening and watching; the client stays open (the application closes it)."""
        remove = self._remove_listener
        self._remove_listener = None
        if remove is not None:
            remove()
        self._on_loop(self._stop_watch)

    def _on_loop(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` on the provider's loop: now if on it, else thread-safely."""
        loop = self._loop
        if loop is None or self._status_interval is None or loop.is_closed():
            return
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            callback()
        else:  # OpenFeature calls initialize and shutdown on threads of its own
            loop.call_soon_threadsafe(callback)

    def _start_watch(self) -> None:
        if self._watch is None or self._watch.done():
            self._watch = asyncio.get_running_loop().create_task(self._watch_status())

    def _stop_watch(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None

    async def _watch_status(self) -> None:
        assert self._status_interval is not None
        while True:
            await self._clock.sleep(self._status_interval)
            if self.refresh_status() is ProviderStatus.FATAL:
                return  # a closed client never recovers

    @property
    def status(self) -> ProviderStatus:
        """The status last derived from the cache (and announced as an event)."""
        return self._status

    def refresh_status(self) -> ProviderStatus:
        """Derive the status from the cache now; emit an event if it moved.

        Evaluations, entitlement changes and the status watch (``status_interval``)
        call this; call it yourself when the provider was built outside a loop.
        """
        status = self._stigg.entitlement_status
        mapped = provider_status(status)
        with self._status_lock:
            if mapped is self._status or self._status is ProviderStatus.NOT_READY:
                return self._status
            self._status = mapped
        details = ProviderEventDetails(message=status.reason or str(status.state))
        if mapped is ProviderStatus.READY:
            self.emit_provider_ready(details)
        elif mapped is ProviderStatus.STALE:
            self.emit_provider_stale(details)
        else:
            details.error_code = (
                ErrorCode.PROVIDER_FATAL
                if mapped is ProviderStatus.FATAL
                else ErrorCode.PROVIDER_NOT_READY
            )
            self.emit_provider_error(details)
        return mapped

    def _on_change(self, change: EntitlementsChange) -> None:
        self.refresh_status()
        metadata: dict[str, bool | str | int | float] = {
            "customer_id": change.customer_id,
            "cause": change.cause,
        }
        if change.resource_id is not None:
            metadata["resource_id"] = change.resource_id
        self.emit_provider_configuration_changed(
            ProviderEventDetails(flags_changed=sorted(change.feature_ids), metadata=metadata)
        )

    # -- asking the client -----------------------------------------------------------

    def _query(self, context: EvaluationContext | None) -> Query | tuple[ErrorCode, str]:
        return read_context(context, self._resource_attribute, self._usage_attribute)

    def _peek(self, flag_key: str, query: Query) -> EntitlementResult:
        result = self._stigg.peek_entitlement(
            query.customer_id,
            flag_key,
            resource_id=query.resource_id,
            requested_usage=query.requested_usage,
        )
        self.refresh_status()
        return result

    async def _get(self, flag_key: str, query: Query) -> EntitlementResult:
        result = await self._stigg.get_entitlement(
            query.customer_id,
            flag_key,
            resource_id=query.resource_id,
            requested_usage=query.requested_usage,
        )
        self.refresh_status()
        return result

    @staticmethod
    def _failed(default: T, exc: StiggError) -> FlagResolutionDetails[T]:
        code = (
            ErrorCode.INVALID_CONTEXT
            if isinstance(exc, StiggValidationError)
            else ErrorCode.GENERAL
        )
        return error(default, code, str(exc))

    # Every flag type asks the client the same way and differs only in how the
    # answer maps to a value; these two carry the asking (sync: the cache, never
    # waiting; async: get_entitlement) and ``answer`` the mapping.

    def _resolve_now(
        self,
        flag_key: str,
        default: T,
        context: EvaluationContext | None,
        answer: Callable[[EntitlementResult], FlagResolutionDetails[T]],
    ) -> FlagResolutionDetails[T]:
        query = self._query(context)
        if not isinstance(query, Query):
            return error(default, *query)
        try:
            result = self._peek(flag_key, query)
        except StiggError as exc:
            return self._failed(default, exc)
        return answer(result)

    async def _resolve(
        self,
        flag_key: str,
        default: T,
        context: EvaluationContext | None,
        answer: Callable[[EntitlementResult], FlagResolutionDetails[T]],
    ) -> FlagResolutionDetails[T]:
        query = self._query(context)
        if not isinstance(query, Query):
            return error(default, *query)
        try:
            result = await self._get(flag_key, query)
        except StiggError as exc:
            return self._failed(default, exc)
        return answer(result)

    # -- booleans ------------------------------------------------------------------

    def resolve_boolean_details(
        self,
        flag_key: str,
        default_value: bool,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[bool]:
        """``is_granted`` from the local cache, without waiting."""
        return self._resolve_now(
            flag_key,
            default_value,
            evaluation_context,
            lambda result: resolve_boolean(result, default_value),
        )

    async def resolve_boolean_details_async(
        self,
        flag_key: str,
        default_value: bool,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[bool]:
        """``is_granted`` through ``get_entitlement`` (a miss waits for the API)."""
        return await self._resolve(
            flag_key,
            default_value,
            evaluation_context,
            lambda result: resolve_boolean(result, default_value),
        )

    # -- numbers -------------------------------------------------------------------

    def resolve_integer_details(
        self,
        flag_key: str,
        default_value: int,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[int]:
        """The usage limit (or remaining usage) from the local cache, without waiting."""
        return self._resolve_now(
            flag_key,
            default_value,
            evaluation_context,
            lambda result: resolve_number(result, default_value, self._number_value, int),
        )

    async def resolve_integer_details_async(
        self,
        flag_key: str,
        default_value: int,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[int]:
        """The usage limit (or remaining usage) through ``get_entitlement``."""
        return await self._resolve(
            flag_key,
            default_value,
            evaluation_context,
            lambda result: resolve_number(result, default_value, self._number_value, int),
        )

    def resolve_float_details(
        self,
        flag_key: str,
        default_value: float,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[float]:
        """Like the integer flag, as a float (``inf`` when usage is unlimited)."""
        return self._resolve_now(
            flag_key,
            default_value,
            evaluation_context,
            lambda result: resolve_number(result, default_value, self._number_value, float),
        )

    async def resolve_float_details_async(
        self,
        flag_key: str,
        default_value: float,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[float]:
        """Like the integer flag, as a float, through ``get_entitlement``."""
        return await self._resolve(
            flag_key,
            default_value,
            evaluation_context,
            lambda result: resolve_number(result, default_value, self._number_value, float),
        )

    # -- objects and strings -------------------------------------------------------

    def resolve_object_details(
        self,
        flag_key: str,
        default_value: _Object,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[_Object]:
        """The whole entitlement as a mapping, from the local cache."""
        return self._resolve_now(
            flag_key,
            default_value,
            evaluation_context,
            lambda result: resolve_object(result, default_value),
        )

    async def resolve_object_details_async(
        self,
        flag_key: str,
        default_value: _Object,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[_Object]:
        """The whole entitlement as a mapping, through ``get_entitlement``."""
        return await self._resolve(
            flag_key,
            default_value,
            evaluation_context,
            lambda result: resolve_object(result, default_value),
        )

    def resolve_string_details(
        self,
        flag_key: str,
        default_value: str,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[str]:
        """Not answered: entitlements are booleans, numbers or objects."""
        return error(
            default_value,
            ErrorCode.TYPE_MISMATCH,
            "Stigg entitlements resolve as boolean, integer, float or object flags",
        )

    async def resolve_string_details_async(
        self,
        flag_key: str,
        default_value: str,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[str]:
        """Not answered: entitlements are booleans, numbers or objects."""
        return self.resolve_string_details(flag_key, default_value, evaluation_context)

    # -- tracking ------------------------------------------------------------------

    def track(
        self,
        tracking_event_name: str,
        evaluation_context: EvaluationContext | None = None,
        tracking_event_details: TrackingEventDetails | None = None,
    ) -> None:
        """Report usage of the feature named by the event: ``details.value`` units (default 1).

        The context's targeting key is the customer and its resource attribute the
        resource. The report is queued (``AsyncStigg.track_usage``) and sent in the
        background. Raises :class:`StiggValidationError` when there is no customer or
        the value is not a finite number; a full queue is logged as a warning.

        Example:
            >>> flags.track(  # doctest: +SKIP
            ...     "feature-02-campaigns", EvaluationContext("customer-1"),
            ...     TrackingEventDetails(value=3),
            ... )
        """
        query = self._query(evaluation_context)
        if not isinstance(query, Query):
            raise StiggValidationError(query[1], field="evaluation_context")
        value = 1.0 if tracking_event_details is None else tracking_event_details.value
        if value is None:
            value = 1.0
        queued = self._stigg.track_usage(
            query.customer_id, tracking_event_name, value, resource_id=query.resource_id
        )
        if not queued:
            logger.warning(
                "usage of %s for one customer was refused: the usage queue is full",
                tracking_event_name,
            )
