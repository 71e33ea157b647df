import re

import pytest
import yaml
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.validation import validate_schema
from rest_framework.permissions import AllowAny
from rest_framework.test import APIClient
from rest_framework.views import APIView

pytestmark = pytest.mark.django_db

ERROR_KEYS = {"code", "message", "errors"}


def api_routes() -> dict[str, type[APIView]]:
    """Return every DRF view under /api/v1/ by its route, written as an OpenAPI path template."""
    routes: dict[str, type[APIView]] = {}

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + _template(pattern))
            elif isinstance(pattern, URLPattern):
                route = "/" + prefix + _template(pattern)
                view = getattr(pattern.callback, "cls", None)
                if route.startswith("/api/v1/") and view is not None and issubclass(view, APIView):
                    routes[route] = view

    walk(get_resolver().url_patterns, "")
    return routes


def view_methods(view: type[APIView]) -> set[str]:
    return {method for method in view.http_method_names if method not in ("options", "head") and hasattr(view, method)}


def needs_token(view: type[APIView]) -> bool:
    return bool(view.permission_classes) and AllowAny not in view.permission_classes


def _template(pattern: URLPattern | URLResolver) -> str:
    text = str(pattern.pattern).lstrip("^").rstrip("$")
    text = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", text)  # path("<int:plan_id>/")
    return re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", text)  # re_path("(?P<slug>...)/")


@pytest.fixture
def schema(api) -> dict:
    response = api.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


# Error shape -----------------------------------------------------------------------------------


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_unknown_api_route_is_json_404(settings, debug, method):
    settings.DEBUG = debug
    # A mobile app sends no CSRF cookie; an unknown route must still answer JSON, not Django's CSRF page.
    client = APIClient(enforce_csrf_checks=True)

    response = getattr(client, method)("/api/v1/nope/", {"a": 1}, format="json")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == "not_found"
    assert body["message"]
    assert body["errors"] == []
    assert set(body) == ERROR_KEYS


@pytest.mark.parametrize("path", ["/api/", "/api/v2/me/", "/api/v1/exercises/squat/extra/"])
def test_any_unknown_path_under_api_is_json_404(api, path):
    response = api.get(path)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
@pytest.mark.parametrize("method", ["get", "patch"])
def test_route_without_trailing_slash_suggests_the_slash_route(settings, api_as, trainer, debug, method):
    settings.DEBUG = debug

    response = getattr(api_as(trainer), method)("/api/v1/me", {"locale": "en"}, format="json")

    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "not_found"
    assert "/api/v1/me/" in body["message"]


def test_unknown_route_without_slash_suggests_nothing(api):
    body = api.get("/api/v1/nope").json()

    assert body["code"] == "not_found"
    assert "/api/v1/nope/" not in body["message"]


