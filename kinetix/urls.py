from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from kinetix.errors import api_not_found

admin.site.site_header = "Kinetix"
admin.site.site_title = "Kinetix admin"
admin.site.index_title = "Your coaching workspace"

urlpatterns = [
    path("api/v1/", include("kinetix.api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its init script from /api/docs/?script=, so the CSP needs no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    # Unknown /api/ routes answer JSON, never an HTML error page.
    re_path(r"^api/", api_not_found),
    path("admin/", admin.site.urls),
    # Stripe posts signed events to dj-stripe's view: stripe/webhook/<uuid>/ (docs/BILLING.md).
    path("stripe/", include("djstripe.urls", namespace="djstripe")),
    # Operational endpoints live outside /api/: probes and scrapers, not API clients.
    path("", include("monitoring.urls")),
]

handler500 = "kinetix.errors.server_error"
