"""What the cache asks of a shared tier (Redis, ``stigg_async._redis``), if one is set.

The cache stays ignorant of Redis: it hands every state it fetched to the tier, asks
the tier before fetching a key it misses, and stops polling on its own while the tier
is healthy (the fleet's refresher polls for everyone; changes arrive as a data source).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from stigg_async._cache._source import Key, StoreSink

__all__ = ["SharedTier"]


class SharedTier(Protocol):
    """The cache's view of a shared tier. No method raises."""

    def note_fetched(self, key: Key, raw: Mapping[str, Any], started: float) -> None:
        """A state the cache fetched from the API (written and published by the tier)."""
        ...

    def polls_locally(self) -> bool:
        """True when this process must poll the API itself (no healthy shared tier)."""
        ...

    async def load(self, key: Key, sink: StoreSink, fetch: Callable[[], Awaitable[bool]]) -> bool:
        """Bring ``key`` into ``sink``: from the tier, or by ``fetch()`` once for the fleet.

        ``fetch`` fetches from the API (True on success). Returns whether ``key`` was
        loaded.
        """
        ...
