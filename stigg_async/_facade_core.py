"""The one path every API operation takes: open, send, retry, resolve ambiguity.

The per-topic facade mixins (customers, subscriptions, reporting, promotions) call
:meth:`_FacadeCore._call`; ``AsyncStigg`` supplies the attributes declared here.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Collection, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from stigg_async._clock import Clock
from stigg_async._errors import (
    StiggConnectionError,
    StiggError,
    StiggGraphQLError,
    StiggResponseError,
    StiggServerError,
    StiggValidationError,
)
from stigg_async._models import build_input, parse_input, parse_result
from stigg_async._operations import operation
from stigg_async._refreshes import REFRESHES_ENTITLEMENTS, affected_customer
from stigg_async._retry import NO_RETRY, RetryPolicy, run_with_retries
from stigg_async._transport import GraphQLTransport
from stigg_async._usage._items import UsageRecord
from stigg_async._usage._observer import UsageOutcome

if TYPE_CHECKING:
    from stigg_async._cache import EntitlementCache
    from stigg_async._usage import UsagePipeline

__all__ = ["_FacadeCore", "is_ambiguous", "keywords", "new_id", "new_idempotency_key"]

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


def new_idempotency_key() -> str:
    """A fresh idempotency key for one logical usage report."""
    return uuid.uuid4().hex


def is_ambiguous(exc: StiggError) -> bool:
    """True when a failed mutation may still have been applied by the server.

    A dropped connection, a timeout or a 5xx can come after the server committed
    the write; a 4xx, a 429 or a GraphQL business error means it did not.
    """
    return isinstance(exc, (StiggConnectionError, StiggServerError))


class _FacadeCore:
    """State and plumbing shared by the facade mixins."""

    _transport: GraphQLTransport
    _retry: RetryPolicy
    _clock: Clock
    _entitlements: EntitlementCache
    _usage: UsagePipeline
    _timeout: float

    async def _ensure_open(self) -> None:
        raise NotImplementedError  # provided by AsyncStigg

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
        return parse_result(model, data, operation=operation)

    @contextlib.contextmanager
    def _usage_in_flight(
        self, records: Sequence[UsageRecord]
    ) -> Iterator[Callable[[Sequence[Any]], None]]:
        """Count awaited usage reports as pending while their request is out.

        Yields ``settle(answers)``, to call with the server's answers (one per record)
        once they are in. Leaving the block without settling means the call failed:
        the amounts leave pending if it certainly did not land, and stay counted
        (until a later refresh shows the truth) if it may have.
        """
        observer = self._usage.observer
        if observer is not None:
            for record in records:
                observer.usage_accepted(record)
        settled = False

        def settle(answers: Sequence[Any]) -> None:
            nonlocal settled
            settled = True
            self._entitlements.apply_measurements([a for a in answers if isinstance(a, Mapping)])
            if observer is not None:
                by_index = len(answers) == len(records)
                for index, record in enumerate(records):
                    answer = answers[index] if by_index else None
                    observer.usage_settled(
                        record,
                        UsageOutcome.DELIVERED,
                        answer if isinstance(answer, Mapping) else None,
                    )

        try:
            yield settle
        except BaseException as exc:
            if observer is not None and not settled:
                landed = not isinstance(exc, StiggError) or is_ambiguous(exc)
                outcome = UsageOutcome.UNKNOWN if landed else UsageOutcome.FAILED
                for record in records:
                    observer.usage_settled(record, outcome)
            raise

    async def _refresh_customer(self, customer_id: str | None) -> None:
        """Refetch a customer's cached entitlements after a change; never raises."""
        if not customer_id:
            return
        try:
            await self._entitlements.refresh_customer(customer_id)
        except Exception:  # the mutation succeeded; a stale cache heals on the next poll
            logger.warning(
                "stigg_async: refreshing entitlements of a customer failed", exc_info=True
            )

    async def _call(
        self,
        name: str,
        variables: Mapping[str, Any] | None,
        *,
        retry: bool = True,
        resolve_conflict: tuple[Collection[str], Callable[[], Awaitable[T]]] | None = None,
    ) -> Any:
        """Run operation ``name`` and return the value of its root field.

        ``resolve_conflict=(codes, fetch)``: if an attempt failed ambiguously (the
        write may have landed) and a later attempt is refused with one of ``codes``
        (e.g. ``DuplicatedEntityNotAllowed``), the first attempt did land: return
        ``await fetch()`` instead of the error.
        """
        await self._ensure_open()
        op = operation(name)
        ambiguous: list[StiggError] = []

        def remember(exc: StiggError) -> None:
            if is_ambiguous(exc):
                ambiguous.append(exc)

        async def send() -> dict[str, Any]:
            return await self._transport.execute(op, variables)

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
        if op.root_field not in data:
            raise StiggResponseError(f"the response lacks {op.root_field!r}", operation=name)
        result = data[op.root_field]
        if name in REFRESHES_ENTITLEMENTS:
            # One place for every method: the next local check must show the change.
            await self._refresh_customer(affected_customer(variables, result))
        return result
