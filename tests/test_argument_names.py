"""Validation messages name the caller's arguments, not internal input fields (issue 11, #9)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from stigg_async import AsyncStigg, StiggValidationError

Call = Callable[[AsyncStigg], Awaitable[Any]]


@pytest.mark.parametrize(
    ("call", "argument", "internal"),
    [
        (
            lambda s: s.cancel_subscription("sub-1", cancellation_time="NEVER"),
            "cancellation_time",
            "subscription_cancellation_time",
        ),
        (
            lambda s: s.cancel_subscription("sub-1", cancellation_action="EXPLODE"),
            "cancellation_action",
            "subscription_cancellation_action",
        ),
        (lambda s: s.cancel_subscription(""), "subscription_id", "subscription_ref_id"),
        (lambda s: s.cancel_subscription(7), "subscription_id", "subscription_ref_id"),
        (
            lambda s: s.migrate_subscription_to_latest("sub-1", migration_time="LATER"),
            "migration_time",
            "subscription_migration_time",
        ),
        (
            lambda s: s.fetch_entitlement("customer-1", "f", requested_usage=-1),
            "requested_usage",
            "options",
        ),
        (lambda s: s.get_coupons(coupon_id="\x00"), "coupon_id", "ref_id"),
    ],
)
async def test_messages_name_the_argument_the_caller_passed(
    call: Call, argument: str, internal: str
) -> None:
    """The error's field and message use the argument name; the input field never shows."""
    stigg = AsyncStigg(api_key="k", api_url="http://127.0.0.1:9/graphql")
    with pytest.raises(StiggValidationError) as info:
        await call(stigg)
    err = info.value
    assert err.field == argument
    assert argument in str(err)
    assert internal not in str(err)
    assert internal not in (err.field or "")
