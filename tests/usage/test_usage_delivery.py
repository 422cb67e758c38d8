"""Batching, retries, idempotency keys, permanent errors and write-through of the pipeline."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from typing import Any

import pytest

from stigg_async._clock import FakeClock
from stigg_async._errors import StiggError, StiggRateLimitError, StiggServerError
from stigg_async._usage import EventRecord, UsageRecord
from tests.usage.fakes import FakeUsageAPI, auth_error, drive, make_pipeline, settle


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


async def test_ten_thousand_items_reach_the_api_in_at_most_one_hundred_requests(
    clock: FakeClock,
) -> None:
    """10,000 usage items and 10,000 events go out in 20 + 10 requests with the defaults."""
    api = FakeUsageAPI()
    pipeline = make_pipeline(api, clock)
    pipeline.start()
    for i in range(10_000):
        assert pipeline.track_usage(f"customer-{i % 50}", "feature-02-campaigns", 1)
        assert pipeline.track_event(f"customer-{i % 50}", "user_login")
    assert await drive(clock, pipeline.flush())
    usage_requests = [r for r in api.requests if r.operation == "ReportUsageBulk"]
    event_requests = [r for r in api.requests if r.operation == "ReportEvent"]
    assert len(usage_requests) == 20
    assert len(event_requests) == 10
    assert sum(api.usage_totals.values()) == 10_000
    assert pipeline.stats.requests == 30
    await pipeline.aclose(0)


async def test_full_batch_is_sent_without_waiting_for_the_interval(clock: FakeClock) -> None:
    """A lane that reaches the batch size is sent at once; no time has to pass."""
    api = FakeUsageAPI()
    pipeline = make_pipeline(api, clock, usage_batch_size=10, flush_interval=60)
    pipeline.start()
    for _ in range(10):
        pipeline.track_usage("customer-1", "feature-02-campaigns", 1)
    await settle()
    assert len(api.requests) == 1
    assert len(api.requests[0].items) == 10
    await pipeline.aclose(0)


async def test_partial_batch_waits_for_the_flush_interval(clock: FakeClock) -> None:
    """A partial batch is held until its oldest item is flush_interval seconds old."""
    api = FakeUsageAPI()
    pipeline = make_pipeline(api, clock, flush_interval=5)
    pipeline.start()
    pipeline.track_usage("customer-1", "feature-02-campaigns", 1)
    await settle()
    await clock.run_for(4.9)
    assert api.requests == []
    await clock.run_for(0.2)
    await settle()
    assert len(api.requests) == 1
    await pipeline.aclose(0)


async def test_same_idempotency_key_is_sent_on_every_retry(clock: FakeClock) -> None:
    """Retries resend each item with the key it was given when tracked."""
    api = FakeUsageAPI(
        scripted=[
            StiggServerError("HTTP 503", status=503),
            StiggServerError("HTTP 502", status=502),
        ]
    )
    pipeline = make_pipeline(api, clock)
    pipeline.start()
    pipeline.track_usage("customer-1", "feature-02-campaigns", 2)
    pipeline.track_event("customer-1", "user_login", idempotency_key="caller-key-1")
    assert await drive(clock, pipeline.flush())
    usage_keys = [
        r.items[0]["idempotencyKey"] for r in api.requests if r.operation == "ReportUsageBulk"
    ]
    event_keys = [
        r.items[0]["idempotencyKey"] for r in api.requests if r.operation == "ReportEvent"
    ]
    assert len(usage_keys) + len(event_keys) == 4  # two failures, then one success each
    assert len(set(usage_keys)) == 1
    assert len(usage_keys[0]) == 32
    assert set(event_keys) == {"caller-key-1"}
    assert pipeline.stats.retried == 2
    await pipeline.aclose(0)


async def test_retry_waits_at_least_the_retry_after_of_a_429(clock: FakeClock) -> None:
    """A 429 with Retry-After: 30 is not retried before 30 seconds have passed."""
    api = FakeUsageAPI(scripted=[StiggRateLimitError("HTTP 429", status=429, retry_after=30)])
    pipeline = make_pipeline(api, clock)
    pipeline.start()
    pipeline.track_usage("customer-1", "feature-02-campaigns", 1)
    flushing = asyncio.ensure_future(pipeline.flush())
    await settle()
    assert len(api.requests) == 1
    await clock.run_for(29.5, step=0.5)
    assert len(api.requests) == 1
    await clock.run_for(1.0, step=0.5)
    await settle()
    assert len(api.requests) == 2
    assert await flushing
    await pipeline.aclose(0)


async def test_permanent_error_reaches_on_error_and_is_not_retried(clock: FakeClock) -> None:
    """With no auth grace, a 401 hands a batch's items to on_error once, and counts them."""
    failures: list[tuple[list[Any], StiggError]] = []
    api = FakeUsageAPI(scripted=[auth_error()])
    pipeline = make_pipeline(
        api,
        clock,
        on_error=lambda items, err: failures.append((items, err)),
        auth_grace_period=0,
    )
    pipeline.start()
    pipeline.track_usage("customer-1", "feature-02-campaigns", 1)
    pipeline.track_usage("customer-2", "feature-02-campaigns", 1)
    report = await drive(clock, pipeline.flush())
    assert (report.delivered, report.failed, report.may_have_landed, report.pending) == (
        0,
        2,
        0,
        0,
    )
    assert len(api.requests) == 1  # not retried, not bisected
    ((items, error),) = failures
    assert [i.customer_id for i in items] == ["customer-1", "customer-2"]
    assert all(isinstance(i, UsageRecord) for i in items)
    assert getattr(error, "status", None) == 401
    assert pipeline.stats.failed == 2
    assert pipeline.stats.sent == 0
    await pipeline.aclose(0)


