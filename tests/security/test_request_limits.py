import json

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_oversized_json_body_is_413(settings, api):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"email": "a@example.com", "password": "x" * 2000, "role": "trainer"})

    response = api.post("/api/v1/auth/register/", body, content_type="application/json")

    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


def test_body_under_the_limit_is_parsed(settings, api):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = api.post("/api/v1/auth/register/", {"email": "a@example.com"}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_json_nested_past_the_limit_is_400(settings, api_as, trainer):
    settings.JSON_MAX_DEPTH = 20
    body = '{"client": 1, "week_start": "2026-01-05", "document": ' + nested(20) + "}"

    response = api_as(trainer).post("/api/v1/plans/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert "nested deeper than 20" in response.json()["message"]


def test_json_nested_deeper_than_python_parses_is_400_not_500(api_as, trainer):
    response = api_as(trainer).post("/api/v1/plans/", nested(100_000), content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_json_at_the_depth_limit_is_accepted(settings, api_as, trainer):
    settings.JSON_MAX_DEPTH = 3

    response = api_as(trainer).patch("/api/v1/me/", {"locale": "en", "x": [[1]]}, format="json")

    assert response.status_code == 200


def test_non_json_constants_are_refused(api):
    response = api.post("/api/v1/auth/register/", '{"email": NaN}', content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


@pytest.mark.parametrize(
    "document",
    [{"title": "Week\x00one"}, {"days": [{"exercises": [{"exercise": "squat\x00"}]}]}, {"notes\x00": ""}],
    ids=["value", "nested-value", "key"],
)
def test_nul_character_in_json_is_400_not_500(api_as, trainer, client_user, document):
    # PostgreSQL stores no NUL in text or jsonb, nor compares one: it would fail wherever the string went.
    body = {"client": client_user.pk, "week_start": "2026-01-05", "document": document}

    response = api_as(trainer).post("/api/v1/plans/", body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_too_many_query_fields_are_a_json_400(api_as, trainer):
    query = "&".join(f"muscle=chest{n}" for n in range(500))

    response = api_as(trainer).get(f"/api/v1/exercises/?{query}")

    assert response.status_code == 400
    assert response.json()["code"] == "too_many_fields"


def test_database_cancels_long_statements(settings):
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        [(timeout,)] = cursor.fetchall()

    assert timeout == f"{settings.DATABASE_STATEMENT_TIMEOUT_MS // 1000}s"
