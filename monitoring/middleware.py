"""Request logging: django-structlog's middleware, plus the fields and header Kinetix needs."""

import re
import time

import structlog
from django.http import HttpRequest, HttpResponse
from django_structlog.middlewares import RequestMiddleware

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_META = "HTTP_X_REQUEST_ID"
# An upstream id is trusted only in this shape, so a client cannot forge log lines or flood them.
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class RequestLogMiddleware(RequestMiddleware):
    """Bind request_id, method and path to every line of a request; echo the id; log status and duration."""

    def prepare(self, request: HttpRequest) -> None:
        upstream = request.META.get(REQUEST_ID_META)
        if upstream is not None and not VALID_REQUEST_ID.fullmatch(upstream):
            del request.META[REQUEST_ID_META]  # django-structlog then makes a fresh one
            request.__dict__.pop("headers", None)  # the cached view of META, if already built
        request._log_started_at = time.perf_counter()
        structlog.contextvars.bind_contextvars(method=request.method, path=request.path)
        super().prepare(request)

    def handle_response(self, request: HttpRequest, response: HttpResponse) -> None:
        context = structlog.contextvars.get_contextvars()
        if "request_id" in context:
            response[REQUEST_ID_HEADER] = context["request_id"]
        started_at = getattr(request, "_log_started_at", None)
        if started_at is not None:
            duration_ms = round((time.perf_counter() - started_at) * 1000, 1)
            structlog.contextvars.bind_contextvars(status=response.status_code, duration_ms=duration_ms)
        super().handle_response(request, response)
