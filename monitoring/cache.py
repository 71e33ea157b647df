"""Django's Redis cache, timing every operation for /metrics, with one redis-py client per connection pool.

django-prometheus's own cache backends wrap django-redis, which Kinetix does not use.
"""

import functools
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis import Redis
from redis.exceptions import RedisError

from monitoring.metrics import CACHE_OPERATION_DURATION

# What a cache that cannot be reached raises: redis-py's errors, and the socket's.
CACHE_ERRORS = (RedisError, OSError)

TIMED_OPERATIONS = ("get", "set", "add", "delete", "incr", "decr", "touch", "has_key", "get_many", "set_many")


def _timed(operation: str) -> Callable[..., Any]:
    method = getattr(RedisCache, operation)

    @functools.wraps(method)
    def timed(self: RedisCache, *args: Any, **kwargs: Any) -> Any:
        with CACHE_OPERATION_DURATION.labels(operation=operation).time():
            return method(self, *args, **kwargs)

    return timed


class ReusedRedisCacheClient(RedisCacheClient):
    """Django's client, keeping the redis-py client it makes for each connection pool.

    Django makes a `redis.Redis` for every operation, and each builds redis-py's table of about 200 reply
    callbacks: that cost more CPU than the round trip itself (docs/BENCHMARKS.md). redis-py's clients are
    thread-safe and hold no state beyond their pool, so one per pool serves every operation.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Redis] = {}

    def get_client(self, key: str | None = None, *, write: bool = False) -> Redis:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class TimedRedisCache(RedisCache):
    """RedisCache whose operations are observed in `kinetix_cache_operation_duration_seconds`."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusedRedisCacheClient


for _operation in TIMED_OPERATIONS:
    setattr(TimedRedisCache, _operation, _timed(_operation))
