import base64
import hashlib
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

PAGES = {"api": "/api/v1/me/", "admin": "/admin/login/", "docs": "/api/docs/"}


def fetch(path: str, host: str, **headers):
    return APIClient().get(path, secure=True, HTTP_HOST=host, HTTP_ACCEPT="text/html,*/*;q=0.8", **headers)


def csp(response) -> dict[str, list[str]]:
    directives = {}
    for directive in response["Content-Security-Policy"].split(";"):
        name, *sources = directive.split()
        directives[name] = sources
    return directives


@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_every_page_sends_the_security_headers(production_https, path):
    response = fetch(path, production_https)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert csp(response)["default-src"] == ["'none'"]
    assert csp(response)["frame-ancestors"] == ["'none'"]


def test_plain_http_redirects_to_https(production_https):
    response = APIClient().get("/api/v1/me/", HTTP_HOST=production_https)

    assert response.status_code == 301
    assert response["Location"] == f"https://{production_https}/api/v1/me/"


def test_api_policy_allows_nothing(production_https):
    policy = csp(fetch("/api/v1/me/", production_https))

    assert "script-src" not in policy
    assert "style-src" not in policy


def test_admin_policy_allows_only_its_own_static_files(production_https):
    policy = csp(fetch("/admin/login/", production_https))

    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]


def test_docs_policy_allows_its_inline_style_by_hash_and_no_inline_script(production_https):
    response = fetch("/api/docs/", production_https)
    policy = csp(response)
    html = response.content.decode()

    assert policy["script-src"] == ["'self'"]
    assert next(source for source in policy["style-src"] if source != "'self'").startswith("'sha256-")
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "<script>" not in html  # the init script comes from /api/docs/?script=
    script = APIClient().get("/api/docs/", {"script": ""}, secure=True, HTTP_HOST=production_https)
    assert script.status_code == 200
    assert b"SwaggerUIBundle" in script.content


def test_docs_style_hash_matches_the_style_the_page_sends(production_https):
    response = fetch("/api/docs/", production_https)
    style = re.search(r"<style>(.*?)</style>", response.content.decode(), re.DOTALL).group(1)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()

    assert f"'sha256-{digest}'" in csp(response)["style-src"]


# CORS ------------------------------------------------------------------------------------------

WEB_APP = "https://app.example.com"


def preflight(origin: str):
    return APIClient().options(
        "/api/v1/me/",
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
    )


def test_cors_allows_a_configured_origin_without_credentials(settings):
    settings.CORS_ALLOWED_ORIGINS = [WEB_APP]

    response = preflight(WEB_APP)

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == WEB_APP
    assert "authorization" in response["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in response


def test_cors_ignores_other_origins(settings):
    settings.CORS_ALLOWED_ORIGINS = [WEB_APP]

    response = preflight("https://evil.example.net")

    assert "Access-Control-Allow-Origin" not in response


def test_cors_sends_credentials_only_when_configured(settings):
    settings.CORS_ALLOWED_ORIGINS = [WEB_APP]
    settings.CORS_ALLOW_CREDENTIALS = True

    response = APIClient().get("/api/v1/me/", HTTP_ORIGIN=WEB_APP)

    assert response["Access-Control-Allow-Origin"] == WEB_APP
    assert response["Access-Control-Allow-Credentials"] == "true"


def test_cors_is_off_by_default():
    assert django_settings.CORS_ALLOWED_ORIGINS == []
    assert "Access-Control-Allow-Origin" not in preflight(WEB_APP)


def test_cors_stays_off_the_admin(settings):
    settings.CORS_ALLOWED_ORIGINS = [WEB_APP]

    response = APIClient().get("/admin/login/", HTTP_ORIGIN=WEB_APP)

    assert "Access-Control-Allow-Origin" not in response


def test_allow_all_origins_with_credentials_refuses_to_start():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kinetix.settings",
        "DJANGO_SECRET_KEY": "x" * 50,
        "CORS_ALLOW_ALL_ORIGINS": "True",
        "CORS_ALLOW_CREDENTIALS": "True",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True, check=False
    )

    assert result.returncode != 0
    assert "CORS_ALLOW_ALL_ORIGINS with CORS_ALLOW_CREDENTIALS" in result.stderr
