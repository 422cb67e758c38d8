"""How ``AsyncStigg`` builds the shared tier: options from its arguments, then the tier.

Kept apart from the tier so that deciding "is a shared tier configured?" imports
nothing from redis-py; only :func:`create_tier` does, and says what to install when
redis-py is missing.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from stigg_async._clock import Clock
from stigg_async._errors import StiggConfigurationError
from stigg_async._redis._options import REDIS_URL_ENV, SharedCacheOptions

if TYPE_CHECKING:
    from stigg_async._redis._tier import RedisTier
    from stigg_async._redis._wiring import SharedCache

__all__ = ["create_shared_cache", "create_tier", "resolve_shared_cache"]

_MISSING = "a Redis shared cache needs redis-py: pip install 'stigg-async[redis]'"


def resolve_shared_cache(
    redis_url: Any = None, shared_cache: SharedCacheOptions | None = None
) -> SharedCacheOptions | None:
    """The shared-tier options for ``AsyncStigg(redis_url=..., shared_cache=...)``.

    ``redis_url`` may be a URL or a ``redis.asyncio.Redis`` the caller owns; with
    neither argument, ``$STIGG_REDIS_URL`` enables the tier. ``None``: no tier.

    Example:
        >>> resolve_shared_cache("redis://127.0.0.1:6379/0").redis_url
        'redis://127.0.0.1:6379/0'
        >>> resolve_shared_cache(None, None) is None or bool(os.environ.get(REDIS_URL_ENV))
        True
    """
    if shared_cache is not None and not isinstance(shared_cache, SharedCacheOptions):
        raise StiggConfigurationError("shared_cache must be a SharedCacheOptions")
    base = shared_cache or SharedCacheOptions()
    fields = {name: getattr(base, name) for name in base.__dataclass_fields__}
    if redis_url is not None:
        if isinstance(redis_url, str):
            fields.update(redis_url=redis_url, client=None)
        else:
            fields.update(redis_url=None, client=redis_url)
        return SharedCacheOptions(**fields)
    if shared_cache is not None and (base.redis_url or base.client is not None):
        return shared_cache
    url = os.environ.get(REDIS_URL_ENV) or None
    if url is None:
        if shared_cache is not None:
            raise StiggConfigurationError(
                f"shared_cache needs a redis_url, a client or {REDIS_URL_ENV}"
            )
        return None
    fields.update(redis_url=url)
    return SharedCacheOptions(**fields)


def create_tier(options: SharedCacheOptions, *, api_key: str, clock: Clock) -> RedisTier:
    """Build (not start) the tier; raises when redis-py is not installed."""
    try:
        from stigg_async._redis._tier import RedisTier
    except ImportError:
        raise StiggConfigurationError(_MISSING) from None
    return RedisTier(options, api_key=api_key, clock=clock)


def create_shared_cache(options: SharedCacheOptions, *, api_key: str, clock: Clock) -> SharedCache:
    """Build (not start) what ``AsyncStigg`` uses; raises when redis-py is not installed."""
    try:
        from stigg_async._redis._wiring import SharedCache
    except ImportError:
        raise StiggConfigurationError(_MISSING) from None
    return SharedCache(options, api_key=api_key, clock=clock)
