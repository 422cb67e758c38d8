"""The live index: checks a warm check may use without reading the clock.

It maps ``(customer_id, resource_id, feature_id)`` to the compiled check of a fresh
snapshot whose usage periods last. Each indexed snapshot has a deadline (when it goes
stale or its first usage period ends); one timer, armed through the clock's
``call_at`` at the earliest deadline, takes due snapshots out. A timer per snapshot
would cost about three times the memory and a loop handle per refresh.

Deadlines live in a heap and are dropped lazily: a snapshot replaced or taken out
early keeps its heap entry until that entry comes due, and is then skipped (its
``expiry`` no longer matches).
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable

from stigg_async._cache._model import _Check, _Snapshot
from stigg_async._clock import Timer

__all__ = ["CallAt", "LiveIndex", "LiveKey"]

#: ``(customer_id, resource_id, feature_id)``
LiveKey = tuple[str, "str | None", str]

#: ``call_at(when, callback)``: run ``callback`` once the monotonic clock reaches
#: ``when``; returns a handle with ``cancel()``. Raises ``RuntimeError`` when it cannot
#: (no running loop): the data is then served through the clock-checked path.
CallAt = Callable[[float, Callable[[], object]], Timer]


class LiveIndex:
    """Checks of fresh snapshots, retired on time by one timer.

    ``checks`` is the dict the fast paths read (never replaced, so functions may
    bind its ``get``). A snapshot is indexed iff its ``expiry`` is its deadline
    (``None``: not indexed).
    """

    __slots__ = ("_call_at", "_due", "_monotonic", "_seq", "_timer", "_timer_at", "checks", "on")

    def __init__(self, call_at: CallAt | None, monotonic: Callable[[], float]) -> None:
        self.checks: dict[LiveKey, _Check] = {}
        #: Whether snapshots are indexed at all (off: parked, observed, no timers).
        self.on = call_at is not None
        self._call_at = call_at
        self._monotonic = monotonic
        self._due: list[tuple[float, int, _Snapshot]] = []
        self._seq = itertools.count()
        self._timer: Timer | None = None
        self._timer_at = math.inf

    def add(self, snap: _Snapshot) -> None:
        """Index ``snap``'s checks until its deadline (nothing if it is already past)."""
        if not self.on or snap.expiry is not None or not snap.checks:
            return
        deadline = snap.fresh_until
        for check in snap.checks.values():
            deadline = min(deadline, check.reset_at)
        if self._monotonic() >= deadline:
            return
        if deadline < self._timer_at and not self._arm(deadline):
            return  # no loop to keep time: the clock-checked path serves it
        heapq.heappush(self._due, (deadline, next(self._seq), snap))
        snap.expiry = deadline
        customer_id, resource_id = snap.customer_id, snap.resource_id
        checks = self.checks
        for feature_id, check in snap.checks.items():
            checks[customer_id, resource_id, feature_id] = check

    def remove(self, snap: _Snapshot) -> None:
        """Take ``snap``'s checks out (its heap entry is skipped when it comes due)."""
        if snap.expiry is None:
            return
        snap.expiry = None
        customer_id, resource_id = snap.customer_id, snap.resource_id
        checks = self.checks
        for feature_id, check in snap.checks.items():
            live_key = (customer_id, resource_id, feature_id)
            if checks.get(live_key) is check:
                del checks[live_key]

    def replace(self, snap: _Snapshot, feature_id: str, check: _Check) -> None:
        """``snap.checks[feature_id]`` becomes ``check``, keeping the index in step."""
        deadline = snap.expiry
        if deadline is not None and check.reset_at < deadline:
            self.remove(snap)  # its period ends sooner: a new deadline
        snap.checks[feature_id] = check
        if snap.expiry is None:
            self.add(snap)
        else:
            self.checks[snap.customer_id, snap.resource_id, feature_id] = check

    def switch(self, on: bool) -> None:
        """Index from now on (the caller adds the snapshots) or not at all (emptied)."""
        self.on = on and self._call_at is not None
        if not self.on:
            self._clear()

    def stop(self) -> None:
        """No timer will run again (its loop is ending): empty and index nothing more."""
        self._call_at = None
        self.switch(False)

    def _clear(self) -> None:
        for _, _, snap in self._due:
            snap.expiry = None
        self._due.clear()
        self.checks.clear()
        timer, self._timer, self._timer_at = self._timer, None, math.inf
        if timer is not None:
            timer.cancel()

    def _arm(self, when: float) -> bool:
        call_at = self._call_at
        if call_at is None:
            return False
        try:
            timer = call_at(when, self._fire)
        except RuntimeError:
            return False
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._timer_at = timer, when
        return True

    def _fire(self) -> None:
        self._timer, self._timer_at = None, math.inf
        now = self._monotonic()
        due = self._due
        while due and due[0][0] <= now:
            deadline, _, snap = heapq.heappop(due)
            if snap.expiry == deadline:
                self.remove(snap)
                # Indexed again at once if a usage answer moved a period on and the
                # data is still fresh (a new deadline).
                self.add(snap)
        if due and due[0][0] < self._timer_at:
            self._arm(due[0][0])
