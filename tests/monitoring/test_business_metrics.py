import socket
import urllib.error
import urllib.request

import pytest
from django.test import override_settings
from prometheus_client import REGISTRY

from kinetix.celery import app
from kinetix.coaching.services import plan_activate
from monitoring.worker import metrics_server_start, worker_metrics_start
from tests.factories import WeeklyPlanFactory

TOKEN = "scrape-token-for-tests-0123456789"


@app.task(name="tests.monitoring.succeed")
def succeed() -> str:
    return "done"


class PlannedFailure(Exception):
    pass


@app.task(name="tests.monitoring.fail")
def fail() -> None:
    raise PlannedFailure("on purpose")


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_task_durations_are_observed_by_task_and_state():
    before = sample("kinetix_celery_task_duration_seconds_count", task="tests.monitoring.succeed", state="SUCCESS")
    assert succeed.apply().get() == "done"
    after = sample("kinetix_celery_task_duration_seconds_count", task="tests.monitoring.succeed", state="SUCCESS")
    assert after == before + 1
    assert sample("kinetix_celery_task_duration_seconds_sum", task="tests.monitoring.succeed", state="SUCCESS") > 0


def test_task_failures_are_counted_by_task_and_exception():
    labels = {"task": "tests.monitoring.fail", "exception": "PlannedFailure"}
    failed_runs = {"task": "tests.monitoring.fail", "state": "FAILURE"}
    before = sample("kinetix_celery_task_failures_total", **labels)
    runs_before = sample("kinetix_celery_task_duration_seconds_count", **failed_runs)
    # As a worker runs it: the failure is recorded, not raised into the caller.
    assert fail.apply(throw=False).state == "FAILURE"
    assert sample("kinetix_celery_task_failures_total", **labels) == before + 1
    assert sample("kinetix_celery_task_duration_seconds_count", **failed_runs) == runs_before + 1


@pytest.mark.django_db
def test_plan_activation_is_counted_once_committed(django_capture_on_commit_callbacks):
    plan = WeeklyPlanFactory()
    before = sample("kinetix_plans_activated_total")
    with django_capture_on_commit_callbacks(execute=True):
        plan_activate(plan=plan)
    assert sample("kinetix_plans_activated_total") == before + 1
    with django_capture_on_commit_callbacks(execute=True):
        plan_activate(plan=plan)  # already active: nothing happens, nothing is counted
    assert sample("kinetix_plans_activated_total") == before + 1


@pytest.fixture
def worker_metrics():
    """The worker's metrics server on a free port of 127.0.0.1; answer its base URL."""
    server = metrics_server_start(port=0, address="127.0.0.1")
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def scrape(url: str, token: str | None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - our own server on loopback
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def test_the_worker_serves_its_metrics_to_the_token_only(worker_metrics):
    succeed.apply()
    with override_settings(METRICS_TOKEN=TOKEN):
        status, text = scrape(f"{worker_metrics}/metrics", TOKEN)
        assert status == 200
        assert 'kinetix_celery_task_duration_seconds_count{state="SUCCESS",task="tests.monitoring.succeed"}' in text
        assert scrape(f"{worker_metrics}/metrics", "wrong-token")[0] == 404
        assert scrape(f"{worker_metrics}/metrics", None)[0] == 404
        assert scrape(f"{worker_metrics}/", TOKEN)[0] == 404
    with override_settings(METRICS_TOKEN=""):
        assert scrape(f"{worker_metrics}/metrics", "")[0] == 404


def test_the_worker_serves_nothing_without_a_port_or_a_token(settings):
    settings.WORKER_METRICS_PORT = 0
    settings.METRICS_TOKEN = TOKEN
    assert worker_metrics_start() is None
    settings.WORKER_METRICS_PORT = 9
    settings.METRICS_TOKEN = ""
    assert worker_metrics_start() is None


@pytest.fixture
def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_worker_starts_its_metrics_server_on_worker_init(settings, unused_port):
    settings.WORKER_METRICS_PORT = unused_port
    settings.METRICS_TOKEN = TOKEN
    server = worker_metrics_start()
    try:
        assert scrape(f"http://127.0.0.1:{unused_port}/metrics", TOKEN)[0] == 200
    finally:
        server.shutdown()
        server.server_close()
