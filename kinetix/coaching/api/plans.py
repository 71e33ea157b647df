import datetime

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from pydantic import BaseModel, ConfigDict, RootModel
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kinetix.accounts.permissions import IsClient, IsTrainer
from kinetix.cached_responses import cached_json_response
from kinetix.coaching import selectors, services
from kinetix.coaching.api.versions import DocumentVersioned
from kinetix.coaching.api.workouts import NOT_YOUR_CLIENT
from kinetix.coaching.models import PlanStatus, WeeklyPlan
from kinetix.coaching.plan_document import (
    WeeklyPlanDocument,
    WeeklyPlanDocumentV1,
    document_from_plan,
    document_in_version,
    document_read,
)
from kinetix.pagination import paginated_response, paginated_schema
from kinetix.schema import error_response


class AnyVersionDocument(RootModel[WeeklyPlanDocument | WeeklyPlanDocumentV1]):
    """A WeeklyPlan document in version 2, or in version 1 (deprecated) when sent so or asked for."""


@extend_schema_field(AnyVersionDocument)
class DocumentField(serializers.JSONField):
    """A WeeklyPlan document of any supported version; validated by the plan services, not here."""


class PlanSerializer(serializers.ModelSerializer):
    document = serializers.SerializerMethodField()

    class Meta:
        model = WeeklyPlan
        fields = [
            "id",
            "client",
            "trainer",
            "week_start",
            "status",
            "created_at",
            "updated_at",
            "activated_at",
            "document",
        ]

    @extend_schema_field(AnyVersionDocument)
    def get_document(self, plan: WeeklyPlan) -> dict:
        return document_in_version(document_from_plan(plan), self.context["request"].schema_version)


class PlanCreateSerializer(serializers.Serializer):
    client = serializers.IntegerField(help_text="Id of one of your clients.")
    week_start = serializers.DateField(help_text="First day of the plan's seven days (usually a Monday).")
    document = DocumentField()


class PlanUpdateSerializer(serializers.Serializer):
    week_start = serializers.DateField(required=False)
    document = DocumentField()


class PlanFilterSerializer(serializers.Serializer):
    client = serializers.IntegerField(required=False)
    status = serializers.ChoiceField(choices=PlanStatus.choices, required=False)
    week_from = serializers.DateField(required=False)
    week_to = serializers.DateField(required=False)


def plan_response(plan: WeeklyPlan, request: Request, status_code: int = status.HTTP_200_OK) -> Response:
    plan = selectors.plan_with_content(plan=plan)
    return Response(PlanSerializer(plan, context={"request": request}).data, status=status_code)


class PlanListCreateApi(DocumentVersioned, APIView):
    permission_classes = [IsTrainer]

    @extend_schema(
        operation_id="plans_list",
        parameters=[PlanFilterSerializer],
        responses=paginated_schema(PlanSerializer),
        summary="Your plans",
    )
    def get(self, request: Request) -> Response:
        filters = PlanFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        query = filters.validated_data
        plans = selectors.plan_list(
            trainer=request.user,
            client_id=query.get("client"),
            status=query.get("status"),
            week_from=query.get("week_from"),
            week_to=query.get("week_to"),
        )
        return paginated_response(queryset=plans, serializer_class=PlanSerializer, request=request, view=self)

    @extend_schema(
        request=PlanCreateSerializer,
        responses={201: PlanSerializer, 404: NOT_YOUR_CLIENT},
        summary="Create a draft plan",
    )
    def post(self, request: Request) -> Response:
        data = PlanCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = services.plan_create(
            trainer=request.user,
            client_id=data.validated_data["client"],
            week_start=data.validated_data["week_start"],
            document=data.validated_data["document"],
        )
        return plan_response(plan, request, status.HTTP_201_CREATED)


