"""Usage in flight: what this process accepted and the server has not acknowledged.

Per ``(key, feature_id)`` a ledger keeps the unsettled items in the order they were
accepted. The pending amount is what folding them over the server's base adds:
``DELTA`` items add their value (negative ones lower it), a ``SET`` item replaces
the running total, so a ``SET`` makes the ``DELTA``\\ s before it irrelevant.

Lifecycle of an item (DESIGN section 9):

* accepted -> counted;
* delivered or failed -> removed (a delivered item's answer becomes the base elsewhere);
* unknown (may have landed) -> still counted, marked with the time it became
  unknown; the first refresh that *started* after that time shows the server's
  truth, and the item is removed then.
"""

from __future__ import annotations

import math

__all__ = ["Ledger"]

_DELTA = "DELTA"


class Ledger:
    """The unsettled usage items of one cached entitlement."""

    __slots__ = ("_items",)

    def __init__(self) -> None:
        # idempotency key -> (update behavior, value, unknown since (monotonic) or inf)
        self._items: dict[str, tuple[str, float, float]] = {}

    def __len__(self) -> int:
        return len(self._items)

    def add(self, key: str, behavior: str, value: float) -> bool:
        """Count an accepted item; False if ``key`` is already counted (no double count)."""
        if key in self._items:
            return False
        self._items[key] = (behavior, float(value), math.inf)
        return True

    def remove(self, key: str) -> bool:
        """Forget a settled item; False if it was not counted."""
        return self._items.pop(key, None) is not None

    def mark_unknown(self, key: str, since: float) -> bool:
        """Keep counting an item whose outcome is unknown until a later refresh."""
        item = self._items.get(key)
        if item is None:
            return False
        self._items[key] = (item[0], item[1], since)
        return True

    def refreshed(self, started: float) -> bool:
        """A refresh that started at ``started`` shows the truth of older unknown items.

        Returns True if any item was dropped.
        """
        stale = [k for k, (_, _, since) in self._items.items() if since <= started]
        for key in stale:
            del self._items[key]
        return bool(stale)

    def pending(self, base: float) -> float:
        """What the items add to ``base`` (may be negative: SET below it, negative DELTAs)."""
        total = base
        for behavior, value, _ in self._items.values():
            total = total + value if behavior == _DELTA else value
        return total - base
