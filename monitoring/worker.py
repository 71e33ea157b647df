"""Celery workers: task durations and failures as metrics, and the port a scraper reads them from.

The receivers are connected in MonitoringConfig.ready. A worker is not the web process, so its
metrics are not in the web's /metrics: with WORKER_METRICS_PORT set the worker serves its own,
behind the same METRICS_TOKEN (docs/OPERATIONS.md, "Metrics of the workers").
"""

import os
import shutil
import threading
import time
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import structlog
from celery import Task
from django.conf import settings
from prometheus_client import make_wsgi_app, multiprocess

from monitoring.metrics import CELERY_TASK_DURATION, CELERY_TASK_FAILURES, scrape_registry, scrape_token_valid

logger = structlog.get_logger(__name__)

STARTED_AT = "_monitoring_started_at"


def task_started(sender: Task | None = None, task: Task | None = None, **kwargs: Any) -> None:
    """task_prerun: note when the task began, on its request (gone with it)."""
    if task is not None:
        setattr(task.request, STARTED_AT, time.perf_counter())


def task_finished(
    sender: Task | None = None, task: Task | None = None, state: str | None = None, **kwargs: Any
) -> None:
    """task_postrun: observe the task's duration under its final state."""
    started_at = getattr(task.request, STARTED_AT, None) if task is not None else None
    if started_at is not None:
        CELERY_TASK_DURATION.labels(task=task.name, state=state or "UNKNOWN").observe(time.perf_counter() - started_at)


def task_failed(sender: Task | None = None, exception: BaseException | None = None, **kwargs: Any) -> None:
    """task_failure: count the failure by task and exception class."""
    name = getattr(sender, "name", None) or "unknown"
    CELERY_TASK_FAILURES.labels(task=name, exception=type(exception).__name__).inc()


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Leave access lines out: scrapes every few seconds would drown the worker's log."""


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def metrics_app(environ: dict, start_response: Any) -> Any:
    """Serve /metrics to a bearer METRICS_TOKEN, like the web's; to anyone else nothing is there."""
    if environ.get("PATH_INFO") != "/metrics" or not scrape_token_valid(environ.get("HTTP_AUTHORIZATION", "")):
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"Not Found"]
    return make_wsgi_app(scrape_registry())(environ, start_response)


def metrics_server_start(*, port: int, address: str = "0.0.0.0") -> WSGIServer:  # noqa: S104 - a scraper elsewhere reads it
    """Serve `metrics_app` on `address:port` from a daemon thread; answer the server."""
    server = make_server(address, port, metrics_app, server_class=_ThreadingServer, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="worker-metrics", daemon=True).start()
    return server


def worker_metrics_start(sender: Any = None, **kwargs: Any) -> WSGIServer | None:
    """worker_init, in the worker's main process before it forks: reset shared metrics, serve them."""
    multiproc_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    if multiproc_dir:
        # Files left by the worker's previous run would count its processes again.
        shutil.rmtree(multiproc_dir, ignore_errors=True)
        os.makedirs(multiproc_dir, exist_ok=True)
    port = settings.WORKER_METRICS_PORT
    if not port:
        return None
    if not settings.METRICS_TOKEN:
        logger.warning("worker_metrics_off", reason="WORKER_METRICS_PORT is set but METRICS_TOKEN is not")
        return None
    server = metrics_server_start(port=port)
    logger.info("worker_metrics_serving", port=server.server_port)
    return server


def worker_process_exited(sender: Any = None, pid: int | None = None, **kwargs: Any) -> None:
    """worker_process_shutdown: let a dead pool process's live gauges go, as gunicorn.conf.py does for web workers."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(pid or os.getpid())
