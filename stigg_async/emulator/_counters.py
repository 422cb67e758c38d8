"""Request counters: how many GraphQL requests arrived, per operation and root field."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

__all__ = ["Counters"]


class Counters:
    """Counts every authenticated ``POST /graphql`` (faulted and invalid ones included).

    Example:
        >>> counters = Counters()
        >>> counters.record("GetEntitlements", ["entitlementsState", "entitlementsState"])
        >>> counters.total, counters.operation("GetEntitlements")
        (1, 1)
        >>> counters.root_field("entitlementsState")
        1
        >>> counters.root_field_selections["entitlementsState"]
        2
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Set every counter back to zero."""
        self.total = 0
        self.unauthorized = 0
        #: Requests per ``operationName`` (``"<anonymous>"`` when none was given).
        self.by_operation: Counter[str] = Counter()
        #: Requests that selected the root field at least once.
        self.by_root_field: Counter[str] = Counter()
        #: Root field selections (a batch of 50 aliased fields counts 50).
        self.root_field_selections: Counter[str] = Counter()

    def record(self, operation: str | None, root_fields: Iterable[str]) -> None:
        """Count one request."""
        fields = list(root_fields)
        self.total += 1
        self.by_operation[operation or "<anonymous>"] += 1
        self.root_field_selections.update(fields)
        self.by_root_field.update(set(fields))

    def operation(self, name: str) -> int:
        """Requests whose operation name was ``name``."""
        return self.by_operation.get(name, 0)

    def root_field(self, name: str) -> int:
        """Requests that selected root field ``name``."""
        return self.by_root_field.get(name, 0)

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready copy of all counters."""
        return {
            "total": self.total,
            "unauthorized": self.unauthorized,
            "byOperation": dict(self.by_operation),
            "byRootField": dict(self.by_root_field),
            "rootFieldSelections": dict(self.root_field_selections),
        }

    def __repr__(self) -> str:
        return f"Counters(total={self.total}, by_operation={dict(self.by_operation)})"
