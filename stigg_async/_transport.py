"""The HTTP layer: one gql ``Client`` over one aiohttp session, with honest errors.

gql is used as it is meant to be (``Client`` + ``AIOHTTPTransport``) with three
measured fixes (DESIGN section 5):

* no schema on the client, so documents are not validated per call (1-9 ms each);
  the test suite validates every document against the schema instead;
* requests carry document text printed once at load, not re-printed per call;
* an HTTP error status is kept even when the body is GraphQL JSON (gql drops it),
  so 401/429/5xx are told apart from GraphQL business errors.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import math
import platform
from collections.abc import Mapping
from typing import Any

import aiohttp
from gql import Client, GraphQLRequest
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.exceptions import (
    TransportClosed,
    TransportConnectionFailed,
    TransportProtocolError,
    TransportQueryError,
    TransportServerError,
)
from yarl import URL

from stigg_async._errors import (
    GraphQLErrorDetail,
    StiggAuthenticationError,
    StiggClientStateError,
    StiggConfigurationError,
    StiggConnectionError,
    StiggError,
    StiggGraphQLError,
    StiggHTTPError,
    StiggRateLimitError,
    StiggResponseError,
    StiggServerError,
    StiggTimeoutError,
    redact,
)
from stigg_async._operations import Operation
from stigg_async._scrub import scrub_error, scrub_value
from stigg_async._version import __version__

__all__ = ["DEFAULT_API_URL", "GraphQLTransport", "check_api_url", "user_agent"]

logger = logging.getLogger("stigg_async")

DEFAULT_API_URL = "https://api.stigg.io/graphql"
_MAX_ERROR_BODY = 300

#: Said once in every 401/403 error: where the key comes from and where to find it.
AUTH_HINT = (
    "check the API key passed as api_key= or set in STIGG_SERVER_API_KEY: use the "
    "environment's Server API key from the Stigg console (Settings > Account > "
    "Environments > Server API key)"
)


def user_agent() -> str:
    """The ``User-Agent`` sent with every request, naming the SDK and its runtime."""
    python = platform.python_version()
    return f"stigg-async/{__version__} python/{python} aiohttp/{aiohttp.__version__}"


def check_api_url(api_url: str) -> URL:
    """Parse ``api_url``; refuse plain ``http://`` unless the host is loopback.

    Example:
        >>> str(check_api_url("http://127.0.0.1:8787/graphql"))
        'http://127.0.0.1:8787/graphql'
    """
    try:
        url = URL(api_url)
    except (TypeError, ValueError) as exc:
        raise StiggConfigurationError(f"api_url is not a valid URL: {exc}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise StiggConfigurationError("api_url must be an absolute http(s) URL")
    if url.scheme == "http" and not _is_loopback(url.host):
        raise StiggConfigurationError(
            "api_url uses plain http:// for a non-loopback host; the API key would travel "
            "unencrypted. Use https://, or http:// only for 127.0.0.1 / localhost / ::1."
        )
    return url


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _SecretRedactingFilter(logging.Filter):
    """Scrubs API keys from gql's own log records.

    gql logs whole request and response bodies at DEBUG; a server or proxy that
    echoes the key back would put it into those records.
    """

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            scrubbed = redact(message, *self.secrets)
            if scrubbed != message:
                record.msg = scrubbed
                record.args = None
        return True


_REDACTOR = _SecretRedactingFilter()
for _name in ("gql.client", "gql.transport.aiohttp"):
    logging.getLogger(_name).addFilter(_REDACTOR)


class _HTTPStatusError(TransportServerError):
    """A 4xx/5xx answer, carrying what gql would drop: status, headers, GraphQL errors."""

    def __init__(self, status: int, headers: Mapping[str, str], body: Any, text: str) -> None:
        super().__init__(f"HTTP {status}", status)
        self.status = status
        self.headers = headers
        self.body = body
        self.text = text


class _StatusKeepingTransport(AIOHTTPTransport):
    """``AIOHTTPTransport`` that raises :class:`_HTTPStatusError` for every >= 400 answer."""

    async def _prepare_result(self, response: aiohttp.ClientResponse) -> Any:
        if response.status >= 400:
            text = await response.text(errors="replace")
            try:
                body: Any = json.loads(text)
            except ValueError:
                body = None
            raise _HTTPStatusError(response.status, dict(response.headers), body, text)
        return await super()._prepare_result(response)


class _PreparedRequest(GraphQLRequest):
    """A request whose payload reuses the document text printed once at load."""

    def __init__(
        self, text: str, operation_name: str | None, variables: Mapping[str, Any] | None
    ) -> None:
        # GraphQLRequest.__init__ would parse the text again; nothing downstream
        # needs the AST because the client has no schema to validate against.
        self.document = None  # type: ignore[assignment]
        self.variable_values = dict(variables) if variables else None
        self.operation_name = operation_name
        self.extensions = None
        self._text = text

    @property
    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"query": self._text}
        if self.operation_name:
            payload["operationName"] = self.operation_name
        if self.variable_values:
            payload["variables"] = self.variable_values
        return payload


class GraphQLTransport:
    """Sends GraphQL documents to Stigg and maps every failure to a :class:`StiggError`.

    One instance owns one gql ``Client`` and one aiohttp session for its whole life.
    It does not retry; the retry policy sits above it.
    """

    def __init__(
        self,
        *,
        api_url: str,
        api_key: str,
        timeout: float,
        max_connections: int = 100,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        self.url = check_api_url(api_url)
        self._api_key = api_key
        _REDACTOR.secrets.add(api_key)
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        headers = {
            "X-API-KEY": api_key,
            "X-API-VERSION": "1",
            "User-Agent": user_agent(),
            **(extra_headers or {}),
        }
        self._gql_transport = _StatusKeepingTransport(
            url=str(self.url),
            headers=headers,
            ssl=self.url.scheme == "https",
        )
        self._max_connections = max_connections
        self._client = Client(
            transport=self._gql_transport,
            fetch_schema_from_transport=False,
            execute_timeout=None,
        )
        self._session: Any = None
        self._lock: asyncio.Lock | None = None
        self._closed = False

    @property
    def is_open(self) -> bool:
        """True between :meth:`open` and :meth:`close`."""
        return self._session is not None

    async def open(self) -> None:
        """Open the aiohttp session (idempotent)."""
        if self._closed:
            raise StiggClientStateError("the client is closed; create a new AsyncStigg")
        if self._session is not None:
            return
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._session is None:
                # The connector must be created inside the running loop.
                self._gql_transport.client_session_args = {
                    "connector": aiohttp.TCPConnector(limit=self._max_connections),
                }
                self._session = await self._client.connect_async(  # type: ignore[no-untyped-call]
                    reconnecting=False
                )

    async def close(self) -> None:
        """Close the session; later calls fail with :class:`StiggClientStateError`."""
        self._closed = True
        if self._session is not None:
            self._session = None
            await self._client.close_async()  # type: ignore[no-untyped-call]

    async def execute(
        self,
        op: Operation,
        variables: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Send ``op`` and return its ``data``; raise a :class:`StiggError` on any failure."""
        return await self.execute_text(op.text, variables, op.name, timeout=timeout)

    async def execute_text(
        self,
        text: str,
        variables: Mapping[str, Any] | None,
        operation_name: str,
        *,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Send a document given as text (for documents built at run time)."""
        if self._session is None:
            await self.open()
        request = _PreparedRequest(text, operation_name, variables)
        extra = {
            "timeout": self._timeout if timeout is None else aiohttp.ClientTimeout(total=timeout)
        }
        failure: StiggError | None = None
        try:
            # The transport itself, not the gql session around it: the session would
            # only add a timeout scope we disable and schema steps we have no schema
            # for (about a third of the SDK's own cost per request).
            result = await self._gql_transport.execute(request, extra_args=extra)
            if result.errors:
                raise TransportQueryError(
                    str(result.errors[0]),
                    errors=result.errors,
                    data=result.data,
                    extensions=result.extensions,
                )
            data = result.data
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            failure = self._map_error(exc, operation_name)
            if self._closed and not isinstance(failure, StiggClientStateError):
                failure = StiggClientStateError(
                    f"the client was closed while the request was in flight ({failure.message})",
                    operation=operation_name,
                )
            if self._closed:
                # Closed under a request that had started: it may have been applied.
                failure.may_have_landed = True
        if failure is not None:
            # Raised outside the except block so neither __cause__ nor __context__
            # carries gql's exception, whose text can hold the server's raw answer.
            raise scrub_error(failure, self._api_key)
        if not isinstance(data, dict):
            # A 2xx answer came, so the request ran: its outcome is unknown.
            raise StiggResponseError(
                "the response has no data object", operation=operation_name, may_have_landed=True
            )
        return data

    def _map_error(self, exc: Exception, operation: str) -> StiggError:
        if isinstance(exc, StiggError):
            exc.operation = exc.operation or operation
            return exc
        if isinstance(exc, _HTTPStatusError):
            return self._http_error(exc, operation)
        if isinstance(exc, TransportQueryError):
            details = tuple(GraphQLErrorDetail.from_payload(e) for e in exc.errors or ())
            details = tuple(self._scrub(d) for d in details)
            first = details[0] if details else None
            cls = StiggGraphQLError.class_for(first.code if first else None)
            message = first.message if first else "the server answered with GraphQL errors"
            if first and first.code:
                message = f"{first.code}: {_without_prefix(message, first.code)}"
            return cls(
                message,
                errors=details,
                data=scrub_value(exc.data, self._secrets),
                operation=operation,
            )
        sent = not _never_sent(exc)
        if isinstance(exc, (TimeoutError, asyncio.TimeoutError)) or _caused_by_timeout(exc):
            return StiggTimeoutError(
                "the request timed out", operation=operation, may_have_landed=sent
            )
        if isinstance(exc, TransportConnectionFailed):
            return StiggConnectionError(
                self._safe(f"connection failed: {exc}"), operation=operation, may_have_landed=sent
            )
        if isinstance(exc, TransportClosed):
            return StiggClientStateError("the transport is closed", operation=operation)
        if isinstance(exc, TransportProtocolError):
            # A truncated or malformed 2xx body: the request ran, its answer is lost.
            return StiggResponseError(
                self._safe(f"malformed response: {str(exc)[:_MAX_ERROR_BODY]}"),
                operation=operation,
                may_have_landed=True,
            )
        if isinstance(exc, aiohttp.ClientError):
            return StiggConnectionError(
                self._safe(f"connection failed: {exc}"), operation=operation, may_have_landed=sent
            )
        return StiggResponseError(
            self._safe(f"unexpected {type(exc).__name__}: {exc}"),
            operation=operation,
            may_have_landed=True,
        )

    def _http_error(self, exc: _HTTPStatusError, operation: str) -> StiggHTTPError:
        errors: tuple[GraphQLErrorDetail, ...] = ()
        if isinstance(exc.body, dict) and isinstance(exc.body.get("errors"), list):
            errors = tuple(
                self._scrub(GraphQLErrorDetail.from_payload(e)) for e in exc.body["errors"]
            )
        status = exc.status
        headers = {k.lower(): v for k, v in exc.headers.items()}
        request_id = headers.get("x-request-id")
        code = errors[0].code if errors else None
        if errors:
            detail = _without_prefix(errors[0].message, code)
        else:
            detail = exc.text[:_MAX_ERROR_BODY].strip() or "no body"
        label = f"HTTP {status} {code}" if code else f"HTTP {status}"
        kwargs: dict[str, Any] = {
            "status": status,
            "errors": errors,
            "request_id": request_id,
            "operation": operation,
        }
        if status in (401, 403):
            verb = "rejected" if status == 401 else "not allowed to do this"
            message = self._safe(f"the API key was {verb} ({label}: {detail}); {AUTH_HINT}")
            return StiggAuthenticationError(message, **kwargs)
        message = self._safe(f"{label}: {detail}")
        if status == 429:
            return StiggRateLimitError(
                message, retry_after=_parse_retry_after(headers.get("retry-after")), **kwargs
            )
        if status >= 500:
            # The server (or a proxy in front of it) may have run the request first.
            return StiggServerError(message, may_have_landed=True, **kwargs)
        return StiggHTTPError(message, **kwargs)

    @property
    def _secrets(self) -> tuple[str, ...]:
        return (self._api_key,) if self._api_key else ()

    def _safe(self, text: str) -> str:
        return redact(text, self._api_key)

    def _scrub(self, detail: GraphQLErrorDetail) -> GraphQLErrorDetail:
        scrubbed: GraphQLErrorDetail = scrub_value(detail, self._secrets)
        return scrubbed

    def __repr__(self) -> str:
        return f"GraphQLTransport(url={str(self.url)!r}, open={self.is_open})"


def _without_prefix(message: str, code: str | None) -> str:
    """``message`` without a leading ``"<code>: "`` (servers often repeat the code)."""
    while code and message.startswith(f"{code}:"):
        message = message[len(code) + 1 :].lstrip()
    return message or (code or "")


# aiohttp >= 3.10 tells a connect timeout apart from a read timeout; older ones do not.
_CONNECT_ERRORS: tuple[type[BaseException], ...] = (aiohttp.ClientConnectorError,) + (
    (aiohttp.ConnectionTimeoutError,) if hasattr(aiohttp, "ConnectionTimeoutError") else ()
)


def _never_sent(exc: BaseException) -> bool:
    """True when the failure happened while connecting: no byte of the request left."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, _CONNECT_ERRORS):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _caused_by_timeout(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, (TimeoutError, asyncio.TimeoutError, aiohttp.ServerTimeoutError)):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds; HTTP dates are ignored)."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None
