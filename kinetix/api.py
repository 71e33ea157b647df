"""Version 1 of the HTTP API: every route under /api/v1/."""

from django.urls import include, path

urlpatterns = [
    path("", include("kinetix.accounts.urls")),
    path("", include("kinetix.coaching.urls")),
    path("", include("billing.urls")),
    path("", include("notifications.urls")),
    path("", include("aiplans.urls")),
]
