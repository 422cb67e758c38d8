"""A fake usage API for pipeline tests: idempotent replay, totals, and injected faults.

It models what matters for exactly-once delivery: ``reportUsageBulk`` is applied
all-or-nothing, a seen idempotency key is replayed instead of applied (per
customer+feature+key for usage, per key for events), and a fault may strike before
the write or after it ("apply then fail": the write lands, the answer is lost).
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from stigg_async._clock import FakeClock
from stigg_async._errors import (
    GraphQLErrorDetail,
    StiggAuthenticationError,
    StiggConnectionError,
    StiggError,
    StiggGraphQLError,
    StiggRateLimitError,
    StiggServerError,
)
from stigg_async._operations import Operation
from stigg_async._retry import RetryPolicy
from stigg_async._usage import UsagePipeline, UsagePipelineOptions

FAULTS = ("fail_before", "apply_then_5xx", "apply_then_drop", "drop_before", "rate_limit")


@dataclass
class Request:
    """One request as the fake server saw it."""

    operation: str
    items: list[dict[str, Any]]
    outcome: str = "ok"


@dataclass
class FakeUsageAPI:
    """Implements ``execute`` like ``GraphQLTransport``; a test hook decides faults."""

    fault_rate: float = 0.0
    seed: int = 7
    retry_after: float = 2.0
    #: customer ids whose usage the server refuses (a business error for the whole bulk).
    refused_customers: set[str] = field(default_factory=set)
    #: the next N requests fail with this error before applying anything.
    scripted: list[StiggError] = field(default_factory=list)
    #: requests block until this event is set (to hold batches "in flight").
    gate: asyncio.Event | None = None
    usage_totals: Counter[tuple[str, str]] = field(default_factory=Counter)
    event_totals: Counter[tuple[str, str]] = field(default_factory=Counter)
    applied_usage: int = 0
    applied_events: int = 0
    replayed: int = 0
    requests: list[Request] = field(default_factory=list)
    keys_sent: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    in_flight: int = 0
    max_in_flight: int = 0
    _usage_keys: set[tuple[str, str, str]] = field(default_factory=set)
    _event_keys: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def faults(self) -> Counter[str]:
        return Counter(r.outcome for r in self.requests)

    async def execute(
        self,
        op: Operation,
        variables: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        assert variables is not None
        (payload,) = variables.values()
        items = list(payload.get("usages") or payload.get("usageEvents") or [])
        request = Request(op.name, items)
        self.requests.append(request)
        for item in items:
            self.keys_sent[item["idempotencyKey"]] += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0)  # a request is never instantaneous
            if self.gate is not None:
                await self.gate.wait()
            return self._answer(op, request, items)
        finally:
            self.in_flight -= 1

    def _answer(self, op: Operation, request: Request, items: list[dict[str, Any]]) -> Any:
        if self.scripted:
            request.outcome = "scripted"
            raise self.scripted.pop(0)
        fault = None
        if self.fault_rate and self._rng.random() < self.fault_rate:
            fault = self._rng.choice(FAULTS)
            request.outcome = fault
        # As the real transport does: after a 5xx or a dropped connection the client
        # cannot know whether the write landed, so the error says it may have.
        if fault == "fail_before":
            raise StiggServerError("HTTP 503: unavailable", status=503, may_have_landed=True)
        if fault == "drop_before":
            raise StiggConnectionError("connection failed: reset by peer", may_have_landed=True)
        if fault == "rate_limit":
            raise StiggRateLimitError("HTTP 429", status=429, retry_after=self.retry_after)
        if op.name == "ReportUsageBulk":
            result: Any = {"reportUsageBulk": self._apply_usage(items)}
        else:
            self._apply_events(items)
            result = {"reportEvent": "ok"}
        if fault == "apply_then_5xx":
            raise StiggServerError("HTTP 502: bad gateway", status=502, may_have_landed=True)
        if fault == "apply_then_drop":
            raise StiggConnectionError(
                "connection failed: server disconnected", may_have_landed=True
            )
        return result

    def _apply_usage(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        bad = [i for i in items if i["customerId"] in self.refused_customers]
        if bad:  # all-or-nothing, like the real bulk mutation
            raise StiggGraphQLError(
                f"CustomerNotFound: {bad[0]['customerId']}",
                errors=[GraphQLErrorDetail("Customer not found", code="CustomerNotFound")],
            )
        out = []
        for item in items:
            key = (item["customerId"], item["featureId"], item["idempotencyKey"])
            total_key = (item["customerId"], item["featureId"])
            if key in self._usage_keys:
                self.replayed += 1
            else:
                self._usage_keys.add(key)
                self.applied_usage += 1
                if item.get("updateBehavior") == "SET":
                    self.usage_totals[total_key] = item["value"]
                else:
                    self.usage_totals[total_key] += item["value"]
            out.append(
                {
                    "id": item["idempotencyKey"],
                    "customerId": item["customerId"],
                    "featureId": item["featureId"],
                    "currentUsage": self.usage_totals[total_key],
                }
            )
        return out

    def _apply_events(self, items: list[dict[str, Any]]) -> None:
        for item in items:
            if item["idempotencyKey"] in self._event_keys:
                self.replayed += 1
                continue
            self._event_keys.add(item["idempotencyKey"])
            self.applied_events += 1
            self.event_totals[(item["customerId"], item["eventName"])] += 1


def auth_error() -> StiggError:
    return StiggAuthenticationError("HTTP 401: bad key", status=401)


def make_pipeline(
    api: Any,
    clock: FakeClock,
    *,
    on_measurements: Callable[[list[Mapping[str, Any]]], object] | None = None,
    observer: Any = None,
    **options: Any,
) -> UsagePipeline:
    return UsagePipeline(
        transport=api,
        retry_policy=RetryPolicy(initial_backoff=0.5, max_backoff=8.0, jitter=0.5),
        clock=clock,
        options=UsagePipelineOptions(**options),
        on_measurements=on_measurements,
        observer=observer,
    )


async def drive(
    clock: FakeClock, awaitable: Any, *, step: float = 0.25, limit: int = 200_000
) -> Any:
    """Await ``awaitable`` while moving the fake clock forward in ``step`` increments."""
    task = asyncio.ensure_future(awaitable)
    for _ in range(limit):
        if task.done():
            return task.result()
        for _ in range(3):
            await asyncio.sleep(0)
            if task.done():
                return task.result()
        clock.advance(step)
    task.cancel()
    raise AssertionError(f"did not finish within {limit * step} fake seconds")


async def settle(rounds: int = 20) -> None:
    """Let ready tasks run without moving time."""
    for _ in range(rounds):
        await asyncio.sleep(0)
