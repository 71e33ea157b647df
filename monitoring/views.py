"""Operational endpoints: liveness, readiness, metrics. Outside /api/ and its JWT authentication."""

from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.views.decorators.cache import never_cache
from django_prometheus.exports import ExportToDjangoView
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from monitoring.health import readiness
from monitoring.metrics import scrape_token_valid


class OperationalView(APIView):
    # Probes carry no credentials and must never be throttled or asked for a token.
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []


@extend_schema(exclude=True)
class LiveView(OperationalView):
    def get(self, request: Request) -> Response:
        return Response({"status": "ok"})


@extend_schema(exclude=True)
class ReadyView(OperationalView):
    def get(self, request: Request) -> Response:
        ready, checks = readiness()
        return Response({"status": "ok" if ready else "failed", "checks": checks}, status=200 if ready else 503)


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Serve Prometheus metrics to a scraper holding METRICS_TOKEN; to anyone else the route does not exist."""
    if not scrape_token_valid(request.headers.get("Authorization", "")):
        return HttpResponseNotFound()
    return ExportToDjangoView(request)