def test_malformed_json_body_is_400_parse_error(api):
    response = api.post("/api/v1/auth/register/", '{"email": "a@example.com", ', content_type="application/json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "parse_error"
    assert body["message"]
    assert body["errors"] == []


def test_malformed_json_on_authenticated_route_is_400_parse_error(api_as, trainer):
    response = api_as(trainer).patch("/api/v1/me/", "{locale: en}", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_non_json_body_is_415_json(api_as, trainer):
    response = api_as(trainer).post("/api/v1/invitations/", {"email": "x@example.com"}, format="multipart")

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


@pytest.mark.parametrize(
    ("method", "path", "authenticated"),
    [
        ("delete", "/api/v1/me/", True),
        ("put", "/api/v1/exercises/", True),
        ("get", "/api/v1/auth/register/", False),
        ("get", "/api/v1/auth/token/", False),
    ],
)
def test_wrong_method_is_405_json(api, api_as, trainer, method, path, authenticated):
    client = api_as(trainer) if authenticated else api

    response = getattr(client, method)(path)

    assert response.status_code == 405
    body = response.json()
    assert body["code"] == "method_not_allowed"
    assert body["errors"] == []
    assert method.upper() in body["message"]


def test_crash_under_api_answers_json_500(api_as, trainer, monkeypatch):
    def crash(user):
        raise RuntimeError("boom")

    monkeypatch.setattr("kinetix.accounts.api.profile_data", crash)
    client = api_as(trainer)
    client.raise_request_exception = False

    response = client.get("/api/v1/me/")

    assert response.status_code == 500
    assert response.json() == {"code": "server_error", "message": "Internal server error.", "errors": []}
    assert "boom" not in response.content.decode()


def test_validation_errors_list_each_field_path(api_as, trainer):
    response = api_as(trainer).post(
        "/api/v1/exercises/", {"name": "", "equipment": "rock", "primary_muscles": ["chest", "wings"]}, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert {error["path"] for error in body["errors"]} == {"name", "equipment", "primary_muscles.1"}
    assert all(set(error) == {"path", "code", "message"} for error in body["errors"])


# OpenAPI schema and Swagger UI -----------------------------------------------------------------


def test_schema_answers_openapi_3_as_yaml_by_default(api):
    response = api.get("/api/schema/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    document = yaml.safe_load(response.content)
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "Kinetix API"


def test_schema_is_valid_openapi(schema):
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)


def test_schema_documents_every_api_route_and_method(schema):
    routes = api_routes()
    assert {"/api/v1/me/", "/api/v1/exercises/{slug_or_id}/", "/api/v1/invitations/{invitation_id}/"} <= set(routes)

    missing = {
        f"{method.upper()} {route}"
        for route, view in routes.items()
        for method in view_methods(view)
        if method not in schema["paths"].get(route, {})
    }
    assert missing == set()


def test_every_operation_documents_its_error_answers(schema):
    error_ref = {"$ref": "#/components/schemas/Error"}
    assert set(schema["components"]["schemas"]["Error"]["required"]) == ERROR_KEYS
    problems = []
    for route, view in api_routes().items():
        for method in view_methods(view):
            operation = schema["paths"][route][method]
            expected = {"401"} if needs_token(view) else set()
            if method in ("post", "put", "patch"):
                expected.add("400")
            if "{" in route:
                expected.add("404")
            for code in sorted(expected):
                answer = operation["responses"].get(code)
                if answer is None or answer["content"]["application/json"]["schema"] != error_ref:
                    problems.append(f"{method.upper()} {route} {code}")
    assert problems == []


def test_operations_declare_bearer_auth_exactly_when_a_token_is_needed(schema):
    assert schema["components"]["securitySchemes"]["jwtAuth"]["scheme"] == "bearer"
    wrong = []
    for route, view in api_routes().items():
        for method in view_methods(view):
            security = schema["paths"][route][method].get("security", [{}])
            if needs_token(view) != ({} not in security):
                wrong.append(f"{method.upper()} {route}")
    assert wrong == []
    assert schema["paths"]["/api/v1/me/"]["get"]["security"] == [{"jwtAuth": []}]


def test_paginated_lists_are_documented_as_pages(schema):
    for path in ("/api/v1/exercises/", "/api/v1/invitations/"):
        reference = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        page = schema["components"]["schemas"][reference.rsplit("/", 1)[1]]
        assert {"count", "next", "previous", "results"} <= set(page["properties"]), path


@pytest.fixture
def collected_static(settings, tmp_path):
    """Collect static files the way a production build does (hashed names, a manifest)."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", verbosity=0)
    return tmp_path


def test_swagger_ui_is_served_from_our_own_static_files(collected_static):
    api = APIClient()
    response = api.get("/api/docs/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    # The page loads its init script, which points Swagger UI at the schema, from /api/docs/?script=.
    assert '<script src="/api/docs/?script="></script>' in html
    assert "/api/schema/" in api.get("/api/docs/", {"script": ""}).content.decode()
    assert not re.search(r"cdn\.jsdelivr|unpkg\.com|cdnjs|https?://", html)
    assets = re.findall(r"""(?:src|href)=["']([^"']+\.(?:js|css|png))["']""", html)
    assert any("swagger-ui-bundle" in asset for asset in assets), assets
    for asset in assets:
        assert asset.startswith("/static/drf_spectacular_sidecar/"), asset
        served = api.get(asset)
        assert served.status_code == 200, asset
        assert b"".join(served.streaming_content), asset
