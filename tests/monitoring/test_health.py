import pytest
from django.db import OperationalError, connections
from django.db.migrations.recorder import MigrationRecorder
from django.test import override_settings

pytestmark = pytest.mark.django_db

DEAD_REDIS = "redis://127.0.0.1:1/0"


def test_live_answers_ok_without_touching_the_database(api, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = api.get("/health/live/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_checks_every_dependency_on_the_test_services(api):
    response = api.get("/health/ready/")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker", "migrations"}
    for check in body["checks"].values():
        assert check["status"] == "ok"
        assert isinstance(check["ms"], float | int)


def test_health_needs_no_token_and_ignores_a_bad_one(api):
    api.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert api.get("/health/live/").status_code == 200
    assert api.get("/health/ready/").status_code == 200


@override_settings(SECURE_SSL_REDIRECT=True)
def test_health_is_exempt_from_the_https_redirect(api):
    assert api.get("/health/live/").status_code == 200
    assert api.get("/api/v1/me/").status_code == 301


def test_ready_is_503_when_redis_cache_is_unreachable(api):
    dead_cache = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": DEAD_REDIS}}
    with override_settings(CACHES=dead_cache):
        response = api.get("/health/ready/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failed"
    assert body["checks"]["cache"]["status"] == "failed"
    assert body["checks"]["database"]["status"] == "ok"
    # The answer is public: it names the kind of failure, never the address.
    assert "127.0.0.1" not in response.content.decode()


def test_ready_is_503_when_the_broker_is_unreachable(api):
    with override_settings(CELERY_BROKER_URL=DEAD_REDIS):
        response = api.get("/health/ready/")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["status"] == "failed"


def test_ready_skips_the_broker_when_tasks_run_in_process(api):
    with override_settings(CELERY_BROKER_URL="memory://"):
        response = api.get("/health/ready/")
    assert response.status_code == 200
    assert response.json()["checks"]["broker"]["status"] == "skipped"


def test_ready_is_503_when_a_migration_is_unapplied(api):
    # Forget one applied migration; the test transaction puts the row back afterwards.
    MigrationRecorder.Migration.objects.filter(app="sessions", name="0001_initial").delete()
    response = api.get("/health/ready/")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["migrations"]["status"] == "failed"
    assert checks["database"]["status"] == "ok"


def test_ready_is_503_when_the_database_fails(api, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connections["default"], "cursor", unreachable)
    response = api.get("/health/ready/")
    monkeypatch.undo()
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"]["status"] == "failed"
    assert checks["database"]["error"] == "OperationalError"
    assert checks["cache"]["status"] == "ok"
