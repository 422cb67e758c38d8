"""The declared list of operations that change a customer's entitlements.

After one of these succeeds, the facade refetches that customer's cached
entitlements (``_FacadeCore._call`` does it, for every method, in one place), so the
next local check shows the change. tests/test_refreshes_e2e.py runs every operation
listed here against the emulator and fails if the next local check does not see it
(or, for credits, which the cache does not hold yet, if it was not refetched). Add a
mutation here when it can change what a customer is entitled to (and a scenario there).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["REFRESHES_ENTITLEMENTS", "affected_customer", "affected_customers"]

#: Operation (document) names whose success changes a customer's entitlements.
REFRESHES_ENTITLEMENTS: frozenset[str] = frozenset(
    {
        "ProvisionCustomer",
        # Not "UpdateCustomer": updateOneCustomer changes a customer's details (name,
        # email, billing ids, coupon, metadata), never what it is entitled to.
        "ProvisionSubscription",
        "CreateSubscription",
        "UpdateSubscription",
        "CancelSubscription",
        "MigrateSubscriptionToLatest",
        "GrantPromotionalEntitlements",
        "RevokePromotionalEntitlement",
        "ApplySubscription",
        "TransferSubscription",
        "TransferSubscriptionToResource",
        "DelegateSubscriptionToCustomer",
        # Archived customers are denied every entitlement until unarchived.
        "ArchiveCustomer",
        "UnarchiveCustomer",
        # A customer that was unknown to the cache (negatively cached) now exists.
        "ImportOneCustomer",
        # Many customers: the facade refreshes each one (the list is not searched here).
        "ImportSubscriptionsBulk",
        "GrantPromotionalEntitlementsGroup",
        "RevokePromotionalEntitlementsGroup",
        # Credits: a grant, a void or a recharge setting (which may top up at once)
        # changes what the customer may spend.
        "CreateCreditGrant",
        "VoidCreditGrant",
        "SaveAutoRechargeSettings",
    }
)


def _find(value: Any, depth: int = 0) -> str | None:
    """The first customer id in a GraphQL input or result (breadth-first, shallow)."""
    if depth > 4 or not isinstance(value, Mapping):
        return None
    found = value.get("customerId")
    if isinstance(found, str) and found:
        return found
    customer = value.get("customer")
    if isinstance(customer, Mapping):
        for name in ("customerId", "refId", "id"):
            found = customer.get(name)
            if isinstance(found, str) and found:
                return found
    for child in value.values():
        if isinstance(child, Mapping):
            found_child = _find(child, depth + 1)
            if found_child is not None:
                return found_child
    return None


def affected_customer(variables: Mapping[str, Any] | None, result: Any) -> str | None:
    """The customer whose entitlements an operation changed: from its input, else its result.

    Example:
        >>> affected_customer({"input": {"customerId": "c-1", "planId": "p"}}, None)
        'c-1'
        >>> affected_customer({"input": {"subscriptionRefId": "s"}}, {"customer": {"id": "c-2"}})
        'c-2'
    """
    if isinstance(result, Mapping) and result.get("status") == "PAYMENT_REQUIRED":
        return None  # nothing was provisioned yet: the checkout has to complete first
    return _find(variables) or _find(result)


def affected_customers(variables: Mapping[str, Any] | None, result: Any) -> list[str]:
    """Every customer an operation changed: :func:`affected_customer`, and a delegated
    subscription's paying customer (who lost the entitlements it handed over).

    Example:
        >>> affected_customers(
        ...     {"input": {"subscriptionId": "s"}},
        ...     {"customer": {"customerId": "c-2"}, "payingCustomer": {"customerId": "c-1"}},
        ... )
        ['c-2', 'c-1']
    """
    found = [affected_customer(variables, result)]
    if isinstance(result, Mapping):
        found.append(_find({"customer": result.get("payingCustomer")}))
    return [c for c in dict.fromkeys(found) if c]
