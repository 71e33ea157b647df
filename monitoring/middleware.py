"""Request logging: django-structlog's middleware, plus the fields, header and slow-request line Kinetix needs."""

import re
import time

import sentry_sdk
import structlog
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django_structlog.middlewares import RequestMiddleware

from kinetix.security.client_ip import client_ip

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_META = "HTTP_X_REQUEST_ID"
# An upstream id is trusted only in this shape, so a client cannot forge log lines or flood them.
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

logger = structlog.get_logger(__name__)


class RequestLogMiddleware(RequestMiddleware):
    """Bind request_id, method and path to every line of a request; echo the id; log status and duration.

    A request slower than SLOW_REQUEST_MS also logs `slow_request` at warning.
    """

    def prepare(self, request: HttpRequest) -> None:
        upstream = request.META.get(REQUEST_ID_META)
        if upstream is not None and not VALID_REQUEST_ID.fullmatch(upstream):
            del request.META[REQUEST_ID_META]  # django-structlog then makes a fresh one
            request.__dict__.pop("headers", None)  # the cached view of META, if already built
        request._log_started_at = time.perf_counter()
        structlog.contextvars.bind_contextvars(method=request.method, path=request.path)
        super().prepare(request)
        if sentry_sdk.get_client().is_active():
            # The request's Sentry scope, so its error and its transaction, carries the id as a tag.
            sentry_sdk.set_tag("request_id", structlog.contextvars.get_contextvars().get("request_id"))

    @classmethod
    def bind_ip(cls, request: HttpRequest) -> None:
        # The project's one client-IP reading (TRUSTED_PROXY_COUNT), not ipware's guess from any header.
        structlog.contextvars.bind_contextvars(ip=client_ip(request))

    def handle_response(self, request: HttpRequest, response: HttpResponse) -> None:
        context = structlog.contextvars.get_contextvars()
        if "request_id" in context:
            response[REQUEST_ID_HEADER] = context["request_id"]
        started_at = getattr(request, "_log_started_at", None)
        if started_at is not None:
            duration_ms = round((time.perf_counter() - started_at) * 1000, 1)
            structlog.contextvars.bind_contextvars(status=response.status_code, duration_ms=duration_ms)
            if duration_ms >= settings.SLOW_REQUEST_MS:
                logger.warning("slow_request", threshold_ms=settings.SLOW_REQUEST_MS)
        super().handle_response(request, response)
