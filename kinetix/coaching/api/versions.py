"""WeeklyPlan document versions at the API's edge (docs/API.md "Versions").

A view that reads or writes plan documents answers in the version the client asks for with
`?schema_version=` (the latest by default), and tells a client that still uses a deprecated version so,
with the Deprecation (RFC 9745), Sunset (RFC 8594) and Link headers of docs/MIGRATIONS.md's policy.
"""

import datetime
from dataclasses import dataclass
from typing import Any

from django.utils.http import http_date
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.request import Request
from rest_framework.response import Response

from kinetix.coaching.plan_document import SCHEMA_VERSION, SUPPORTED_VERSIONS, UNVERSIONED
from kinetix.errors import ApplicationError, FieldError

PARAMETER = "schema_version"


@dataclass(frozen=True)
class Deprecation:
    since: datetime.datetime
    sunset: datetime.datetime
    link: str

    def announce(self, response: Response) -> None:
        response["Deprecation"] = f"@{int(self.since.timestamp())}"
        response["Sunset"] = http_date(self.sunset.timestamp())
        response["Link"] = f'<{self.link}>; rel="deprecation"; type="text/html"'


# Version 1 was deprecated when version 2 shipped; the policy gives a version at least six months.
DEPRECATED_VERSIONS = {
    1: Deprecation(
        since=datetime.datetime(2026, 11, 28, tzinfo=datetime.UTC),
        sunset=datetime.datetime(2027, 6, 1, tzinfo=datetime.UTC),
        link="/api/docs/",
    ),
}

SCHEMA_VERSION_PARAMETER = OpenApiParameter(
    PARAMETER,
    int,
    enum=list(SUPPORTED_VERSIONS),
    description=f"The WeeklyPlan document version to answer in; default {SCHEMA_VERSION}, the latest. "
    "Documents sent may be of any supported version.",
)


def requested_version(request: Request) -> int:
    """The document version the client asks for, or a 400 naming the versions there are."""
    raw = request.query_params.get(PARAMETER)
    if raw is None:
        return SCHEMA_VERSION
    if raw.isdecimal() and int(raw) in SUPPORTED_VERSIONS:
        return int(raw)
    supported = ", ".join(map(str, SUPPORTED_VERSIONS))
    message = f"{PARAMETER} must be one of {supported}."
    raise ApplicationError(
        "unsupported_schema_version", message, errors=[FieldError(PARAMETER, "unsupported_schema_version", message)]
    )


def _sent_version(request: Request) -> int | None:
    """The version of the document the request carried, if it carried one."""
    try:
        # Parsed here first when the view stopped before reading the body (a 404, say).
        data = request.data if request.method in ("POST", "PUT") else None
    except (ParseError, UnsupportedMediaType):
        return None
    document = data.get("document", data) if isinstance(data, dict) else None
    if not isinstance(document, dict) or "days" not in document:
        return None
    version = document.get("schema_version", UNVERSIONED)
    return version if isinstance(version, int) else None


class DocumentVersionSchema(AutoSchema):
    def get_override_parameters(self) -> list:
        return [*super().get_override_parameters(), SCHEMA_VERSION_PARAMETER]


class DocumentVersioned:
    """For APIViews whose answers hold plan documents; `request.schema_version` is the version to render."""

    schema = DocumentVersionSchema()

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        request.schema_version = requested_version(request)

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        used = {getattr(request, "schema_version", SCHEMA_VERSION), _sent_version(request)}
        deprecated = [DEPRECATED_VERSIONS[version] for version in used if version in DEPRECATED_VERSIONS]
        if deprecated:
            min(deprecated, key=lambda d: d.sunset).announce(response)
        return response
