"""Closing the pipeline: queued items are delivered, the rest reported, nothing left running."""

from __future__ import annotations

import asyncio
import gc
import warnings
from typing import Any

import pytest

from stigg_async._clock import FakeClock
from stigg_async._errors import StiggClientStateError, StiggError, StiggServerError
from stigg_async._retry import RetryPolicy
from stigg_async._transport import GraphQLTransport
from stigg_async._usage import UsagePipeline, UsagePipelineOptions
from tests.support.recording_server import RecordingServer, Reply
from tests.usage.fakes import FakeUsageAPI, drive, make_pipeline, settle


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def other_tasks() -> set[asyncio.Task[Any]]:
    return {t for t in asyncio.all_tasks() if t is not asyncio.current_task()}


async def test_close_delivers_items_still_in_the_queue(clock: FakeClock) -> None:
    """aclose() sends partial batches at once instead of waiting for the interval."""
    api = FakeUsageAPI()
    pipeline = make_pipeline(api, clock, flush_interval=3600)
    pipeline.start()
    for i in range(30):
        pipeline.track_usage(f"customer-{i % 3}", "feature-02-campaigns", 2)
        pipeline.track_event(f"customer-{i % 3}", "user_login")
    await settle()
    assert api.requests == []
    report = await drive(clock, pipeline.aclose(10))
    assert report.flushed is True
    assert report.undelivered == 0
    assert sum(api.usage_totals.values()) == 60
    assert api.applied_events == 30
    assert report.stats.sent == 60
    assert report.stats.pending == 0


async def test_close_hands_undeliverable_items_to_on_error_and_reports_them(
    clock: FakeClock,
) -> None:
    """Items still failing at the close deadline go to on_error and into the report."""
    failures: list[tuple[list[Any], StiggError]] = []
    api = FakeUsageAPI(scripted=[StiggServerError("HTTP 503", status=503)] * 10_000)
    pipeline = make_pipeline(
        api,
        clock,
        usage_batch_size=2,
        max_concurrent_requests=1,
        on_error=lambda items, err: failures.append((items, err)),
    )
    pipeline.start()
    for i in range(5):
        pipeline.track_usage("c", "feature-02-campaigns", 1, idempotency_key=f"k-{i}")
    pipeline.track_event("c", "user_login", idempotency_key="e-0")
    report = await drive(clock, pipeline.aclose(30))
    assert report.flushed is False
    assert [r.idempotency_key for r in report.undelivered_usage] == [f"k-{i}" for i in range(5)]
    assert [r.idempotency_key for r in report.undelivered_events] == ["e-0"]
    assert sorted(len(items) for items, _ in failures) == [1, 5]
    assert all(isinstance(err, StiggClientStateError) for _, err in failures)
    assert report.stats.failed == 6
    assert report.stats.pending == 0
    assert other_tasks() == set()


@pytest.mark.filterwarnings("error")
async def test_no_task_is_pending_after_close(clock: FakeClock) -> None:
    """After aclose() the flusher, batch tasks and clock sleepers are all gone."""
    api = FakeUsageAPI(scripted=[StiggServerError("HTTP 503", status=503)] * 3)
    pipeline = make_pipeline(api, clock)
    before = other_tasks()
    pipeline.start()
    pipeline.track_usage("c", "feature-02-campaigns", 1)
    await clock.run_for(2)
    await drive(clock, pipeline.aclose(60))
    await settle()
    assert other_tasks() == before
    assert clock.pending_sleepers == 0
    assert api.usage_totals[("c", "feature-02-campaigns")] == 1


async def test_close_is_idempotent_and_tracking_afterwards_raises(clock: FakeClock) -> None:
    """A second aclose() returns the same report; track_* after close raises."""
    pipeline = make_pipeline(FakeUsageAPI(), clock)
    pipeline.start()
    first = await drive(clock, pipeline.aclose(1))
    assert await pipeline.aclose(1) is first
    with pytest.raises(StiggClientStateError):
        pipeline.track_usage("c", "feature-02-campaigns", 1)
    with pytest.raises(StiggClientStateError):
        pipeline.track_event("c", "user_login")
    with pytest.raises(StiggClientStateError):
        await pipeline.enqueue_usage("c", "feature-02-campaigns", 1)


async def test_close_without_start_still_delivers_what_was_tracked(clock: FakeClock) -> None:
    """Items tracked before start() are delivered by aclose()."""
    api = FakeUsageAPI()
    pipeline = make_pipeline(api, clock)
    pipeline.track_usage("c", "feature-02-campaigns", 4)
    report = await drive(clock, pipeline.aclose(5))
    assert report.flushed
    assert api.usage_totals[("c", "feature-02-campaigns")] == 4


@pytest.mark.filterwarnings("error")
async def test_no_session_is_left_unclosed_over_real_http() -> None:
    """Over a real aiohttp session: delivery, retry of a dropped connection, clean close."""
    server = await RecordingServer().start()
    try:
        server.reply(Reply(drop=True), Reply(status=503, body={"errors": [{"message": "busy"}]}))
        server.default = Reply(body={"data": {"reportUsageBulk": [], "reportEvent": None}})
        transport = GraphQLTransport(api_url=server.url, api_key="test-key", timeout=5)
        clock = FakeClock()
        pipeline = UsagePipeline(
            transport=transport,
            retry_policy=RetryPolicy(),
            clock=clock,
            options=UsagePipelineOptions(),
        )
        await transport.open()
        pipeline.start()
        pipeline.track_usage("c", "feature-02-campaigns", 1)
        pipeline.track_event("c", "user_login")
        report = await drive(clock, pipeline.aclose(30), step=0.05)
        await transport.close()
        assert report.flushed
        keys = [
            item["idempotencyKey"]
            for r in server.received
            for item in (next(iter(r.variables.values())).get("usages") or [])
        ]
        assert len(server.received) == 4
        assert len(keys) >= 2
        assert len(set(keys)) == 1
        assert "test-key" not in repr(pipeline)
    finally:
        await server.stop()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gc.collect()
