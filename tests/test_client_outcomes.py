"""Direct calls against the emulator: ambiguous outcomes flagged, keys attached, observer told.

Issue 11, findings 1 and 2: a truncated 200 is retried with the same key and counted
once; a call whose answer was lost raises with ``may_have_landed`` and the keys / ids
needed to retry safely; the usage observer hears about every awaited report once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from stigg_async import AsyncStigg, RetryPolicy
from stigg_async._clock import FakeClock
from stigg_async._errors import (
    CustomerNotFoundError,
    DuplicatedEntityNotAllowedError,
    StiggConnectionError,
    StiggError,
    StiggResponseError,
    StiggServerError,
    StiggValidationError,
)
from stigg_async._usage._observer import UsageOutcome
from stigg_async.emulator import Emulator, Fault
from tests.reliability._support import drive
from tests.support.observer import RecordingObserver

KEY = "sk-client-outcomes-7c1d"
CAMPAIGNS = "feature-02-campaigns"


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(api_key=KEY) as emulator:
        emulator.state.provision_customer("customer-1")
        emulator.state.provision_subscription("customer-1", "plan-revvenu-growth", skip_trial=True)
        yield emulator


def client(emu: Emulator, **kwargs: Any) -> AsyncStigg:
    kwargs.setdefault("retry", RetryPolicy(max_retries=3, initial_backoff=0.01))
    return AsyncStigg(
        api_key=KEY,
        api_url=emu.url,
        clock=FakeClock(auto_advance=True),
        entitlements={"poll": False},
        **kwargs,
    )


async def test_truncated_200_is_retried_with_the_same_key_and_counted_once(
    emu: Emulator,
) -> None:
    """The write lands, the answer is cut short: the retry is a replay, the call succeeds."""
    emu.faults.add(Fault.truncated(), operation="ReportUsage", times=1)
    async with client(emu) as stigg:
        ack = await stigg.report_usage(customer_id="customer-1", feature_id=CAMPAIGNS, value=2)
    assert ack.current_usage == 2
    assert emu.state.usage_total("customer-1", CAMPAIGNS) == 2
    assert emu.state.applied_usage_reports == 1
    assert emu.state.replayed_usage_reports == 1


async def test_lost_answer_raises_may_have_landed_with_the_minted_key(emu: Emulator) -> None:
    """Without retries the error says the report may have landed and carries its key."""
    emu.faults.add(Fault.truncated(), operation="ReportUsage", times=1)
    async with client(emu, retry=RetryPolicy(max_retries=0)) as stigg:
        with pytest.raises(StiggResponseError) as info:
            await stigg.report_usage(customer_id="customer-1", feature_id=CAMPAIGNS, value=1)
        err = info.value
        assert err.may_have_landed
        (key,) = err.idempotency_keys
        assert emu.state.usage_total("customer-1", CAMPAIGNS) == 1  # it had landed
        again = await stigg.report_usage(
            customer_id="customer-1", feature_id=CAMPAIGNS, value=1, idempotency_key=key
        )
    assert again.current_usage == 1  # the safe retry was not counted twice
    assert emu.state.usage_total("customer-1", CAMPAIGNS) == 1


async def test_exhausted_retries_after_a_5xx_keep_the_flag_and_every_bulk_key(
    emu: Emulator,
) -> None:
    """A bulk report failing with 5xx after applying: flag set, one key per item, in order."""
    emu.faults.add(Fault.apply_then_fail(502), operation="ReportUsageBulk")
    usages = [
        {"customer_id": "customer-1", "feature_id": CAMPAIGNS, "value": 1},
        {
            "customer_id": "customer-1",
            "feature_id": CAMPAIGNS,
            "value": 2,
            "idempotency_key": "k-2",
        },
    ]
    async with client(emu, retry=RetryPolicy(max_retries=2, initial_backoff=0.01)) as stigg:
        with pytest.raises(StiggServerError) as info:
            await stigg.report_usage_bulk(usages)
    err = info.value
    assert err.may_have_landed
    assert err.retries == 2
    assert len(err.idempotency_keys) == 2
    assert err.idempotency_keys[1] == "k-2"
    assert emu.state.usage_total("customer-1", CAMPAIGNS) == 3  # landed once, not thrice


async def test_a_refusal_after_a_lost_answer_still_says_it_may_have_landed(
    emu: Emulator,
) -> None:
    """Attempt 1 lands (answer lost), attempt 2 is refused: the error keeps the flag."""
    emu.faults.add(Fault.apply_then_fail(503), operation="ReportUsage", times=1)
    emu.faults.add(Fault.http_error(400, code="BadUserInput"), operation="ReportUsage", times=1)
    async with client(emu) as stigg:
        with pytest.raises(StiggError) as info:
            await stigg.report_usage(customer_id="customer-1", feature_id=CAMPAIGNS, value=1)
    assert info.value.may_have_landed
    assert emu.state.usage_total("customer-1", CAMPAIGNS) == 1


async def test_provision_customer_error_carries_the_minted_ids(emu: Emulator) -> None:
    """The ids the SDK chose come with the error; retrying with them creates nothing twice."""
    emu.faults.add(Fault.apply_then_drop(), operation="ProvisionCustomer", times=1)
    async with client(emu, retry=RetryPolicy(max_retries=0)) as stigg:
        with pytest.raises(StiggConnectionError) as info:
            await stigg.provision_customer(
                name="Acme", subscription_params={"plan_id": "plan-revvenu-basic"}
            )
        err = info.value
        assert err.may_have_landed
        customer_id = err.minted_ids["customer_id"]
        subscription_id = err.minted_ids["subscription_id"]
        assert emu.state.get_customer(customer_id) is not None  # it had landed
        # Sending the same id again cannot create a second customer: the refusal
        # confirms the first attempt landed.
        with pytest.raises(DuplicatedEntityNotAllowedError):
            await stigg.provision_customer(customer_id=customer_id, name="Acme")
    assert subscription_id.startswith("subscription-")
    assert len(emu.state.live_subscriptions(customer_id)) == 1


async def test_a_business_refusal_did_not_land(emu: Emulator) -> None:
    """CustomerNotFound: nothing applied, the flag is off, the key is still attached."""
    async with client(emu) as stigg:
        with pytest.raises(CustomerNotFoundError) as info:
            await stigg.report_usage(customer_id="customer-ghost", feature_id=CAMPAIGNS, value=1)
    assert not info.value.may_have_landed
    assert len(info.value.idempotency_keys) == 1


async def test_observer_hears_each_awaited_report_once_with_its_outcome(emu: Emulator) -> None:
    """Delivered (with the measurement), failed, and may-have-landed, each settled once."""
    observer = RecordingObserver()
    async with client(emu, retry=RetryPolicy(max_retries=0)) as stigg:
        stigg._observe_usage(observer)
        await stigg.report_usage(
            customer_id="customer-1", feature_id=CAMPAIGNS, value=3, idempotency_key="ok-1"
        )
        with pytest.raises(CustomerNotFoundError):
            await stigg.report_usage(
                customer_id="customer-ghost", feature_id=CAMPAIGNS, value=1, idempotency_key="no-1"
            )
        emu.faults.add(Fault.apply_then_fail(502), operation="ReportUsageBulk", times=1)
        with pytest.raises(StiggServerError):
            await stigg.report_usage_bulk(
                [
                    {
                        "customer_id": "customer-1",
                        "feature_id": CAMPAIGNS,
                        "value": 1,
                        "idempotency_key": "lost-1",
                    },
                    {
                        "customer_id": "customer-1",
                        "feature_id": CAMPAIGNS,
                        "value": 1,
                        "idempotency_key": "lost-2",
                    },
                ]
            )
        with pytest.raises(StiggValidationError):  # refused locally: never accepted
            await stigg.report_usage(customer_id="", feature_id=CAMPAIGNS, value=1)
    assert observer.problems() == []
    assert [r.idempotency_key for r in observer.accepted] == ["ok-1", "no-1", "lost-1", "lost-2"]
    assert observer.outcome_of("ok-1") is UsageOutcome.DELIVERED
    assert observer.outcome_of("no-1") is UsageOutcome.FAILED
    assert observer.outcome_of("lost-1") is UsageOutcome.UNKNOWN
    assert observer.outcome_of("lost-2") is UsageOutcome.UNKNOWN
    (_, _, measurement), *_ = observer.settled
    assert measurement is not None
    assert measurement["currentUsage"] == 3


async def test_a_cancelled_awaited_report_is_settled_as_unknown() -> None:
    """Cancelling report_usage after it was sent settles its item once, as may-have-landed."""
    observer = RecordingObserver()
    server_clock = FakeClock()
    async with Emulator(api_key=KEY, clock=server_clock) as emu:
        emu.state.provision_customer("customer-1")
        emu.faults.add(Fault.latency(30), operation="ReportUsage", times=1)
        async with client(emu) as stigg:
            stigg._observe_usage(observer)
            call = asyncio.ensure_future(
                stigg.report_usage(customer_id="customer-1", feature_id=CAMPAIGNS, value=1)
            )
            for _ in range(10_000):  # until the request is at the server
                if emu.counters.operation("ReportUsage"):
                    break
                await asyncio.sleep(0)
            assert emu.counters.operation("ReportUsage") == 1
            call.cancel()
            with pytest.raises(asyncio.CancelledError):
                await call
        server_clock.advance(30)  # let the held request finish so the emulator stops
    assert observer.problems() == []
    assert observer.outcomes() == {UsageOutcome.UNKNOWN: 1}


async def test_execute_refuses_variables_that_are_not_a_mapping(emu: Emulator) -> None:
    """execute(doc, "notadict") is a typed validation error, and nothing is sent."""
    async with client(emu) as stigg:
        before = emu.counters.total
        for bad in ("notadict", [1, 2], {1: "x"}):
            with pytest.raises(StiggValidationError):
                await stigg.execute("query Q { x }", bad)  # type: ignore[arg-type]
        with pytest.raises(StiggValidationError):
            await stigg.execute("query Q { x }", None, operation_name="")
    assert emu.counters.total == before


async def test_buffered_batches_with_truncated_answers_are_delivered_not_failed(
    emu: Emulator,
) -> None:
    """The pipeline retries a truncated 200 with the same keys: counted once, never failed."""
    failed: list[Any] = []
    emu.faults.add(Fault.truncated(), operation="ReportUsageBulk", times=3)
    clock = FakeClock()
    async with AsyncStigg(
        api_key=KEY,
        api_url=emu.url,
        clock=clock,
        entitlements={"poll": False},
        usage={"usage_batch_size": 10, "on_error": lambda items, err: failed.extend(items)},
    ) as stigg:
        for _ in range(40):
            stigg.track_usage("customer-1", CAMPAIGNS, 1)
        flushing = asyncio.ensure_future(stigg.flush())
        await drive(clock, flushing.done)  # fake time for the retry waits
        report = flushing.result()
        stats = stigg.usage_stats
    assert (report.delivered, report.failed, report.may_have_landed, report.pending) == (
        40,
        0,
        0,
        0,
    )
    assert failed == []
    assert (stats.sent, stats.failed, stats.may_have_landed) == (40, 0, 0)
    assert emu.state.usage_total("customer-1", CAMPAIGNS) == 40
    assert emu.state.applied_usage_reports == 40


async def test_a_raising_observer_never_breaks_an_awaited_report(emu: Emulator) -> None:
    """Observer bugs are logged; the report's own result (or error) comes through."""

    class Broken:
        def usage_accepted(self, record: Any) -> None:
            raise RuntimeError("observer bug")

        def usage_settled(self, record: Any, outcome: Any, measurement: Any = None) -> None:
            raise RuntimeError("observer bug")

    async with client(emu) as stigg:
        stigg._observe_usage(Broken())
        ack = await stigg.report_usage(customer_id="customer-1", feature_id=CAMPAIGNS, value=2)
        with pytest.raises(CustomerNotFoundError):
            await stigg.report_usage(customer_id="customer-ghost", feature_id=CAMPAIGNS, value=1)
    assert ack.current_usage == 2


async def test_an_unusable_2xx_answer_to_a_write_says_it_may_have_landed() -> None:
    """A 200 whose payload does not parse: the write ran, so the error is flagged, not retried."""
    from tests.support.facade import make_client
    from tests.support.recording_server import RecordingServer, Reply

    server = await RecordingServer().start()
    try:
        server.reply(Reply(body={"data": {"reportUsage": {"currentUsage": "lots"}}}))
        stigg, _ = make_client(server.url, max_retries=3)
        async with stigg:
            with pytest.raises(StiggResponseError) as info:
                await stigg.report_usage(customer_id="customer-1", feature_id=CAMPAIGNS, value=1)
    finally:
        await server.stop()
    assert info.value.may_have_landed
    assert len(server.received) == 1  # answered: not sent again
