from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kinetix.accounts.permissions import IsClient
from kinetix.coaching import selectors, services
from kinetix.coaching.models import NOTES_LENGTH, SETS_PER_WORKOUT, SetLog, WorkoutSession
from kinetix.pagination import paginated_response, paginated_schema
from kinetix.schema import error_response

NOT_YOUR_CLIENT = error_response("`client` is not you, nor one of your current clients.")


class ClientDateRangeSerializer(serializers.Serializer):
    """Query parameters `client`, `from` and `to` of the progress lists."""

    client = serializers.IntegerField(
        required=False, help_text="Trainers: one of your clients (default all). Clients: only yourself."
    )

    def get_fields(self) -> dict:
        # `from` is a Python keyword, so these two cannot be declared as class attributes.
        fields = super().get_fields()
        fields["from"] = serializers.DateField(required=False, help_text="First date, inclusive.")
        fields["to"] = serializers.DateField(required=False, help_text="Last date, inclusive.")
        return fields

    def validate(self, attrs: dict) -> dict:
        if attrs.get("from") and attrs.get("to") and attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"to": ["Must not be before `from`."]}, code="invalid_range")
        return attrs


def client_date_range(request: Request) -> dict:
    """Parse `client`, `from` and `to` into a selector's `client_id`, `date_from` and `date_to`."""
    query = ClientDateRangeSerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    data = query.validated_data
    return {"client_id": data.get("client"), "date_from": data.get("from"), "date_to": data.get("to")}


# The two serializers below render what their declared fields render, written out: DRF builds and binds a
# serializer's fields for every instance it renders, and with a workout's 20 sets that was a sixth of the CPU of
# logging it. The declared fields still describe the API (OpenAPI); tests hold both renderings equal to DRF's.
def set_log_representation(set_log: SetLog) -> dict:
    """Render a logged set as SetLogSerializer's fields do."""
    exercise = set_log.exercise
    return {
        "id": set_log.pk,
        "exercise": exercise.slug,
        "exercise_name": exercise.name,
        "planned_exercise": set_log.planned_exercise_id,
        "set_number": set_log.set_number,
        "reps": set_log.reps,
        "load_kg": float(set_log.load_kg),
        "rpe": None if set_log.rpe is None else float(set_log.rpe),
    }


# DRF's rendering of a datetime: unbound, it renders in the current time zone as a bound field does.
DATETIME_FIELD = serializers.DateTimeField()


class SetLogSerializer(serializers.ModelSerializer):
    exercise = serializers.SlugRelatedField(slug_field="slug", read_only=True, help_text="The exercise's slug.")
    exercise_name = serializers.CharField(source="exercise.name", read_only=True)
    load_kg = serializers.FloatField()
    rpe = serializers.FloatField(allow_null=True)

    class Meta:
        model = SetLog
        fields = ["id", "exercise", "exercise_name", "planned_exercise", "set_number", "reps", "load_kg", "rpe"]

    def to_representation(self, set_log: SetLog) -> dict:
        return set_log_representation(set_log)


class WorkoutSerializer(serializers.ModelSerializer):
    # `set_list`: the selectors prefetch into it and workout_log_create fills it, so nothing is read back.
    sets = SetLogSerializer(source="set_list", many=True, read_only=True)
    total_sets = serializers.SerializerMethodField()
    tonnage_kg = serializers.SerializerMethodField(help_text="Sum of reps times load over the sets.")

    class Meta:
        model = WorkoutSession
        fields = [
            "id",
            "client",
            "date",
            "plan_day",
            "notes",
            "duration_minutes",
            "perceived_effort",
            "created_at",
            "total_sets",
            "tonnage_kg",
            "sets",
        ]

    def to_representation(self, workout: WorkoutSession) -> dict:
        return {
            "id": workout.pk,
            "client": workout.client_id,
            "date": workout.date.isoformat(),
            "plan_day": workout.plan_day_id,
            "notes": workout.notes,
            "duration_minutes": workout.duration_minutes,
            "perceived_effort": workout.perceived_effort,
            "created_at": DATETIME_FIELD.to_representation(workout.created_at),
            "total_sets": self.get_total_sets(workout),
            "tonnage_kg": self.get_tonnage_kg(workout),
            "sets": [set_log_representation(set_log) for set_log in workout.set_list],
        }

    def get_total_sets(self, workout: WorkoutSession) -> int:
        return len(workout.set_list)

    def get_tonnage_kg(self, workout: WorkoutSession) -> float:
        return round(float(sum(s.reps * s.load_kg for s in workout.set_list)), 2)