async def test_one_bad_item_is_isolated_and_the_rest_of_its_batch_lands(
    clock: FakeClock,
) -> None:
    """A business error for a whole bulk is bisected down to the bad item only."""
    failures: list[list[Any]] = []
    api = FakeUsageAPI(refused_customers={"customer-ghost"})
    pipeline = make_pipeline(api, clock, on_error=lambda items, err: failures.append(items))
    pipeline.start()
    for i in range(64):
        customer = "customer-ghost" if i == 37 else f"customer-{i}"
        pipeline.track_usage(customer, "feature-02-campaigns", 1)
    report = await drive(clock, pipeline.flush())
    assert (report.delivered, report.failed, report.may_have_landed) == (63, 1, 0)
    assert [[i.customer_id for i in f] for f in failures] == [["customer-ghost"]]
    assert sum(api.usage_totals.values()) == 63
    assert pipeline.stats.sent == 63
    assert pipeline.stats.failed == 1
    assert len(api.requests) <= 2 * 6 + 1  # about two requests per halving
    await pipeline.aclose(0)


async def test_bisection_can_be_turned_off(clock: FakeClock) -> None:
    """With bisect_on_error=False the whole refused batch goes to on_error."""
    failures: list[list[Any]] = []
    api = FakeUsageAPI(refused_customers={"customer-ghost"})
    pipeline = make_pipeline(
        api, clock, bisect_on_error=False, on_error=lambda items, err: failures.append(items)
    )
    pipeline.start()
    pipeline.track_usage("customer-1", "feature-02-campaigns", 1)
    pipeline.track_usage("customer-ghost", "feature-02-campaigns", 1)
    assert (await drive(clock, pipeline.flush())).failed == 2
    assert len(failures) == 1
    assert len(failures[0]) == 2
    assert len(api.requests) == 1
    await pipeline.aclose(0)


async def test_max_attempts_gives_up_to_on_error(clock: FakeClock) -> None:
    """With max_attempts=3 a batch failing transiently is handed to on_error after 3 tries."""
    failures: list[tuple[list[Any], StiggError]] = []
    api = FakeUsageAPI(scripted=[StiggServerError("HTTP 503", status=503)] * 10)
    pipeline = make_pipeline(
        api, clock, max_attempts=3, on_error=lambda items, err: failures.append((items, err))
    )
    pipeline.start()
    pipeline.track_event("customer-1", "user_login")
    assert (await drive(clock, pipeline.flush())).failed == 1
    assert len(api.requests) == 3
    assert len(failures) == 1
    assert isinstance(failures[0][1], StiggServerError)
    assert isinstance(failures[0][0][0], EventRecord)
    assert pipeline.stats.failed == 1
    await pipeline.aclose(0)


