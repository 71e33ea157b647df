from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kinetix.accounts.permissions import IsTrainer
from kinetix.coaching import selectors, services
from kinetix.coaching.models import Category, Equipment, Exercise, Level, Mechanics, Muscle
from kinetix.pagination import paginated_response, paginated_schema
from kinetix.schema import error_response


class ExerciseSerializer(serializers.ModelSerializer):
    muscles = serializers.SerializerMethodField(help_text="Primary muscles first, then secondary.")
    primary_muscles = serializers.SerializerMethodField()
    secondary_muscles = serializers.SerializerMethodField()
    private = serializers.SerializerMethodField(help_text="A trainer's own exercise, not the shared library's.")

    class Meta:
        model = Exercise
        fields = [
            "id",
            "slug",
            "name",
            "equipment",
            "muscles",
            "primary_muscles",
            "secondary_muscles",
            "level",
            "mechanics",
            "category",
            "instructions",
            "private",
        ]

    def get_muscles(self, exercise: Exercise) -> list[str]:
        return [link.muscle for link in exercise.muscles.all()]

    def get_primary_muscles(self, exercise: Exercise) -> list[str]:
        return [link.muscle for link in exercise.muscles.all() if link.is_primary]

    def get_secondary_muscles(self, exercise: Exercise) -> list[str]:
        return [link.muscle for link in exercise.muscles.all() if not link.is_primary]

    def get_private(self, exercise: Exercise) -> bool:
        return exercise.owner_id is not None


class ExerciseFilterSerializer(serializers.Serializer):
    search = serializers.CharField(required=False, max_length=100, help_text="Part of the name or slug.")
    equipment = serializers.MultipleChoiceField(choices=Equipment.choices, required=False)
    muscle = serializers.MultipleChoiceField(choices=Muscle.choices, required=False)
    level = serializers.MultipleChoiceField(choices=Level.choices, required=False)
    category = serializers.MultipleChoiceField(choices=Category.choices, required=False)
    mine = serializers.BooleanField(required=False, help_text="Only the trainer's private exercises.")


def _filters(request: Request) -> dict:
    # Filters repeat (?equipment=barbell&equipment=dumbbell) or take comma-separated values.
    query = {
        key: [value for item in request.query_params.getlist(key) for value in item.split(",") if value]
        for key in ("equipment", "muscle", "level", "category")
        if key in request.query_params
    }
    for key in ("search", "mine"):
        if request.query_params.get(key):  # an empty search box filters nothing
            query[key] = request.query_params[key]
    filters = ExerciseFilterSerializer(data=query)
    filters.is_valid(raise_exception=True)
    return {key: sorted(value) if isinstance(value, set) else value for key, value in filters.validated_data.items()}


class ExerciseInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    equipment = serializers.ChoiceField(choices=Equipment.choices)
    primary_muscles = serializers.ListField(child=serializers.ChoiceField(choices=Muscle.choices), min_length=1)
    secondary_muscles = serializers.ListField(child=serializers.ChoiceField(choices=Muscle.choices), required=False)
    level = serializers.ChoiceField(choices=Level.choices, required=False)
    mechanics = serializers.ChoiceField(choices=Mechanics.choices, required=False)
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    instructions = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ExerciseListCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    def get_permissions(self) -> list:
        return [IsTrainer()] if self.request.method == "POST" else super().get_permissions()

    @extend_schema(
        operation_id="exercises_list",
        parameters=[ExerciseFilterSerializer],
        responses=paginated_schema(ExerciseSerializer),
        summary="The exercise library (shared plus the trainer's private exercises)",
    )
    def get(self, request: Request) -> Response:
        exercises = selectors.exercise_list(user=request.user, **_filters(request))
        return paginated_response(queryset=exercises, serializer_class=ExerciseSerializer, request=request, view=self)

    @extend_schema(
        request=ExerciseInputSerializer, responses={201: ExerciseSerializer}, summary="Add a private exercise"
    )
    def post(self, request: Request) -> Response:
        data = ExerciseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        exercise = services.exercise_create(owner=request.user, **data.validated_data)
        exercise = selectors.exercise_get_for_user(user=request.user, slug_or_id=exercise.slug)
        return Response(ExerciseSerializer(exercise).data, status=status.HTTP_201_CREATED)


class ExerciseDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    def get_permissions(self) -> list:
        return [IsTrainer()] if self.request.method in ("PATCH", "DELETE") else super().get_permissions()

    @extend_schema(responses=ExerciseSerializer, summary="One exercise, by slug or id")
    def get(self, request: Request, slug_or_id: str) -> Response:
        return Response(
            ExerciseSerializer(selectors.exercise_get_for_user(user=request.user, slug_or_id=slug_or_id)).data
        )

    @extend_schema(
        request=ExerciseInputSerializer(partial=True), responses=ExerciseSerializer, summary="Change a private exercise"
    )
    def patch(self, request: Request, slug_or_id: str) -> Response:
        exercise = selectors.private_exercise_get_for_owner(user=request.user, slug_or_id=slug_or_id)
        data = ExerciseInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.exercise_update(exercise=exercise, **data.validated_data)
        exercise = selectors.exercise_get_for_user(user=request.user, slug_or_id=exercise.slug)
        return Response(ExerciseSerializer(exercise).data)

    @extend_schema(
        responses={204: None, 409: error_response("Plans or workouts use the exercise (`exercise_in_use`).")},
        summary="Delete an unused private exercise",
    )
    def delete(self, request: Request, slug_or_id: str) -> Response:
        exercise = selectors.private_exercise_get_for_owner(user=request.user, slug_or_id=slug_or_id)
        services.exercise_delete(exercise=exercise)
        return Response(status=status.HTTP_204_NO_CONTENT)
