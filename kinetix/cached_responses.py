"""JSON answers rendered once and served from the cache while what they show is unchanged.

For reads far more frequent than the writes behind them (a client opening their plan): the answer's bytes
come from the cache, with no query for its content and no rendering. The key must name the versions of the
rows the answer shows (a row's `updated_at`, say), so that a write makes the next read render afresh.

Where no single row tells (a trainer's list of clients), an answer names generational versions kept in the
cache itself: a random token per named thing, replaced by a new token when a write to it commits
(`versions_bump_on_commit`). A token is never reused, so an answer stored under an old one is never served
again, and a version the cache lost comes back as a new token, never as an old one.
"""

import hashlib
import secrets
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import structlog
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from rest_framework.renderers import JSONRenderer

from monitoring.cache import CACHE_ERRORS

logger = structlog.get_logger(__name__)

# An unused entry (its rows have changed since) is dropped after a day.
TIMEOUT_SECONDS = 24 * 3600


def cached_json_response(key: str | None, data: Callable[[], Any]) -> HttpResponse:
    """Answer `data()` as the API's JSON renderer writes it, cached under `key` (rendered afresh when None).

    The release is part of the key: answers rendered by other code are not reused after a deploy.
    """

    def rendered() -> bytes:
        return JSONRenderer().render(data())

    body = rendered() if key is None else cached_value(f"json-response:{settings.RELEASE}:{key}", rendered)
    return HttpResponse(body, content_type="application/json")


def cached_value(key: str, value: Callable[[], Any], *, timeout: int = TIMEOUT_SECONDS) -> Any:
    """Return the value cached under `key`, or compute, cache (for `timeout` seconds) and return `value()`."""
    found = _cache_call(cache.get, key)
    if found is None:
        found = value()
        _cache_call(cache.set, key, found, timeout)
    return found


def digest(*parts: object) -> str:
    """Return a short key naming all of `parts`, however long they are (versions, URLs)."""
    return hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=20).hexdigest()


def versions_read(names: Sequence[str]) -> list[str] | None:
    """Return the current token of each named version (a new one for any the cache lacks); None without a cache.

    Read the versions before the rows they stand for: a write that commits in between then bumps a version
    this answer names, and the answer's key is obsolete instead of stale.
    """
    keys = [_version_key(name) for name in names]
    found = _cache_call(cache.get_many, keys)
    if found is None:
        return None
    missing = [key for key in keys if key not in found]
    for key in missing:
        # add, not set: a token that a concurrent read or bump stored first is the one everybody uses.
        if _cache_call(cache.add, key, _new_token(), None) is None:
            return None
    if missing:
        found |= _cache_call(cache.get_many, missing) or {}
        if any(key not in found for key in missing):
            return None  # evicted again at once: better no cached answer than a guessed key
    return [found[key] for key in keys]


def versioned_value(
    key: str, names: Sequence[str], value: Callable[[], Any], *, timeout: int = TIMEOUT_SECONDS
) -> tuple[list[str], Any] | None:
    """Return the named versions' tokens and `value()` as computed under them; None without a cache.

    The value is cached under `key` with the tokens it was computed under, and read in the same round trip as
    the current tokens: it is served while they are equal, computed and stored afresh once any has moved.
    """
    version_keys = [_version_key(name) for name in names]
    found = _cache_call(cache.get_many, [*version_keys, key])
    if found is None:
        return None
    tokens = [found.get(version_key) for version_key in version_keys]
    if None in tokens:
        tokens = versions_read(names)
        if tokens is None:
            return None
    stored = found.get(key)
    if stored is not None and stored[0] == tokens:
        return tokens, stored[1]
    computed = value()  # after the tokens were read, as versions_read asks
    _cache_call(cache.set, key, (tokens, computed), timeout)
    return tokens, computed


def versions_bump_on_commit(names: Iterable[str]) -> None:
    """Give each named version a new token once the current transaction commits (at once outside one)."""
    keys = [_version_key(name) for name in names]

    def bump() -> None:
        _cache_call(cache.set_many, {key: _new_token() for key in keys}, None)

    transaction.on_commit(bump, robust=True)


def _version_key(name: str) -> str:
    return f"version:{name}"


def _new_token() -> str:
    return secrets.token_hex(8)


def _cache_call(operation: Callable[..., Any], *args: Any) -> Any:
    # A cache that cannot be reached must not take the reads down with it: the answer is rendered anyway.
    try:
        return operation(*args)
    except CACHE_ERRORS as exc:
        logger.warning("response_cache_unavailable", error=str(exc), error_type=type(exc).__name__)
        return None
