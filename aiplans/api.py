from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from aiplans import selectors, services
from aiplans.models import NOTES_LENGTH, REASON_LENGTH, SESSION_MINUTES, GenerationStatus, Injury, PlanGeneration
from aiplans.training_data import FORMATS, training_data_lines
from kinetix.accounts.permissions import IsTrainer
from kinetix.coaching.api.plans import AnyVersionDocument, DocumentField, PlanSerializer, plan_response
from kinetix.coaching.api.versions import DocumentVersioned
from kinetix.coaching.api.workouts import NOT_YOUR_CLIENT
from kinetix.coaching.models import Equipment, Goal, Level
from kinetix.coaching.plan_document import document_in_version, document_upgrade
from kinetix.pagination import paginated_response, paginated_schema
from kinetix.schema import error_response

IDEMPOTENCY_HEADER = "Idempotency-Key"


class GenerateRequestSerializer(serializers.Serializer):
    goal = serializers.ChoiceField(choices=Goal.choices)
    level = serializers.ChoiceField(choices=Level.choices)
    equipment = serializers.ListField(child=serializers.ChoiceField(choices=Equipment.choices), allow_empty=True)
    days_per_week = serializers.IntegerField(min_value=1, max_value=7)
    session_minutes = serializers.IntegerField(min_value=SESSION_MINUTES[0], max_value=SESSION_MINUTES[1])
    client = serializers.IntegerField(required=False, help_text="A trainer's client whose training informs the plan.")
    injuries = serializers.ListField(
        child=serializers.ChoiceField(choices=Injury.choices), required=False, default=list
    )
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=NOTES_LENGTH)


class ReportIssueSerializer(serializers.Serializer):
    path = serializers.CharField()
    code = serializers.CharField()
    message = serializers.CharField()


@extend_schema_field(AnyVersionDocument)
class DraftField(serializers.JSONField):
    """The model's last draft as a WeeklyPlan document (null until one passed the schema).

    Drafts are stored in the version they were written in and answered in the one the client asks for.
    """

    def to_representation(self, value: dict) -> dict:
        return document_in_version(document_upgrade(value), self.context["request"].schema_version)


class GenerationSerializer(serializers.ModelSerializer):
    document = DraftField(source="draft", allow_null=True)
    errors = serializers.SerializerMethodField()

    class Meta:
        model = PlanGeneration
        fields = [
            "id", "status", "goal", "level", "equipment", "days_per_week", "session_minutes", "injuries", "notes",
            "client", "trainer", "document", "errors", "report", "plan", "prompt_version", "provider", "model",
            "input_tokens", "output_tokens", "latency_ms", "attempts", "failure_reason", "rejection_reason",
            "created_at", "updated_at",
        ]  # fmt: skip

    @extend_schema_field(ReportIssueSerializer(many=True))
    def get_errors(self, generation: PlanGeneration) -> list[dict]:
        return generation.report.get("errors", [])


class GenerationAcceptedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=GenerationStatus.choices)


class GenerationFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=GenerationStatus.choices, required=False)


class GeneratePlanApi(APIView):
    @extend_schema(
        request=GenerateRequestSerializer,
        responses={
            202: GenerationAcceptedSerializer,
            404: NOT_YOUR_CLIENT,
            409: error_response("A client without a trainer has no one to review the draft (`no_trainer`)."),
            422: error_response("The Idempotency-Key came with a different request (`idempotency_key_reused`)."),
            429: error_response("This month's AI drafts of the trainer's tier are used (`ai_draft_quota_exceeded`)."),
        },
        parameters=[OpenApiParameter(IDEMPOTENCY_HEADER, str, OpenApiParameter.HEADER, required=False)],
        summary="Ask for an AI-drafted plan",
        description="Queues a draft for the trainer's review (a client's request goes to their trainer). "
        "A repeated Idempotency-Key answers the first request again.",
    )
    def post(self, request: Request) -> Response:
        data = GenerateRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        generation, _ = services.generation_request_create(
            user=request.user,
            goal=fields["goal"],
            level=fields["level"],
            equipment=fields["equipment"],
            days_per_week=fields["days_per_week"],
            session_minutes=fields["session_minutes"],
            client_id=fields.get("client"),
            injuries=fields["injuries"],
            notes=fields["notes"],
            idempotency_key=request.headers.get(IDEMPOTENCY_HEADER, "")[:255],
        )
        return Response({"id": generation.pk, "status": generation.status}, status=status.HTTP_202_ACCEPTED)


class GenerationListApi(DocumentVersioned, APIView):
    @extend_schema(
        operation_id="ai_generations_list",
        parameters=[GenerationFilterSerializer],
        responses=paginated_schema(GenerationSerializer),
        summary="The AI drafts you asked for or review",
    )
    def get(self, request: Request) -> Response:
        filters = GenerationFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        generations = selectors.generation_list_for_user(user=request.user, status=filters.validated_data.get("status"))
        return paginated_response(
            queryset=generations, serializer_class=GenerationSerializer, request=request, view=self
        )


class GenerationDetailApi(DocumentVersioned, APIView):
    @extend_schema(responses=GenerationSerializer, summary="One AI draft with its validation report")
    def get(self, request: Request, generation_id: int) -> Response:
        generation = selectors.generation_get_for_user(user=request.user, generation_id=generation_id)
        return Response(GenerationSerializer(generation, context={"request": request}).data)


class ApproveSerializer(serializers.Serializer):
    document = DocumentField(required=False, help_text="Your edit of the draft; the draft itself when left out.")
    client = serializers.IntegerField(required=False, help_text="Required when the request named no client.")
    week_start = serializers.DateField(required=False, help_text="Default: the client's coming Monday.")


class GenerationApproveApi(DocumentVersioned, APIView):
    permission_classes = [IsTrainer]

    @extend_schema(
        request=ApproveSerializer,
        responses={
            201: PlanSerializer,
            409: error_response(
                "The draft was approved already (`generation_already_approved`), is not in review "
                "(`generation_not_in_review`) or is stale (`generation_stale`)."
            ),
        },
        summary="Approve the draft: it becomes the client's active plan",
    )
    def post(self, request: Request, generation_id: int) -> Response:
        generation = selectors.generation_get_for_user(user=request.user, generation_id=generation_id)
        data = ApproveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = services.generation_approve(
            generation=generation,
            by=request.user,
            document=data.validated_data.get("document"),
            client_id=data.validated_data.get("client"),
            week_start=data.validated_data.get("week_start"),
        )
        return plan_response(plan, request, status.HTTP_201_CREATED)


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=REASON_LENGTH)


class GenerationRejectApi(DocumentVersioned, APIView):
    permission_classes = [IsTrainer]

    @extend_schema(
        request=RejectSerializer,
        responses={
            200: GenerationSerializer,
            409: error_response("Not in review (`generation_not_in_review`, `generation_already_approved`)."),
        },
        summary="Reject the draft with a reason",
    )
    def post(self, request: Request, generation_id: int) -> Response:
        generation = selectors.generation_get_for_user(user=request.user, generation_id=generation_id)
        data = RejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        generation = services.generation_reject(
            generation=generation, by=request.user, reason=data.validated_data["reason"]
        )
        return Response(GenerationSerializer(generation, context={"request": request}).data)


class CanExportTrainingData(BasePermission):
    message = "Only staff with the training-data export permission may do this."

    def has_permission(self, request: Request, view: object) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff and user.has_perm("aiplans.export_training_data"))


class ExportFormatNegotiation(DefaultContentNegotiation):
    """Answer JSON errors whatever `?format=` says: here it names the export format, not a DRF renderer."""

    def select_renderer(self, request: Request, renderers: list, format_suffix: str | None = None) -> tuple:
        return renderers[0], renderers[0].media_type


class TrainingDataApi(APIView):
    permission_classes = [CanExportTrainingData]
    content_negotiation_class = ExportFormatNegotiation

    class QuerySerializer(serializers.Serializer):
        format = serializers.ChoiceField(choices=list(FORMATS), default="openai-chat")

    @extend_schema(
        parameters=[QuerySerializer],
        responses={(200, "application/jsonl"): OpenApiTypes.STR},
        summary="Stream the pseudonymised training data as JSON Lines",
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        export_format = query.validated_data["format"]
        response = StreamingHttpResponse(
            training_data_lines(export_format=export_format), content_type="application/jsonl"
        )
        response["Content-Disposition"] = f'attachment; filename="kinetix-{export_format}.jsonl"'
        return response
