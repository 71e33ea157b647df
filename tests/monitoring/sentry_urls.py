"""Kinetix's routes plus one view that crashes, for the Sentry tests (ROOT_URLCONF)."""

import json

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from kinetix.urls import handler500
from kinetix.urls import urlpatterns as kinetix_urlpatterns

__all__ = ["handler500", "urlpatterns"]


@csrf_exempt
def crash(request: HttpRequest) -> HttpResponse:
    # Locals go to Sentry with the stack frame: a careless view holding credentials.
    sign_in = json.loads(request.body)
    bearer = request.headers["Authorization"]
    raise RuntimeError(f"sign-in of user {sign_in['user_id']} failed with {bearer}")


urlpatterns = [path("crash/", crash), *kinetix_urlpatterns]
