"""The shared tier on Redis (DESIGN section 12, docs/redis.md).

Only the options live here: they import nothing from redis-py, so ``import
stigg_async`` works without the ``redis`` extra. The tier itself
(``stigg_async._redis._tier``) imports redis-py and is loaded only when a Redis URL or
client is configured.
"""

from stigg_async._redis._options import SharedCacheOptions

__all__ = ["SharedCacheOptions"]
