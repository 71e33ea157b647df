"""The one resolver of a request's client IP address; rate limits and request logs all key on it."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """Return the client's address, trusting only the X-Forwarded-For entries our own proxies appended.

    Each of the TRUSTED_PROXY_COUNT proxies appends the address it received the request from, so the
    client is that many entries from the right; anything further left was written by the client and
    is ignored. A request that did not pass every proxy, or a malformed entry, falls back to REMOTE_ADDR.
    """
    remote_addr = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote_addr
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < proxies:
        return remote_addr
    candidate = hops[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote_addr
