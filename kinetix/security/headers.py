"""Response headers that Django's SecurityMiddleware does not set, and a CSP per kind of page.

The API answers JSON, so its policy allows nothing at all. Only the admin and the Swagger UI page
load scripts, styles and images, each from our own static files.
"""

import base64
import hashlib
import re
from functools import cache

from csp.constants import NONE, SELF
from csp.middleware import CSPMiddleware, PolicyParts
from django.http import HttpRequest, HttpResponse
from django.template.loader import get_template

SWAGGER_UI_TEMPLATE = "drf_spectacular/swagger_ui.html"

# Browser features no page of ours uses; the API and admin never ask for them.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
)


class SecurityHeadersMiddleware:
    """Add Cross-Origin-Resource-Policy and Permissions-Policy to every response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # No other site embeds our responses; CORS requests from allowed web apps are not affected.
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


@cache
def swagger_ui_style_hash() -> str:
    """Return the CSP hash source of the inline <style> block in drf-spectacular's Swagger UI page."""
    source = get_template(SWAGGER_UI_TEMPLATE).template.source
    style = re.search(r"<style>(.*?)</style>", source, re.DOTALL)
    if style is None:
        raise RuntimeError(f"{SWAGGER_UI_TEMPLATE} no longer has an inline <style>; update docs_policy()")
    digest = hashlib.sha256(style.group(1).encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def admin_policy() -> dict[str, list[str]]:
    """Django's admin: its own scripts, styles and icons; forms and autocomplete go to itself."""
    return {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
    }


def docs_policy() -> dict[str, list[str]]:
    """Swagger UI from drf-spectacular-sidecar: bundle and init script from static and /api/docs/?script=."""
    return {
        "default-src": [NONE],
        "script-src": [SELF],
        # The page's one inline <style> block by its hash, no 'unsafe-inline'.
        "style-src": [SELF, swagger_ui_style_hash()],
        # swagger-ui.css draws its icons as data: SVGs.
        "img-src": [SELF, "data:"],
        # The schema and "Try it out" requests.
        "connect-src": [SELF],
        "form-action": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
    }


class PageCSPMiddleware(CSPMiddleware):
    """django-csp's middleware with the admin's and the docs page's policies on their paths.

    Everything else gets CONTENT_SECURITY_POLICY from settings, which allows nothing.
    """

    def get_policy_parts(self, request: HttpRequest, response: HttpResponse, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if report_only or parts.config is not None:
            return parts
        if request.path_info.startswith("/admin/"):
            parts.config = admin_policy()
        elif request.path_info == "/api/docs/":
            parts.config = docs_policy()
        return parts
