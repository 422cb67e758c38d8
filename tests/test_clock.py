"""Clocks: timers run once, on time, and can be called off."""

from __future__ import annotations

import asyncio

import pytest

from stigg_async._clock import FakeClock, SystemClock


def test_fake_timers_run_inside_advance_in_deadline_order() -> None:
    clock = FakeClock()
    start = clock.monotonic()
    ran: list[str] = []
    clock.call_at(start + 2, lambda: ran.append("two"))
    clock.call_at(start + 1, lambda: ran.append("one"))
    clock.advance(0.5)
    assert ran == []
    clock.advance(2)
    assert ran == ["one", "two"]
    clock.advance(10)
    assert ran == ["one", "two"]  # once only


def test_a_cancelled_fake_timer_never_runs() -> None:
    clock = FakeClock()
    ran: list[int] = []
    timer = clock.call_at(clock.monotonic() + 1, lambda: ran.append(1))
    timer.cancel()
    clock.advance(5)
    assert ran == []


def test_a_fake_timer_already_due_runs_at_once() -> None:
    clock = FakeClock()
    ran: list[int] = []
    clock.call_at(clock.monotonic(), lambda: ran.append(1))
    assert ran == [1]


async def test_system_timers_run_in_the_running_loop() -> None:
    clock = SystemClock()
    ran = asyncio.Event()
    cancelled: list[int] = []
    clock.call_at(clock.monotonic() - 1, ran.set)  # already due: the next loop turn
    clock.call_at(clock.monotonic() - 1, lambda: cancelled.append(1)).cancel()
    await asyncio.wait_for(ran.wait(), timeout=5)
    await asyncio.sleep(0)
    assert cancelled == []


def test_system_timers_need_a_running_loop() -> None:
    with pytest.raises(RuntimeError):
        SystemClock().call_at(0.0, lambda: None)
