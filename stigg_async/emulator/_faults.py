"""Fault injection: error statuses, latency, dropped connections, lost and broken responses."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Fault", "FaultInjector", "FaultRule"]

#: Faults that replace the response without running the operation.
BEFORE = frozenset({"status", "graphql_error", "drop", "raw"})
#: Faults that run the operation (the write lands) and then spoil the response.
AFTER = frozenset({"apply_then_status", "apply_then_drop", "truncated", "huge"})
KINDS = BEFORE | AFTER | {"latency"}

_DEFAULT_CODES = {401: "Unauthenticated", 403: "IdentityForbidden", 408: "OperationTimeout"}
_DEFAULT_CODES |= {409: "ObjectAlreadyBeingUsedByAnotherRequestError", 429: "RateLimitExceeded"}
_DEFAULT_CODES |= {504: "OperationTimeout"}


def default_code(status: int) -> str:
    """The ``ErrorCode`` an error status is answered with unless one is given."""
    if status in _DEFAULT_CODES:
        return _DEFAULT_CODES[status]
    return "UnexpectedError" if status >= 500 else "BadUserInput"


@dataclass(frozen=True)
class Fault:
    """What goes wrong. Build one with the class methods.

    Example:
        >>> Fault.http_error(429, retry_after=2).code
        'RateLimitExceeded'
    """

    kind: str
    status: int = 503
    retry_after: float | str | None = None
    code: str | None = None
    message: str | None = None
    seconds: float = 0.0
    body: bytes = b""
    content_type: str = "application/json"
    size: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r} (one of {sorted(KINDS)})")

    @classmethod
    def http_error(
        cls,
        status: int = 503,
        *,
        retry_after: float | str | None = None,
        code: str | None = None,
        message: str | None = None,
    ) -> Fault:
        """Answer ``status`` with a GraphQL-JSON error body; the operation does not run."""
        return cls(
            "status",
            status=status,
            retry_after=retry_after,
            code=code or default_code(status),
            message=message,
        )

    @classmethod
    def graphql_error(cls, code: str, message: str | None = None, *, status: int = 200) -> Fault:
        """Answer a GraphQL error with ``code`` (HTTP 200 by default); nothing runs."""
        return cls("graphql_error", status=status, code=code, message=message)

    @classmethod
    def latency(cls, seconds: float) -> Fault:
        """Wait ``seconds`` on the emulator's clock first (adds to any other matching fault)."""
        return cls("latency", seconds=float(seconds))

    @classmethod
    def drop(cls) -> Fault:
        """Close the connection without any response; the operation does not run."""
        return cls("drop")

    @classmethod
    def apply_then_fail(
        cls, status: int = 503, *, retry_after: float | str | None = None, code: str | None = None
    ) -> Fault:
        """Run the operation (the write lands), then answer ``status`` instead of the result."""
        return cls(
            "apply_then_status",
            status=status,
            retry_after=retry_after,
            code=code or default_code(status),
        )

    @classmethod
    def apply_then_drop(cls) -> Fault:
        """Run the operation (the write lands), then close the connection without a response."""
        return cls("apply_then_drop")

    @classmethod
    def truncated(cls, *, status: int = 200) -> Fault:
        """Run the operation, then send only the first half of the JSON body."""
        return cls("truncated", status=status)

    @classmethod
    def raw(cls, body: bytes | str, *, status: int = 200, content_type: str = "text/html") -> Fault:
        """Answer exactly ``body`` with ``status`` and ``content_type``; nothing runs."""
        data = body.encode() if isinstance(body, str) else bytes(body)
        return cls("raw", status=status, body=data, content_type=content_type)

    @classmethod
    def huge(cls, size: int = 16 * 1024 * 1024) -> Fault:
        """Run the operation, then pad the (valid JSON) response to about ``size`` bytes."""
        return cls("huge", size=int(size))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fault:
        """Build from the HTTP hook's JSON (``{"kind": "status", "status": 503, ...}``)."""
        kind = str(data.get("kind", "status"))
        if kind == "status":
            return cls.http_error(
                int(data.get("status", 503)),
                retry_after=data.get("retryAfter"),
                code=data.get("code"),
                message=data.get("message"),
            )
        if kind == "graphql_error":
            return cls.graphql_error(
                str(data.get("code", "UnexpectedError")),
                data.get("message"),
                status=int(data.get("status", 200)),
            )
        if kind == "latency":
            return cls.latency(float(data.get("seconds", 0)))
        if kind == "drop":
            return cls.drop()
        if kind in {"apply_then_fail", "apply_then_status"}:
            return cls.apply_then_fail(
                int(data.get("status", 503)),
                retry_after=data.get("retryAfter"),
                code=data.get("code"),
            )
        if kind == "apply_then_drop":
            return cls.apply_then_drop()
        if kind == "truncated":
            return cls.truncated(status=int(data.get("status", 200)))
        if kind == "raw":
            return cls.raw(
                str(data.get("body", "")),
                status=int(data.get("status", 200)),
                content_type=str(data.get("contentType", "text/html")),
            )
        if kind == "huge":
            return cls.huge(int(data.get("size", 16 * 1024 * 1024)))
        raise ValueError(f"unknown fault kind {kind!r}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "status": self.status,
            "retryAfter": self.retry_after,
            "code": self.code,
            "message": self.message,
            "seconds": self.seconds,
            "contentType": self.content_type,
            "size": self.size,
        }


