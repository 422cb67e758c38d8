"""Batched fetching: many ``(customer_id, resource_id)`` keys in one aliased request.

The document is built at run time from the shared ``EntitlementFragment``::

    query GetEntitlementsBatch($q0: FetchEntitlementsQuery!, $q1: FetchEntitlementsQuery!) {
      c0: entitlementsState(query: $q0) {
        accessDeniedReason entitlements { ...EntitlementFragment }
      }
      c1: entitlementsState(query: $q1) { ... }
    }

``entitlementsState`` (not ``cachedEntitlements``) because it also carries the
customer-level denial reason, which rule 1 of the decision needs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from stigg_async._errors import StiggError, StiggGraphQLError, StiggResponseError
from stigg_async._operations import fragment_definitions
from stigg_async._transport import GraphQLTransport

__all__ = ["BATCH_OPERATION", "BatchOutcome", "batch_document", "fetch_batch"]

Key = tuple[str, "str | None"]

BATCH_OPERATION = "GetEntitlementsBatch"

# Credit entitlements come through entitlementsV2 (the union also lists features,
# which ``entitlements`` already carries: only the credit members are selected).
_SELECTION = (
    "{ accessDeniedReason entitlements { ...EntitlementFragment } "
    "entitlementsV2 { __typename ... on CreditEntitlement { ...CreditEntitlementFragment } } }"
)


@lru_cache(maxsize=64)
def batch_document(size: int) -> str:
    """The text of a batch query with ``size`` aliases (printed once per size).

    Example:
        >>> "c1: entitlementsState(query: $q1)" in batch_document(2)
        True
    """
    if size < 1:
        raise ValueError("batch size must be >= 1")
    params = ", ".join(f"$q{i}: FetchEntitlementsQuery!" for i in range(size))
    fields = "\n".join(f"  c{i}: entitlementsState(query: $q{i}) {_SELECTION}" for i in range(size))
    return (
        f"query {BATCH_OPERATION}({params}) {{\n{fields}\n}}\n\n"
        f"{fragment_definitions('EntitlementFragment', 'CreditEntitlementFragment')}\n"
    )


def _variables(keys: Sequence[Key]) -> dict[str, Any]:
    variables: dict[str, Any] = {}
    for i, (customer_id, resource_id) in enumerate(keys):
        query: dict[str, Any] = {"customerId": customer_id}
        if resource_id is not None:
            query["resourceId"] = resource_id
        variables[f"q{i}"] = query
    return variables


#: Per key: the raw ``entitlementsState`` object, or the error that kept it from us.
BatchOutcome = dict[Key, "Mapping[str, Any] | StiggError"]


def _split(keys: Sequence[Key], data: Any, error: StiggError | None) -> BatchOutcome:
    outcome: BatchOutcome = {}
    for i, key in enumerate(keys):
        raw = data.get(f"c{i}") if isinstance(data, Mapping) else None
        if isinstance(raw, Mapping):
            outcome[key] = raw
        else:
            outcome[key] = error or StiggResponseError(
                f"the batch answer lacks alias c{i}", operation=BATCH_OPERATION
            )
    return outcome


async def fetch_batch(
    transport: GraphQLTransport, keys: Sequence[Key], *, timeout: float | None = None
) -> BatchOutcome:
    """Fetch ``keys`` in one request.

    A whole-request failure raises (the caller decides about retries, halving and
    backoff). GraphQL errors that still come with partial ``data`` are split per
    alias: keys that were answered get their data, the rest get the error.
    """
    try:
        data = await transport.execute_text(
            batch_document(len(keys)), _variables(keys), BATCH_OPERATION, timeout=timeout
        )
    except StiggGraphQLError as exc:
        if isinstance(exc.data, Mapping) and any(
            isinstance(exc.data.get(f"c{i}"), Mapping) for i in range(len(keys))
        ):
            return _split(keys, exc.data, exc)
        raise
    return _split(keys, data, None)
