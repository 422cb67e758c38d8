"""Where the shared tier keeps things in Redis, under one namespace per environment.

``<ns>lease`` (the refresher's lease), ``<ns>fence`` (the fencing counter),
``<ns>events`` (the pub/sub channel), ``<ns>keys`` (the fleet's keys in use, a sorted
set scored by last announcement) and, per cache key ``(customer_id, resource_id)``:
``<ns>s:<id>`` (the snapshot hash), ``<ns>p:<id>`` (pending usage by feature),
``<ns>i:<id>`` (in-flight usage items by idempotency key), ``<ns>l:<id>`` (the
fill lock).
"""

from __future__ import annotations

from dataclasses import dataclass

from stigg_async._cache._source import Key

__all__ = ["Namespace", "decode_key", "encode_key"]


def encode_key(key: Key) -> str:
    """One cache key as a Redis key part, unambiguous whatever the ids contain.

    Example:
        >>> encode_key(("customer:1", None)), encode_key(("c", "site-1"))
        ('10:customer:1', '1:c:site-1')
    """
    customer_id, resource_id = key
    head = f"{len(customer_id)}:{customer_id}"
    return head if resource_id is None else f"{head}:{resource_id}"


def decode_key(text: str) -> Key:
    """The inverse of :func:`encode_key`.

    Example:
        >>> decode_key("1:c:site-1")
        ('c', 'site-1')
    """
    size, _, rest = text.partition(":")
    n = int(size)
    customer_id, tail = rest[:n], rest[n:]
    return customer_id, (tail[1:] if tail else None)


@dataclass(frozen=True, slots=True)
class Namespace:
    """Key names under one prefix (``"stigg:<environment>:"``)."""

    prefix: str

    @property
    def lease(self) -> str:
        return f"{self.prefix}lease"

    @property
    def fence(self) -> str:
        return f"{self.prefix}fence"

    @property
    def channel(self) -> str:
        return f"{self.prefix}events"

    @property
    def fleet_keys(self) -> str:
        return f"{self.prefix}keys"

    def state(self, key: Key) -> str:
        return f"{self.prefix}s:{encode_key(key)}"

    def pending(self, key: Key) -> str:
        return f"{self.prefix}p:{encode_key(key)}"

    def in_flight(self, key: Key) -> str:
        return f"{self.prefix}i:{encode_key(key)}"

    def fill_lock(self, key: Key) -> str:
        return f"{self.prefix}l:{encode_key(key)}"
