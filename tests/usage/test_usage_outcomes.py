"""What the pipeline says happened: delivered, failed, may have landed, pending.

Issue 11, findings 1 and 9 and the observer contract: a lost answer is never reported
as a failure, every accepted usage item is settled exactly once (faults and closing
included), and a rejected key holds buffered usage for a bounded time instead of
failing it at once.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from stigg_async._clock import FakeClock
from stigg_async._errors import StiggAuthenticationError, StiggError, StiggServerError
from stigg_async._usage._observer import UsageOutcome
from tests.support.observer import RecordingObserver
from tests.usage.fakes import FakeUsageAPI, auth_error, drive, make_pipeline, settle

CAMPAIGNS = "feature-02-campaigns"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


async def test_every_accepted_item_is_settled_once_under_faults(clock: FakeClock) -> None:
    """30% faults, refused customers and bisection: one settle per accepted item."""
    observer = RecordingObserver()
    api = FakeUsageAPI(fault_rate=0.3, refused_customers={"customer-ghost"}, seed=3)
    pipeline = make_pipeline(api, clock, observer=observer, usage_batch_size=8)
    pipeline.start()
    for i in range(300):
        customer = "customer-ghost" if i % 37 == 0 else f"customer-{i % 5}"
        assert pipeline.track_usage(customer, CAMPAIGNS, 1)
        pipeline.track_event("customer-1", "user_login")  # events are not observed
    report = await drive(clock, pipeline.flush())
    assert report.settled
    await drive(clock, pipeline.aclose(0))
    assert observer.problems() == []
    assert len(observer.accepted) == 300
    outcomes = observer.outcomes()
    stats = pipeline.stats
    ghosts = 9
    assert outcomes[UsageOutcome.DELIVERED] == 300 - ghosts
    assert outcomes[UsageOutcome.FAILED] + outcomes[UsageOutcome.UNKNOWN] == ghosts
    assert stats.enqueued == stats.sent + stats.failed + stats.may_have_landed + stats.pending
    # Every delivered item comes with the server's answer for it.
    delivered = [m for _, o, m in observer.settled if o is UsageOutcome.DELIVERED]
    assert all(m is not None and m["customerId"] != "customer-ghost" for m in delivered)


async def test_delivered_items_carry_their_own_measurement(clock: FakeClock) -> None:
    """The i-th answer of reportUsageBulk goes with the i-th item of the batch."""
    observer = RecordingObserver()
    api = FakeUsageAPI()
    pipeline = make_pipeline(api, clock, observer=observer)
    pipeline.start()
    pipeline.track_usage("customer-1", CAMPAIGNS, 3, idempotency_key="a")
    pipeline.track_usage("customer-1", CAMPAIGNS, 4, idempotency_key="b")
    report = await drive(clock, pipeline.flush())
    assert (report.delivered, report.failed, report.may_have_landed, report.pending) == (2, 0, 0, 0)
    answers = {r.idempotency_key: m for r, _, m in observer.settled}
    assert answers["a"] is not None
    assert answers["a"]["currentUsage"] == 3
    assert answers["b"] is not None
    assert answers["b"]["currentUsage"] == 7
    await pipeline.aclose(0)


async def test_giving_up_after_a_lost_answer_reports_may_have_landed(clock: FakeClock) -> None:
    """A batch whose answers were lost is may-have-landed, never failed, when given up."""
    errors: list[StiggError] = []
    observer = RecordingObserver()
    lost = StiggServerError("HTTP 502", status=502, may_have_landed=True)
    api = FakeUsageAPI(scripted=[lost] * 5)
    pipeline = make_pipeline(
        api,
        clock,
        observer=observer,
        max_attempts=3,
        on_error=lambda items, err: errors.append(err),
    )
    pipeline.start()
    pipeline.track_usage("customer-1", CAMPAIGNS, 1)
    report = await drive(clock, pipeline.flush())
    assert (report.delivered, report.failed, report.may_have_landed) == (0, 0, 1)
    assert not report
    assert pipeline.stats.may_have_landed == 1
    assert pipeline.stats.failed == 0
    (error,) = errors
    assert error.may_have_landed
    assert observer.outcomes() == {UsageOutcome.UNKNOWN: 1}
    await pipeline.aclose(0)


async def test_closing_with_a_request_on_the_wire_reports_it_as_may_have_landed(
    clock: FakeClock,
) -> None:
    """Cancelled mid-request at close: may have landed; queued and never sent: failed."""
    observer = RecordingObserver()
    api = FakeUsageAPI(gate=asyncio.Event())
    pipeline = make_pipeline(
        api, clock, observer=observer, usage_batch_size=1, max_concurrent_requests=1
    )
    pipeline.start()
    pipeline.track_usage("customer-1", CAMPAIGNS, 1, idempotency_key="on-the-wire")
    pipeline.track_usage("customer-1", CAMPAIGNS, 1, idempotency_key="queued")
    clock.advance(2)
    await settle()
    assert api.in_flight == 1
    report = await drive(clock, pipeline.aclose(1))
    assert (report.delivered, report.may_have_landed, report.failed) == (0, 1, 1)
    assert observer.outcome_of("on-the-wire") is UsageOutcome.UNKNOWN
    assert observer.outcome_of("queued") is UsageOutcome.FAILED
    assert observer.problems() == []


async def test_a_rejected_key_holds_usage_for_the_grace_period(clock: FakeClock) -> None:
    """Three 401s, then the key is fixed: every item lands; status said why meanwhile."""
    api = FakeUsageAPI(scripted=[auth_error(), auth_error(), auth_error()])
    pipeline = make_pipeline(api, clock, auth_grace_period=600, auth_retry_interval=30)
    pipeline.start()
    for _ in range(5):
        pipeline.track_usage("customer-1", CAMPAIGNS, 1)
    flushing = asyncio.ensure_future(pipeline.flush())
    await clock.run_for(2)
    await settle()
    problem = pipeline.stats.delivery_problem
    assert problem is not None
    assert "401" in problem
    assert "STIGG_SERVER_API_KEY" in problem
    assert len(api.requests) == 1
    await clock.run_for(27)  # the slow regime: nothing before auth_retry_interval
    await settle()
    assert len(api.requests) == 1
    await clock.run_for(2)
    await settle()
    assert len(api.requests) == 2
    report = await drive(clock, flushing)
    assert (report.delivered, report.failed, report.may_have_landed) == (5, 0, 0)
    assert len(api.requests) == 4
    assert api.usage_totals[("customer-1", CAMPAIGNS)] == 5
    assert pipeline.stats.delivery_problem is None
    await pipeline.aclose(0)


async def test_a_key_rejected_past_the_grace_period_fails_the_items_clearly(
    clock: FakeClock,
) -> None:
    """Past auth_grace_period the items fail (definitely not applied) with the auth error."""
    failures: list[tuple[int, StiggError]] = []
    api = FakeUsageAPI(scripted=[auth_error()] * 100)
    pipeline = make_pipeline(
        api,
        clock,
        auth_grace_period=120,
        auth_retry_interval=30,
        on_error=lambda items, err: failures.append((len(items), err)),
    )
    pipeline.start()
    for _ in range(3):
        pipeline.track_usage("customer-1", CAMPAIGNS, 1)
    report = await drive(clock, pipeline.flush(), step=1.0)
    assert (report.delivered, report.failed, report.may_have_landed) == (0, 3, 0)
    ((count, error),) = failures
    assert count == 3
    assert isinstance(error, StiggAuthenticationError)
    assert not error.may_have_landed
    assert 4 <= len(api.requests) <= 6  # about one attempt per 30 s over 120 s
    await pipeline.aclose(0)


@pytest.mark.parametrize("timeout", [float("nan"), "x", -1, True], ids=repr)
async def test_flush_and_close_refuse_bad_timeouts_before_acting(
    clock: FakeClock, timeout: Any
) -> None:
    """A bad timeout raises before the pipeline starts, kicks or closes anything."""
    api = FakeUsageAPI()
    pipeline = make_pipeline(api, clock)
    pipeline.track_usage("customer-1", CAMPAIGNS, 1)
    with pytest.raises(StiggError):
        await pipeline.flush(timeout)
    with pytest.raises(StiggError):
        await pipeline.aclose(timeout)
    assert not pipeline.is_closed
    assert api.requests == []
    report = await drive(clock, pipeline.aclose(5))
    assert report.delivered == 1
