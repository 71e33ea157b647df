"""Sentry error tracking and tracing, on only when SENTRY_DSN is set (kinetix/settings.py).

Whatever leaves for Sentry goes through the log formatter's redaction first (monitoring/logs.py),
and loses its query strings too: no personal data is sent (`send_default_pii=False`, no bodies).
"""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sentry_sdk
import structlog
from sentry_sdk.integrations.logging import ignore_logger

from monitoring.logs import redact_value

# Probes and scrapes are frequent, fast and of no interest: never traced.
UNTRACED_PATH = re.compile(r"/health/.*|/metrics/?")
# These log an exception that the Django and Celery integrations already report, with its request or task.
DUPLICATE_LOGGERS = ("django_structlog.middlewares.request", "django_structlog.celery.receivers")
# Log context copied onto an event's tags, so that an issue in Sentry leads to the log lines.
LOG_CONTEXT_TAGS = ("request_id", "task_id")
# Record fields that Sentry's own event already says.
STRUCTLOG_NOISE = ("event", "timestamp", "level", "logger", "exc_info")


def sentry_init(*, dsn: str, environment: str, release: str | None, traces_sample_rate: float) -> None:
    """Start reporting errors and sampled traces of web requests and Celery tasks to Sentry."""
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.redis import RedisIntegration

    if not 0.0 <= traces_sample_rate <= 1.0:
        raise ValueError(f"SENTRY_TRACES_SAMPLE_RATE must be between 0 and 1, not {traces_sample_rate}")
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        integrations=[DjangoIntegration(), CeleryIntegration(), RedisIntegration()],
        traces_sampler=traces_sampler(traces_sample_rate),
        # Deprecated since 2.75 in favour of `data_collection`, and still what it maps from: no user, IP or cookies.
        send_default_pii=False,
        # Bodies carry health data (weights, notes) and credentials; the traceback and route suffice.
        max_request_body_size="never",
        before_send=scrub_event,
        before_send_transaction=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
    )
    for name in DUPLICATE_LOGGERS:
        ignore_logger(name)


def traces_sampler(rate: float) -> Callable[[dict[str, Any]], float]:
    """Return Sentry's sampler: `rate` for requests and new tasks, never a probe or a scrape."""

    def sample(context: dict[str, Any]) -> float:
        environ, scope = context.get("wsgi_environ"), context.get("asgi_scope")
        if environ is not None or scope is not None:
            path = environ.get("PATH_INFO", "") if environ is not None else scope.get("path", "")
            # A client's own sampling decision (a sentry-trace header) is not followed: it is not ours to spend.
            return 0.0 if UNTRACED_PATH.fullmatch(path) else rate
        if context.get("parent_sampled") is not None:
            return float(context["parent_sampled"])  # a task follows the request that queued it
        return rate

    return sample


def scrub_event(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """Redact an event (error or transaction) as the log formatter redacts a line, and drop query strings."""
    fields = _structlog_fields(hint.get("log_record"))
    if fields is not None:
        message, extra = fields
        event["logentry"] = {"message": message, "formatted": message, "params": []}
        event["extra"] = {**event.get("extra", {}), **extra}
    tags = event.setdefault("tags", {})
    context = structlog.contextvars.get_contextvars()
    for key in LOG_CONTEXT_TAGS:
        if key in context:
            tags.setdefault(key, str(context[key]))
    meta = event.pop("_meta", None)  # the serializer's annotations: no values, and their shape must stay
    event = redact_value(event, drop_query_strings=True)
    if meta is not None:
        event["_meta"] = meta
    return event


def scrub_breadcrumb(crumb: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """Redact a breadcrumb; a structlog line becomes its event name with its fields as data."""
    fields = _structlog_fields(hint.get("log_record"))
    if fields is not None:
        crumb["message"], crumb["data"] = fields
    return redact_value(crumb, drop_query_strings=True)


def _structlog_fields(record: Any) -> tuple[str, dict[str, Any]] | None:
    # structlog hands the standard library its whole event dict as the message: Sentry would send it as one
    # string, where the redaction by key name cannot reach the values.
    if record is None or not isinstance(record.msg, dict):
        return None
    fields = {k: v for k, v in record.msg.items() if k not in STRUCTLOG_NOISE}
    return str(record.msg.get("event", "")), fields


def git_sha(repository: Path) -> str | None:
    """Return the commit checked out in `repository` by reading .git, or None where there is none."""
    git = repository / ".git"
    try:
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head or None  # a detached HEAD is the sha itself
        ref = head.removeprefix("ref: ")
        if (git / ref).is_file():
            return (git / ref).read_text().strip() or None
        for line in (git / "packed-refs").read_text().splitlines():
            sha, _, name = line.partition(" ")
            if name == ref:
                return sha
    except OSError:
        return None
    return None
