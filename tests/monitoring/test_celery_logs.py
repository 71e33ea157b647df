import time
import uuid

import pytest
import structlog
from celery import signals
from celery.contrib.testing.worker import start_worker

from kinetix.celery import app
from tests.monitoring.conftest import lines_of

QUEUE = f"test-monitoring-{uuid.uuid4().hex[:8]}"


@app.task(name="tests.monitoring.log_something")
def log_something() -> None:
    structlog.get_logger("tests.task").info("inside_task")


@pytest.fixture
def worker(settings, monkeypatch):
    """Run a real Celery worker in a thread, consuming from the test Redis broker."""
    if settings.CELERY_BROKER_URL.startswith("memory://"):
        pytest.skip("needs the Redis broker")
    # The worker runs Django's system checks as it starts; some (dj-stripe's) query the database, closed to this test.
    monkeypatch.setenv("CELERY_SKIP_CHECKS", "1")
    # The worker's boot step connects django-structlog's task receivers for good; undo that afterwards,
    # or eager tasks in later tests would clear the calling request's log context.
    task_signals = [getattr(signals, name) for name in signals.__all__ if hasattr(getattr(signals, name), "receivers")]
    saved = {signal: list(signal.receivers) for signal in task_signals}
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", queues=[QUEUE], perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        app.conf.task_always_eager = eager
        for signal, receivers in saved.items():
            signal.receivers[:] = receivers
            signal.sender_receivers_cache.clear()


def test_task_logs_its_task_id_and_the_request_id_that_queued_it(worker, log_lines):
    with structlog.contextvars.bound_contextvars(request_id="req-celery-1"):
        result = log_something.apply_async(queue=QUEUE)

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        _, lines = log_lines()
        if lines_of(lines, "task_succeeded"):
            break
        time.sleep(0.1)

    _, lines = log_lines()
    assert lines_of(lines, "task_enqueued")[0]["request_id"] == "req-celery-1"
    for event in ("task_started", "inside_task", "task_succeeded"):
        [line] = lines_of(lines, event)
        assert line["task_id"] == result.id
        assert line["request_id"] == "req-celery-1"
