"""gunicorn reads this file from the working directory; the Procfile's flags still apply.

With PROMETHEUS_MULTIPROC_DIR set, each worker writes its metrics to files there and /metrics
adds them up, so a scrape sees the whole server rather than the one worker that answered.
"""

import gc
import os
import shutil

_multiproc_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")

# Sync workers, chosen knowingly: a request running past `timeout` gets its worker killed and replaced,
# which caps what one slow request can hold (gthread workers only heartbeat, so a stuck request runs
# on). A sync worker serves one connection at a time, so slow clients must never reach it directly:
# nginx in front buffers whole requests and responses (docs/DEPLOY.md, "The proxy in front").
worker_class = "sync"
# Below nginx's proxy_read_timeout; PostgreSQL cancels a query before this (DATABASE_STATEMENT_TIMEOUT_MS).
timeout = 30
graceful_timeout = 30
# Sync workers close each connection after its response; this applies if the worker class changes.
keepalive = 5
# Refuse oversized request heads before Django sees them: URL (query included) and header count and size.
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190
# Recycle workers now and then, so that a slow leak in any library cannot grow without bound.
max_requests = 2000
max_requests_jitter = 200


def on_starting(server) -> None:
    # Files left by a previous server would count its workers' metrics again.
    if _multiproc_dir:
        shutil.rmtree(_multiproc_dir, ignore_errors=True)
        os.makedirs(_multiproc_dir, exist_ok=True)


def child_exit(server, worker) -> None:
    if _multiproc_dir:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker) -> None:
    # Load the URLconf (and with it every view) now, then leave everything loaded out of the garbage collector's
    # full collections: they would walk Django's few hundred thousand objects, 0.2 s each, a pause every thousand
    # requests or so (docs/BENCHMARKS.md).
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imported for its side effect
    gc.freeze()
