"""A recording UsageObserver: checks the contract (every accepted item settled once)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from stigg_async._usage import UsageRecord
from stigg_async._usage._observer import UsageOutcome


@dataclass
class RecordingObserver:
    """Records every call; ``problems()`` lists contract breaches."""

    accepted: list[UsageRecord] = field(default_factory=list)
    settled: list[tuple[UsageRecord, UsageOutcome, Mapping[str, Any] | None]] = field(
        default_factory=list
    )
    errors: list[str] = field(default_factory=list)

    def usage_accepted(self, record: UsageRecord) -> None:
        if any(r.idempotency_key == record.idempotency_key for r in self.accepted):
            self.errors.append(f"accepted twice: {record.idempotency_key}")
        self.accepted.append(record)

    def usage_settled(
        self,
        record: UsageRecord,
        outcome: UsageOutcome,
        measurement: Mapping[str, Any] | None = None,
    ) -> None:
        if not any(r.idempotency_key == record.idempotency_key for r in self.accepted):
            self.errors.append(f"settled before accepted: {record.idempotency_key}")
        self.settled.append((record, outcome, measurement))

    def outcomes(self) -> Counter[UsageOutcome]:
        return Counter(outcome for _, outcome, _ in self.settled)

    def outcome_of(self, key: str) -> UsageOutcome:
        (outcome,) = [o for r, o, _ in self.settled if r.idempotency_key == key]
        return outcome

    def problems(self) -> list[str]:
        """Contract breaches: unsettled, settled twice, settled unaccepted."""
        counts = Counter(r.idempotency_key for r, _, _ in self.settled)
        out = list(self.errors)
        for record in self.accepted:
            n = counts.get(record.idempotency_key, 0)
            if n != 1:
                out.append(f"{record.idempotency_key} settled {n} times")
        return out
