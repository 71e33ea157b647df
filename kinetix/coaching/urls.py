from django.urls import path

from kinetix.coaching.api import clients, exercises, plans, progress, workouts

urlpatterns = [
    path("exercises/", exercises.ExerciseListCreateApi.as_view(), name="exercises"),
    # Slugs and ids match `slug`; other text (a NUL, which PostgreSQL cannot compare) never reaches a query.
    path("exercises/<slug:slug_or_id>/", exercises.ExerciseDetailApi.as_view(), name="exercise-detail"),
    path("plans/", plans.PlanListCreateApi.as_view(), name="plans"),
    path("plans/<int:plan_id>/", plans.PlanDetailApi.as_view(), name="plan-detail"),
    path("plans/<int:plan_id>/activate/", plans.PlanActivateApi.as_view(), name="plan-activate"),
    path("plans/<int:plan_id>/archive/", plans.PlanArchiveApi.as_view(), name="plan-archive"),
    path("me/plan/", plans.MyPlanApi.as_view(), name="my-plan"),
    path("workouts/", workouts.WorkoutListCreateApi.as_view(), name="workouts"),
    path("workouts/<int:workout_id>/", workouts.WorkoutDetailApi.as_view(), name="workout-detail"),
    path("progress/body-metrics/", progress.BodyMetricListCreateApi.as_view(), name="body-metrics"),
    path("progress/summary/", progress.ProgressSummaryApi.as_view(), name="progress-summary"),
    path("clients/", clients.ClientListApi.as_view(), name="clients"),
    path("clients/<int:client_id>/", clients.ClientDetailApi.as_view(), name="client-detail"),
]
