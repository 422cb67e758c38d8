"""``Literal`` names for the string options of the public methods.

Each method that takes one of these also accepts the matching enum member (for
example ``UsageUpdateBehavior.SET`` or ``"SET"``); the ``Literal`` lets a type checker
and an IDE offer the valid spellings and reject a misspelt one before it is sent.
The values are the API's, and a test keeps each alias equal to its enum.

Example:
    >>> from typing import get_args
    >>> from stigg_async import UpdateBehavior
    >>> get_args(UpdateBehavior)
    ('DELTA', 'SET')
"""

from __future__ import annotations

from typing import Literal

from stigg_async._usage._options import FullQueuePolicy

__all__ = [
    "BillingPeriodName",
    "CancellationAction",
    "CancellationTime",
    "CouponStatusName",
    "FullQueuePolicy",
    "MigrationTime",
    "PromotionPeriod",
    "UpdateBehavior",
]

#: How reported usage changes the current usage: add it (``DELTA``) or replace it (``SET``).
UpdateBehavior = Literal["DELTA", "SET"]

#: A subscription's billing period (:class:`BillingPeriod`).
BillingPeriodName = Literal["MONTHLY", "ANNUALLY"]

#: When a cancellation takes effect (:class:`SubscriptionCancellationTime`).
CancellationTime = Literal["IMMEDIATE", "END_OF_BILLING_PERIOD", "SPECIFIC_DATE"]

#: What a cancellation does to entitlements (``SubscriptionCancellationAction``).
CancellationAction = Literal["DEFAULT", "REVOKE_ENTITLEMENTS"]

#: When a subscription moves to the latest plan version (``SubscriptionMigrationTime``).
MigrationTime = Literal["IMMEDIATE", "END_OF_BILLING_PERIOD"]

#: A coupon's status filter (``CouponStatus``).
CouponStatusName = Literal["ACTIVE", "ARCHIVED"]

#: How long a promotional entitlement lasts (:class:`PromotionalEntitlementPeriod`).
PromotionPeriod = Literal["ONE_WEEK", "ONE_MONTH", "SIX_MONTH", "ONE_YEAR", "LIFETIME", "CUSTOM"]
