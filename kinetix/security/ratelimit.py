"""Global rate limits and the login lock-out, on django-ratelimit's counters in the cache (Redis in production).

Every request outside the exempt paths spends from one general budget: per user when it carries a
valid access token or an admin session, else per client IP. Sign-in, sign-up, token refresh,
invitations and AI generation also spend from a tighter budget of their own. Failed sign-ins count
per account and per IP; past the limit that account or address is locked out until the window ends.
A request over any budget gets a JSON 429 with Retry-After. The counters are fixed windows
(django-ratelimit's), so a lock-out cools off by itself when its window closes.
"""

import ipaddress
import json
from dataclasses import dataclass

import structlog
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django_ratelimit.core import get_usage
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from kinetix.errors import error_body
from kinetix.security.client_ip import client_ip
from monitoring.cache import CACHE_ERRORS
from monitoring.metrics import RATE_LIMIT_CACHE_ERRORS, RATE_LIMITED

logger = structlog.get_logger(__name__)

# Probes and scrapers must always get through; Stripe's webhook is authenticated by its signature
# and must not lose events to a limit.
EXEMPT_PREFIXES = ("/health/", "/metrics", "/stripe/")
LOGIN_PATH = "/api/v1/auth/token/"


@dataclass(frozen=True)
class RateGroup:
    """A budget of its own for the POSTs to some paths, keyed per user (or IP when anonymous)."""

    name: str
    paths: tuple[str, ...]


TIGHT_GROUPS = (
    RateGroup(
        "auth", ("/api/v1/auth/token/", "/api/v1/auth/token/refresh/", "/api/v1/auth/register/", "/admin/login/")
    ),
    RateGroup("invitations", ("/api/v1/invitations/",)),
    RateGroup("ai-generation", ("/api/v1/ai/generate-plan/",)),
)


class RateLimited(Exception):
    """The request is over the budget of `group` (a lock-out is a budget of failed sign-ins)."""

    def __init__(self, group: str, retry_after: int, code: str = "rate_limited") -> None:
        super().__init__(group)
        self.group = group
        self.retry_after = retry_after
        self.code = code


def _token_user_id(request: HttpRequest) -> str | None:
    """The user id in a valid bearer access token; checked by signature and expiry, without the database."""
    scheme, _, raw = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None
    try:
        token = JWTAuthentication().get_validated_token(raw.strip().encode())
    except (InvalidToken, TokenError):
        return None  # the view answers 401; until then the request counts against its IP
    return str(token.get(jwt_settings.USER_ID_CLAIM))


def _ip_key(request: HttpRequest) -> str:
    address = client_ip(request)
    if ":" in address:  # one IPv6 subscriber holds a whole /64, and could rotate through it
        address = str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return f"ip:{address}"


def _identity(request: HttpRequest) -> str:
    user_id = _token_user_id(request)
    if user_id is None and request.user.is_authenticated:  # an admin session
        user_id = str(request.user.pk)
    return f"user:{user_id}" if user_id is not None else _ip_key(request)


def _login_account(request: HttpRequest) -> str | None:
    """The e-mail a sign-in attempt names, as the accounts app compares it (case-insensitively)."""
    try:
        body = json.loads(request.body)
    except (RequestDataTooBig, ValueError):
        return None  # the view refuses the body itself
    email = body.get("email") if isinstance(body, dict) else None
    return f"account:{email.strip().lower()}" if isinstance(email, str) and email.strip() else None


def _spend(request: HttpRequest, group: str, key: str, *, rate: str, increment: bool = True) -> dict | None:
    return get_usage(request, group=group, key=lambda _group, _request: key, rate=rate, increment=increment)


def _retry_after(usage: dict) -> int:
    # django-ratelimit's window still holds at its last second (time_left == 0): the next one opens after it.
    return usage["time_left"] + 1


def _check_budget(request: HttpRequest, group: str, key: str) -> None:
    usage = _spend(request, group, key, rate=settings.RATE_LIMITS[group])
    if usage is not None and usage["should_limit"]:
        raise RateLimited(group, _retry_after(usage))


def _check_lockout(request: HttpRequest, keys: dict[str, str]) -> None:
    for scope, key in keys.items():
        usage = _spend(request, f"login-failures-{scope}", key, rate=settings.LOGIN_LOCKOUT[scope], increment=False)
        if usage is not None and usage["count"] >= usage["limit"]:
            raise RateLimited(f"login-failures-{scope}", _retry_after(usage), code="login_locked")


def _count_login_failure(request: HttpRequest, keys: dict[str, str]) -> None:
    for scope, key in keys.items():
        _spend(request, f"login-failures-{scope}", key, rate=settings.LOGIN_LOCKOUT[scope])


def too_many_requests(exc: RateLimited) -> JsonResponse:
    if exc.code == "login_locked":
        message = f"Too many failed sign-ins; try again in {exc.retry_after} seconds."
    else:
        message = f"Too many requests; try again in {exc.retry_after} seconds."
    response = JsonResponse(error_body(exc.code, message), status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


def _cache_unavailable(exc: Exception) -> None:
    # A limit we cannot count must not take the API down with the cache: let it through, loudly.
    RATE_LIMIT_CACHE_ERRORS.inc()
    logger.error("rate_limit_cache_unavailable", error=str(exc), error_type=type(exc).__name__)


class RateLimitMiddleware:
    """Answer 429 to a request over its budgets; keep serving, unlimited, while the cache is down."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(EXEMPT_PREFIXES):
            return self.get_response(request)
        login_keys: dict[str, str] = {}
        try:
            identity = _identity(request)
            if request.method == "POST":
                if request.path_info == LOGIN_PATH:
                    account = _login_account(request)
                    login_keys = {"ip": _ip_key(request), **({"account": account} if account else {})}
                    _check_lockout(request, login_keys)
                for group in TIGHT_GROUPS:
                    if request.path_info in group.paths:
                        _check_budget(request, group.name, identity)
            _check_budget(request, "user" if identity.startswith("user:") else "anonymous", identity)
        except RateLimited as exc:
            RATE_LIMITED.labels(group=exc.group).inc()
            logger.warning("rate_limited", group=exc.group, retry_after=exc.retry_after)
            return too_many_requests(exc)
        except CACHE_ERRORS as exc:
            _cache_unavailable(exc)
            return self.get_response(request)

        response = self.get_response(request)
        if login_keys and response.status_code == 401:
            try:
                _count_login_failure(request, login_keys)
            except CACHE_ERRORS as exc:
                _cache_unavailable(exc)
        return response
