"""The project's one exception type and the JSON shape of every API error.

Every error answer reads `{"code": ..., "message": ..., "errors": [{"path", "code", "message"}]}`:
`code` is stable and machine-readable, `errors` lists each invalid field by its dotted
path and is empty when no field is to blame. Paths inside a WeeklyPlan document are
relative to the document (`days.0.exercises.2.sets`).
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


@dataclass(frozen=True)
class FieldError:
    path: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "code": self.code, "message": self.message}


class ApplicationError(Exception):
    """A business rule refused the request; `code` tells clients which one."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status_code: int = status.HTTP_400_BAD_REQUEST,
        errors: list[FieldError] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status_code = status_code
        self.errors = errors or []
        self.extra = extra or {}


class NotFoundError(ApplicationError):
    """The object does not exist or lies outside the requesting user's reach."""

    def __init__(self, what: str = "Object") -> None:
        super().__init__("not_found", f"{what} not found.", status_code=status.HTTP_404_NOT_FOUND)


def error_body(code: str, message: str, errors: list[FieldError] = (), **extra: Any) -> dict:
    return {"code": code, "message": message, "errors": [e.as_dict() for e in errors], **extra}


def _validation_errors(detail: Any, path: tuple[str, ...] = ()) -> Iterator[FieldError]:
    if isinstance(detail, dict):
        for key, value in detail.items():
            segment = () if key in ("non_field_errors", "__all__") else (str(key),)
            yield from _validation_errors(value, path + segment)
    elif isinstance(detail, list):
        for index, item in enumerate(detail):
            if isinstance(item, dict | list):
                yield from _validation_errors(item, (*path, str(index)))
            else:
                yield from _validation_errors(item, path)
    else:
        code = getattr(detail, "code", None) or "invalid"
        yield FieldError(".".join(path), code, str(detail))


_DRF_CODES = {
    exceptions.NotFound: "not_found",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.ParseError: "parse_error",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.Throttled: "throttled",
}


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """Render every API exception in the one error shape."""
    if isinstance(exc, ApplicationError):
        body = error_body(exc.code, exc.message, exc.errors, **exc.extra)
        return Response(body, status=exc.status_code)
    # Django's own request limits (DATA_UPLOAD_MAX_MEMORY_SIZE, DATA_UPLOAD_MAX_NUMBER_FIELDS), hit while parsing.
    if isinstance(exc, RequestDataTooBig):
        return Response(error_body("request_too_large", "The request body is too large."), status=413)
    if isinstance(exc, TooManyFieldsSent):
        return Response(error_body("too_many_fields", "The request has too many fields."), status=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = list(_validation_errors(exc.detail))
        response.data = error_body("invalid", "The request has invalid fields.", errors)
        return response
    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), None)
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    if isinstance(detail, dict):  # simplejwt's token errors carry their own code
        code = str(detail.get("code", code or "error"))
        message = str(detail.get("detail", ""))
    else:
        code = code or getattr(detail, "code", None) or "error"
        message = str(detail)
    response.data = error_body(code, message)
    return response


@csrf_exempt  # a POST to an unknown route deserves the JSON 404, not a CSRF page
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Answer an unknown /api/ route with JSON, pointing at the slash-terminated route if it exists."""
    message = "No API route matches this path."
    if not request.path.endswith("/"):
        try:
            if resolve(request.path + "/").func is not api_not_found:
                message = f"No API route matches this path; did you mean {request.path}/ ?"
        except Resolver404:
            pass
    return JsonResponse(error_body("not_found", message), status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """Answer a crash with JSON under /api/ and Django's plain page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("server_error", "Internal server error."), status=500)
    return defaults.server_error(request)
