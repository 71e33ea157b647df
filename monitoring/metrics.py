"""Kinetix's own Prometheus metrics; django-prometheus measures requests, the database and migrations.

Other apps count through here (`monitoring.metrics.SOME_COUNTER.labels(...).inc()`), so every
business metric is declared in one place, under the `kinetix_` prefix.
"""

import hmac

from django.conf import settings
from prometheus_client import Counter

NAMESPACE = "kinetix"


def counter(name: str, documentation: str, labelnames: tuple[str, ...] = ()) -> Counter:
    """Declare a `kinetix_<name>_total` counter."""
    return Counter(name, documentation, labelnames=labelnames, namespace=NAMESPACE)


HEALTH_CHECK_FAILURES = counter(
    "health_check_failures", "Readiness checks that failed, by check.", labelnames=("check",)
)


def scrape_token_valid(authorization: str) -> bool:
    """Tell whether an Authorization header carries METRICS_TOKEN; always false while it is unset."""
    token = settings.METRICS_TOKEN
    if not token:
        return False
    scheme, _, presented = authorization.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), token.encode())
