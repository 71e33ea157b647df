import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db

TOKEN = "scrape-token-for-tests-0123456789"


def test_metrics_do_not_exist_while_no_token_is_configured(api, settings):
    settings.METRICS_TOKEN = ""
    assert api.get("/metrics").status_code == 404
    assert api.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", f"Basic {TOKEN}", TOKEN])
def test_metrics_answer_404_without_the_right_bearer_token(api, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    with override_settings(METRICS_TOKEN=TOKEN):
        assert api.get("/metrics", **headers).status_code == 404


def test_metrics_are_served_in_prometheus_text_format_with_the_token(api, api_as, trainer):
    api_as(trainer).get("/api/v1/me/")  # at least one counted request and query
    with override_settings(METRICS_TOKEN=TOKEN):
        response = api.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "django_http_requests_total_by_method_total" in text
    assert "django_http_requests_latency_seconds_by_view_method_bucket" in text
    assert 'django_db_execute_total{alias="default",vendor="postgresql"}' in text
    assert "# TYPE kinetix_health_check_failures_total counter" in text


def test_failed_readiness_checks_are_counted(api):
    with override_settings(METRICS_TOKEN=TOKEN, CELERY_BROKER_URL="redis://127.0.0.1:1/0"):
        before = _failures(api, "broker")
        assert api.get("/health/ready/").status_code == 503
        assert _failures(api, "broker") == before + 1


def _failures(api, check: str) -> float:
    text = api.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    prefix = f'kinetix_health_check_failures_total{{check="{check}"}} '
    return next((float(line[len(prefix) :]) for line in text.splitlines() if line.startswith(prefix)), 0.0)


def test_cache_operations_are_timed_in_the_scrape(api):
    # The readiness check writes, reads and deletes a cache key: those operations show in /metrics.
    with override_settings(METRICS_TOKEN=TOKEN):
        before = _cache_operations(api, "get")
        assert api.get("/health/ready/").status_code == 200
        assert _cache_operations(api, "get") == before + 1


def _cache_operations(api, operation: str) -> float:
    text = api.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    prefix = f'kinetix_cache_operation_duration_seconds_count{{operation="{operation}"}} '
    return next((float(line.removeprefix(prefix)) for line in text.splitlines() if line.startswith(prefix)), 0.0)
