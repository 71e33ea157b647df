"""JSON answers rendered once and served from the cache while what they show is unchanged.

For reads far more frequent than the writes behind them (a client opening their plan): the answer's bytes
come from the cache, with no query for its content and no rendering. The key must name the versions of the
rows the answer shows (a row's `updated_at`, say), so that a write makes the next read render afresh.
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from rest_framework.renderers import JSONRenderer

# An unused entry (its rows have changed since) is dropped after a day.
TIMEOUT_SECONDS = 24 * 3600


def cached_json_response(key: str, data: Callable[[], Any]) -> HttpResponse:
    """Answer `data()` as the API's JSON renderer writes it, cached under `key`.

    The release is part of the key: answers rendered by other code are not reused after a deploy.
    """
    key = f"json-response:{settings.RELEASE}:{key}"
    body = cache.get(key)
    if body is None:
        body = JSONRenderer().render(data())
        cache.set(key, body, TIMEOUT_SECONDS)
    return HttpResponse(body, content_type="application/json")
