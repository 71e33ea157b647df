"""A workout's prescriptions come from the cache while the client's plans and the exercises are unchanged."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from prometheus_client import REGISTRY

from kinetix.coaching.models import PlannedExercise
from monitoring.cache import TIMED_OPERATIONS
from tests.factories import ExerciseFactory, plan_document

pytestmark = pytest.mark.django_db

URL = "/api/v1/workouts/"
PLANS = "/api/v1/plans/"
DAY = datetime.timedelta(days=1)
CACHE_METRIC = "kinetix_cache_operation_duration_seconds"


@pytest.fixture
def private_exercise(trainer):
    return ExerciseFactory(slug="coach-special", name="Coach Special", owner=trainer)


@pytest.fixture
def plan_id(api_as, trainer, client_user, exercises, private_exercise, committed):
    """This week's plan, a day of the trainer's private exercise and a shared one, written and activated by API."""
    today = client_user.local_today()
    document = plan_document([private_exercise.slug, "test-squat"], days=1)
    body = {"client": client_user.id, "week_start": (today - today.weekday() * DAY).isoformat(), "document": document}
    api = api_as(trainer)
    with committed():
        plan = api.post(PLANS, body, format="json").json()
        assert api.post(f"{PLANS}{plan['id']}/activate/").status_code == 200
    return plan["id"]


def prescriptions(plan_id: int) -> list[PlannedExercise]:
    return list(PlannedExercise.objects.filter(day__plan_id=plan_id).select_related("exercise").order_by("pk"))


@pytest.fixture
def warm(api_as, client_user, plan_id, committed):
    """The client's API and the plan's first prescription, once a workout logged against it filled the cache."""
    planned, _ = prescriptions(plan_id)
    api = api_as(client_user)
    with committed():
        assert log(api, client_user, planned).status_code == 201
    return api, planned


def log(api, client_user, planned: PlannedExercise):
    """Log one set of a prescription's exercise against it, as the client's app does."""
    a_set = {
        "exercise": planned.exercise.slug,
        "planned_exercise": planned.id,
        "set_number": 1,
        "reps": 5,
        "load_kg": 50,
    }
    return api.post(URL, {"date": client_user.local_today().isoformat(), "sets": [a_set]}, format="json")


def test_the_next_workout_reads_no_prescription_from_the_database(client_user, warm):
    api, planned = warm

    with CaptureQueriesContext(connection) as queries:
        logged = log(api, client_user, planned)

    assert logged.status_code == 201, logged.json()
    assert [(s["exercise"], s["exercise_name"]) for s in logged.json()["sets"]] == [("coach-special", "Coach Special")]
    assert not [query["sql"] for query in queries if "coaching_plannedexercise" in query["sql"]]


def test_a_rewritten_plan_reaches_the_next_workout(api_as, trainer, client_user, plan_id, warm, committed):
    api, old = warm

    # The document comes back without prescription ids: every prescription is new.
    with committed():
        document = plan_document(["test-squat"], days=1)
        assert api_as(trainer).put(f"{PLANS}{plan_id}/", document, format="json").status_code == 200

    refused = log(api, client_user, old)
    assert refused.status_code == 400
    assert [(e["path"], e["code"]) for e in refused.json()["errors"]] == [
        ("sets.0.planned_exercise", "unknown_planned_exercise")
    ]
    (new,) = prescriptions(plan_id)
    assert log(api, client_user, new).json()["sets"][0]["planned_exercise"] == new.id


def test_a_deleted_plan_reaches_the_next_workout(api_as, trainer, client_user, plan_id, warm, committed):
    api, planned = warm

    with committed():
        assert api_as(trainer).delete(f"{PLANS}{plan_id}/").status_code == 204

    assert log(api, client_user, planned).json()["errors"][0]["code"] == "unknown_planned_exercise"


def test_a_renamed_exercise_reaches_the_next_workout(api_as, trainer, client_user, warm, committed):
    api, planned = warm

    with committed():
        renamed = api_as(trainer).patch("/api/v1/exercises/coach-special/", {"name": "Coach's Own"}, format="json")
        assert renamed.status_code == 200, renamed.json()

    assert log(api, client_user, planned).json()["sets"][0]["exercise_name"] == "Coach's Own"


def test_workouts_are_logged_while_the_cache_is_down(api_as, client_user, plan_id, settings):
    planned, _ = prescriptions(plan_id)
    settings.CACHES = {"default": {"BACKEND": "monitoring.cache.TimedRedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}

    logged = log(api_as(client_user), client_user, planned)

    assert logged.status_code == 201, logged.json()
    assert logged.json()["sets"][0]["exercise"] == "coach-special"


def cache_operations() -> dict[str, float]:
    """How many times each cache operation has run in this process (the /metrics counters)."""
    counts = {op: REGISTRY.get_sample_value(f"{CACHE_METRIC}_count", {"operation": op}) for op in TIMED_OPERATIONS}
    return {op: count or 0 for op, count in counts.items()}


def test_the_next_workout_reads_its_prescriptions_and_their_versions_in_one_cache_round_trip(client_user, warm):
    api, planned = warm
    before = cache_operations()

    assert log(api, client_user, planned).status_code == 201

    after = cache_operations()
    assert {op: after[op] - before[op] for op in after if after[op] != before[op]} == {"get_many": 1}
