"""Enqueue-time validation: bad input raises at once, nothing is queued, pydantic agrees."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any

import pytest

from stigg_async._clock import FakeClock
from stigg_async._errors import StiggValidationError
from stigg_async._models import (
    ReportUsageBaseInput,
    UsageEventReportInput,
    UsageUpdateBehavior,
    build_input,
    parse_input,
)
from stigg_async._usage._items import make_event, make_usage
from tests.usage.fakes import FakeUsageAPI, make_pipeline

AWARE = datetime(2026, 1, 1, tzinfo=timezone.utc)

# (field named in the error, keyword arguments of make_usage / ReportUsageBaseInput)
BAD_USAGE: list[tuple[str, dict[str, Any]]] = [
    ("customer_id", {"customer_id": ""}),
    ("customer_id", {"customer_id": "   "}),
    ("customer_id", {"customer_id": "cust\n1"}),
    ("customer_id", {"customer_id": "cust\x00"}),
    ("customer_id", {"customer_id": "c" * 256}),
    ("customer_id", {"customer_id": 42}),
    ("customer_id", {"customer_id": None}),
    ("feature_id", {"feature_id": ""}),
    ("feature_id", {"feature_id": b"feature"}),
    ("value", {"value": True}),
    ("value", {"value": "1"}),
    ("value", {"value": math.inf}),
    ("value", {"value": math.nan}),
    ("value", {"value": None}),
    ("value", {"value": -1, "update_behavior": "SET"}),
    ("value", {"value": -1, "update_behavior": UsageUpdateBehavior.SET}),
    ("update_behavior", {"update_behavior": "INCREMENT"}),
    ("update_behavior", {"update_behavior": "delta"}),
    ("resource_id", {"resource_id": ""}),
    ("resource_id", {"resource_id": "site\t1"}),
    ("idempotency_key", {"idempotency_key": ""}),
    ("idempotency_key", {"idempotency_key": "k" * 256}),
    ("dimensions", {"dimensions": ["a", "b"]}),
    ("dimensions", {"dimensions": {"region": {"nested": 1}}}),
    ("dimensions", {"dimensions": {"n": math.nan}}),
    ("dimensions", {"dimensions": {1: "x"}}),
    ("dimensions", {"dimensions": {"n": None}}),
    ("created_at", {"created_at": "yesterday"}),
]

BAD_EVENTS: list[tuple[str, dict[str, Any]]] = [
    ("customer_id", {"customer_id": ""}),
    ("customer_id", {"customer_id": "x\r"}),
    ("event_name", {"event_name": ""}),
    ("event_name", {"event_name": 7}),
    ("event_name", {"event_name": " "}),
    ("resource_id", {"resource_id": "r" * 300}),
    ("idempotency_key", {"idempotency_key": "\x7f"}),
    ("dimensions", {"dimensions": {"user": object()}}),
    ("timestamp", {"timestamp": "not a date"}),
]


def usage_kwargs(**overrides: Any) -> dict[str, Any]:
    return {
        "customer_id": "customer-1",
        "feature_id": "feature-02-campaigns",
        "value": 1,
        **overrides,
    }


def event_kwargs(**overrides: Any) -> dict[str, Any]:
    return {"customer_id": "customer-1", "event_name": "user_login", **overrides}


@pytest.mark.parametrize(("field", "bad"), BAD_USAGE)
async def test_bad_usage_raises_synchronously_and_queues_nothing(
    field: str, bad: dict[str, Any]
) -> None:
    """track_usage / enqueue_usage raise StiggValidationError naming the field; no item queued."""
    pipeline = make_pipeline(FakeUsageAPI(), FakeClock())
    with pytest.raises(StiggValidationError) as caught:
        pipeline.track_usage(**usage_kwargs(**bad))
    assert caught.value.field == field
    with pytest.raises(StiggValidationError):
        await pipeline.enqueue_usage(**usage_kwargs(**bad))
    assert pipeline.stats.enqueued == 0
    assert pipeline.stats.pending == 0


@pytest.mark.parametrize(("field", "bad"), BAD_EVENTS)
async def test_bad_event_raises_synchronously_and_queues_nothing(
    field: str, bad: dict[str, Any]
) -> None:
    """track_event / enqueue_event raise StiggValidationError naming the field; no item queued."""
    pipeline = make_pipeline(FakeUsageAPI(), FakeClock())
    with pytest.raises(StiggValidationError) as caught:
        pipeline.track_event(**event_kwargs(**bad))
    assert caught.value.field == field
    with pytest.raises(StiggValidationError):
        await pipeline.enqueue_event(**event_kwargs(**bad))
    assert pipeline.stats.enqueued == 0


@pytest.mark.parametrize(("field", "bad"), BAD_USAGE)
def test_pydantic_usage_input_also_rejects_what_the_fast_validator_rejects(
    field: str, bad: dict[str, Any]
) -> None:
    """Every usage input the hand-written check refuses, ReportUsageBaseInput refuses too."""
    fields = usage_kwargs(**bad)
    if "idempotency_key" not in fields:
        fields["idempotency_key"] = "k-1"
    with pytest.raises(StiggValidationError) as caught:
        build_input(ReportUsageBaseInput, **fields)
    assert (caught.value.field or "").split(".")[0] == field


@pytest.mark.parametrize(("field", "bad"), BAD_EVENTS)
def test_pydantic_event_input_also_rejects_what_the_fast_validator_rejects(
    field: str, bad: dict[str, Any]
) -> None:
    """Every event the hand-written check refuses, UsageEventReportInput refuses too."""
    fields = {"idempotency_key": "k-1", **event_kwargs(**bad)}
    with pytest.raises(StiggValidationError) as caught:
        build_input(UsageEventReportInput, **fields)
    assert (caught.value.field or "").split(".")[0] == field


GOOD_USAGE: list[dict[str, Any]] = [
    usage_kwargs(),
    usage_kwargs(value=-2.5),
    usage_kwargs(value=0, update_behavior="SET"),
    usage_kwargs(value=7, update_behavior=UsageUpdateBehavior.SET),
    usage_kwargs(resource_id="site-1", dimensions={"region": "eu", "n": 2, "ok": True, "f": 0.5}),
    usage_kwargs(idempotency_key="my-key", created_at=AWARE),
    usage_kwargs(customer_id="kunde-ø-ü", feature_id="f" * 255),
]

GOOD_EVENTS: list[dict[str, Any]] = [
    event_kwargs(),
    event_kwargs(dimensions={"user_id": "user-01", "ip": "127.0.0.1"}, resource_id="site-1"),
    event_kwargs(idempotency_key="227c1b73-883a-457b-b715-6ba5a2c69ce4", timestamp=AWARE),
]


@pytest.mark.parametrize("good", GOOD_USAGE)
def test_accepted_usage_serialises_to_a_valid_report_usage_base_input(good: dict[str, Any]) -> None:
    """What the fast path accepts and sends parses as ReportUsageBaseInput, unchanged."""
    record = make_usage(**good)
    sent = record.to_input(AWARE)
    model = parse_input(ReportUsageBaseInput, sent)
    assert model.to_variables()["idempotencyKey"] == sent["idempotencyKey"]
    assert model.customer_id == good["customer_id"]
    assert model.value == float(good["value"])
    assert sent["updateBehavior"] in ("DELTA", "SET")


@pytest.mark.parametrize("good", GOOD_EVENTS)
def test_accepted_event_serialises_to_a_valid_usage_event_report_input(
    good: dict[str, Any],
) -> None:
    """What the fast path accepts and sends parses as UsageEventReportInput."""
    record = make_event(**good)
    model = parse_input(UsageEventReportInput, record.to_input(None))
    assert model.event_name == good["event_name"]
    assert model.idempotency_key == record.idempotency_key


@pytest.mark.parametrize("when", [datetime(2026, 1, 1), 1700000000, "2026-01-01T00:00:00Z"])
def test_times_must_be_aware_datetimes_although_the_models_coerce_more(when: Any) -> None:
    """Deliberately stricter than the models: naive, epoch and string times are refused."""
    with pytest.raises(StiggValidationError) as caught:
        make_usage("c", "feature-02-campaigns", 1, created_at=when)
    assert caught.value.field == "created_at"
    with pytest.raises(StiggValidationError):
        make_event("c", "user_login", timestamp=when)


def test_dimensions_are_copied_when_tracked() -> None:
    """Mutating the caller's dict after tracking does not change the queued item."""
    dims = {"region": "eu"}
    record = make_usage("c", "feature-02-campaigns", 1, dimensions=dims)
    dims["region"] = "us"
    assert record.to_input()["dimensions"] == {"region": "eu"}


def test_each_item_gets_its_own_uuid4_key_unless_given_one() -> None:
    """Minted keys are distinct version-4 UUIDs; a caller's key is kept as given."""
    import uuid

    keys = {make_usage("c", "feature-02-campaigns", 1).idempotency_key for _ in range(10_000)}
    assert len(keys) == 10_000
    assert all(uuid.UUID(k).version == 4 for k in list(keys)[:100])
    assert make_event("c", "e", idempotency_key="mine").idempotency_key == "mine"
