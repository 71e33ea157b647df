import logging
import uuid

import pytest
import structlog

from monitoring.logs import REDACTED, build_formatter, redact_value
from tests.factories import TrainerFactory
from tests.monitoring.conftest import lines_of

pytestmark = pytest.mark.django_db

PASSWORD = "very-secret-password-2026"  # a literal only this test sends


def test_request_lines_carry_request_id_method_path_status_and_duration(api, log_lines):
    response = api.get("/health/live/")
    request_id = response["X-Request-ID"]
    uuid.UUID(request_id)  # made here, since the client sent none

    _, lines = log_lines()
    started, finished = lines_of(lines, "request_started")[-1], lines_of(lines, "request_finished")[-1]
    for line in (started, finished):
        assert line["request_id"] == request_id
        assert line["method"] == "GET"
        assert line["path"] == "/health/live/"
        assert line["level"] == "info"
        assert line["timestamp"]
    assert finished["status"] == 200
    assert isinstance(finished["duration_ms"], float)


def test_incoming_request_id_is_trusted_and_echoed(api, log_lines):
    response = api.get("/health/live/", HTTP_X_REQUEST_ID="lb-7f3a-0001")
    assert response["X-Request-ID"] == "lb-7f3a-0001"
    _, lines = log_lines()
    assert lines_of(lines, "request_finished")[-1]["request_id"] == "lb-7f3a-0001"


def test_malformed_incoming_request_id_is_replaced(api, log_lines):
    response = api.get("/health/live/", HTTP_X_REQUEST_ID='forged" level=error\nx' + "a" * 200)
    uuid.UUID(response["X-Request-ID"])


def test_each_request_gets_its_own_id(api):
    assert api.get("/health/live/")["X-Request-ID"] != api.get("/health/live/")["X-Request-ID"]


def test_request_of_a_signed_in_user_is_logged_with_user_id(api_as, trainer, log_lines):
    response = api_as(trainer).get("/api/v1/me/", HTTP_X_REQUEST_ID="req-user-1")
    assert response.status_code == 200
    _, lines = log_lines()
    finished = lines_of(lines, "request_finished")[-1]
    assert finished["user_id"] == trainer.pk
    assert finished["request_id"] == "req-user-1"


def test_user_id_is_bound_as_soon_as_drf_authenticates(rf, trainer):
    from rest_framework.request import Request
    from rest_framework_simplejwt.tokens import RefreshToken

    from monitoring.authentication import LoggedJWTAuthentication

    token = RefreshToken.for_user(trainer).access_token
    request = Request(rf.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {token}"))
    structlog.contextvars.clear_contextvars()
    try:
        user, _ = LoggedJWTAuthentication().authenticate(request)
        assert user == trainer
        assert structlog.contextvars.get_contextvars()["user_id"] == trainer.pk
    finally:
        structlog.contextvars.clear_contextvars()


def test_sign_in_password_and_bearer_tokens_never_reach_the_logs(api, log_lines):
    TrainerFactory(email="logs@example.com", password=PASSWORD)
    response = api.post("/api/v1/auth/token/", {"email": "logs@example.com", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    access = response.json()["access"]

    # Code that carelessly logs credentials, the way a provider client or a view might.
    structlog.get_logger("tests").info(
        "careless",
        password=PASSWORD,
        headers={"Authorization": f"Bearer {access}"},
        detail=f"calling with Bearer {access} and sk_live_abcdef123456",
        url="/api/v1/x/?token=abc123&page=2",
    )
    logging.getLogger("tests.stdlib").warning("stdlib line with token %s", access)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    api.get("/api/v1/me/?access_token=" + access)

    text, lines = log_lines()
    assert PASSWORD not in text
    assert access not in text
    assert access.split(".")[1] not in text
    assert "sk_live_abcdef123456" not in text
    assert "abc123" not in text
    careless = lines_of(lines, "careless")[0]
    assert careless["password"] == REDACTED
    assert careless["headers"]["Authorization"] == REDACTED
    assert careless["url"] == f"/api/v1/x/?token={REDACTED}&page=2"
    assert any(line["event"] == "stdlib line with token " + REDACTED for line in lines)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            {"api_key": "k", "refresh": "r", "access": "a", "nested": [{"client_secret": "s"}]},
            {"api_key": REDACTED, "refresh": REDACTED, "access": REDACTED, "nested": [{"client_secret": REDACTED}]},
        ),
        ({"task_id": "abc", "code": 200, "status": "ok"}, {"task_id": "abc", "code": 200, "status": "ok"}),
        ("key whsec_abc123 and rk_test_xyz", f"key {REDACTED} and {REDACTED}"),
    ],
)
def test_redaction_of_keys_and_values(value, expected):
    assert redact_value(value) == expected


def test_console_format_renders_readable_lines():
    record = logging.LogRecord("kinetix", logging.INFO, __file__, 1, "hello %s", ("there",), None)
    assert "hello there" in build_formatter("console").format(record)


def test_unknown_log_format_is_refused():
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        build_formatter("xml")


def test_objects_logged_by_django_are_redacted_as_they_are_written(api, log_lines):
    # django.request logs a 404 with the request object, whose repr carries the query string.
    response = api.get("/no-such-page/?token=QSECRET404&page=2")
    assert response.status_code == 404
    text, lines = log_lines()
    assert "QSECRET404" not in text
    [not_found] = [line for line in lines if line["logger"] == "django.request"]
    assert not_found["request"] == f"<WSGIRequest: GET '/no-such-page/?token={REDACTED}&page=2'>"
