import pytest
from django.core.cache import caches
from prometheus_client import REGISTRY
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories import PASSWORD, TrainerFactory

pytestmark = pytest.mark.django_db

HIGH = "1000/d"


class Clock:
    """django-ratelimit's clock, which the test moves: windows never roll over by accident mid-test."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr("django_ratelimit.core.time", clock)
    return clock


@pytest.fixture
def limits(settings, clock):
    """Turn the rate limits on, every budget high; a test lowers the ones it exercises."""
    settings.RATELIMIT_ENABLE = True
    settings.RATE_LIMITS = dict.fromkeys(settings.RATE_LIMITS, HIGH)
    settings.LOGIN_LOCKOUT = dict.fromkeys(settings.LOGIN_LOCKOUT, HIGH)
    return settings


def from_ip(ip: str, user=None, **headers) -> APIClient:
    client = APIClient(REMOTE_ADDR=ip, **headers)
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


def assert_429(response, code: str = "rate_limited") -> int:
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == code
    assert body["errors"] == []
    retry_after = int(response["Retry-After"])
    assert retry_after >= 1
    assert str(retry_after) in body["message"]
    return retry_after


def test_anonymous_budget_is_per_client_ip(limits):
    limits.RATE_LIMITS["anonymous"] = "3/h"
    client = from_ip("203.0.113.1")

    statuses = [client.get("/api/v1/exercises/").status_code for _ in range(3)]

    assert statuses == [401, 401, 401]
    retry_after = assert_429(client.get("/api/v1/exercises/"))
    assert retry_after <= 3600
    assert from_ip("203.0.113.2").get("/api/v1/exercises/").status_code == 401


def test_signed_in_budget_is_per_user_not_per_ip(limits, trainer, other_trainer):
    limits.RATE_LIMITS["user"] = "3/h"
    client = from_ip("203.0.113.1", trainer)

    assert [client.get("/api/v1/me/").status_code for _ in range(3)] == [200, 200, 200]
    assert_429(client.get("/api/v1/me/"))
    assert_429(from_ip("198.51.100.7", trainer).get("/api/v1/me/"))  # another address, same user
    assert from_ip("203.0.113.1", other_trainer).get("/api/v1/me/").status_code == 200


def test_the_budget_window_reopens(limits, clock):
    limits.RATE_LIMITS["anonymous"] = "1/m"
    client = from_ip("203.0.113.1")
    client.get("/api/v1/me/")
    retry_after = assert_429(client.get("/api/v1/me/"))

    clock.now += retry_after

    assert client.get("/api/v1/me/").status_code == 401


def test_spoofed_forwarded_for_does_not_escape_the_limit(limits):
    limits.TRUSTED_PROXY_COUNT = 1
    limits.RATE_LIMITS["anonymous"] = "3/h"

    def through_proxy(spoofed: str):
        # The proxy (10.0.0.1) appends the address it saw; the client wrote everything before it.
        client = from_ip("10.0.0.1", HTTP_X_FORWARDED_FOR=f"{spoofed}, 203.0.113.9")
        return client.get("/api/v1/me/")

    assert [through_proxy(f"192.0.2.{n}").status_code for n in range(3)] == [401, 401, 401]
    assert_429(through_proxy("192.0.2.200"))
    other = from_ip("10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.10").get("/api/v1/me/")
    assert other.status_code == 401


def test_ipv6_clients_share_a_budget_per_64_block(limits):
    limits.RATE_LIMITS["anonymous"] = "2/h"
    from_ip("2001:db8:1:2::1").get("/api/v1/me/")
    from_ip("2001:db8:1:2::2").get("/api/v1/me/")

    assert_429(from_ip("2001:db8:1:2:ffff::9").get("/api/v1/me/"))
    assert from_ip("2001:db8:1:3::1").get("/api/v1/me/").status_code == 401


def test_forwarded_for_is_ignored_without_trusted_proxies(limits):
    limits.RATE_LIMITS["anonymous"] = "2/h"
    for n in range(2):
        from_ip("203.0.113.1", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").get("/api/v1/me/")

    assert_429(from_ip("203.0.113.1", HTTP_X_FORWARDED_FOR="192.0.2.99").get("/api/v1/me/"))


@pytest.mark.parametrize("path", ["/api/v1/auth/token/", "/api/v1/auth/token/refresh/", "/api/v1/auth/register/"])
def test_sign_in_sign_up_and_refresh_have_a_tight_budget_per_ip(limits, path):
    limits.RATE_LIMITS["auth"] = "2/h"
    client = from_ip("203.0.113.1")

    for _ in range(2):
        assert client.post(path, {}, format="json").status_code == 400
    assert_429(client.post(path, {}, format="json"))
    assert client.get("/api/v1/me/").status_code == 401  # other routes keep the general budget
    assert from_ip("203.0.113.2").post(path, {}, format="json").status_code == 400


def test_invitations_have_a_budget_per_trainer(limits, trainer, other_trainer):
    limits.RATE_LIMITS["invitations"] = "2/h"
    client = from_ip("203.0.113.1", trainer)

    for n in range(2):
        assert client.post("/api/v1/invitations/", {"email": f"c{n}@example.com"}, format="json").status_code == 201
    assert_429(client.post("/api/v1/invitations/", {"email": "c9@example.com"}, format="json"))
    assert client.get("/api/v1/invitations/").status_code == 200
    invite = from_ip("203.0.113.1", other_trainer).post("/api/v1/invitations/", {"email": "x@example.com"})
    assert invite.status_code == 201


def test_ai_generation_has_a_budget_per_user(limits, trainer):
    limits.RATE_LIMITS["ai-generation"] = "1/h"
    client = from_ip("203.0.113.1", trainer)

    assert client.post("/api/v1/ai/generate-plan/", {}, format="json").status_code != 429
    assert_429(client.post("/api/v1/ai/generate-plan/", {}, format="json"))


@pytest.mark.parametrize("path", ["/health/live/", "/metrics", "/stripe/webhook/"])
def test_probes_metrics_and_stripe_webhook_are_exempt(limits, path):
    limits.RATE_LIMITS["anonymous"] = "1/h"
    client = from_ip("203.0.113.1")
    client.get("/api/v1/me/")
    assert_429(client.get("/api/v1/me/"))

    assert client.get(path).status_code != 429
    assert client.post(path, {}, format="json").status_code != 429


def test_limited_answers_are_logged_and_counted(limits, log_lines):
    limits.RATE_LIMITS["anonymous"] = "1/h"
    before = REGISTRY.get_sample_value("kinetix_rate_limited_total", {"group": "anonymous"}) or 0
    client = from_ip("203.0.113.1")
    client.get("/api/v1/me/")

    client.get("/api/v1/me/")

    assert REGISTRY.get_sample_value("kinetix_rate_limited_total", {"group": "anonymous"}) == before + 1
    [line] = [line for line in log_lines() if line["event"] == "rate_limited"]
    assert line["group"] == "anonymous"
    assert line["ip"] == "203.0.113.1"


def test_cache_down_fails_open_logged_and_counted(limits, log_lines):
    limits.RATE_LIMITS["anonymous"] = "1/h"
    limits.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    before = REGISTRY.get_sample_value("kinetix_rate_limit_cache_errors_total") or 0
    client = from_ip("203.0.113.1")

    statuses = [client.get("/api/v1/me/").status_code for _ in range(3)]

    assert statuses == [401, 401, 401]
    assert REGISTRY.get_sample_value("kinetix_rate_limit_cache_errors_total") == before + 3
    assert any(line["event"] == "rate_limit_cache_unavailable" for line in log_lines())
    caches["default"].close()


def test_request_logs_carry_the_resolved_client_ip(settings, log_lines):
    settings.TRUSTED_PROXY_COUNT = 1

    from_ip("10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.66, 203.0.113.9").get("/health/live/")

    started = [line for line in log_lines() if line["event"] == "request_started"]
    assert [line["ip"] for line in started] == ["203.0.113.9"]


# Sign-in lock-out ------------------------------------------------------------------------------


def sign_in(email: str, password: str, ip: str = "203.0.113.1"):
    return from_ip(ip).post("/api/v1/auth/token/", {"email": email, "password": password}, format="json")


def test_failed_sign_ins_lock_the_account_out_until_the_cool_off(limits, clock):
    limits.LOGIN_LOCKOUT["account"] = "3/15m"
    user = TrainerFactory(email="coach@example.com")

    assert [sign_in(user.email, "wrong").status_code for _ in range(3)] == [401, 401, 401]
    retry_after = assert_429(sign_in(user.email, PASSWORD), code="login_locked")
    assert retry_after <= 15 * 60
    # The lock-out follows the account across addresses and letter case.
    assert_429(sign_in("COACH@example.com", PASSWORD, ip="198.51.100.7"), code="login_locked")

    clock.now += retry_after

    assert sign_in(user.email, PASSWORD).status_code == 200


def test_a_locked_account_leaves_other_accounts_alone(limits):
    limits.LOGIN_LOCKOUT["account"] = "2/15m"
    locked = TrainerFactory()
    other = TrainerFactory()
    for _ in range(2):
        sign_in(locked.email, "wrong")

    assert_429(sign_in(locked.email, PASSWORD), code="login_locked")
    assert sign_in(other.email, PASSWORD).status_code == 200


def test_failed_sign_ins_from_one_ip_lock_that_ip_out(limits):
    limits.LOGIN_LOCKOUT["ip"] = "3/15m"
    user = TrainerFactory()
    for n in range(3):
        assert sign_in(f"guess{n}@example.com", "wrong").status_code == 401

    assert_429(sign_in(user.email, PASSWORD), code="login_locked")
    assert sign_in(user.email, PASSWORD, ip="198.51.100.7").status_code == 200


def test_successful_sign_ins_do_not_count_towards_a_lock_out(limits):
    limits.LOGIN_LOCKOUT["account"] = "2/15m"
    user = TrainerFactory()

    assert [sign_in(user.email, PASSWORD).status_code for _ in range(4)] == [200] * 4
