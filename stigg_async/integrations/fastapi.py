"""FastAPI integration: one client per app, an entitlement guard, usage after success.

Needs the ``fastapi`` extra (``pip install '.[fastapi]'`` from a clone); importing
``stigg_async`` alone never imports FastAPI.

Example:
    >>> from typing import Annotated  # doctest: +SKIP
    >>> from fastapi import Depends, FastAPI  # doctest: +SKIP
    >>> CanSend = Annotated[EntitlementResult, Depends(  # doctest: +SKIP
    ...     require_entitlement("feature-02-campaigns", customer_id="customer_id",
    ...                         requested_usage=1))]
    >>> Usage = Annotated[PendingUsage, Depends(  # doctest: +SKIP
    ...     track_usage_after("feature-02-campaigns", customer_id="customer_id"))]
    >>> app = FastAPI(lifespan=stigg_lifespan())  # doctest: +SKIP
    >>> app.add_middleware(StiggUsageMiddleware)  # doctest: +SKIP
    >>> @app.post("/customers/{customer_id}/campaigns")  # doctest: +SKIP
    ... async def send_campaign(decision: CanSend, usage: Usage) -> dict[str, object]:
    ...     return {"remaining": decision.remaining_usage}

The guard answers ``403`` with ``{"detail": {"error": "entitlement_denied",
"feature_id": ..., "access_denied_reason": ..., ...}}`` when the check is denied, and
``400`` (``"customer_id_missing"``) when the request names no customer (or only
whitespace), ``400`` (``"customer_id_invalid"``) when the id is unusable.

Usage after success is reported by a middleware, :class:`StiggUsageMiddleware`: the
:func:`track_usage_after` dependency records what to report, and the middleware
enqueues it (``AsyncStigg.track_usage``, buffered, non-blocking) once the response
has been sent, only if its status was below 400.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stigg_async._cache import EntitlementResult
from stigg_async._client import AsyncStigg
from stigg_async._errors import StiggConfigurationError, StiggError
from stigg_async.integrations._common import (
    customer_problem_body,
    denial_body,
    describe_source,
    resolve,
)

__all__ = [
    "CustomerIdSource",
    "PendingUsage",
    "Stigg",
    "StiggUsageMiddleware",
    "from_header",
    "from_path",
    "from_query",
    "get_stigg",
    "require_entitlement",
    "stigg_lifespan",
    "track_usage_after",
]

logger = logging.getLogger("stigg_async")

#: Where a guard finds the customer id: a name (looked up in the path parameters, then
#: the query string, then the headers), or a callable taking the ``Request`` and
#: returning the id (or ``None``), sync or async.
CustomerIdSource = str | Callable[[Request], str | Awaitable[str | None] | None]

#: A number, or a callable taking the ``Request`` and returning one (sync or async).
UsageSource = float | Callable[[Request], float | Awaitable[float]]

#: A resource id, or a callable taking the ``Request`` and returning one (sync or async).
ResourceSource = str | Callable[[Request], str | Awaitable[str | None] | None] | None

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[Any]]

_PENDING_KEY = "stigg_async.pending_usage"


def stigg_lifespan(
    lifespan: Lifespan | None = None,
    *,
    client: AsyncStigg | None = None,
    **client_kwargs: Any,
) -> Callable[[FastAPI], AbstractAsyncContextManager[dict[str, Any]]]:
    """A FastAPI ``lifespan`` that opens one :class:`AsyncStigg` and closes it at shutdown.

    The client is created at startup from ``client_kwargs`` (the ``AsyncStigg``
    keyword arguments; ``STIGG_SERVER_API_KEY`` / ``STIGG_API_URL`` apply as usual),
    or is the ``client`` you pass. It is stored as ``app.state.stigg`` and in the
    lifespan state, so :func:`get_stigg` finds it. At shutdown it is closed with
    ``aclose()``, which delivers buffered usage first.

    Pass your own lifespan as ``lifespan``: it runs inside this one, so it can use
    ``app.state.stigg`` at startup, and whatever state it yields is merged in.

    Example:
        >>> app = FastAPI(lifespan=stigg_lifespan(timeout=5))  # doctest: +SKIP
        >>> @asynccontextmanager  # doctest: +SKIP
        ... async def mine(app: FastAPI):
        ...     await app.state.stigg.prefetch(["customer-1"])
        ...     yield {"db": "..."}
        >>> app = FastAPI(lifespan=stigg_lifespan(mine))  # doctest: +SKIP
    """
    if client is not None and client_kwargs:
        raise TypeError("pass either client= or AsyncStigg keyword arguments, not both")

    @asynccontextmanager
    async def lifespan_with_stigg(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        stigg = client if client is not None else AsyncStigg(**client_kwargs)
        try:
            await stigg.open()
            app.state.stigg = stigg
            state: dict[str, Any] = {"stigg": stigg}
            if lifespan is None:
                yield state
            else:
                async with lifespan(app) as user_state:
                    if isinstance(user_state, Mapping):
                        state.update(user_state)
                    yield state
        finally:
            await stigg.aclose()

    return lifespan_with_stigg


def get_stigg(request: Request) -> AsyncStigg:
    """The application's client (a FastAPI dependency).

    Raises:
        RuntimeError: the app was not created with ``lifespan=stigg_lifespan(...)``.

    Example:
        >>> @app.get("/plan/{customer_id}")  # doctest: +SKIP
        ... async def plan(customer_id: str, stigg: Stigg):
        ...     subs = await stigg.get_active_subscriptions(customer_id)
        ...     return [s.plan_id for s in subs]
    """
    stigg = getattr(request.state, "stigg", None) or getattr(request.app.state, "stigg", None)
    if not isinstance(stigg, AsyncStigg):
        raise RuntimeError(
            "no AsyncStigg on this app: create it with FastAPI(lifespan=stigg_lifespan(...))"
        )
    return stigg


#: ``stigg: Stigg`` in a route's parameters injects the application's client.
Stigg = Annotated[AsyncStigg, Depends(get_stigg)]


def from_header(name: str) -> Callable[[Request], str | None]:
    """Read the customer id from a request header.

    Example:
        >>> require_entitlement(  # doctest: +SKIP
        ...     "feature-04-analytics", customer_id=from_header("X-Customer-Id")
        ... )
    """

    def read(request: Request) -> str | None:
        return request.headers.get(name)

    read.__stigg_description__ = f"header {name!r}"  # type: ignore[attr-defined]
    return read


def from_path(name: str) -> Callable[[Request], str | None]:
    """Read the customer id from a path parameter (``/customers/{customer_id}``)."""

    def read(request: Request) -> str | None:
        value = request.path_params.get(name)
        return None if value is None else str(value)

    read.__stigg_description__ = f"path parameter {name!r}"  # type: ignore[attr-defined]
    return read


def from_query(name: str) -> Callable[[Request], str | None]:
    """Read the customer id from a query-string parameter (``?customer_id=...``)."""

    def read(request: Request) -> str | None:
        return request.query_params.get(name)

    read.__stigg_description__ = f"query parameter {name!r}"  # type: ignore[attr-defined]
    return read


async def _customer_id(source: CustomerIdSource, request: Request) -> str | None:
    if isinstance(source, str):
        value = request.path_params.get(source)
        if value is None:
            value = request.query_params.get(source) or request.headers.get(source)
        return None if value is None else str(value)
    result: str | None = await resolve(source, request)
    return result


async def _required_customer(source: CustomerIdSource, request: Request, feature_id: str) -> str:
    customer = await _customer_id(source, request)
    body = customer_problem_body(feature_id, describe_source(source), customer)
    if body is not None or customer is None:
        raise HTTPException(status_code=400, detail=body)
    return customer


def require_entitlement(
    feature_id: str,
    *,
    customer_id: CustomerIdSource,
    requested_usage: UsageSource | None = None,
    resource_id: ResourceSource = None,
    consume: UsageSource | None = None,
) -> Callable[[Request], Awaitable[EntitlementResult]]:
    """A dependency that lets the request through only if the customer has the feature.

    The check is :meth:`AsyncStigg.get_entitlement` (local cache). Granted: the
    dependency's value is the :class:`EntitlementResult`. Denied: ``HTTPException(403)``
    whose JSON body is ``{"detail": {"error": "entitlement_denied", "feature_id": ...,
    "customer_id": ..., "access_denied_reason": ..., "requested_usage": ...,
    "current_usage": ..., "usage_limit": ...}}``. No customer id in the request: 400.

    Args:
        feature_id: the feature to check.
        customer_id: where the customer id is: a name (path parameter, then query
            parameter, then header of that name), :func:`from_header` /
            :func:`from_path` / :func:`from_query`, or any callable taking the
            ``Request`` (sync or async).
        requested_usage: units this request will use (a number or a callable taking
            the ``Request``); ``None`` checks access only.
        resource_id: the resource, for resource-scoped subscriptions (a value or a
            callable taking the ``Request``).
        consume: units to *consume* (a number or a callable taking the ``Request``):
            the check and the tracking of that usage happen in one step
            (:meth:`AsyncStigg.consume`), so concurrent requests can never overrun a
            hard limit. Use it instead of ``requested_usage`` when the request uses
            the feature as soon as it is let through.

    Example:
        >>> Analytics = Annotated[EntitlementResult, Depends(  # doctest: +SKIP
        ...     require_entitlement("feature-04-analytics", customer_id="customer_id"))]
        >>> @app.get("/customers/{customer_id}/analytics")  # doctest: +SKIP
        ... async def analytics(decision: Analytics):
        ...     return {"granted": decision.is_granted}
    """
    if consume is not None and requested_usage is not None:
        raise StiggConfigurationError("pass either requested_usage or consume, not both")

    async def check_entitlement(request: Request) -> EntitlementResult:
        stigg = get_stigg(request)
        customer = await _required_customer(customer_id, request, feature_id)
        usage = None if requested_usage is None else await resolve(requested_usage, request)
        resource = await resolve(resource_id, request)
        if consume is not None:
            amount = await resolve(consume, request)
            result = await stigg.consume(customer, feature_id, amount, resource_id=resource)
        else:
            result = await stigg.get_entitlement(
                customer, feature_id, resource_id=resource, requested_usage=usage
            )
        if not result.is_granted:
            raise HTTPException(status_code=403, detail=denial_body(result, customer))
        return result

    return check_entitlement


@dataclass
class PendingUsage:
    """Usage a request will report once its response succeeded (status < 400).

    Returned by the :func:`track_usage_after` dependency. The route may change
    ``value`` (for example to the number of items it processed) or call
    :meth:`cancel`.
    """

    customer_id: str
    feature_id: str
    value: float
    resource_id: str | None = None
    cancelled: bool = False
    _stigg: AsyncStigg | None = field(default=None, repr=False)

    def cancel(self) -> None:
        """Report nothing for this request."""
        self.cancelled = True

    def report(self) -> bool:
        """Enqueue it now (``track_usage``); False when it was not queued."""
        if self.cancelled or self._stigg is None or self.value == 0:
            return False
        try:
            return self._stigg.track_usage(
                self.customer_id, self.feature_id, self.value, resource_id=self.resource_id
            )
        except StiggError as exc:
            # The response is already sent: a bad value must not turn into a 500.
            logger.error(
                "usage for %s / %s not tracked: %s",
                self.customer_id,
                self.feature_id,
                exc,
            )
            return False


def track_usage_after(
    feature_id: str,
    *,
    customer_id: CustomerIdSource,
    value: UsageSource = 1,
    resource_id: ResourceSource = None,
) -> Callable[[Request], Awaitable[PendingUsage]]:
    """A dependency that reports usage after the response succeeded (status < 400).

    Needs :class:`StiggUsageMiddleware` on the app (``app.add_middleware(...)``); the
    middleware enqueues the usage with ``track_usage`` after the response was sent,
    so the request never waits for Stigg. Failed requests (status >= 400 or an
    exception) report nothing. The dependency's value is a :class:`PendingUsage`
    the route can adjust.

    Example:
        >>> Templates = Annotated[PendingUsage, Depends(  # doctest: +SKIP
        ...     track_usage_after("feature-01-templates", customer_id="customer_id"))]
        >>> @app.post("/customers/{customer_id}/templates")  # doctest: +SKIP
        ... async def create_templates(usage: Templates):
        ...     usage.value = 3  # this request created three templates
    """

    async def record_usage(request: Request) -> PendingUsage:
        pending = request.scope.get(_PENDING_KEY)
        if not isinstance(pending, list):
            raise RuntimeError(
                "track_usage_after needs the middleware: app.add_middleware(StiggUsageMiddleware)"
            )
        stigg = get_stigg(request)
        customer = await _required_customer(customer_id, request, feature_id)
        amount = await resolve(value, request)
        resource = await resolve(resource_id, request)
        item = PendingUsage(customer, feature_id, amount, resource, _stigg=stigg)
        pending.append(item)
        return item

    return record_usage


class StiggUsageMiddleware:
    """ASGI middleware that reports :func:`track_usage_after` usage of successful requests.

    It watches the response status; once the response has been sent and its status
    is below 400, every :class:`PendingUsage` the request recorded is enqueued with
    ``track_usage``. A request that raised reports nothing.

    Example:
        >>> app.add_middleware(StiggUsageMiddleware)  # doctest: +SKIP
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        pending: list[PendingUsage] = []
        scope[_PENDING_KEY] = pending
        status: int | None = None

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        await self.app(scope, receive, watch)
        if status is not None and status < 400:
            for item in pending:
                item.report()
