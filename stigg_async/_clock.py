"""Time and randomness as injectable services.

Everything in the SDK that waits, schedules or jitters asks a :class:`Clock`, so
tests drive time with :class:`FakeClock` instead of sleeping for real.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "FakeClock", "SystemClock", "Timer"]


class Timer(Protocol):
    """A scheduled callback that can be called off (``asyncio.TimerHandle`` is one)."""

    def cancel(self) -> None:
        """Do not run the callback (a no-op once it ran)."""
        ...


@runtime_checkable
class Clock(Protocol):
    """What the SDK needs of time: a monotonic reading, wall time, sleeping, jitter.

    A clock may also offer ``call_at(when, callback) -> Timer``: run ``callback`` once
    ``monotonic()`` reaches ``when`` (:class:`SystemClock` and :class:`FakeClock` do).
    The entitlement cache then retires fresh data by timer, so warm checks read no
    clock; without it they read ``monotonic()`` on every call.
    """

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards (for ages and deadlines)."""
        ...

    def now(self) -> datetime:
        """The current wall-clock time, timezone-aware (UTC)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds``; cancellable."""
        ...

    def random(self) -> float:
        """A float in [0, 1), for jitter."""
        ...


class SystemClock:
    """The real clock: ``time.monotonic``, ``datetime.now(UTC)`` and ``asyncio.sleep``.

    Example:
        >>> clock = SystemClock()
        >>> clock.monotonic() <= clock.monotonic()
        True
    """

    __slots__ = ("_rng",)

    def __init__(self, rng: random.Random | None = None) -> None:
        self._rng = rng or random.Random()

    # Bound once: monotonic() sits on the entitlement read path.
    monotonic = staticmethod(time.monotonic)

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def call_at(self, when: float, callback: Callable[[], object]) -> Timer:
        """Run ``callback`` in the running loop once ``monotonic()`` reaches ``when``.

        Raises:
            RuntimeError: no event loop is running in this thread.

        Example:
            >>> async def soon(clock: SystemClock) -> None:
            ...     done = asyncio.Event()
            ...     clock.call_at(clock.monotonic(), done.set)  # due now: the next loop turn
            ...     await done.wait()
            >>> asyncio.run(soon(SystemClock()))
        """
        loop = asyncio.get_running_loop()
        # call_later, not call_at: loop.time() need not be time.monotonic() (uvloop).
        return loop.call_later(max(0.0, when - time.monotonic()), callback)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    def random(self) -> float:
        return self._rng.random()

    def __repr__(self) -> str:
        return "SystemClock()"


class FakeClock:
    """A clock that moves only when told to, for tests.

    ``sleep`` parks the caller until :meth:`advance` moves time past its deadline.
    With ``auto_advance=True`` a sleep instead moves time forward at once (and is
    recorded in :attr:`sleeps`), which suits retry tests that only count waits.

    Example:
        >>> clock = FakeClock()
        >>> start = clock.monotonic()
        >>> clock.advance(5)
        >>> clock.monotonic() - start
        5.0
    """

    def __init__(
        self,
        *,
        start: datetime | None = None,
        auto_advance: bool = False,
        seed: int = 0,
    ) -> None:
        self._wall_start = start or datetime(2026, 1, 1, tzinfo=timezone.utc)
        if self._wall_start.tzinfo is None:
            raise ValueError("FakeClock start must be timezone-aware")
        self._elapsed = 0.0
        self._monotonic_base = 1_000.0
        self.auto_advance = auto_advance
        self.sleeps: list[float] = []
        self._rng = random.Random(seed)
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._timers: list[tuple[float, int, _FakeTimer]] = []
        self._seq = itertools.count()

    def monotonic(self) -> float:
        return self._monotonic_base + self._elapsed

    def now(self) -> datetime:
        return self._wall_start + timedelta(seconds=self._elapsed)

    def random(self) -> float:
        return self._rng.random()

    async def sleep(self, seconds: float) -> None:
        seconds = max(0.0, seconds)
        self.sleeps.append(seconds)
        if self.auto_advance:
            self.advance(seconds)
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.monotonic() + seconds, next(self._seq), future))
        await future

    def call_at(self, when: float, callback: Callable[[], object]) -> Timer:
        """Run ``callback`` (synchronously, inside :meth:`advance`) once time reaches ``when``.

        Example:
            >>> clock = FakeClock()
            >>> ran = []
            >>> timer = clock.call_at(clock.monotonic() + 5, lambda: ran.append("due"))
            >>> clock.advance(4.9); ran
            []
            >>> clock.advance(0.1); ran
            ['due']
        """
        timer = _FakeTimer(callback)
        if when <= self.monotonic():
            timer.run()
        else:
            heapq.heappush(self._timers, (when, next(self._seq), timer))
        return timer

    def advance(self, seconds: float) -> None:
        """Move time forward, run due timers and wake every sleeper whose deadline passed."""
        if seconds < 0:
            raise ValueError("time cannot move backwards")
        self._elapsed += seconds
        now = self.monotonic()
        while self._timers and self._timers[0][0] <= now:
            heapq.heappop(self._timers)[2].run()
        while self._sleepers and self._sleepers[0][0] <= now:
            _, _, future = heapq.heappop(self._sleepers)
            if not future.done():
                future.set_result(None)

    async def run_for(self, seconds: float, *, step: float | None = None) -> None:
        """Advance ``seconds`` in steps, letting woken tasks run after each step."""
        remaining = seconds
        step = step or max(seconds / 100, 0.001)
        while remaining > 1e-12:
            delta = min(step, remaining)
            self.advance(delta)
            remaining -= delta
            for _ in range(5):
                await asyncio.sleep(0)

    @property
    def pending_sleepers(self) -> int:
        """How many tasks are parked in :meth:`sleep`."""
        return sum(1 for _, _, f in self._sleepers if not f.done())

    def __repr__(self) -> str:
        return f"FakeClock(now={self.now().isoformat()})"


class _FakeTimer:
    """A :class:`FakeClock` timer: runs its callback once, unless cancelled first."""

    __slots__ = ("_callback",)

    def __init__(self, callback: Callable[[], object]) -> None:
        self._callback: Callable[[], object] | None = callback

    def cancel(self) -> None:
        self._callback = None

    def run(self) -> None:
        callback, self._callback = self._callback, None
        if callback is not None:
            callback()
