"""Bad input to the facade: a typed error naming the field, and nothing sent."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from stigg_async import AsyncStigg
from stigg_async._errors import StiggValidationError
from tests.support.facade import make_client
from tests.support.recording_server import RecordingServer

Call = Callable[[AsyncStigg], Awaitable[Any]]

BAD_CALLS: list[tuple[str, Call]] = [
    ("empty customer id", lambda s: s.get_customer("")),
    ("int customer id", lambda s: s.get_customer(42)),  # type: ignore[arg-type]
    ("none subscription id", lambda s: s.get_subscription(None)),  # type: ignore[arg-type]
    ("control char id", lambda s: s.get_subscription("sub\x00")),
    ("huge id", lambda s: s.get_active_subscriptions("c" * 10_000)),
    ("nan usage", lambda s: s.report_usage(customer_id="c", feature_id="f", value=math.nan)),
    ("inf usage", lambda s: s.report_usage(customer_id="c", feature_id="f", value=math.inf)),
    ("string usage", lambda s: s.report_usage(customer_id="c", feature_id="f", value="3")),  # type: ignore[arg-type]
    ("missing value", lambda s: s.report_usage(customer_id="c", feature_id="f")),
    (
        "negative set",
        lambda s: s.report_usage(customer_id="c", feature_id="f", value=-1, update_behavior="SET"),
    ),
    (
        "unknown behavior",
        lambda s: s.report_usage(customer_id="c", feature_id="f", value=1, update_behavior="ADD"),
    ),
    (
        "nested dimensions",
        lambda s: s.report_usage(
            customer_id="c", feature_id="f", value=1, dimensions={"a": {"b": 1}}
        ),
    ),  # type: ignore[dict-item]
    ("empty bulk", lambda s: s.report_usage_bulk([])),
    ("bulk not a list", lambda s: s.report_usage_bulk({"customer_id": "c"})),  # type: ignore[arg-type]
    (
        "bulk bad item",
        lambda s: s.report_usage_bulk(
            [
                {"customer_id": "c", "feature_id": "f", "value": 1},
                {"customer_id": "", "feature_id": "f", "value": 1},
            ]
        ),
    ),
    ("bulk item wrong type", lambda s: s.report_usage_bulk([3])),  # type: ignore[list-item]
    ("event without name", lambda s: s.report_events([{"customer_id": "c"}])),
    ("events empty", lambda s: s.report_events([])),
    (
        "unknown billing period",
        lambda s: s.provision_subscription(customer_id="c", plan_id="p", billing_period="WEEKLY"),
    ),
    (
        "negative quantity",
        lambda s: s.provision_subscription(customer_id="c", plan_id="p", unit_quantity=-1),
    ),
    (
        "zero addon quantity",
        lambda s: s.provision_subscription(
            customer_id="c", plan_id="p", addons=[{"addon_id": "a", "quantity": 0}]
        ),
    ),
    ("missing plan", lambda s: s.provision_subscription(customer_id="c")),
    ("unknown field", lambda s: s.provision_customer({"customer_id": "c", "colour": "red"})),
    ("input and keywords", lambda s: s.provision_customer({"customer_id": "c"}, name="x")),
    ("input wrong type", lambda s: s.provision_customer(["c"])),  # type: ignore[arg-type]
    ("bad cancellation time", lambda s: s.cancel_subscription("s", cancellation_time="NOW")),
    (
        "custom period without end",
        lambda s: s.grant_promotional_entitlements("c", [{"feature_id": "f", "period": "CUSTOM"}]),
    ),
    (
        "unknown promo period",
        lambda s: s.grant_promotional_entitlements("c", [{"feature_id": "f", "period": "FOREVER"}]),
    ),
    ("requested usage nan", lambda s: s.fetch_entitlement("c", "f", requested_usage=math.nan)),
    ("coupon status", lambda s: s.get_coupons(status="SHINY")),
    ("paging negative", lambda s: s.get_customers(first=-5)),
    ("filter not mapping", lambda s: s.get_customers(filter=[1])),  # type: ignore[arg-type]
    ("empty document", lambda s: s.execute("   ")),
]


@pytest.fixture
async def server() -> AsyncIterator[RecordingServer]:
    srv = await RecordingServer().start()
    yield srv
    await srv.stop()


@pytest.mark.parametrize(("case", "call"), BAD_CALLS, ids=[c for c, _ in BAD_CALLS])
async def test_bad_input_raises_a_validation_error_and_sends_nothing(
    server: RecordingServer, case: str, call: Call
) -> None:
    """Each bad call raises StiggValidationError before any request."""
    client, _ = make_client(server.url)
    async with client:
        with pytest.raises(StiggValidationError) as info:
            await call(client)
    assert server.received == [], case
    assert info.value.message


async def test_validation_errors_name_the_field(server: RecordingServer) -> None:
    """The error says which field is wrong, for bulk items with the index."""
    client, _ = make_client(server.url)
    async with client:
        with pytest.raises(StiggValidationError) as info:
            await client.report_usage_bulk(
                [
                    {"customer_id": "c", "feature_id": "f", "value": 1},
                    {"customer_id": "c", "feature_id": "f", "value": math.nan},
                ]
            )
    assert info.value.field is not None
    assert "1" in info.value.field
    assert "value" in info.value.field
