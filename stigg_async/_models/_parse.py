"""Turn pydantic's validation failures into the SDK's own errors.

Input failures become :class:`StiggValidationError` (nothing was sent); result
failures become :class:`StiggResponseError` (the server's answer had an
unexpected shape). Messages name the fields and say what is wrong, but never
repeat the offending value, which could be a secret.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from stigg_async._errors import StiggResponseError, StiggValidationError

__all__ = [
    "build_input",
    "describe_errors",
    "parse_input",
    "parse_result",
    "parse_result_list",
]

M = TypeVar("M", bound=BaseModel)

#: How many problems one message lists; the rest are counted.
_MAX_LISTED = 3
_VALUE_ERROR_PREFIX = "Value error, "


def _location(error: ErrorDetails) -> str:
    return ".".join(str(part) for part in error["loc"])


def _problem(error: ErrorDetails) -> str:
    message = error["msg"]
    if message.startswith(_VALUE_ERROR_PREFIX):
        message = message[len(_VALUE_ERROR_PREFIX) :]
    where = _location(error)
    return f"{where}: {message}" if where else message


def describe_errors(exc: ValidationError) -> tuple[str, str | None]:
    """A short message listing the failing fields, and the first failing field's path.

    Example:
        >>> from stigg_async._models._inputs import ReportUsageInput
        >>> try:
        ...     ReportUsageInput.model_validate({"customer_id": "", "feature_id": "f"})
        ... except ValidationError as exc:
        ...     describe_errors(exc)
        ('customer_id: String should have at least 1 character; value: Field required', 'customer_id')
    """  # noqa: E501
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    problems = [_problem(e) for e in errors[:_MAX_LISTED]]
    if len(errors) > _MAX_LISTED:
        problems.append(f"and {len(errors) - _MAX_LISTED} more")
    field = _location(errors[0]) if errors else None
    return "; ".join(problems), field or None


def parse_input(model_cls: type[M], data: Any, *, operation: str | None = None) -> M:
    """Validate ``data`` (a mapping or an instance) as ``model_cls``.

    Raises:
        StiggValidationError: naming the failing field(s); ``err.field`` holds the
            first one as a dotted path (``"usages.0.value"``).

    Example:
        >>> from stigg_async._models._inputs import FetchEntitlementsQuery
        >>> parse_input(FetchEntitlementsQuery, {"customer_id": "c-1"}).to_variables()
        {'customerId': 'c-1'}
    """
    if type(data) is model_cls:
        return data
    try:
        return model_cls.model_validate(data)
    except ValidationError as exc:
        message, field = describe_errors(exc)
        raise StiggValidationError(
            f"invalid {model_cls.__name__}: {message}", field=field, operation=operation
        ) from None


def build_input(model_cls: type[M], *, operation: str | None = None, **fields: Any) -> M:
    """Build ``model_cls`` from keyword arguments (snake_case names), as :func:`parse_input`.

    Example:
        >>> from stigg_async._models._inputs import ReportUsageInput
        >>> build_input(
        ...     ReportUsageInput, operation="ReportUsage",
        ...     customer_id="c-1", feature_id="feature-02-campaigns", value=2,
        ... ).to_variables()
        {'customerId': 'c-1', 'featureId': 'feature-02-campaigns', 'value': 2.0}
    """
    return parse_input(model_cls, fields, operation=operation)


def parse_result(model_cls: type[M], data: Any, *, operation: str | None = None) -> M:
    """Validate one result object (the value under the root field) as ``model_cls``.

    Raises:
        StiggResponseError: the answer does not have the expected shape.
    """
    try:
        return model_cls.model_validate(data)
    except ValidationError as exc:
        message, _ = describe_errors(exc)
        raise StiggResponseError(
            f"unexpected {model_cls.__name__} in response: {message}", operation=operation
        ) from None


@cache
def _list_adapter(model_cls: type[M]) -> TypeAdapter[list[M]]:
    # Built once per model class: a TypeAdapter validates the whole list in one
    # call into pydantic-core instead of one call per item.
    return TypeAdapter(list[model_cls])  # type: ignore[valid-type]


def parse_result_list(
    model_cls: type[M], data: Any, *, operation: str | None = None
) -> tuple[M, ...]:
    """Validate a list result (``cachedEntitlements``, ``reportUsageBulk``...) as a tuple.

    Raises:
        StiggResponseError: the answer is not a list of the expected shape.
    """
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        try:
            return tuple(_list_adapter(model_cls).validate_python(data))
        except ValidationError as exc:
            message, _ = describe_errors(exc)
            raise StiggResponseError(
                f"unexpected {model_cls.__name__} list in response: {message}",
                operation=operation,
            ) from None
    raise StiggResponseError(
        f"unexpected response: expected a list of {model_cls.__name__}", operation=operation
    )
