"""The exception hierarchy: one class per kind of failure, all under :class:`StiggError`.

Every error carries the operation it came from and how many retries were taken.
None of them ever holds the API key: messages are built from status codes, server
messages and error codes only, and :func:`redact` scrubs anything that echoes it.

    StiggError
    ├── StiggConfigurationError           bad client settings (no API key, insecure URL)
    ├── StiggValidationError              bad input caught locally; nothing was sent
    ├── StiggClientStateError             closed client, forked process, other event loop
    ├── StiggConnectionError              the request did not complete
    │   └── StiggTimeoutError             ... because it took too long
    ├── StiggHTTPError                    the server answered with a 4xx/5xx status
    │   ├── StiggAuthenticationError      401 / 403
    │   ├── StiggRateLimitError           429 (``retry_after``)
    │   └── StiggServerError              5xx
    ├── StiggGraphQLError                 the server answered with GraphQL errors
    │   ├── CustomerNotFoundError, PlanNotFoundError, DuplicatedEntityNotAllowedError, ...
    └── StiggResponseError                the answer was not the GraphQL JSON we expect
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

__all__ = [
    "AddonNotFoundError",
    "CouponNotFoundError",
    "CustomerNotFoundError",
    "DuplicatedEntityNotAllowedError",
    "FeatureNotFoundError",
    "GraphQLErrorDetail",
    "PlanNotFoundError",
    "PromotionalEntitlementNotFoundError",
    "StiggAuthenticationError",
    "StiggClientStateError",
    "StiggConfigurationError",
    "StiggConnectionError",
    "StiggError",
    "StiggGraphQLError",
    "StiggHTTPError",
    "StiggQueueFullError",
    "StiggRateLimitError",
    "StiggResponseError",
    "StiggServerError",
    "StiggTimeoutError",
    "StiggValidationError",
    "SubscriptionNotFoundError",
    "redact",
]


def redact(text: str, *secrets: str | None) -> str:
    """Replace every occurrence of each non-empty secret in ``text`` with ``***``.

    Example:
        >>> redact("key=abc123 rejected", "abc123")
        'key=*** rejected'
    """
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


@dataclass(frozen=True)
class GraphQLErrorDetail:
    """One entry of a GraphQL ``errors`` array.

    Example:
        >>> GraphQLErrorDetail.from_payload(
        ...     {"message": "no such customer", "extensions": {"code": "CustomerNotFound"}}
        ... ).code
        'CustomerNotFound'
    """

    message: str
    code: str | None = None
    path: tuple[str | int, ...] = ()
    extensions: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_payload(cls, payload: Any) -> GraphQLErrorDetail:
        """Build from one raw error object, tolerating missing or odd fields."""
        if not isinstance(payload, Mapping):
            return cls(message=str(payload))
        extensions = payload.get("extensions")
        if not isinstance(extensions, Mapping):
            extensions = {}
        code = extensions.get("code")
        path = payload.get("path")
        return cls(
            message=str(payload.get("message", "")),
            code=code if isinstance(code, str) else None,
            path=tuple(path) if isinstance(path, list) else (),
            extensions=dict(extensions),
        )


class StiggError(Exception):
    """Base of every error the SDK raises.

    Attributes:
        operation: the GraphQL operation name (for example ``"ReportUsage"``), if any.
        retries: how many times the call was retried before this error was raised.

    Example:
        >>> try:
        ...     raise StiggError("boom", operation="GetCustomer")
        ... except StiggError as err:
        ...     (err.operation, err.retries)
        ('GetCustomer', 0)
    """

    def __init__(self, message: str, *, operation: str | None = None, retries: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation
        self.retries = retries

    def __str__(self) -> str:
        parts = [self.message]
        if self.operation:
            parts.append(f"operation={self.operation}")
        if self.retries:
            parts.append(f"retries={self.retries}")
        return parts[0] if len(parts) == 1 else f"{parts[0]} ({', '.join(parts[1:])})"

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}({self.message!r}, operation={self.operation!r}, retries={self.retries})"


class StiggConfigurationError(StiggError, ValueError):
    """The client was configured wrongly (missing API key, insecure URL, bad option)."""


class StiggValidationError(StiggError, ValueError):
    """Input was rejected locally before anything was sent.

    Attributes:
        field: the offending field or argument name, when one is known.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        operation: str | None = None,
        retries: int = 0,
    ) -> None:
        super().__init__(message, operation=operation, retries=retries)
        self.field = field


class StiggClientStateError(StiggError, RuntimeError):
    """The client cannot serve this call in its current state (closed, forked, other loop)."""