async def test_transient_failures_are_retried_while_open_by_default(clock: FakeClock) -> None:
    """Without max_attempts a long outage only delays delivery; nothing is given up."""
    api = FakeUsageAPI(scripted=[StiggServerError("HTTP 503", status=503)] * 40)
    pipeline = make_pipeline(api, clock)
    pipeline.start()
    pipeline.track_usage("customer-1", "feature-02-campaigns", 5)
    assert await drive(clock, pipeline.flush(), step=1.0)
    assert len(api.requests) == 41
    assert api.usage_totals[("customer-1", "feature-02-campaigns")] == 5
    assert pipeline.stats.failed == 0
    await pipeline.aclose(0)


async def test_flush_reports_pending_when_its_timeout_passes(clock: FakeClock) -> None:
    """flush(timeout) gives up waiting (and says so) while the API keeps failing."""
    api = FakeUsageAPI(scripted=[StiggServerError("HTTP 503", status=503)] * 1000)
    pipeline = make_pipeline(api, clock)
    pipeline.start()
    pipeline.track_usage("customer-1", "feature-02-campaigns", 1)
    report = await drive(clock, pipeline.flush(timeout=10))
    assert not report
    assert (report.pending, report.settled, report.delivered_all) == (1, False, False)
    assert pipeline.stats.pending == 1
    await drive(clock, pipeline.aclose(0))


async def test_bulk_measurements_reach_the_write_through_callback(clock: FakeClock) -> None:
    """The measurements reportUsageBulk answers with are passed on, as camelCase dicts."""
    seen: list[list[Any]] = []
    api = FakeUsageAPI()
    pipeline = make_pipeline(api, clock, on_measurements=seen.append)
    pipeline.start()
    pipeline.track_usage("customer-1", "feature-02-campaigns", 3)
    pipeline.track_usage("customer-1", "feature-02-campaigns", 4)
    assert await drive(clock, pipeline.flush())
    assert [m["currentUsage"] for batch in seen for m in batch] == [3, 7]
    await pipeline.aclose(0)


async def test_async_write_through_callback_is_awaited(clock: FakeClock) -> None:
    """An async on_measurements callback is awaited before the batch counts as done."""
    seen: list[Any] = []

    async def callback(measurements: list[Any]) -> None:
        await asyncio.sleep(0)
        seen.extend(measurements)

    api = FakeUsageAPI()
    pipeline = make_pipeline(api, clock, on_measurements=callback)
    pipeline.start()
    pipeline.track_usage("customer-1", "feature-02-campaigns", 3)
    assert await drive(clock, pipeline.flush())
    assert len(seen) == 1
    await pipeline.aclose(0)


