"""Options of the shared tier on Redis, validated when built."""

from __future__ import annotations

import hashlib
import math
import os
import re
from dataclasses import dataclass
from typing import Any

from stigg_async._errors import StiggConfigurationError

__all__ = ["REDIS_URL_ENV", "SharedCacheOptions"]

#: The environment variable read when no ``redis_url`` or client is given.
REDIS_URL_ENV = "STIGG_REDIS_URL"

_PREFIX = re.compile(r"^[A-Za-z0-9_.:{}-]{1,64}$")
_SCHEMES = ("redis://", "rediss://", "unix://")


def _positive(name: str, value: Any) -> float:
    if (
        not isinstance(value, (int, float))
        or isinstance(value, bool)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise StiggConfigurationError(f"SharedCacheOptions.{name} must be a finite number > 0")
    return float(value)


@dataclass(frozen=True, slots=True)
class SharedCacheOptions:
    """How processes share one entitlement cache through Redis.

    Attributes:
        redis_url: ``redis://``, ``rediss://`` or ``unix://`` URL; ``None`` reads
            ``STIGG_REDIS_URL`` (see :meth:`resolve_url`).
        client: a ``redis.asyncio.Redis`` the caller owns (used instead of a URL; the
            SDK never closes it).
        key_prefix: the first part of every Redis key (default ``"stigg"``).
        environment: the second part, so environments sharing one Redis never mix;
            ``None`` derives a short tag from a hash of the API key (the key itself is
            never written to Redis).
        lease_ttl: seconds the refresher's lease lasts unless renewed (default 10);
            another process takes over within this time when the holder dies or stalls.
        renew_interval: seconds between lease renewals and takeover attempts
            (default ``lease_ttl / 3``).
        state_ttl: seconds a snapshot stays in Redis after its last write (default 3600).
        fill_lock_ttl: seconds one process holds a key's fetch lock on a Redis miss
            (default 5).
        refresh_interval: seconds between the refresher's cycles over the fleet's keys
            (default 30).
        key_idle_timeout: seconds a key stays in the fleet's key set after the last
            process announced it (default 900).
        pending_ttl: seconds an unacknowledged usage amount may stay counted in the
            fleet's pending usage before a refresh drops it (a process died with it;
            default 900).
        operation_timeout: seconds one Redis command may take before the tier treats
            Redis as unreachable (default 0.5).
        reconnect_interval: seconds between reconnection attempts while Redis is down
            (default 1).

    Example:
        >>> options = SharedCacheOptions(redis_url="redis://127.0.0.1:6379/0", lease_ttl=5)
        >>> options.lease_ttl, options.effective_renew_interval
        (5.0, 1.6666666666666667)
    """

    redis_url: str | None = None
    client: Any = None
    key_prefix: str = "stigg"
    environment: str | None = None
    lease_ttl: float = 10.0
    renew_interval: float | None = None
    state_ttl: float = 3600.0
    fill_lock_ttl: float = 5.0
    refresh_interval: float = 30.0
    key_idle_timeout: float = 900.0
    pending_ttl: float = 900.0
    operation_timeout: float = 0.5
    reconnect_interval: float = 1.0

    def __post_init__(self) -> None:
        if self.redis_url is not None:
            if not isinstance(self.redis_url, str) or not self.redis_url.startswith(_SCHEMES):
                raise StiggConfigurationError(
                    "SharedCacheOptions.redis_url must start with redis://, rediss:// or unix://"
                )
            if self.client is not None:
                raise StiggConfigurationError(
                    "SharedCacheOptions takes a redis_url or a client, not both"
                )
        if self.client is not None and not callable(getattr(self.client, "evalsha", None)):
            raise StiggConfigurationError(
                "SharedCacheOptions.client must be a redis.asyncio.Redis client"
            )
        for name in ("key_prefix", "environment"):
            value = getattr(self, name)
            if name == "environment" and value is None:
                continue
            if not isinstance(value, str) or not _PREFIX.match(value):
                raise StiggConfigurationError(
                    f"SharedCacheOptions.{name} must be 1-64 letters, digits or _.:{{}}-"
                )
        for name in (
            "lease_ttl",
            "state_ttl",
            "fill_lock_ttl",
            "refresh_interval",
            "key_idle_timeout",
            "pending_ttl",
            "operation_timeout",
            "reconnect_interval",
        ):
            object.__setattr__(self, name, _positive(name, getattr(self, name)))
        if self.renew_interval is not None:
            renew = _positive("renew_interval", self.renew_interval)
            if renew >= self.lease_ttl:
                raise StiggConfigurationError(
                    "SharedCacheOptions.renew_interval must be shorter than lease_ttl"
                )
            object.__setattr__(self, "renew_interval", renew)

    @property
    def effective_renew_interval(self) -> float:
        """``renew_interval``, or a third of ``lease_ttl`` when not set."""
        return self.renew_interval if self.renew_interval is not None else self.lease_ttl / 3

    def resolve_url(self) -> str | None:
        """``redis_url``, else ``$STIGG_REDIS_URL`` (validated), else ``None``.

        Example:
            >>> SharedCacheOptions(redis_url="redis://127.0.0.1:6379/0").resolve_url()
            'redis://127.0.0.1:6379/0'
        """
        if self.redis_url is not None or self.client is not None:
            return self.redis_url
        url = os.environ.get(REDIS_URL_ENV) or None
        if url is not None and not url.startswith(_SCHEMES):
            raise StiggConfigurationError(
                f"{REDIS_URL_ENV} must start with redis://, rediss:// or unix://"
            )
        return url

    def namespace(self, api_key: str) -> str:
        """The key prefix for one environment: ``"<key_prefix>:<environment>:"``.

        Example:
            >>> SharedCacheOptions(environment="prod").namespace("any-key")
            'stigg:prod:'
        """
        env = self.environment
        if env is None:
            # A hash, never the key: enough to keep environments apart in one Redis.
            env = hashlib.sha256(api_key.encode()).hexdigest()[:12]
        return f"{self.key_prefix}:{env}:"

    def __repr__(self) -> str:
        # A URL may carry a password (redis://:secret@host): show only its scheme.
        url = None if self.redis_url is None else self.redis_url.split("://", 1)[0] + "://…"
        return (
            f"SharedCacheOptions(redis_url={url!r}, client={self.client is not None}, "
            f"key_prefix={self.key_prefix!r}, environment={self.environment!r}, "
            f"lease_ttl={self.lease_ttl}, state_ttl={self.state_ttl})"
        )
