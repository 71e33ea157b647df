import pytest
from django.db import connection
from django.db.backends.signals import connection_created

from monitoring.queries import slow_query_log
from tests.monitoring.conftest import lines_of

pytestmark = pytest.mark.django_db


def test_a_request_over_the_threshold_logs_slow_request_with_its_id(api, settings, log_lines):
    settings.SLOW_REQUEST_MS = 0
    response = api.get("/health/live/", HTTP_X_REQUEST_ID="req-slow-1")
    assert response.status_code == 200

    _, lines = log_lines()
    [slow] = lines_of(lines, "slow_request")
    assert slow["level"] == "warning"
    assert slow["request_id"] == "req-slow-1"
    assert slow["path"] == "/health/live/"
    assert slow["status"] == 200
    assert isinstance(slow["duration_ms"], float)
    assert slow["threshold_ms"] == 0


def test_a_request_under_the_threshold_logs_no_slow_request(api, settings, log_lines):
    settings.SLOW_REQUEST_MS = 60_000
    api.get("/health/live/")
    _, lines = log_lines()
    assert lines_of(lines, "slow_request") == []


def test_a_query_over_the_threshold_logs_slow_query_with_the_request_id(api_as, trainer, settings, log_lines):
    settings.SLOW_QUERY_MS = 0
    response = api_as(trainer).get("/api/v1/me/", HTTP_X_REQUEST_ID="req-slow-2")
    assert response.status_code == 200

    text, lines = log_lines()
    slow = lines_of(lines, "slow_query")
    assert slow, "the signed-in request reads the user at least"
    user_query = next(line for line in slow if "accounts_user" in line["sql"])
    assert user_query["level"] == "warning"
    assert user_query["request_id"] == "req-slow-2"
    assert user_query["alias"] == "default"
    assert isinstance(user_query["duration_ms"], float)
    # The statement with its placeholders, never the values bound to them.
    assert "%s" in user_query["sql"]
    assert "params" not in user_query
    assert trainer.email not in text


def test_fast_queries_log_nothing(api_as, trainer, settings, log_lines):
    settings.SLOW_QUERY_MS = 60_000
    api_as(trainer).get("/api/v1/me/")
    _, lines = log_lines()
    assert lines_of(lines, "slow_query") == []


def test_the_wrapper_is_on_the_connection_once_whatever_the_reconnects():
    connection.ensure_connection()
    assert connection.execute_wrappers.count(slow_query_log) == 1
    # What each reconnect (CONN_MAX_AGE, a dropped connection) sends again.
    connection_created.send(sender=type(connection), connection=connection)
    assert connection.execute_wrappers.count(slow_query_log) == 1
