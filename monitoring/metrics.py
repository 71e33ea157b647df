"""Kinetix's own Prometheus metrics; django-prometheus measures requests, the database and migrations.

Other apps count through here (`monitoring.metrics.SOME_COUNTER.labels(...).inc()`), so every
business metric is declared in one place, under the `kinetix_` prefix. Naming and labels follow
docs/OPERATIONS.md ("Adding a metric").
"""

import hmac
import os

from django.conf import settings
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, multiprocess

NAMESPACE = "kinetix"
# From a fast query (5 ms) to a slow LLM call (5 min).
DURATION_BUCKETS = (0.005, 0.025, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


def counter(name: str, documentation: str, labelnames: tuple[str, ...] = ()) -> Counter:
    """Declare a `kinetix_<name>_total` counter."""
    return Counter(name, documentation, labelnames=labelnames, namespace=NAMESPACE)


def histogram(
    name: str, documentation: str, labelnames: tuple[str, ...] = (), buckets: tuple[float, ...] = DURATION_BUCKETS
) -> Histogram:
    """Declare a `kinetix_<name>` histogram of durations in seconds; `name` ends in `_seconds`."""
    return Histogram(name, documentation, labelnames=labelnames, namespace=NAMESPACE, buckets=buckets)


HEALTH_CHECK_FAILURES = counter(
    "health_check_failures", "Readiness checks that failed, by check.", labelnames=("check",)
)
CELERY_TASK_DURATION = histogram(
    "celery_task_duration_seconds",
    "Celery tasks run by the workers, by task name and final state (SUCCESS, FAILURE, RETRY).",
    labelnames=("task", "state"),
)
CELERY_TASK_FAILURES = counter(
    "celery_task_failures",
    "Celery task runs that raised, by task name and exception class (retries not included).",
    labelnames=("task", "exception"),
)
PLANS_ACTIVATED = counter("plans_activated", "Weekly plans published to their clients.")
RATE_LIMITED = counter(
    "rate_limited", "Requests answered 429 by the rate limits, by budget group.", labelnames=("group",)
)
WEBHOOKS_PROCESSED = counter(
    "webhooks_processed",
    "Webhook deliveries, by source, event type and outcome (ok, failed, rejected); each attempt counted once.",
    labelnames=("source", "event_type", "outcome"),
)
NOTIFICATIONS_SENT = counter(
    "notifications_sent",
    "Notification sends, by channel, event, outcome (sent, retry, failed, deactivated, skipped) and reason.",
    labelnames=("channel", "event", "outcome", "reason"),
)
AI_GENERATIONS = counter(
    "ai_generations",
    "AI plan generations finished, by provider and outcome (ok, invalid, refused, unavailable).",
    labelnames=("provider", "outcome"),
)
LLM_REQUEST_DURATION = histogram(
    "llm_request_duration_seconds",
    "Calls to the plan-writing model, answered or not, by provider.",
    labelnames=("provider",),
)
LLM_TOKENS = counter(
    "llm_tokens",
    "Tokens the plan-writing model read and wrote, by provider and kind (input, output).",
    labelnames=("provider", "kind"),
)
CACHE_OPERATION_DURATION = histogram(
    "cache_operation_duration_seconds",
    "Operations on the Redis cache (rate limits, cached reads), by operation.",
    labelnames=("operation",),
    # Cache calls take well under a millisecond when healthy; the top buckets catch a struggling Redis.
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 1.0),
)
RATE_LIMIT_CACHE_ERRORS = counter(
    "rate_limit_cache_errors", "Requests let through unlimited because the rate-limit cache failed."
)


def scrape_token_valid(authorization: str) -> bool:
    """Tell whether an Authorization header carries METRICS_TOKEN; always false while it is unset."""
    token = settings.METRICS_TOKEN
    if not token:
        return False
    scheme, _, presented = authorization.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), token.encode())


def scrape_registry() -> CollectorRegistry:
    """Return the registry a scrape reads: every process's files under PROMETHEUS_MULTIPROC_DIR, or this one's."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry
