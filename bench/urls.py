"""The project's routes plus `bench/ping/`: a trivial DRF view behind the same middleware and JWT auth."""

from django.urls import include, path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class PingApi(APIView):
    """Answer a constant for a signed-in user: the floor of any API request on this server."""

    def get(self, request: Request) -> Response:
        return Response({"pong": True})


urlpatterns = [
    path("bench/ping/", PingApi.as_view(), name="bench-ping"),
    path("", include("kinetix.urls")),
]
