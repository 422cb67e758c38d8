"""The one path every API operation takes: open, send, retry, resolve ambiguity.

The per-topic facade mixins (customers, subscriptions, reporting, promotions) call
:meth:`_FacadeCore._call`; ``AsyncStigg`` supplies the attributes declared here.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from stigg_async._clock import Clock
from stigg_async._errors import (
    StiggError,
    StiggGraphQLError,
    StiggResponseError,
    StiggValidationError,
)
from stigg_async._models import build_input, parse_input, parse_result
from stigg_async._operations import operation
from stigg_async._refreshes import REFRESHES_ENTITLEMENTS, affected_customer, affected_customers
from stigg_async._retry import NO_RETRY, RetryPolicy, run_with_retries
from stigg_async._transport import GraphQLTransport
from stigg_async._usage._items import UsageRecord
from stigg_async._usage._observer import UsageOutcome

if TYPE_CHECKING:
    from stigg_async._cache import EntitlementCache
    from stigg_async._usage import UsagePipeline
    from stigg_async._usage._observer import UsageObserver

__all__ = [
    "_FacadeCore",
    "argument_names",
    "build_arguments",
    "is_ambiguous",
    "keywords",
    "new_id",
]

logger = logging.getLogger("stigg_async")

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


def new_id(prefix: str) -> str:
    """A client-chosen id (``customer-1f0c...``), minted once so retries reuse it."""
    return f"{prefix}-{uuid.uuid4().hex}"


# Locals of a facade method that are not input fields: the instance, the positional
# input object and the operation name.
_NOT_FIELDS = frozenset({"self", "input", "op"})


def keywords(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """A facade method's keyword arguments, taken from its ``locals()``.

    Every facade method's keyword parameters are named exactly like the fields of its
    input model, so the call's own arguments are the fields: nothing to list twice.
    Call it before the method binds any other local.
    """
    return {k: v for k, v in arguments.items() if k not in _NOT_FIELDS}


def build_arguments(model: type[M], operation: str, names: Mapping[str, str], **fields: Any) -> M:
    """``build_input``, with errors naming the caller's arguments, not the input's fields.

    ``names`` maps an input field (``subscription_ref_id``) to the argument it came
    from (``subscription_id``), so a message says what the caller wrote.
    """
    try:
        return build_input(model, operation=operation, **fields)
    except StiggValidationError as exc:
        raise argument_names(exc, names) from None


def argument_names(exc: StiggValidationError, names: Mapping[str, str]) -> StiggValidationError:
    """``exc`` with input field names replaced by argument names in message and field."""
    if not names:
        return exc
    pattern = re.compile(
        r"\b(" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + r")\b"
    )
    exc.message = pattern.sub(lambda m: names[m.group(1)], exc.message)
    exc.args = (exc.message,)
    if exc.field:
        exc.field = pattern.sub(lambda m: names[m.group(1)], exc.field)
    return exc


def is_ambiguous(exc: StiggError) -> bool:
    """True when a failed mutation may still have been applied by the server.

    A dropped connection or a timeout after sending, a 5xx, or a truncated or
    malformed 2xx body can come after the server committed the write; a 4xx, a 429,
    a GraphQL business error or a refused connection means it did not.
    """
    return exc.may_have_landed


class _FacadeCore:
    """State and plumbing shared by the facade mixins."""

    _transport: GraphQLTransport
    _retry: RetryPolicy
    _clock: Clock
    _entitlements: EntitlementCache
    _usage: UsagePipeline
    _timeout: float
    #: Told about every calculated-usage item an awaited report sends (the store).
    _usage_observer: UsageObserver | None = None

    async def _ensure_open(self) -> None:
        raise NotImplementedError  # provided by AsyncStigg

    def _observe_usage(self, observer: UsageObserver | None) -> None:
        """Tell ``observer`` about calculated usage in flight, buffered and awaited.

        The hook the entitlement store is wired through (DESIGN section 9).
        """
        self._usage_observer = observer
        self._usage.set_observer(observer)

    @staticmethod
    def _input(
        model: type[M],
        given: M | Mapping[str, Any] | None,
        fields: Mapping[str, Any],
        operation: str,
    ) -> M:
        """One input model from a ready model, a mapping, or keyword fields (not a mix).

        Keyword fields left as ``None`` are omitted; validation failures become a
        :class:`StiggValidationError` before anything is sent.
        """
        provided = {k: v for k, v in fields.items() if v is not None}
        if given is not None:
            if provided:
                raise StiggValidationError(
                    f"pass either an input object or keyword arguments, not both "
                    f"(got both input and {', '.join(sorted(provided))})",
                    operation=operation,
                )
            if isinstance(given, model):
                return given
            if isinstance(given, BaseModel) or not isinstance(given, Mapping):
                raise StiggValidationError(
                    f"input must be a {model.__name__} or a mapping, not {type(given).__name__}",
                    field="input",
                    operation=operation,
                )
            return parse_input(model, given, operation=operation)
        return build_input(model, operation=operation, **provided)

    @staticmethod
    def _sequence(given: Any, name: str, operation: str) -> list[Any]:
        """``given`` as a list, if it is a list-like sequence (not text, not a mapping)."""
        if isinstance(given, (str, bytes, Mapping)) or not isinstance(given, Sequence):
            raise StiggValidationError(f"{name} must be a list", field=name, operation=operation)
        return list(given)

    @classmethod
    def _inputs(
        cls, model: type[M], given: Sequence[M | Mapping[str, Any]], name: str, operation: str
    ) -> list[M]:
        """A non-empty list of input models from models or mappings."""
        given = cls._sequence(given, name, operation)
        if not given:
            raise StiggValidationError(f"{name} must not be empty", field=name, operation=operation)
        out: list[M] = []
        for index, item in enumerate(given):
            if isinstance(item, model):
                out.append(item)
            elif isinstance(item, Mapping):
                try:
                    out.append(parse_input(model, item, operation=operation))
                except StiggValidationError as exc:
                    exc.field = f"{name}[{index}].{exc.field}" if exc.field else f"{name}[{index}]"
                    exc.message = f"{name}[{index}]: {exc.message}"
                    raise
            else:
                raise StiggValidationError(
                    f"{name}[{index}] must be a {model.__name__} or a mapping, "
                    f"not {type(item).__name__}",
                    field=f"{name}[{index}]",
                    operation=operation,
                )
        return out

    @staticmethod
    def _result(model: type[M], data: Any, operation: str) -> M:
        try:
            return parse_result(model, data, operation=operation)
        except StiggResponseError as exc:
            # A 2xx answer came, so the request ran; only its answer is unusable.
            exc.may_have_landed = True
            raise

    async def _observed(
        self,
        op: str,
        variables: Mapping[str, Any],
        records: Sequence[UsageRecord],
        *,
        measurements: bool = True,
    ) -> Any:
        """Send a report of usage (or credit consumption), telling the usage observer.

        Every record is accepted before the request and settled exactly once after it:
        delivered, failed (definitely not applied) or unknown (may have landed,
        including a cancelled call). With ``measurements`` the answer is one
        ``UsageMeasurement`` per record, handed over on delivery (the observer makes it
        the cached base; with no observer the cache is given it here). The records'
        idempotency keys are attached to any error.
        """
        keys = [r.idempotency_key for r in records]
        observer = self._usage_observer
        if observer is None:  # nobody to settle with: the answers go to the cache directly
            raw = await self._call(op, variables, keys=keys)
            if measurements:
                self._entitlements.apply_measurements(raw if isinstance(raw, list) else [raw])
            return raw
        for record in records:
            try:
                observer.usage_accepted(record)
            except Exception:  # the observer must never break a report
                logger.exception("the usage observer raised; ignored")
        outcome, answers = UsageOutcome.UNKNOWN, None
        try:
            raw = await self._call(op, variables, keys=keys)
            outcome = UsageOutcome.DELIVERED
            if measurements:
                answers = raw if isinstance(raw, list) else [raw]
            return raw
        except StiggError as exc:
            outcome = UsageOutcome.UNKNOWN if exc.may_have_landed else UsageOutcome.FAILED
            raise
        finally:  # cancellation too: sent or not, the outcome is unknown
            paired = answers if answers is not None and len(answers) == len(records) else None
            for index, record in enumerate(records):
                candidate = None if paired is None else paired[index]
                answer = candidate if isinstance(candidate, Mapping) else None
                try:
                    observer.usage_settled(record, outcome, answer)
                except Exception:  # never hides the call's own result or error
                    logger.exception("the usage observer raised; ignored")
            if answers and paired is None:
                # Answers that do not pair with the records still carry the new bases.
                self._entitlements.apply_measurements(answers)

    async def _refresh_customer(self, customer_id: str | None) -> None:
        """Refetch a customer's cached entitlements after a change; never raises."""
        if not customer_id:
            return
        try:
            await self._entitlements.refresh_customer(customer_id)
        except Exception:  # the mutation succeeded; a stale cache heals on the next poll
            logger.warning("refreshing entitlements of a customer failed", exc_info=True)

    async def _call(
        self,
        name: str,
        variables: Mapping[str, Any] | None,
        *,
        retry: bool = True,
        resolve_conflict: tuple[Collection[str], Callable[[], Awaitable[T]]] | None = None,
        keys: Sequence[str] = (),
        minted: Mapping[str, str] | None = None,
    ) -> Any:
        """Run operation ``name`` and return the value of its root field.

        ``resolve_conflict=(codes, fetch)``: if an attempt failed ambiguously (the
        write may have landed) and a later attempt is refused with one of ``codes``
        (e.g. ``DuplicatedEntityNotAllowed``), the first attempt did land: return
        ``await fetch()`` instead of the error.

        ``keys`` (the idempotency keys sent) and ``minted`` (ids the SDK chose) are
        attached to any error raised, so the caller can retry safely.
        """
        try:
            return await self._run(name, variables, retry, resolve_conflict)
        except StiggError as exc:
            exc.attach_call(idempotency_keys=keys, minted_ids=minted)
            raise

    async def _run(
        self,
        name: str,
        variables: Mapping[str, Any] | None,
        retry: bool,
        resolve_conflict: tuple[Collection[str], Callable[[], Awaitable[T]]] | None,
    ) -> Any:
        await self._ensure_open()
        op = operation(name)
        ambiguous: list[StiggError] = []

        def remember(exc: StiggError) -> None:
            if is_ambiguous(exc):
                ambiguous.append(exc)

        async def send() -> dict[str, Any]:
            data = await self._transport.execute(op, variables)
            if op.root_field not in data:
                # A 2xx answer without its field: the request ran and its answer is
                # unusable, so it is retried like a lost answer.
                raise StiggResponseError(
                    f"the response lacks {op.root_field!r}", operation=name, may_have_landed=True
                )
            return data

        policy = self._retry if retry else NO_RETRY
        try:
            data = await run_with_retries(
                send, policy=policy, clock=self._clock, operation=name, on_failure=remember
            )
        except StiggGraphQLError as exc:
            if resolve_conflict is not None and ambiguous and exc.code in resolve_conflict[0]:
                recovered = await resolve_conflict[1]()
                if name in REFRESHES_ENTITLEMENTS:
                    await self._refresh_customer(
                        affected_customer(variables, None)
                        or getattr(recovered, "customer_id", None)
                    )
                return recovered
            raise
        result = data[op.root_field]
        if name in REFRESHES_ENTITLEMENTS:
            # One place for every method: the next local check must show the change.
            for customer_id in affected_customers(variables, result):
                await self._refresh_customer(customer_id)
        return result
