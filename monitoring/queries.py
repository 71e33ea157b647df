"""Slow database queries: each one slower than SLOW_QUERY_MS logs `slow_query` at warning.

The wrapper goes on every connection as it opens (`connection_created`, connected in
MonitoringConfig.ready), so queries of web requests, Celery tasks and commands alike are watched;
their lines carry the request_id or task_id bound to the log context.
"""

import time
from collections.abc import Callable
from typing import Any

import structlog
from django.conf import settings
from django.db.backends.base.base import BaseDatabaseWrapper

logger = structlog.get_logger(__name__)

# Long statements (bulk inserts) are cut: the start says which query it was.
SQL_LOGGED_CHARS = 1000


def slow_query_log(execute: Callable, sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
    """Run the query; log it (without its parameters) when it took SLOW_QUERY_MS or longer."""
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        if duration_ms >= settings.SLOW_QUERY_MS:
            # Parameters are user data (e-mails, weights, tokens): the statement's placeholders say enough.
            logger.warning(
                "slow_query",
                duration_ms=duration_ms,
                threshold_ms=settings.SLOW_QUERY_MS,
                sql=sql[:SQL_LOGGED_CHARS],
                many=many,
                alias=context["connection"].alias,
            )


def slow_query_log_install(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """Put `slow_query_log` on a connection that has just opened, once: the wrapper outlives reconnects."""
    if slow_query_log not in connection.execute_wrappers:
        # First: innermost, so it times the query alone, and out of reach of the pop() that ends a
        # `connection.execute_wrapper()` block open while the connection was made.
        connection.execute_wrappers.insert(0, slow_query_log)
