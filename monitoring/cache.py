"""Django's Redis cache, timing every operation for /metrics.

django-prometheus's own cache backends wrap django-redis, which Kinetix does not use.
"""

import functools
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache

from monitoring.metrics import CACHE_OPERATION_DURATION

TIMED_OPERATIONS = ("get", "set", "add", "delete", "incr", "decr", "touch", "has_key", "get_many", "set_many")


def _timed(operation: str) -> Callable[..., Any]:
    method = getattr(RedisCache, operation)

    @functools.wraps(method)
    def timed(self: RedisCache, *args: Any, **kwargs: Any) -> Any:
        with CACHE_OPERATION_DURATION.labels(operation=operation).time():
            return method(self, *args, **kwargs)

    return timed


class TimedRedisCache(RedisCache):
    """RedisCache whose operations are observed in `kinetix_cache_operation_duration_seconds`."""


for _operation in TIMED_OPERATIONS:
    setattr(TimedRedisCache, _operation, _timed(_operation))
