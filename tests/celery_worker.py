"""A real Celery worker process for tests that must cross the broker (loaded from tests/conftest.py).

`celery_worker` starts `celery -A kinetix worker --pool=solo` once per session, on the test
database and the test Redis, and stops it at the end. A test asks for `live_celery`: the test
database is then committed for real (`transactional_db`) and tasks go through Redis to the worker
instead of running eagerly in the test, with the data migrations' rows in place. Give each test
run a Redis database of its own (TEST_REDIS_URL), or workers of parallel runs take each other's tasks.
"""

import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

STARTUP_SECONDS = 60
SHUTDOWN_SECONDS = 20


def database_url(database: dict) -> str:
    """Return the DATABASE_URL that reaches the same database as Django's `DATABASES` entry."""
    engine, name = database["ENGINE"], str(database["NAME"])
    if engine.endswith("sqlite3"):
        if name == ":memory:" or "mode=memory" in name:
            raise pytest.UsageError("A worker process cannot share an in-memory SQLite database; use a file.")
        return f"sqlite:///{name}"
    if engine.endswith("postgresql"):
        credentials = quote(database.get("USER") or "", safe="")
        if database.get("PASSWORD"):
            credentials += ":" + quote(database["PASSWORD"], safe="")
        host = database.get("HOST") or "localhost"
        port = f":{database['PORT']}" if database.get("PORT") else ""
        return f"postgres://{credentials}@{host}{port}/{quote(name, safe='')}"
    raise pytest.UsageError(f"No DATABASE_URL form known for {engine}.")


@dataclass
class CeleryWorker:
    process: subprocess.Popen
    hostname: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def answers_ping(self) -> bool:
        from kinetix.celery import app

        return bool(app.control.ping(destination=[self.hostname], timeout=1.0))

    def stop(self) -> None:
        self.process.terminate()  # warm shutdown: the task at hand finishes
        try:
            self.process.wait(timeout=SHUTDOWN_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="session")
def celery_worker(django_db_setup) -> Iterator[CeleryWorker]:
    """Run one Celery worker for the session on the test database and the test Redis."""
    from django.conf import settings

    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("A worker needs REDIS_URL (the broker).")
    hostname = f"pytest-{uuid.uuid4().hex[:8]}@kinetix-tests"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ["DJANGO_SETTINGS_MODULE"],
        # After django_db_setup, NAME is the test database's (test_<name>, per xdist worker too).
        "DATABASE_URL": database_url(settings.DATABASES["default"]),
        "REDIS_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_ALWAYS_EAGER": "False",
    }
    log_file = tempfile.NamedTemporaryFile(prefix="celery-worker-", suffix=".log", delete=False)  # noqa: SIM115
    command = [
        sys.executable, "-m", "celery", "-A", "kinetix", "worker", "--pool=solo", "--loglevel=INFO",
        f"--hostname={hostname}", "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        command, env=env, stdout=log_file, stderr=subprocess.STDOUT, cwd=settings.BASE_DIR
    )
    worker = CeleryWorker(process, hostname, Path(log_file.name))
    deadline = time.monotonic() + STARTUP_SECONDS
    try:
        while not worker.answers_ping():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"The Celery worker did not come up:\n{worker.log()[-5000:]}")
        yield worker
    finally:
        worker.stop()
        worker.log_path.unlink(missing_ok=True)


@pytest.fixture
def live_celery(celery_worker: CeleryWorker, django_db_serialized_rollback, transactional_db) -> Iterator[CeleryWorker]:
    """Send this test's tasks through Redis to the session's worker, which sees the committed test data.

    The database is committed for real and flushed afterwards; serialized rollback puts back the rows
    that data migrations seeded (exercise library, notification templates), which a flush would lose.
    """
    from kinetix.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        yield celery_worker
    finally:
        app.conf.task_always_eager = eager
