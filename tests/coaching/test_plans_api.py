import datetime

import pytest

from kinetix.coaching.models import PlannedExercise, PlanStatus, WeeklyPlan
from tests.factories import ClientFactory, ExerciseFactory, plan_document

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 11, 30)


def create_plan(api, client_id, slugs, week_start=MONDAY, **document_overrides):
    body = {
        "client": client_id,
        "week_start": week_start.isoformat(),
        "document": plan_document(slugs, **document_overrides),
    }
    return api.post("/api/v1/plans/", body, format="json")


def test_trainer_creates_draft_plan_and_reads_it_back_with_ids(api_as, trainer, client_user, exercises):
    api = api_as(trainer)
    response = create_plan(api, client_user.id, [e.slug for e in exercises])

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["client"] == client_user.id
    document = body["document"]
    assert [day["weekday"] for day in document["days"]] == [1, 2, 3]
    assert all(isinstance(ex["id"], int) for day in document["days"] for ex in day["exercises"])
    assert document["days"][0]["exercises"][0]["exercise"] == "test-squat"
    assert api.get(f"/api/v1/plans/{body['id']}/").json()["document"] == document


def test_invalid_document_is_refused_whole_with_every_error_path(api_as, trainer, client_user, exercises):
    document = plan_document([e.slug for e in exercises])
    document["days"][0]["exercises"][2]["sets"] = 11
    document["days"][1]["exercises"][0]["exercise"] = "no-such-exercise"
    document["days"][2]["exercises"][1]["reps_min"] = 10
    document["days"][2]["exercises"][1]["reps_max"] = 5
    response = api_as(trainer).post(
        "/api/v1/plans/", {"client": client_user.id, "week_start": "2026-11-30", "document": document}, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_document"
    paths = {error["path"]: error["code"] for error in body["errors"]}
    assert paths == {
        "days.0.exercises.2.sets": "less_than_equal",
        "days.1.exercises.0.exercise": "unknown_exercise",
        "days.2.exercises.1.reps_max": "value_error",
    }
    assert not WeeklyPlan.objects.exists()
    assert not PlannedExercise.objects.exists()


def test_activation_publishes_to_client_and_archives_overlapping_plan(api_as, trainer, client_user, exercises):
    api = api_as(trainer)
    slugs = [e.slug for e in exercises]
    first = create_plan(api, client_user.id, slugs).json()
    second = create_plan(api, client_user.id, slugs, title="Second").json()

    assert api.post(f"/api/v1/plans/{first['id']}/activate/").json()["status"] == "active"
    assert api.post(f"/api/v1/plans/{second['id']}/activate/").json()["status"] == "active"

    assert WeeklyPlan.objects.get(pk=first["id"]).status == PlanStatus.ARCHIVED
    mine = api_as(client_user).get("/api/v1/me/plan/", {"date": "2026-12-02"})
    assert mine.status_code == 200
    assert mine.json()["title"] == "Second"
    assert mine.json()["plan_id"] == second["id"]


def test_client_without_plan_for_date_gets_404(api_as, client_user):
    response = api_as(client_user).get("/api/v1/me/plan/", {"date": "2026-12-02"})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_other_trainers_plan_is_404(api_as, trainer, other_trainer, client_user, exercises):
    plan = create_plan(api_as(trainer), client_user.id, [e.slug for e in exercises]).json()
    other = api_as(other_trainer)
    assert other.get(f"/api/v1/plans/{plan['id']}/").status_code == 404
    assert other.delete(f"/api/v1/plans/{plan['id']}/").status_code == 404
    assert other.post(f"/api/v1/plans/{plan['id']}/activate/").status_code == 404


def test_trainer_cannot_plan_for_someone_elses_client(api_as, trainer, exercises):
    stranger = ClientFactory()
    response = create_plan(api_as(trainer), stranger.id, [e.slug for e in exercises])
    assert response.status_code == 404


@pytest.mark.parametrize(("days", "per_day"), [(1, 1), (7, 8)])
def test_plan_reads_in_constant_queries(api_as, trainer, client_user, days, per_day, django_assert_max_num_queries):
    slugs = [ExerciseFactory().slug for _ in range(per_day)]
    api = api_as(trainer)
    plan = create_plan(api, client_user.id, slugs, days=days, per_day=per_day).json()
    api.post(f"/api/v1/plans/{plan['id']}/activate/")
    client_api = api_as(client_user)

    with django_assert_max_num_queries(6):
        assert api.get(f"/api/v1/plans/{plan['id']}/").status_code == 200
    with django_assert_max_num_queries(6):
        response = client_api.get("/api/v1/me/plan/", {"date": MONDAY.isoformat()})
    assert sum(len(day["exercises"]) for day in response.json()["days"]) == days * per_day
