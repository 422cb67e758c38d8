"""What a full queue does under the "drop" and "wait" policies."""

from __future__ import annotations

import asyncio
import logging

import pytest

from stigg_async._clock import FakeClock
from tests.usage.fakes import FakeUsageAPI, drive, make_pipeline, settle


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


async def test_drop_policy_refuses_items_when_full_counts_them_and_logs_once(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Under "drop" a full queue refuses at once, counts each drop and logs one line."""
    api = FakeUsageAPI()
    pipeline = make_pipeline(api, clock, max_queue_size=5, full_queue_policy="drop")
    with caplog.at_level(logging.WARNING, logger="stigg_async"):
        accepted = [pipeline.track_usage("c", "feature-02-campaigns", 1) for _ in range(8)]
        assert await pipeline.enqueue_usage("c", "feature-02-campaigns", 1) is False
    assert accepted == [True] * 5 + [False] * 3
    assert pipeline.stats.dropped == 4
    assert pipeline.stats.enqueued == 5
    assert sum("queue full" in r.getMessage() for r in caplog.records) == 1
    pipeline.start()
    assert await drive(clock, pipeline.flush())
    assert api.usage_totals[("c", "feature-02-campaigns")] == 5
    await pipeline.aclose(0)


async def test_wait_policy_waits_for_room_and_then_accepts(clock: FakeClock) -> None:
    """Under "wait" the awaitable enqueue waits until a batch leaves the queue."""
    api = FakeUsageAPI(gate=asyncio.Event())
    pipeline = make_pipeline(
        api, clock, max_queue_size=4, usage_batch_size=2, max_concurrent_requests=1
    )
    for _ in range(4):
        assert pipeline.track_usage("c", "feature-02-campaigns", 1)
    waiting = asyncio.ensure_future(pipeline.enqueue_usage("c", "feature-02-campaigns", 1))
    await settle()
    assert not waiting.done()
    pipeline.start()  # the flusher takes a batch: room for the waiter
    await settle()
    assert waiting.done()
    assert waiting.result() is True
    assert pipeline.stats.dropped == 0
    assert api.gate is not None
    api.gate.set()
    assert await drive(clock, pipeline.flush())
    assert api.usage_totals[("c", "feature-02-campaigns")] == 5
    await pipeline.aclose(0)


async def test_wait_policy_refuses_after_enqueue_timeout(clock: FakeClock) -> None:
    """Under "wait" an item still without room after enqueue_timeout is refused and counted."""
    api = FakeUsageAPI()
    pipeline = make_pipeline(api, clock, max_queue_size=2, enqueue_timeout=3.0)
    pipeline.track_event("c", "user_login")
    pipeline.track_event("c", "user_login")
    waiting = asyncio.ensure_future(pipeline.enqueue_event("c", "user_login"))
    await clock.run_for(2.9, step=0.1)
    assert not waiting.done()
    await clock.run_for(0.2, step=0.1)
    await settle()
    assert waiting.result() is False
    assert pipeline.stats.dropped == 1
    pipeline.start()
    await drive(clock, pipeline.aclose(5))


async def test_sync_track_cannot_wait_and_refuses_when_full_under_wait_policy(
    clock: FakeClock,
) -> None:
    """The synchronous track_* never blocks: under "wait" it refuses at once too."""
    pipeline = make_pipeline(FakeUsageAPI(), clock, max_queue_size=1, full_queue_policy="wait")
    assert pipeline.track_usage("c", "feature-02-campaigns", 1) is True
    assert pipeline.track_usage("c", "feature-02-campaigns", 1) is False
    assert pipeline.stats.dropped == 1
    pipeline.start()
    await drive(clock, pipeline.aclose(5))


async def test_waiting_enqueue_raises_when_the_client_closes(clock: FakeClock) -> None:
    """An enqueue waiting for room fails with StiggClientStateError when closing begins."""
    from stigg_async._errors import StiggClientStateError

    pipeline = make_pipeline(FakeUsageAPI(), clock, max_queue_size=1, enqueue_timeout=None)
    pipeline.track_usage("c", "feature-02-campaigns", 1)
    waiting = asyncio.ensure_future(pipeline.enqueue_usage("c", "feature-02-campaigns", 1))
    await settle()
    await drive(clock, pipeline.aclose(5))
    with pytest.raises(StiggClientStateError):
        waiting.result()
