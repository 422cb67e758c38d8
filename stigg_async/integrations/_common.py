"""Pieces the web-framework integrations share: the denial body and value resolution."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from stigg_async._cache import EntitlementResult
from stigg_async._validation import id_problem

__all__ = [
    "customer_problem_body",
    "denial_body",
    "describe_source",
    "missing_customer_body",
    "resolve",
]

R = TypeVar("R")
T = TypeVar("T")


async def resolve(value: T | Callable[[R], T | Awaitable[T]], request: R) -> T:
    """``value`` itself, or ``value(request)`` (awaited when it returns an awaitable)."""
    if not callable(value):
        return value
    result = value(request)
    if inspect.isawaitable(result):
        return await result
    return result


def denial_body(result: EntitlementResult, customer_id: str) -> dict[str, Any]:
    """The JSON body of a 403: which feature, why, and the numbers behind a usage denial."""
    reason = result.access_denied_reason
    return {
        "error": "entitlement_denied",
        "feature_id": result.feature_id,
        "customer_id": customer_id,
        "access_denied_reason": reason.value if reason is not None else None,
        "requested_usage": result.requested_usage,
        "current_usage": result.current_usage,
        "usage_limit": result.usage_limit,
    }


def missing_customer_body(feature_id: str, where: str) -> dict[str, Any]:
    """The JSON body of a 400 when the request does not say which customer it is for."""
    return {
        "error": "customer_id_missing",
        "feature_id": feature_id,
        "detail": f"no customer id found in the request ({where})",
    }


def customer_problem_body(feature_id: str, where: str, customer: object) -> dict[str, Any] | None:
    """The JSON body of a 400 when ``customer`` is no usable customer id, else ``None``.

    Empty or whitespace-only counts as missing (``customer_id_missing``); anything else
    the SDK would refuse (too long, control or zero-width characters) is
    ``customer_id_invalid``. Either way the request gets a 400, never a 500.
    """
    if customer is None or (isinstance(customer, str) and (not customer or customer.isspace())):
        return missing_customer_body(feature_id, where)
    problem = id_problem(customer)
    if problem is None:
        return None
    return {
        "error": "customer_id_invalid",
        "feature_id": feature_id,
        "detail": f"the customer id ({where}) {problem}",
    }


def describe_source(source: object) -> str:
    """How a customer-id source is described in a 400 body."""
    if isinstance(source, str):
        return f"path, query or header {source!r}"
    return getattr(source, "__stigg_description__", None) or "customer_id callable"