@dataclass
class FaultRule:
    """A fault plus when it applies: which requests, how often, how many times."""

    id: int
    fault: Fault
    operation: str | None = None
    root_field: str | None = None
    times: int | None = None
    probability: float | None = None
    hits: int = 0
    _exhausted: bool = field(default=False, repr=False)

    def applies_to(self, operation: str | None, root_fields: Iterable[str]) -> bool:
        if self._exhausted:
            return False
        if self.operation is not None and self.operation != operation:
            return False
        return self.root_field is None or self.root_field in root_fields

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "fault": self.fault.to_dict(),
            "operation": self.operation,
            "rootField": self.root_field,
            "remaining": self.times,
            "probability": self.probability,
            "hits": self.hits,
        }


class FaultInjector:
    """The active fault rules, checked in the order they were added.

    Every matching latency rule adds its delay; the first other matching rule
    decides what happens to the request. ``times`` counts only requests the rule
    actually hit; ``probability`` draws from a seeded RNG so runs repeat.

    Example:
        >>> faults = FaultInjector(seed=1)
        >>> rule = faults.add(Fault.http_error(503), operation="ReportUsage", times=2)
        >>> [faults.pick("ReportUsage", ["reportUsage"])[1] is not None for _ in range(3)]
        [True, True, False]
    """

    def __init__(self, *, seed: int = 0) -> None:
        self._rules: list[FaultRule] = []
        self._ids = itertools.count(1)
        self._rng = random.Random(seed)

    def add(
        self,
        fault: Fault,
        *,
        operation: str | None = None,
        root_field: str | None = None,
        times: int | None = None,
        probability: float | None = None,
    ) -> FaultRule:
        """Add a rule: ``fault`` for requests matching ``operation``/``root_field`` (None: any)."""
        if times is not None and times < 1:
            raise ValueError("times must be at least 1")
        if probability is not None and not 0.0 <= probability <= 1.0:
            raise ValueError("probability must be within [0, 1]")
        rule = FaultRule(
            id=next(self._ids),
            fault=fault,
            operation=operation,
            root_field=root_field,
            times=times,
            probability=probability,
        )
        self._rules.append(rule)
        return rule

    def remove(self, rule: FaultRule | int) -> bool:
        """Remove a rule (or its id); ``False`` if it was not there."""
        rule_id = rule.id if isinstance(rule, FaultRule) else rule
        before = len(self._rules)
        self._rules = [r for r in self._rules if r.id != rule_id]
        return len(self._rules) != before

    def clear(self) -> None:
        """Remove every rule."""
        self._rules.clear()

    def seed(self, seed: int) -> None:
        """Restart the probability RNG from ``seed``."""
        self._rng = random.Random(seed)

    @property
    def rules(self) -> list[FaultRule]:
        """The active rules, in order."""
        return list(self._rules)

    def pick(self, operation: str | None, root_fields: Iterable[str]) -> tuple[float, Fault | None]:
        """The latency to add and the fault (if any) for one request; consumes ``times``."""
        if not self._rules:
            return 0.0, None
        fields = tuple(root_fields)
        delay = 0.0
        chosen: Fault | None = None
        for rule in self._rules:
            if not rule.applies_to(operation, fields):
                continue
            is_latency = rule.fault.kind == "latency"
            if chosen is not None and not is_latency:
                continue
            if rule.probability is not None and self._rng.random() >= rule.probability:
                continue
            rule.hits += 1
            if rule.times is not None:
                rule.times -= 1
                if rule.times <= 0:
                    rule._exhausted = True
            if is_latency:
                delay += rule.fault.seconds
            else:
                chosen = rule.fault
        self._rules = [r for r in self._rules if not r._exhausted]
        return delay, chosen
