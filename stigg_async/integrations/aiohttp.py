"""aiohttp integration: the client in ``cleanup_ctx``, an entitlement guard, usage after success.

Example:
    >>> from aiohttp import web
    >>> from stigg_async.integrations.aiohttp import (
    ...     entitlement_result, require_entitlement, setup_stigg, track_usage_after,
    ... )
    >>> @require_entitlement("feature-02-campaigns", customer_id="customer_id", requested_usage=1)
    ... @track_usage_after("feature-02-campaigns", customer_id="customer_id")
    ... async def send_campaign(request: web.Request) -> web.Response:
    ...     decision = entitlement_result(request, "feature-02-campaigns")
    ...     return web.json_response({"remaining": decision.remaining_usage})
    >>> app = web.Application()
    >>> setup_stigg(app)  # AsyncStigg() at startup, aclose() at cleanup
    >>> _ = app.router.add_post("/customers/{customer_id}/campaigns", send_campaign)

The guard answers ``403`` with the JSON body ``{"error": "entitlement_denied",
"feature_id": ..., "access_denied_reason": ..., ...}`` when the check is denied, and
``400`` (``"customer_id_missing"``) when the request names no customer.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import web

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
    "STIGG_KEY",
    "CustomerIdSource",
    "Handler",
    "entitlement_result",
    "from_header",
    "from_path",
    "from_query",
    "get_stigg",
    "require_entitlement",
    "setup_stigg",
    "track_usage_after",
]

logger = logging.getLogger("stigg_async")

#: The application key under which :func:`setup_stigg` stores the client.
STIGG_KEY: web.AppKey[AsyncStigg] = web.AppKey("stigg_async.client", AsyncStigg)

#: A request handler.
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

#: Where a guard finds the customer id: a name (looked up in ``match_info``, then the
#: query string, then the headers), or a callable taking the request and returning
#: the id (or ``None``), sync or async.
CustomerIdSource = str | Callable[[web.Request], str | Awaitable[str | None] | None]

#: A number, or a callable taking the request and returning one (sync or async).
UsageSource = float | Callable[[web.Request], float | Awaitable[float]]

#: A resource id, or a callable taking the request and returning one (sync or async).
ResourceSource = str | Callable[[web.Request], str | Awaitable[str | None] | None] | None

# Request storage: a RequestKey where aiohttp has them (3.13+), else a plain string.
_DECISIONS: Any = (
    web.RequestKey("stigg_async.entitlements", dict)
    if hasattr(web, "RequestKey")
    else "stigg_async.entitlements"
)


def setup_stigg(
    app: web.Application, *, client: AsyncStigg | None = None, **client_kwargs: Any
) -> None:
    """Open one :class:`AsyncStigg` when the app starts and close it when it stops.

    Registered in ``app.cleanup_ctx``. The client is built at startup from
    ``client_kwargs`` (``AsyncStigg`` keyword arguments; the environment variables
    apply as usual), or is the ``client`` you pass, and stored as ``app[STIGG_KEY]``.
    Closing it (``aclose()``) delivers buffered usage first.

    Example:
        >>> app = web.Application()
        >>> setup_stigg(app, timeout=5)
        >>> len(app.cleanup_ctx)
        1
    """
    if client is not None and client_kwargs:
        raise TypeError("pass either client= or AsyncStigg keyword arguments, not both")

    async def stigg_context(app: web.Application) -> AsyncIterator[None]:
        stigg = client if client is not None else AsyncStigg(**client_kwargs)
        try:
            await stigg.open()
            app[STIGG_KEY] = stigg
            yield
        finally:
            await stigg.aclose()

    app.cleanup_ctx.append(stigg_context)


def get_stigg(request: web.Request) -> AsyncStigg:
    """The application's client (also found from sub-applications).

    Raises:
        RuntimeError: :func:`setup_stigg` was not called on the app.

    Example:
        >>> async def plan(request: web.Request) -> web.Response:
        ...     subs = await get_stigg(request).get_active_subscriptions("customer-1")
        ...     return web.json_response([s.plan_id for s in subs])
    """
    try:
        return request.config_dict[STIGG_KEY]
    except KeyError:
        raise RuntimeError("no AsyncStigg on this app: call setup_stigg(app) first") from None


def from_header(name: str) -> Callable[[web.Request], str | None]:
    """Read the customer id from a request header.

    Example:
        >>> guard = require_entitlement(
        ...     "feature-04-analytics", customer_id=from_header("X-Customer-Id")
        ... )
    """

    def read(request: web.Request) -> str | None:
        return request.headers.get(name)

    read.__stigg_description__ = f"header {name!r}"  # type: ignore[attr-defined]
    return read


def from_path(name: str) -> Callable[[web.Request], str | None]:
    """Read the customer id from a path variable (``/customers/{customer_id}``)."""

    def read(request: web.Request) -> str | None:
        return request.match_info.get(name)

    read.__stigg_description__ = f"path variable {name!r}"  # type: ignore[attr-defined]
    return read


def from_query(name: str) -> Callable[[web.Request], str | None]:
    """Read the customer id from a query-string parameter (``?customer_id=...``)."""

    def read(request: web.Request) -> str | None:
        return request.query.get(name)

    read.__stigg_description__ = f"query parameter {name!r}"  # type: ignore[attr-defined]
    return read


async def _customer_id(source: CustomerIdSource, request: web.Request) -> str | None:
    if isinstance(source, str):
        value = request.match_info.get(source)
        if value is None:
            value = request.query.get(source) or request.headers.get(source)
        return value
    result: str | None = await resolve(source, request)
    return result


def entitlement_result(request: web.Request, feature_id: str) -> EntitlementResult:
    """The granted decision :func:`require_entitlement` made for this request.

    Raises:
        KeyError: no guard for ``feature_id`` ran on this request.
    """
    decisions: dict[str, EntitlementResult] = request.get(_DECISIONS) or {}
    return decisions[feature_id]


def require_entitlement(
    feature_id: str,
    *,
    customer_id: CustomerIdSource,
    requested_usage: UsageSource | None = None,
    resource_id: ResourceSource = None,
    consume: UsageSource | None = None,
) -> Callable[[Handler], Handler]:
    """A handler decorator that lets the request through only if the customer has the feature.

    The check is :meth:`AsyncStigg.get_entitlement` (local cache). Granted: the
    handler runs and :func:`entitlement_result` gives it the decision. Denied: the
    handler does not run; the answer is ``403`` with the JSON body
    ``{"error": "entitlement_denied", "feature_id": ..., "customer_id": ...,
    "access_denied_reason": ..., "requested_usage": ..., "current_usage": ...,
    "usage_limit": ...}``. No customer id in the request: ``400``.

    Args:
        feature_id: the feature to check.
        customer_id: a name (path variable, then query parameter, then header of that
            name), :func:`from_header` / :func:`from_path` / :func:`from_query`, or any
            callable taking the request (sync or async).
        requested_usage: units this request will use (a number or a callable taking
            the request); ``None`` checks access only.
        resource_id: the resource, for resource-scoped subscriptions.

    Example:
        >>> @require_entitlement("feature-04-analytics", customer_id="customer_id")
        ... async def analytics(request: web.Request) -> web.Response:
        ...     return web.json_response({"report": "..."})
    """
    if consume is not None and requested_usage is not None:
        raise StiggConfigurationError("pass either requested_usage or consume, not both")

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(request: web.Request) -> web.StreamResponse:
            stigg = get_stigg(request)
            customer = await _customer_id(customer_id, request)
            body = customer_problem_body(feature_id, describe_source(customer_id), customer)
            if body is not None or customer is None:
                return web.json_response(body, status=400)
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
                return web.json_response(denial_body(result, customer), status=403)
            decisions: dict[str, EntitlementResult] | None = request.get(_DECISIONS)
            if decisions is None:
                decisions = {}
                request[_DECISIONS] = decisions
            decisions[feature_id] = result
            return await handler(request)

        return guarded

    return decorate


def track_usage_after(
    feature_id: str,
    *,
    customer_id: CustomerIdSource,
    value: UsageSource = 1,
    resource_id: ResourceSource = None,
) -> Callable[[Handler], Handler]:
    """A handler decorator that reports usage when the handler succeeded (status < 400).

    After the handler returns a response (or raises an ``HTTPException``) with a
    status below 400, the usage is enqueued with ``AsyncStigg.track_usage``
    (buffered; the request never waits for Stigg). Other exceptions and statuses
    >= 400 report nothing. ``value`` may be a callable taking the request, evaluated
    after the handler ran, so the handler can leave the amount in request storage.

    Example:
        >>> @track_usage_after("feature-02-campaigns", customer_id="customer_id")
        ... async def send_campaign(request: web.Request) -> web.Response:
        ...     return web.json_response({"sent": True})
    """

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def tracked(request: web.Request) -> web.StreamResponse:
            try:
                response = await handler(request)
            except web.HTTPException as exc:
                if exc.status < 400:
                    await _report(request)
                raise
            if response.status < 400:
                await _report(request)
            return response

        async def _report(request: web.Request) -> None:
            customer = await _customer_id(customer_id, request)
            if not customer:
                logger.error("no customer id for %s usage; not tracked", feature_id)
                return
            amount = await resolve(value, request)
            resource = await resolve(resource_id, request)
            try:
                get_stigg(request).track_usage(customer, feature_id, amount, resource_id=resource)
            except StiggError as exc:
                logger.error("usage for %s / %s not tracked: %s", customer, feature_id, exc)

        return tracked

    return decorate
