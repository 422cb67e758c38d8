"""The change messages published on the tier's channel, and the role and answer types."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, NamedTuple

from stigg_async._cache._source import Key

__all__ = [
    "ConsumeDecision",
    "Message",
    "Role",
    "SharedState",
    "SharedTierStatus",
    "decode_message",
    "state_message",
    "usage_message",
]


class Role(str, Enum):
    """What one process does for the fleet.

    * ``LEADER``: holds the lease; refreshes the fleet's keys and writes into Redis;
    * ``FOLLOWER``: applies published changes and reads Redis on a local miss;
    * ``STANDALONE``: Redis is unreachable; the process polls the API on its own;
    * ``OFF``: not started, or closed.
    """

    LEADER = "leader"
    FOLLOWER = "follower"
    STANDALONE = "standalone"
    OFF = "off"

    def __str__(self) -> str:
        return str(self.value)


@dataclass(frozen=True, slots=True)
class SharedTierStatus:
    """Where this process stands in the fleet (``AsyncStigg.shared_cache_status``).

    Attributes:
        role: the :class:`Role`.
        since: wall-clock time the role began.
        fence: the fencing number while ``LEADER`` (0 otherwise).
        last_error: a short description of the last Redis failure, or ``None``.

    Example:
        >>> stigg.shared_cache_status.role  # doctest: +SKIP
        <Role.LEADER: 'leader'>
    """

    role: Role
    since: datetime
    fence: int
    last_error: str | None


class SharedState(NamedTuple):
    """One snapshot read from Redis: the raw ``entitlementsState`` and its age.

    ``started`` is on the reading process's monotonic clock, ready for
    ``StoreSink.upsert_state(key, raw, started=...)``.
    """

    raw: dict[str, Any]
    started: float
    fence: int


class ConsumeDecision(NamedTuple):
    """The fleet-wide answer of one ``consume``.

    ``verdict`` is ``"grant"``, ``"deny"``, ``"miss"`` (Redis holds no snapshot for the
    key: fetch it, then ask again) or ``"dup"`` (this idempotency key was counted
    already: the earlier grant stands). ``usage`` is the base counted, ``pending`` the
    fleet's pending usage after the call.
    """

    verdict: str
    reason: str | None
    usage: float
    pending: float

    @property
    def is_granted(self) -> bool:
        """True for ``grant`` and ``dup``."""
        return self.verdict in ("grant", "dup")


class Message(NamedTuple):
    """A decoded channel message: ``kind`` ``"state"`` or ``"usage"``."""

    kind: str
    origin: str
    key: Key
    raw: dict[str, Any]
    fetched_ms: int


def state_message(origin: str, key: Key, raw: Mapping[str, Any], fetched_ms: int) -> bytes:
    """A full snapshot of ``key`` (what the store's ``upsert_state`` takes)."""
    body = {"o": origin, "k": list(key), "s": raw, "t": fetched_ms}
    return json.dumps(body, separators=(",", ":")).encode()


def usage_message(origin: str, key: Key, change: Mapping[str, Any], measured_ms: int) -> bytes:
    """A usage change (what the store's ``apply_usage`` takes)."""
    body = {"o": origin, "k": list(key), "u": change, "t": measured_ms}
    return json.dumps(body, separators=(",", ":")).encode()


def decode_message(data: bytes | str) -> Message | None:
    """The message in ``data``, or ``None`` when it is not one of ours."""
    try:
        body = json.loads(data)
        origin, key, fetched = body["o"], body["k"], int(body["t"])
        customer_id, resource_id = key
        if not isinstance(customer_id, str) or not (
            resource_id is None or isinstance(resource_id, str)
        ):
            return None
        if isinstance(body.get("s"), dict):
            return Message("state", str(origin), (customer_id, resource_id), body["s"], fetched)
        if isinstance(body.get("u"), dict):
            return Message("usage", str(origin), (customer_id, resource_id), body["u"], fetched)
    except (ValueError, KeyError, TypeError):
        return None
    return None


#: The public names of these types (``stigg_async.SharedCacheRole`` / ``...Status``).
SharedCacheRole = Role
SharedCacheStatus = SharedTierStatus
