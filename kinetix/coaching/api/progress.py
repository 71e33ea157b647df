from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kinetix.accounts.permissions import IsClient
from kinetix.coaching import selectors, services
from kinetix.coaching.api.workouts import NOT_YOUR_CLIENT, ClientDateRangeSerializer, client_date_range
from kinetix.coaching.models import NOTES_LENGTH, BodyMetric
from kinetix.pagination import paginated_response, paginated_schema


class BodyMetricSerializer(serializers.ModelSerializer):
    weight_kg = serializers.FloatField(allow_null=True)
    body_fat_pct = serializers.FloatField(allow_null=True)
    waist_cm = serializers.FloatField(allow_null=True)

    class Meta:
        model = BodyMetric
        fields = [
            "id",
            "client",
            "date",
            "weight_kg",
            "body_fat_pct",
            "waist_cm",
            "resting_heart_rate",
            "notes",
            "created_at",
        ]


def _measurement(help_text: str) -> serializers.DecimalField:
    # Bounds and precision are the service's to enforce, so that every error comes back at once.
    return serializers.DecimalField(
        max_digits=None,
        decimal_places=None,
        coerce_to_string=False,
        required=False,
        allow_null=True,
        help_text=help_text,
    )


class BodyMetricRecordSerializer(serializers.Serializer):
    date = serializers.DateField(required=False, help_text="Default: today in your time zone; at most tomorrow.")
    weight_kg = _measurement("20 to 400, kept to 0.01.")
    body_fat_pct = _measurement("2 to 75, kept to 0.1.")
    waist_cm = _measurement("30 to 250, kept to 0.1.")
    resting_heart_rate = serializers.IntegerField(required=False, allow_null=True, help_text="25 to 220 beats/min.")
    notes = serializers.CharField(required=False, allow_blank=True, help_text=f"Up to {NOTES_LENGTH} characters.")


class BodyMetricListCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    def get_permissions(self) -> list:
        return [IsClient()] if self.request.method == "POST" else super().get_permissions()

    @extend_schema(
        operation_id="progress_body_metrics_list",
        parameters=[ClientDateRangeSerializer],
        responses={200: paginated_schema(BodyMetricSerializer), 404: NOT_YOUR_CLIENT},
        summary="Body metrics, newest date first",
        description="A client sees their own; a trainer sees their current clients' (`?client=` narrows to one).",
    )
    def get(self, request: Request) -> Response:
        metrics = selectors.body_metric_list(user=request.user, **client_date_range(request))
        return paginated_response(queryset=metrics, serializer_class=BodyMetricSerializer, request=request, view=self)

    @extend_schema(
        request=BodyMetricRecordSerializer,
        responses={201: BodyMetricSerializer, 200: BodyMetricSerializer},
        summary="Record body metrics for a date",
        description="At least one measurement. One entry per date: recording a date again replaces the values "
        "it gives and keeps the others (201 when created, 200 when updated).",
    )
    def post(self, request: Request) -> Response:
        data = BodyMetricRecordSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        metric, created = services.body_metric_record(
            client=request.user,
            date=fields.get("date") or request.user.local_today(),
            weight_kg=fields.get("weight_kg"),
            body_fat_pct=fields.get("body_fat_pct"),
            waist_cm=fields.get("waist_cm"),
            resting_heart_rate=fields.get("resting_heart_rate"),
            notes=fields.get("notes", ""),
        )
        return Response(
            BodyMetricSerializer(metric).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class WeekSummarySerializer(serializers.Serializer):
    week_start = serializers.DateField(help_text="The ISO week's Monday.")
    planned_sessions = serializers.IntegerField(help_text="Days of active plans dated in this week.")
    completed_sessions = serializers.IntegerField(
        help_text="Planned days with a workout on their date, or a workout linked to them."
    )
    compliance = serializers.FloatField(allow_null=True, help_text="completed / planned; null when nothing planned.")
    sets = serializers.IntegerField()
    tonnage_kg = serializers.FloatField(help_text="Sum of reps times load.")


class PersonalRecordSerializer(serializers.Serializer):
    exercise = serializers.CharField(help_text="The exercise's slug.")
    name = serializers.CharField()
    estimated_1rm_kg = serializers.FloatField()
    load_kg = serializers.FloatField()
    reps = serializers.IntegerField()
    date = serializers.DateField()


class ProgressSummarySerializer(serializers.Serializer):
    client = serializers.IntegerField()
    weeks = WeekSummarySerializer(many=True, help_text="Oldest week first; the last is the current week.")
    personal_records = PersonalRecordSerializer(
        many=True, help_text="Best estimated one-rep max per exercise, from sets of 1 to 12 reps."
    )
    e1rm_formula = serializers.CharField(help_text='"epley": load * (1 + reps / 30); a single counts as its load.')
    latest_body_metrics = BodyMetricSerializer(allow_null=True)


class ProgressSummaryQuerySerializer(serializers.Serializer):
    client = serializers.IntegerField(required=False, help_text="Required for trainers: one of your clients.")
    weeks = serializers.IntegerField(required=False, default=8, min_value=1, max_value=52)


class ProgressSummaryApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[ProgressSummaryQuerySerializer],
        responses={200: ProgressSummarySerializer, 404: NOT_YOUR_CLIENT},
        summary="Weekly compliance and volume, personal records and latest body metrics",
        description="Weeks are ISO weeks (Monday to Sunday) in the client's time zone, ending with the current one.",
    )
    def get(self, request: Request) -> Response:
        query = ProgressSummaryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        client = selectors.client_get_for_user(user=request.user, client_id=query.validated_data.get("client"))
        summary = selectors.progress_summary(client=client, weeks=query.validated_data["weeks"])
        return Response(ProgressSummarySerializer(summary).data)