class StiggQueueFullError(StiggClientStateError):
    """The usage queue is full: the item was not accepted (nothing was tracked)."""


class StiggConnectionError(StiggError):
    """The request did not complete: refused, reset or dropped connection."""


class StiggTimeoutError(StiggConnectionError, TimeoutError):
    """The request did not complete within its timeout."""


class StiggHTTPError(StiggError):
    """The server answered with an HTTP error status.

    Attributes:
        status: the HTTP status code.
        errors: GraphQL errors from the body, when the body was GraphQL JSON.
        request_id: the server's request id header, when present.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        errors: Sequence[GraphQLErrorDetail] = (),
        request_id: str | None = None,
        operation: str | None = None,
        retries: int = 0,
    ) -> None:
        super().__init__(message, operation=operation, retries=retries)
        self.status = status
        self.errors = tuple(errors)
        self.request_id = request_id

    @property
    def code(self) -> str | None:
        """The first GraphQL error code in the body, if any."""
        return next((e.code for e in self.errors if e.code), None)


class StiggAuthenticationError(StiggHTTPError):
    """The API key was rejected (HTTP 401) or lacks permission (HTTP 403). Never retried."""


class StiggRateLimitError(StiggHTTPError):
    """HTTP 429. ``retry_after`` is the server's ``Retry-After`` in seconds, if given."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class StiggServerError(StiggHTTPError):
    """HTTP 5xx: the server failed. Retried as transient."""


class StiggGraphQLError(StiggError):
    """The server answered with GraphQL errors (HTTP 200).

    Attributes:
        errors: every error detail from the response.
        code: the first error's ``extensions.code`` (a value of the schema's ``ErrorCode``).
        data: the partial ``data`` that came with the errors, if any.

    Catch a specific code through its subclass (``CustomerNotFoundError``) or compare
    ``err.code``.
    """

    #: The ``ErrorCode`` a subclass stands for.
    error_code: ClassVar[str | None] = None
    _by_code: ClassVar[dict[str, type[StiggGraphQLError]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.error_code:
            StiggGraphQLError._by_code[cls.error_code] = cls

    def __init__(
        self,
        message: str,
        *,
        errors: Sequence[GraphQLErrorDetail] = (),
        data: Any = None,
        operation: str | None = None,
        retries: int = 0,
    ) -> None:
        super().__init__(message, operation=operation, retries=retries)
        self.errors = tuple(errors)
        self.data = data

    @property
    def code(self) -> str | None:
        """The first error code the server gave, if any."""
        return next((e.code for e in self.errors if e.code), None)

    @property
    def codes(self) -> tuple[str, ...]:
        """Every error code the server gave, in order."""
        return tuple(e.code for e in self.errors if e.code)

    @staticmethod
    def class_for(code: str | None) -> type[StiggGraphQLError]:
        """The most specific error class for a server error code."""
        if code is None:
            return StiggGraphQLError
        return StiggGraphQLError._by_code.get(code, StiggGraphQLError)


class CustomerNotFoundError(StiggGraphQLError):
    """The customer does not exist (``CustomerNotFound``)."""

    error_code = "CustomerNotFound"


class PlanNotFoundError(StiggGraphQLError):
    """The plan does not exist (``PlanNotFound``)."""

    error_code = "PlanNotFound"


class AddonNotFoundError(StiggGraphQLError):
    """The add-on does not exist (``AddonNotFound``)."""

    error_code = "AddonNotFound"


class FeatureNotFoundError(StiggGraphQLError):
    """The feature does not exist (``FeatureNotFound``)."""

    error_code = "FeatureNotFound"


class CouponNotFoundError(StiggGraphQLError):
    """The coupon does not exist (``CouponNotFound``)."""

    error_code = "CouponNotFound"


class SubscriptionNotFoundError(StiggGraphQLError):
    """The subscription does not exist (``SubscriptionNotFound``)."""

    error_code = "SubscriptionNotFound"


class PromotionalEntitlementNotFoundError(StiggGraphQLError):
    """No such promotional entitlement (``PromotionalEntitlementNotFoundError``)."""

    error_code = "PromotionalEntitlementNotFoundError"


class DuplicatedEntityNotAllowedError(StiggGraphQLError):
    """An entity with that id already exists (``DuplicatedEntityNotAllowed``)."""

    error_code = "DuplicatedEntityNotAllowed"


class StiggResponseError(StiggError):
    """The server's answer was not the GraphQL JSON the SDK expects (malformed, wrong shape)."""
