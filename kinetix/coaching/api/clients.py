from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kinetix.accounts import selectors as account_selectors
from kinetix.accounts import services as account_services
from kinetix.accounts.models import User
from kinetix.accounts.permissions import IsTrainer
from kinetix.cached_responses import cached_json_response
from kinetix.coaching import selectors
from kinetix.pagination import PageNumberPagination, paginated_schema


class ComplianceSerializer(serializers.Serializer):
    planned_sessions = serializers.IntegerField()
    completed_sessions = serializers.IntegerField()
    compliance = serializers.FloatField(allow_null=True, help_text="completed / planned; null when nothing planned.")


class ActivePlanSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    week_start = serializers.DateField()


class ClientOverviewSerializer(serializers.ModelSerializer):
    since = serializers.DateTimeField(help_text="When you started coaching this client.")
    last_week_compliance = ComplianceSerializer(help_text="The seven days ending today in the client's time zone.")
    active_plan = ActivePlanSerializer(allow_null=True, help_text="The active plan covering the client's today.")
    last_workout_date = serializers.DateField(allow_null=True)

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "full_name",
            "locale",
            "timezone",
            "since",
            "last_week_compliance",
            "active_plan",
            "last_workout_date",
        ]

    def to_representation(self, client: User) -> dict:
        # The selectors attach each value ready to render (nested ones in their serializers' shapes) and the
        # JSON renderer writes dates and UTC times as these fields would; field by field took most of a
        # 30-client page's time. A test checks both renderings agree.
        return {name: getattr(client, name) for name in self.Meta.fields}


class ClientListApi(APIView):
    permission_classes = [IsTrainer]

    @extend_schema(
        operation_id="clients_list",
        responses=paginated_schema(ClientOverviewSerializer),
        summary="Your current clients with last week's compliance",
    )
    def get(self, request: Request) -> HttpResponse:
        # Read before the rows: see client_list_cache_key.
        key = selectors.client_list_cache_key(trainer=request.user, url=request.build_absolute_uri())

        def answer() -> dict:
            paginator = PageNumberPagination()
            page = paginator.paginate_queryset(selectors.client_list(trainer=request.user), request, view=self)
            clients = selectors.clients_with_last_week(clients=page)
            return paginator.get_paginated_response(ClientOverviewSerializer(clients, many=True).data).data

        return cached_json_response(key, answer)


class ClientDetailApi(APIView):
    permission_classes = [IsTrainer]

    @extend_schema(responses=ClientOverviewSerializer, summary="One of your current clients")
    def get(self, request: Request, client_id: int) -> HttpResponse:
        key = selectors.client_overview_cache_key(trainer=request.user, client_id=client_id)

        def answer() -> dict:
            return ClientOverviewSerializer(
                selectors.client_overview_get(trainer=request.user, client_id=client_id)
            ).data

        return cached_json_response(key, answer)

    @extend_schema(
        responses={204: None},
        summary="Stop coaching a client",
        description="The client's history stays theirs; you lose access to it.",
    )
    def delete(self, request: Request, client_id: int) -> Response:
        client = account_selectors.client_get_for_trainer(trainer=request.user, client_id=client_id)
        account_services.coaching_link_end(trainer=request.user, client=client)
        return Response(status=status.HTTP_204_NO_CONTENT)
