"""JSON answers rendered once and served from the cache while what they show is unchanged.

For reads far more frequent than the writes behind them (a client opening their plan): the answer's bytes
come from the cache, with no query for its content and no rendering. The key must name the versions of the
rows the answer shows (a row's `updated_at`, say), so that a write makes the next read render afresh.
"""

from collections.abc import Callable
from typing import Any

import structlog
from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from rest_framework.renderers import JSONRenderer

from monitoring.cache import CACHE_ERRORS

logger = structlog.get_logger(__name__)

# An unused entry (its rows have changed since) is dropped after a day.
TIMEOUT_SECONDS = 24 * 3600


def cached_json_response(key: str, data: Callable[[], Any]) -> HttpResponse:
    """Answer `data()` as the API's JSON renderer writes it, cached under `key`.

    The release is part of the key: answers rendered by other code are not reused after a deploy.
    """
    key = f"json-response:{settings.RELEASE}:{key}"
    body = _cache_call(cache.get, key)
    if body is None:
        body = JSONRenderer().render(data())
        _cache_call(cache.set, key, body, TIMEOUT_SECONDS)
    return HttpResponse(body, content_type="application/json")


def _cache_call(operation: Callable[..., Any], *args: Any) -> Any:
    # A cache that cannot be reached must not take the reads down with it: the answer is rendered anyway.
    try:
        return operation(*args)
    except CACHE_ERRORS as exc:
        logger.warning("response_cache_unavailable", error=str(exc), error_type=type(exc).__name__)
        return None
