"""gunicorn reads this file from the working directory; the Procfile's flags still apply.

With PROMETHEUS_MULTIPROC_DIR set, each worker writes its metrics to files there and /metrics
adds them up, so a scrape sees the whole server rather than the one worker that answered.
"""

import os
import shutil

_multiproc_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def on_starting(server) -> None:
    # Files left by a previous server would count its workers' metrics again.
    if _multiproc_dir:
        shutil.rmtree(_multiproc_dir, ignore_errors=True)
        os.makedirs(_multiproc_dir, exist_ok=True)


def child_exit(server, worker) -> None:
    if _multiproc_dir:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
