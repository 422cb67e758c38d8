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

__all__ = ["Ledger"]

_DELTA = "DELTA"


class _Set:
    """A ``SET`` item's value (``DELTA`` items are stored as bare floats)."""

    __slots__ = ("value",)

    def __init__(self, value: float) -> None:
        self.value = value


class Ledger:
    """The unsettled usage items of one cached entitlement."""

    __slots__ = ("_deltas", "_items", "_sets", "_unknown")

    def __init__(self) -> None:
        # idempotency key -> value (DELTA) or _Set (SET), in the order accepted. A bare
        # float for the common case: this runs on every tracked item.
        self._items: dict[str, float | _Set] = {}
        # idempotency key -> when its outcome became unknown (monotonic)
        self._unknown: dict[str, float] = {}
        # Kept in step so the common case (DELTAs only) costs O(1), not a fold over
        # every item in flight: a busy feature may have hundreds queued.
        self._deltas = 0.0
        self._sets = 0

    def __len__(self) -> int:
        return len(self._items)

    def add(self, key: str, behavior: str, value: float) -> bool:
        """Count an accepted item; False if ``key`` is already counted (no double count)."""
        items = self._items
        if key in items:
            return False
        if behavior == _DELTA:
            items[key] = value
            self._deltas += value
        else:
            items[key] = _Set(value)
            self._sets += 1
        return True

    def add_delta(self, key: str, value: float, base: float) -> float:
        """Count a new ``DELTA`` item (``key`` unused so far); the pending amount over ``base``.

        ``add`` and ``pending`` in one call, for ``consume``'s freshly minted keys.
        """
        self._items[key] = value
        self._deltas += value
        return self.pending(base) if self._sets else self._deltas

    def remove(self, key: str) -> bool:
        """Forget a settled item; False if it was not counted."""
        items = self._items
        item = items.pop(key, None)
        if item is None:
            return False
        self._unknown.pop(key, None)
        if isinstance(item, _Set):
            self._sets -= 1
        else:
            self._deltas -= item
        if not items:
            self._deltas = 0.0  # no float residue once nothing is in flight
        return True

    def mark_unknown(self, key: str, since: float) -> bool:
        """Keep counting an item whose outcome is unknown until a later refresh."""
        if key not in self._items:
            return False
        self._unknown[key] = since
        return True

    def refreshed(self, started: float) -> bool:
        """A refresh that started at ``started`` shows the truth of older unknown items.

        Returns True if any item was dropped.
        """
        stale = [k for k, since in self._unknown.items() if since <= started]
        for key in stale:
            self.remove(key)
        return bool(stale)

    def drop_unknown(self) -> bool:
        """Forget every item whose outcome is unknown (its key left the cache)."""
        unknown = list(self._unknown)
        for key in unknown:
            self.remove(key)
        return bool(unknown)

    def pending(self, base: float) -> float:
        """What the items add to ``base`` (may be negative: SET below it, negative DELTAs)."""
        if not self._sets:
            return self._deltas
        total = base
        for item in self._items.values():
            total = item.value if isinstance(item, _Set) else total + item
        return total - base
