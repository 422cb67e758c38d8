"""The pipeline's bookkeeping: one lane per kind of item, batches, wake-up signals."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from graphql import OperationDefinitionNode

from stigg_async._operations import Operation

__all__ = ["Batch", "Lane", "Signal", "Tally", "variable_name"]

R = TypeVar("R")


class Signal:
    """An edge-triggered broadcast: every :meth:`wait` future resolves on :meth:`notify`."""

    __slots__ = ("_waiters",)

    def __init__(self) -> None:
        self._waiters: list[asyncio.Future[None]] = []

    def wait(self) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(future)
        return future

    def notify(self) -> None:
        if not self._waiters:
            return
        waiters, self._waiters = self._waiters, []
        for future in waiters:
            if not future.done():
                future.set_result(None)


class Batch(Generic[R]):
    """Records taken from a lane together, sent (and retried) together.

    ``lo`` is the lane sequence number of the first record, so :meth:`Lane.done_upto`
    can tell whether everything enqueued before a flush has been resolved.
    ``resolved`` counts records already delivered or failed; bisected halves are sent
    in order, so the resolved ones are always a prefix of ``records``.
    """

    __slots__ = ("has_set", "landed", "lo", "records", "resolved", "sending", "task")

    def __init__(self, records: list[R], lo: int, has_set: bool) -> None:
        self.records = records
        self.lo = lo
        self.has_set = has_set
        self.resolved = 0
        self.task: asyncio.Task[None] | None = None
        #: A request of this batch is on the wire now (its outcome is open).
        self.sending = False
        #: An attempt's answer was lost after sending: the batch may have landed.
        self.landed = False

    @property
    def unresolved(self) -> list[R]:
        return self.records[self.resolved :]


class Tally:
    """Outcome counts of one lane's records with a sequence number below ``target``.

    A ``flush()`` registers one per lane and reads it when it returns, so its report
    counts exactly the items tracked before the call.
    """

    __slots__ = ("delivered", "failed", "target", "unknown")

    def __init__(self, target: int) -> None:
        self.target = target
        self.delivered = 0
        self.failed = 0
        self.unknown = 0

    def count(self, lo: int, hi: int, outcome: str) -> None:
        """Count the records ``lo <= seq < hi`` that fall below the target."""
        n = min(hi, self.target) - lo
        if n <= 0:
            return
        if outcome == "delivered":
            self.delivered += n
        elif outcome == "failed":
            self.failed += n
        else:
            self.unknown += n


class Lane(Generic[R]):
    """One kind of item (usage or events): its queue, its batches in flight, its operation."""

    __slots__ = (
        "appended",
        "batch_size",
        "build",
        "flush_target",
        "held",
        "inflight",
        "list_field",
        "name",
        "op",
        "queue",
        "set_inflight",
        "var_name",
    )

    def __init__(
        self,
        name: str,
        op: Operation,
        list_field: str,
        batch_size: int,
        build: Callable[[R, Any], dict[str, Any]],
    ) -> None:
        self.name = name
        self.op = op
        self.var_name = variable_name(op)
        self.list_field = list_field
        self.batch_size = batch_size
        self.build = build
        self.queue: deque[R] = deque()
        self.appended = 0  # records ever appended: the next record's sequence number
        self.flush_target = 0  # records with a lower sequence number must go out now
        self.inflight: set[Batch[R]] = set()
        # A usage batch holding a SET waits here until nothing else is in flight.
        self.held: Batch[R] | None = None
        self.set_inflight = False

    def head(self) -> int:
        """The sequence number of the oldest queued record (== appended when empty)."""
        return self.appended - len(self.queue)

    def take(self, count: int) -> list[R]:
        popleft = self.queue.popleft
        return [popleft() for _ in range(count)]

    def unresolved_below(self, target: int) -> int:
        """How many records with a sequence number below ``target`` are unresolved."""
        head = self.head()
        count = max(0, min(target, self.appended) - head)  # still queued
        batches = [*self.inflight, *([self.held] if self.held is not None else [])]
        for batch in batches:
            start = batch.lo + batch.resolved
            count += max(0, min(target, batch.lo + len(batch.records)) - start)
        return count

    def done_upto(self, target: int) -> bool:
        """True when every record with a sequence number below ``target`` is resolved."""
        if self.head() < target:
            return False
        if self.held is not None and self.held.lo < target:
            return False
        return all(batch.lo >= target for batch in self.inflight)


def variable_name(op: Operation) -> str:
    """The name of the operation's single variable (``input`` for both usage documents)."""
    for definition in op.document.definitions:
        if isinstance(definition, OperationDefinitionNode) and definition.variable_definitions:
            return definition.variable_definitions[0].variable.name.value
    raise ValueError(f"operation {op.name} declares no variable")