class PlanDetailApi(DocumentVersioned, APIView):
    permission_classes = [IsTrainer]

    @extend_schema(responses=PlanSerializer, summary="One of your plans")
    def get(self, request: Request, plan_id: int) -> Response:
        plan = selectors.plan_get_for_user(user=request.user, plan_id=plan_id)
        return Response(PlanSerializer(plan, context={"request": request}).data)

    @extend_schema(
        request=PlanUpdateSerializer,
        responses={
            200: PlanSerializer,
            409: error_response("The plan is archived (`plan_archived`), or active and `week_start` moves it."),
        },
        summary="Replace the plan's document",
        description="Send `{document, week_start?}` or the document itself. Prescriptions sent back with "
        "their `id` keep the sets logged against them.",
    )
    def put(self, request: Request, plan_id: int) -> Response:
        plan = selectors.plan_get_for_user(user=request.user, plan_id=plan_id)
        body = (
            request.data
            if isinstance(request.data, dict) and "document" in request.data
            else {"document": request.data}
        )
        data = PlanUpdateSerializer(data=body)
        data.is_valid(raise_exception=True)
        plan = services.plan_update(
            plan=plan, document=data.validated_data["document"], week_start=data.validated_data.get("week_start")
        )
        return plan_response(plan, request)

    @extend_schema(responses={204: None}, summary="Delete a plan")
    def delete(self, request: Request, plan_id: int) -> Response:
        services.plan_delete(plan=selectors.plan_get_for_user(user=request.user, plan_id=plan_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PlanActivateApi(DocumentVersioned, APIView):
    permission_classes = [IsTrainer]

    @extend_schema(
        request=None,
        responses={200: PlanSerializer, 409: error_response("An archived plan cannot be activated (`plan_archived`).")},
        summary="Publish the plan to its client",
    )
    def post(self, request: Request, plan_id: int) -> Response:
        plan = services.plan_activate(plan=selectors.plan_get_for_user(user=request.user, plan_id=plan_id))
        return plan_response(plan, request)


class PlanArchiveApi(DocumentVersioned, APIView):
    permission_classes = [IsTrainer]

    @extend_schema(request=None, responses=PlanSerializer, summary="Withdraw the plan from its client")
    def post(self, request: Request, plan_id: int) -> Response:
        plan = services.plan_archive(plan=selectors.plan_get_for_user(user=request.user, plan_id=plan_id))
        return plan_response(plan, request)


class PlanWeek(BaseModel):
    plan_id: int
    week_start: datetime.date
    week_end: datetime.date


class MyPlanDocument(PlanWeek, WeeklyPlanDocument):
    model_config = ConfigDict(title="MyPlan")


class MyPlanDocumentV1(PlanWeek, WeeklyPlanDocumentV1):
    model_config = ConfigDict(title="MyPlanV1")


class MyPlan(RootModel[MyPlanDocument | MyPlanDocumentV1]):
    """The client's plan covering a date: its document, with the plan's id and week."""


class MyPlanApi(DocumentVersioned, APIView):
    permission_classes = [IsClient]

    class QuerySerializer(serializers.Serializer):
        date = serializers.DateField(required=False, help_text="Default: today in your time zone.")

    @extend_schema(
        parameters=[OpenApiParameter("date", str, description="YYYY-MM-DD; default today in your time zone.")],
        responses={200: MyPlan, 404: error_response("No active plan covers the date.")},
        summary="Your active plan covering a date",
        description="The plan's document with the ids of its days and prescriptions (for logging sets), "
        "plus `plan_id`, `week_start` and `week_end`.",
    )
    def get(self, request: Request) -> HttpResponse:
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        date = query.validated_data.get("date") or request.user.local_today()
        plan = selectors.plan_for_client_on(client=request.user, date=date)
        version = request.schema_version

        def answer() -> dict:
            week_end = plan.week_start + datetime.timedelta(days=6)
            document = document_in_version(document_read(plan), version)
            return {"plan_id": plan.id, "week_start": plan.week_start, "week_end": week_end, **document}

        # Every change to a plan's content saves the plan in the same transaction, moving its `updated_at`
        # (`auto_now`): the plan services through `_plan_content_write`, the admin's plan page by saving it.
        return cached_json_response(f"me-plan:{plan.pk}:{plan.updated_at.isoformat()}:v{version}", answer)