async def test_raising_callbacks_never_break_delivery(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Exceptions from on_measurements and on_error are logged and delivery goes on."""

    def boom(*_: Any) -> None:
        raise RuntimeError("callback bug")

    api = FakeUsageAPI(refused_customers={"customer-ghost"})
    pipeline = make_pipeline(api, clock, on_measurements=boom, on_error=boom)
    pipeline.start()
    with caplog.at_level(logging.ERROR, logger="stigg_async"):
        pipeline.track_usage("customer-ghost", "feature-02-campaigns", 1)
        assert (await drive(clock, pipeline.flush())).failed == 1
        pipeline.track_usage("customer-1", "feature-02-campaigns", 1)
        assert await drive(clock, pipeline.flush())
    assert api.usage_totals[("customer-1", "feature-02-campaigns")] == 1
    assert sum("callback raised" in r.getMessage() for r in caplog.records) == 2
    await pipeline.aclose(0)


async def test_set_is_never_in_flight_together_with_other_usage(clock: FakeClock) -> None:
    """A batch holding a SET waits for earlier batches and holds back later ones."""
    api = FakeUsageAPI(gate=asyncio.Event())
    pipeline = make_pipeline(api, clock, usage_batch_size=2, max_concurrent_requests=4)
    pipeline.start()
    for value in (1, 1, 1, 1):
        pipeline.track_usage("customer-1", "feature-02-campaigns", value)
    pipeline.track_usage("customer-1", "feature-02-campaigns", 10, update_behavior="SET")
    pipeline.track_usage("customer-1", "feature-02-campaigns", 1)
    for value in (1, 1):
        pipeline.track_usage("customer-1", "feature-02-campaigns", value)
    flushing = asyncio.ensure_future(pipeline.flush())
    await settle()
    assert api.in_flight == 2  # the two DELTA batches; the SET batch is held
    assert api.gate is not None
    api.gate.set()
    assert await drive(clock, flushing)
    order = [[i.get("updateBehavior") for i in r.items] for r in api.requests]
    assert order[2] == ["SET", "DELTA"]
    assert api.usage_totals[("customer-1", "feature-02-campaigns")] == 13
    await pipeline.aclose(0)


async def test_concurrent_requests_are_capped_per_kind(clock: FakeClock) -> None:
    """No more than max_concurrent_requests batches of one kind are in flight."""
    api = FakeUsageAPI(gate=asyncio.Event())
    pipeline = make_pipeline(api, clock, event_batch_size=10, max_concurrent_requests=3)
    pipeline.start()
    for i in range(100):
        pipeline.track_event(f"customer-{i}", "user_login")
    await settle()
    assert api.in_flight == 3
    assert api.gate is not None
    api.gate.set()
    assert await drive(clock, pipeline.flush())
    assert api.max_in_flight == 3
    assert api.applied_events == 100
    await pipeline.aclose(0)


async def test_items_without_a_time_are_stamped_with_the_time_they_were_tracked(
    clock: FakeClock,
) -> None:
    """createdAt / timestamp say when track_* ran, not when the (retried) batch went out."""
    api = FakeUsageAPI(scripted=[StiggServerError("HTTP 503", status=503)] * 5)
    pipeline = make_pipeline(api, clock)
    pipeline.start()
    tracked_at = clock.now()
    pipeline.track_usage("customer-1", "feature-02-campaigns", 1)
    given = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
    pipeline.track_event("customer-1", "user_login", timestamp=given)
    assert await drive(clock, pipeline.flush(), step=1.0)
    last_usage = next(r for r in reversed(api.requests) if r.operation == "ReportUsageBulk")
    last_event = next(r for r in reversed(api.requests) if r.operation == "ReportEvent")
    assert clock.now() > tracked_at
    expected = tracked_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert last_usage.items[0]["createdAt"] == expected
    assert last_event.items[0]["timestamp"] == "2025-06-01T12:00:00.000Z"
    await pipeline.aclose(0)


async def test_counters_balance(clock: FakeClock) -> None:
    """enqueued == sent + failed + may_have_landed + pending at every point."""
    api = FakeUsageAPI(fault_rate=0.3, refused_customers={"customer-ghost"})
    pipeline = make_pipeline(api, clock, usage_batch_size=7, event_batch_size=5)
    pipeline.start()
    for i in range(200):
        pipeline.track_usage("customer-ghost" if i % 50 == 0 else "c", "feature-02-campaigns", 1)
        pipeline.track_event("c", "user_login")
        if i % 20 == 0:
            await clock.run_for(0.5)
        s = pipeline.stats
        assert s.enqueued == s.sent + s.failed + s.may_have_landed + s.pending
    assert (await drive(clock, pipeline.flush())).settled
    s = pipeline.stats
    # A refused item whose batch had lost an answer earlier counts as may-have-landed:
    # the SDK never calls an item failed unless it knows.
    assert (s.enqueued, s.sent, s.failed + s.may_have_landed, s.pending) == (400, 396, 4, 0)
    assert s.retried > 0
    assert s.requests > s.batches
    await pipeline.aclose(0)
