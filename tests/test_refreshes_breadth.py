"""affected_customers: which customers' cached entitlements a mutation changed."""

from __future__ import annotations

from stigg_async._refreshes import REFRESHES_ENTITLEMENTS, affected_customers


def test_delegation_affects_the_destination_and_the_payer() -> None:
    """The subscription's new customer gains, its paying customer loses: both are listed."""
    result = {"customer": {"customerId": "user"}, "payingCustomer": {"customerId": "payer"}}
    assert affected_customers({"input": {"subscriptionId": "s"}}, result) == ["user", "payer"]


def test_one_customer_is_listed_once() -> None:
    """A subscription paid by its own customer names that customer once."""
    result = {"customer": {"customerId": "c-1"}, "payingCustomer": {"customerId": "c-1"}}
    assert affected_customers({"input": {"customerId": "c-1"}}, result) == ["c-1"]


def test_nothing_found_is_an_empty_list() -> None:
    """No customer anywhere: nothing to refresh."""
    assert affected_customers(None, None) == []


def test_subscription_moves_are_declared_as_refreshing() -> None:
    """Apply, transfers and delegation change entitlements; cancelling a schedule does not."""
    moves = {
        "ApplySubscription",
        "TransferSubscription",
        "TransferSubscriptionToResource",
        "DelegateSubscriptionToCustomer",
    }
    assert moves <= REFRESHES_ENTITLEMENTS
    assert "CancelSchedule" not in REFRESHES_ENTITLEMENTS