@extend_schema_field(services.LoggedSetInput)
class LoggedSetField(serializers.JSONField):
    """One logged set; validated, with all the workout's other errors, by `workout_log_create`."""

    def to_internal_value(self, data: object) -> object:
        # The body is parsed JSON already: JSONField's check that it serializes (a json.dumps a set) is moot.
        return data


class WorkoutCreateSerializer(serializers.Serializer):
    date = serializers.DateField(help_text="The day you trained; at most tomorrow in your time zone.")
    plan_day = serializers.IntegerField(
        required=False, allow_null=True, help_text="Id of the plan day this workout fulfils (from `me/plan/`)."
    )
    notes = serializers.CharField(required=False, allow_blank=True, help_text=f"Up to {NOTES_LENGTH} characters.")
    duration_minutes = serializers.IntegerField(required=False, allow_null=True, help_text="Up to 600.")
    perceived_effort = serializers.IntegerField(
        required=False, allow_null=True, help_text="How hard the whole workout felt (session RPE), 1 to 10."
    )
    sets = serializers.ListField(
        child=LoggedSetField(), help_text=f"{SETS_PER_WORKOUT[0]} to {SETS_PER_WORKOUT[1]} sets."
    )


class WorkoutListCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    def get_permissions(self) -> list:
        return [IsClient()] if self.request.method == "POST" else super().get_permissions()

    @extend_schema(
        operation_id="workouts_list",
        parameters=[ClientDateRangeSerializer],
        responses={200: paginated_schema(WorkoutSerializer), 404: NOT_YOUR_CLIENT},
        summary="Logged workouts, newest first",
        description="A client sees their own; a trainer sees their current clients' (`?client=` narrows to one).",
    )
    def get(self, request: Request) -> Response:
        workouts = selectors.workout_list(user=request.user, **client_date_range(request))
        return paginated_response(queryset=workouts, serializer_class=WorkoutSerializer, request=request, view=self)

    @extend_schema(
        request=WorkoutCreateSerializer,
        responses={201: WorkoutSerializer},
        summary="Log a workout",
        description="Refused whole when anything is invalid, with every error and its path "
        "(`sets.3.planned_exercise`).",
    )
    def post(self, request: Request) -> Response:
        data = WorkoutCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        workout = services.workout_log_create(
            client=request.user,
            date=fields["date"],
            sets=fields["sets"],
            plan_day_id=fields.get("plan_day"),
            notes=fields.get("notes", ""),
            duration_minutes=fields.get("duration_minutes"),
            perceived_effort=fields.get("perceived_effort"),
        )
        return Response(WorkoutSerializer(workout).data, status=status.HTTP_201_CREATED)


class WorkoutDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    def get_permissions(self) -> list:
        return [IsClient()] if self.request.method == "DELETE" else super().get_permissions()

    @extend_schema(responses=WorkoutSerializer, summary="One workout (yours, or a current client's)")
    def get(self, request: Request, workout_id: int) -> Response:
        return Response(
            WorkoutSerializer(selectors.workout_get_for_user(user=request.user, workout_id=workout_id)).data
        )

    @extend_schema(responses={204: None}, summary="Delete one of your workouts")
    def delete(self, request: Request, workout_id: int) -> Response:
        services.workout_delete(workout=selectors.workout_get_for_user(user=request.user, workout_id=workout_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
