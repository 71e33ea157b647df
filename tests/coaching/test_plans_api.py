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


def test_a_client_rereading_their_plan_is_answered_from_the_cache_until_it_changes(
    api_as, trainer, client_user, exercises, django_assert_num_queries
):
    api = api_as(trainer)
    plan = create_plan(api, client_user.id, [e.slug for e in exercises]).json()
    api.post(f"/api/v1/plans/{plan['id']}/activate/")
    client_api = api_as(client_user)
    first = client_api.get("/api/v1/me/plan/", {"date": MONDAY.isoformat()})

    with django_assert_num_queries(2):  # the user and the plan: the content is not read again
        again = client_api.get("/api/v1/me/plan/", {"date": MONDAY.isoformat()})
    assert (again.status_code, again["Content-Type"], again.content) == (200, "application/json", first.content)
    v1 = client_api.get("/api/v1/me/plan/", {"date": MONDAY.isoformat(), "schema_version": 1})
    assert "set_targets" not in v1.json()["days"][0]["exercises"][0]
    assert "Deprecation" in client_api.get("/api/v1/me/plan/", {"date": MONDAY.isoformat(), "schema_version": 1})

    document = {**plan["document"], "title": "Deload week"}
    assert api.put(f"/api/v1/plans/{plan['id']}/", document, format="json").status_code == 200

    assert client_api.get("/api/v1/me/plan/", {"date": MONDAY.isoformat()}).json()["title"] == "Deload week"
    assert client_api.get("/api/v1/me/plan/", {"date": MONDAY.isoformat(), "schema_version": 1}).json()["title"] == (
        "Deload week"
    )


def test_a_client_reads_their_plan_while_the_cache_is_down(api_as, trainer, client_user, exercises, settings):
    api = api_as(trainer)
    plan = create_plan(api, client_user.id, [e.slug for e in exercises]).json()
    api.post(f"/api/v1/plans/{plan['id']}/activate/")
    settings.CACHES = {"default": {"BACKEND": "monitoring.cache.TimedRedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}

    response = api_as(client_user).get("/api/v1/me/plan/", {"date": MONDAY.isoformat()})

    assert response.status_code == 200
    assert (response.json()["plan_id"], response.json()["title"]) == (plan["id"], plan["document"]["title"])


def test_put_replaces_document_given_bare_or_wrapped(api_as, trainer, client_user, exercises):
    api = api_as(trainer)
    plan = create_plan(api, client_user.id, [exercises[0].slug]).json()

    bare = plan_document([exercises[1].slug], days=1, title="Bare")
    response = api.put(f"/api/v1/plans/{plan['id']}/", bare, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["document"]["title"] == "Bare"
    assert [len(day["exercises"]) for day in response.json()["document"]["days"]] == [1]

    wrapped = {"week_start": "2026-12-07", "document": plan_document([exercises[2].slug], days=2, title="Wrapped")}
    response = api.put(f"/api/v1/plans/{plan['id']}/", wrapped, format="json")
    assert response.status_code == 200
    assert response.json()["week_start"] == "2026-12-07"
    assert response.json()["document"]["days"][1]["exercises"][0]["exercise"] == exercises[2].slug


def test_put_with_invalid_document_leaves_plan_unchanged(api_as, trainer, client_user, exercises):
    api = api_as(trainer)
    plan = create_plan(api, client_user.id, [exercises[0].slug]).json()
    broken = plan_document([exercises[1].slug], days=1)
    broken["days"][0]["exercises"][0]["sets"] = 0

    response = api.put(f"/api/v1/plans/{plan['id']}/", broken, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "days.0.exercises.0.sets"
    assert api.get(f"/api/v1/plans/{plan['id']}/").json()["document"] == plan["document"]


def test_archived_plan_cannot_be_changed_or_reactivated(api_as, trainer, client_user, exercises):
    api = api_as(trainer)
    plan = create_plan(api, client_user.id, [exercises[0].slug]).json()
    assert api.post(f"/api/v1/plans/{plan['id']}/archive/").json()["status"] == "archived"

    response = api.put(f"/api/v1/plans/{plan['id']}/", plan_document([exercises[0].slug]), format="json")
    assert (response.status_code, response.json()["code"]) == (409, "plan_archived")
    response = api.post(f"/api/v1/plans/{plan['id']}/activate/")
    assert (response.status_code, response.json()["code"]) == (409, "plan_archived")


def test_plans_of_different_weeks_stay_active_side_by_side(api_as, trainer, client_user, exercises):
    api = api_as(trainer)
    slugs = [e.slug for e in exercises]
    this_week = create_plan(api, client_user.id, slugs, title="This week").json()
    next_week = create_plan(api, client_user.id, slugs, week_start=MONDAY + datetime.timedelta(days=7), title="Next")
    api.post(f"/api/v1/plans/{this_week['id']}/activate/")
    api.post(f"/api/v1/plans/{next_week.json()['id']}/activate/")

    client_api = api_as(client_user)
    assert client_api.get("/api/v1/me/plan/", {"date": "2026-12-06"}).json()["title"] == "This week"
    assert client_api.get("/api/v1/me/plan/", {"date": "2026-12-07"}).json()["title"] == "Next"
    assert client_api.get("/api/v1/me/plan/", {"date": "2026-12-14"}).status_code == 404


def test_list_filters_by_client_and_status(api_as, trainer, client_user, exercises):
    api = api_as(trainer)
    second_client = ClientFactory(trainer=trainer)
    slugs = [e.slug for e in exercises]
    mine = create_plan(api, client_user.id, slugs).json()
    create_plan(api, second_client.id, slugs)
    api.post(f"/api/v1/plans/{mine['id']}/activate/")

    all_plans = api.get("/api/v1/plans/").json()
    assert all_plans["count"] == 2
    assert [p["id"] for p in api.get("/api/v1/plans/", {"client": client_user.id}).json()["results"]] == [mine["id"]]
    assert [p["id"] for p in api.get("/api/v1/plans/", {"status": "active"}).json()["results"]] == [mine["id"]]
    assert api.get("/api/v1/plans/", {"status": "bogus"}).json()["errors"][0]["path"] == "status"


def test_delete_removes_plan(api_as, trainer, client_user, exercises):
    api = api_as(trainer)
    plan = create_plan(api, client_user.id, [exercises[0].slug]).json()
    assert api.delete(f"/api/v1/plans/{plan['id']}/").status_code == 204
    assert api.get(f"/api/v1/plans/{plan['id']}/").status_code == 404


def test_clients_and_anonymous_cannot_use_trainer_plan_routes(api, api_as, client_user, exercises):
    assert api.get("/api/v1/plans/").status_code == 401
    assert api.get("/api/v1/plans/").json()["code"] == "not_authenticated"
    response = api_as(client_user).get("/api/v1/plans/")
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert api.get("/api/v1/me/plan/").status_code == 401


def test_plan_create_reports_missing_fields_by_name(api_as, trainer):
    response = api_as(trainer).post("/api/v1/plans/", {}, format="json")
    assert response.status_code == 400
    assert {e["path"] for e in response.json()["errors"]} == {"client", "week_start", "document"}
