import datetime
from decimal import Decimal

import pytest
from rest_framework import serializers

from kinetix.accounts.services import coaching_link_end
from kinetix.coaching import selectors
from kinetix.coaching.api.workouts import SetLogSerializer, WorkoutSerializer
from kinetix.coaching.models import PlanStatus, SetLog, WorkoutSession
from notifications.models import Notification
from tests.factories import (
    ClientFactory,
    ExerciseFactory,
    PlanDayFactory,
    PlannedExerciseFactory,
    SetLogFactory,
    WeeklyPlanFactory,
    WorkoutSessionFactory,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/workouts/"
DAY = datetime.timedelta(days=1)


def published_day(*, trainer, client, exercises, status=PlanStatus.ACTIVE, weekday=1, week_start=None):
    """A plan day of a plan published to `client`, prescribing each of `exercises`."""
    today = client.local_today()
    plan = WeeklyPlanFactory(
        trainer=trainer, client=client, status=status, week_start=week_start or today - today.weekday() * DAY
    )
    day = PlanDayFactory(plan=plan, weekday=weekday)
    return day, [PlannedExerciseFactory(day=day, exercise=exercise) for exercise in exercises]


def a_set(exercise="test-squat", **fields):
    return {"exercise": exercise, "set_number": 1, "reps": 5, "load_kg": 100, **fields}


def test_client_logs_workout_against_plan_and_reads_it_back(api_as, trainer, client_user, exercises):
    squat, bench, _ = exercises
    day, (planned_squat, planned_bench) = published_day(trainer=trainer, client=client_user, exercises=[squat, bench])
    today = client_user.local_today()
    body = {
        "date": today.isoformat(),
        "plan_day": day.id,
        "notes": "Felt strong",
        "duration_minutes": 55,
        "sets": [
            a_set("test-squat", planned_exercise=planned_squat.id, set_number=1, reps=5, load_kg=100, rpe=7.5),
            a_set("test-squat", planned_exercise=planned_squat.id, set_number=2, reps=5, load_kg=102.5),
            # An id works as well as a slug; the load is kept to 0.01 kg.
            a_set(bench.id, planned_exercise=planned_bench.id, set_number=1, reps=8, load_kg=61.234),
        ],
    }
    api = api_as(client_user)
    response = api.post(URL, body, format="json")

    assert response.status_code == 201, response.json()
    workout = response.json()
    assert workout["date"] == today.isoformat()
    assert workout["plan_day"] == day.id
    assert workout["notes"] == "Felt strong"
    assert workout["duration_minutes"] == 55
    assert workout["client"] == client_user.id
    assert [(s["exercise"], s["set_number"], s["reps"], s["load_kg"], s["rpe"]) for s in workout["sets"]] == [
        ("test-squat", 1, 5, 100.0, 7.5),
        ("test-squat", 2, 5, 102.5, None),
        ("test-bench", 1, 8, 61.23, None),
    ]
    assert [s["planned_exercise"] for s in workout["sets"]] == [planned_squat.id, planned_squat.id, planned_bench.id]
    assert all(isinstance(s["id"], int) for s in workout["sets"])
    assert workout["total_sets"] == 3
    assert workout["tonnage_kg"] == pytest.approx(5 * 100 + 5 * 102.5 + 8 * 61.23)
    assert api.get(f"{URL}{workout['id']}/").json() == workout


def test_minimal_workout_needs_only_date_and_sets(api_as, client_user, exercises):
    response = api_as(client_user).post(
        URL, {"date": client_user.local_today().isoformat(), "sets": [a_set()]}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["plan_day"] is None
    assert response.json()["sets"][0]["planned_exercise"] is None


def test_perceived_effort_is_optional_stored_and_bounded(api_as, client_user, exercises):
    api = api_as(client_user)
    date = client_user.local_today().isoformat()

    rated = api.post(URL, {"date": date, "perceived_effort": 7, "sets": [a_set()]}, format="json")
    unrated = api.post(URL, {"date": date, "sets": [a_set()]}, format="json")
    too_hard = api.post(URL, {"date": date, "perceived_effort": 11, "sets": [a_set()]}, format="json")
    too_easy = api.post(URL, {"date": date, "perceived_effort": 0, "sets": [a_set()]}, format="json")

    assert rated.status_code == 201, rated.json()
    assert api.get(f"{URL}{rated.json()['id']}/").json()["perceived_effort"] == 7
    assert unrated.json()["perceived_effort"] is None
    assert [(e["path"], e["code"]) for e in too_hard.json()["errors"]] == [("perceived_effort", "less_than_equal")]
    assert [(e["path"], e["code"]) for e in too_easy.json()["errors"]] == [("perceived_effort", "greater_than_equal")]
    assert WorkoutSession.objects.count() == 2


def test_invalid_workout_is_refused_whole_with_every_error_path(
    api_as, trainer, client_user, other_trainer, other_client, exercises
):
    squat, bench, row = exercises
    day, (planned_squat,) = published_day(trainer=trainer, client=client_user, exercises=[squat], weekday=1)
    elsewhere = PlannedExerciseFactory(day=PlanDayFactory(plan=day.plan, weekday=3), exercise=bench)
    _, (not_mine,) = published_day(trainer=other_trainer, client=other_client, exercises=[row])
    sets = [a_set(set_number=n) for n in range(1, 12)]
    sets[0]["reps"] = 101
    sets[1]["exercise"] = "no-such-exercise"
    sets[2]["planned_exercise"] = not_mine.id
    sets[3]["planned_exercise"] = elsewhere.id
    sets[4]["planned_exercise"] = planned_squat.id  # fine: it is in the plan day
    sets[5]["rpe"] = 11
    sets[6]["colour"] = "red"
    del sets[7]["load_kg"]
    sets[10].update(load_kg=-1, exercise="nope")
    body = {
        "date": (client_user.local_today() + 2 * DAY).isoformat(),
        "plan_day": day.id,
        "duration_minutes": 601,
        "notes": "x" * 2001,
        "sets": sets,
    }
    response = api_as(client_user).post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    errors = [(error["path"], error["code"]) for error in response.json()["errors"]]
    assert errors == [
        ("date", "date_in_future"),
        ("duration_minutes", "less_than_equal"),
        ("notes", "string_too_long"),
        ("sets.0.reps", "less_than_equal"),
        ("sets.1.exercise", "unknown_exercise"),
        ("sets.2.planned_exercise", "unknown_planned_exercise"),
        ("sets.3.planned_exercise", "not_in_plan_day"),
        ("sets.5.rpe", "less_than_equal"),
        ("sets.6.colour", "extra_forbidden"),
        ("sets.7.load_kg", "missing"),
        ("sets.10.exercise", "unknown_exercise"),
        ("sets.10.load_kg", "greater_than_equal"),
    ]
    assert not WorkoutSession.objects.exists()
    assert not SetLog.objects.exists()


def test_plan_day_of_another_client_reads_like_a_missing_one(api_as, client_user, other_trainer, other_client):
    ExerciseFactory(slug="test-squat")
    theirs, _ = published_day(trainer=other_trainer, client=other_client, exercises=[])
    api = api_as(client_user)
    date = client_user.local_today().isoformat()

    foreign = api.post(URL, {"date": date, "plan_day": theirs.id, "sets": [a_set()]}, format="json")
    missing = api.post(URL, {"date": date, "plan_day": theirs.id + 1000, "sets": [a_set()]}, format="json")

    assert foreign.status_code == missing.status_code == 400
    assert foreign.json() == missing.json()
    assert foreign.json()["errors"] == [
        {"path": "plan_day", "code": "unknown_plan_day", "message": "No such day in your plans."}
    ]


@pytest.mark.parametrize(
    ("status", "expected"), [(PlanStatus.ACTIVE, 201), (PlanStatus.ARCHIVED, 201), (PlanStatus.DRAFT, 400)]
)
def test_workouts_may_fulfil_published_plans_only(api_as, trainer, client_user, exercises, status, expected):
    day, (planned,) = published_day(trainer=trainer, client=client_user, exercises=exercises[:1], status=status)
    body = {
        "date": client_user.local_today().isoformat(),
        "plan_day": day.id,
        "sets": [a_set(planned_exercise=planned.id)],
    }
    response = api_as(client_user).post(URL, body, format="json")
    assert response.status_code == expected, response.json()
    if expected == 400:
        assert {e["path"] for e in response.json()["errors"]} == {"plan_day", "sets.0.planned_exercise"}


def test_exercise_must_be_in_the_clients_library(api_as, trainer, client_user, other_trainer):
    ExerciseFactory(slug="coach-special", owner=trainer)
    ExerciseFactory(slug="rival-special", owner=other_trainer)
    api = api_as(client_user)
    date = client_user.local_today().isoformat()

    assert api.post(URL, {"date": date, "sets": [a_set("coach-special")]}, format="json").status_code == 201
    response = api.post(URL, {"date": date, "sets": [a_set("rival-special")]}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "sets.0.exercise"
    assert response.json()["errors"][0]["code"] == "unknown_exercise"


def test_exercise_library_is_the_current_trainers_among_many_links(api_as, trainer, other_trainer, exercises):
    # The trainer's exercises are found through the client's open link, among the trainer's other clients'
    # links and the client's ended ones: each exercise once, and a former trainer's no longer.
    ExerciseFactory(slug="coach-special", name="Coach Special", owner=trainer)
    ExerciseFactory(slug="former-special", owner=other_trainer)
    ClientFactory.create_batch(2, trainer=trainer)
    client = ClientFactory(trainer=other_trainer)
    coaching_link_end(trainer=other_trainer, client=client)
    client.trainer_links.create(trainer=trainer)
    api = api_as(client)
    date = client.local_today().isoformat()

    response = api.post(URL, {"date": date, "sets": [a_set("coach-special"), a_set("test-squat")]}, format="json")
    assert response.status_code == 201
    assert [(s["exercise"], s["exercise_name"]) for s in response.json()["sets"]] == [
        ("coach-special", "Coach Special"),
        ("test-squat", "Test Squat"),
    ]
    response = api.post(URL, {"date": date, "sets": [a_set("former-special")]}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "unknown_exercise"
    assert [item["slug"] for item in api.get("/api/v1/exercises/?search=special").json()["results"]] == [
        "coach-special"
    ]
    slugs = [item["slug"] for item in api.get("/api/v1/exercises/?page_size=100").json()["results"]]
    assert len(slugs) == len(set(slugs))


def test_a_prescriptions_exercise_may_be_logged_with_it_after_coaching_ends(api_as, trainer, client_user, exercises):
    # The plan is the client's own: its exercises are theirs to log against its prescriptions, even once the
    # trainer's private ones have left the client's library. Alone, or swapped in, an exercise is looked up there.
    private = ExerciseFactory(slug="coach-special", name="Coach Special", owner=trainer)
    day, (planned,) = published_day(
        trainer=trainer, client=client_user, exercises=[private], status=PlanStatus.ARCHIVED
    )
    coaching_link_end(trainer=trainer, client=client_user)
    api = api_as(client_user)
    date = client_user.local_today().isoformat()

    sets = [a_set("coach-special", planned_exercise=planned.id), a_set("test-squat", planned_exercise=planned.id)]
    response = api.post(URL, {"date": date, "plan_day": day.id, "sets": sets}, format="json")
    assert response.status_code == 201, response.json()
    assert [(s["exercise"], s["exercise_name"], s["planned_exercise"]) for s in response.json()["sets"]] == [
        ("coach-special", "Coach Special", planned.id),
        ("test-squat", "Test Squat", planned.id),
    ]
    response = api.post(URL, {"date": date, "sets": [a_set("coach-special")]}, format="json")
    assert response.status_code == 400
    assert [(e["path"], e["code"]) for e in response.json()["errors"]] == [("sets.0.exercise", "unknown_exercise")]


@pytest.mark.parametrize("prescribed", [True, False])
def test_a_workout_renders_as_its_declared_fields_do(trainer, client_user, exercises, prescribed):
    # The serializers write their rendering out for speed; DRF's rendering of the declared fields is the reference.
    squat, _, _ = exercises
    day, (planned,) = published_day(trainer=trainer, client=client_user, exercises=[squat])
    workout = WorkoutSessionFactory(
        client=client_user, plan_day=day if prescribed else None, notes="Heavy", duration_minutes=50
    )
    SetLogFactory(
        session=workout,
        exercise=squat,
        planned_exercise=planned if prescribed else None,
        load_kg=Decimal("61.23"),
        rpe=7.5,
    )
    SetLogFactory(session=workout, exercise=squat, load_kg=0, rpe=None)
    workout = selectors.workout_get_for_user(user=client_user, workout_id=workout.pk)

    for set_log in workout.set_list:
        serializer = SetLogSerializer()
        assert serializer.to_representation(set_log) == serializers.ModelSerializer.to_representation(
            serializer, set_log
        )
    serializer = WorkoutSerializer()
    assert serializer.to_representation(workout) == serializers.ModelSerializer.to_representation(serializer, workout)


def test_date_may_be_tomorrow_in_the_clients_time_zone_but_no_later(api_as, trainer, exercises):
    client = ClientFactory(trainer=trainer, timezone="Pacific/Kiritimati")
    api = api_as(client)
    tomorrow = client.local_today() + DAY

    assert api.post(URL, {"date": tomorrow.isoformat(), "sets": [a_set()]}, format="json").status_code == 201
    response = api.post(URL, {"date": (tomorrow + DAY).isoformat(), "sets": [a_set()]}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "date"


@pytest.mark.parametrize(
    ("body", "path", "code"),
    [
        ({"sets": []}, "sets", "too_short"),
        ({"sets": [a_set(set_number=n % 50 + 1) for n in range(101)]}, "sets", "too_long"),
        ({"sets": None}, "sets", "null"),
        ({"sets": ["squat"]}, "sets.0", "model_type"),
        ({"sets": [a_set(exercise=True)]}, "sets.0.exercise", "value_error"),
        ({"sets": [a_set(exercise="x" * 81)]}, "sets.0.exercise", "value_error"),
        ({"sets": [a_set(exercise="²")]}, "sets.0.exercise", "unknown_exercise"),
        ({"sets": [a_set(exercise=10**20)]}, "sets.0.exercise", "unknown_exercise"),
        ({"sets": [a_set(planned_exercise=10**20)]}, "sets.0.planned_exercise", "unknown_planned_exercise"),
        ({"plan_day": 10**20}, "plan_day", "unknown_plan_day"),
        ({"sets": [a_set(reps="five")]}, "sets.0.reps", "int_parsing"),
        ({"sets": [a_set(**{"²": 2})]}, "sets.0.²", "extra_forbidden"),
        ({"date": "yesterday"}, "date", "invalid"),
        ({"date": None}, "date", "null"),
        ({"plan_day": "first"}, "plan_day", "invalid"),
    ],
)
def test_bad_input_names_the_field(api_as, client_user, exercises, body, path, code):
    body = {"date": client_user.local_today().isoformat(), "sets": [a_set()], **body}
    response = api_as(client_user).post(URL, body, format="json")
    assert response.status_code == 400
    assert (response.json()["errors"][0]["path"], response.json()["errors"][0]["code"]) == (path, code)


def test_only_clients_log_workouts(api, api_as, trainer, exercises):
    body = {"date": "2026-01-05", "sets": [a_set()]}
    response = api_as(trainer).post(URL, body, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert api.post(URL, body, format="json").status_code == 401
    assert api.get(URL).status_code == 401


def test_client_lists_own_workouts_newest_first_within_dates(api_as, client_user, other_client):
    today = client_user.local_today()
    mine = [WorkoutSessionFactory(client=client_user, date=today - n * DAY) for n in (3, 0, 7, 1)]
    WorkoutSessionFactory(client=other_client, date=today)
    api = api_as(client_user)

    listed = api.get(URL).json()
    assert listed["count"] == 4
    assert [w["id"] for w in listed["results"]] == [mine[1].id, mine[3].id, mine[0].id, mine[2].id]

    window = api.get(URL, {"from": (today - 3 * DAY).isoformat(), "to": (today - DAY).isoformat()}).json()
    assert [w["id"] for w in window["results"]] == [mine[3].id, mine[0].id]

    backwards = api.get(URL, {"from": today.isoformat(), "to": (today - DAY).isoformat()})
    assert backwards.status_code == 400
    assert backwards.json()["errors"][0]["path"] == "to"
    assert api.get(URL, {"client": other_client.id}).status_code == 404
    assert api.get(URL, {"client": client_user.id}).json()["count"] == 4


def test_trainer_lists_current_clients_workouts(api_as, trainer, client_user, other_client):
    second = ClientFactory(trainer=trainer)
    former = ClientFactory(trainer=trainer)
    ours = [WorkoutSessionFactory(client=client_user), WorkoutSessionFactory(client=second)]
    WorkoutSessionFactory(client=former)
    WorkoutSessionFactory(client=other_client)
    coaching_link_end(trainer=trainer, client=former)
    api = api_as(trainer)

    assert {w["id"] for w in api.get(URL).json()["results"]} == {w.id for w in ours}
    assert [w["id"] for w in api.get(URL, {"client": second.id}).json()["results"]] == [ours[1].id]
    assert api.get(URL, {"client": other_client.id}).status_code == 404
    assert api.get(URL, {"client": former.id}).status_code == 404


def test_workout_detail_and_delete_are_scoped(api_as, trainer, client_user, other_trainer, other_client):
    workout = WorkoutSessionFactory(client=client_user)
    SetLogFactory(session=workout)
    url = f"{URL}{workout.id}/"

    assert api_as(trainer).get(url).status_code == 200
    assert api_as(other_trainer).get(url).status_code == 404
    assert api_as(other_client).get(url).status_code == 404
    assert api_as(trainer).delete(url).status_code == 403
    assert api_as(other_client).delete(url).status_code == 404
    assert WorkoutSession.objects.filter(pk=workout.pk).exists()

    assert api_as(client_user).delete(url).status_code == 204
    assert api_as(client_user).get(url).status_code == 404
    assert not SetLog.objects.exists()


def test_trainer_loses_sight_of_workouts_when_coaching_ends(api_as, trainer, client_user):
    workout = WorkoutSessionFactory(client=client_user)
    coaching_link_end(trainer=trainer, client=client_user)
    assert api_as(trainer).get(f"{URL}{workout.id}/").status_code == 404
    assert api_as(client_user).get(f"{URL}{workout.id}/").status_code == 200


@pytest.mark.parametrize(("workouts", "sets_each"), [(1, 1), (25, 6)])
def test_workout_list_reads_in_constant_queries(
    api_as, trainer, client_user, workouts, sets_each, django_assert_max_num_queries
):
    exercise = ExerciseFactory()
    for n in range(workouts):
        workout = WorkoutSessionFactory(client=client_user, date=client_user.local_today() - n * DAY)
        for set_number in range(1, sets_each + 1):
            SetLogFactory(session=workout, exercise=exercise, set_number=set_number)

    client_api, trainer_api = api_as(client_user), api_as(trainer)
    # auth, count, page, sets with their exercises (+ the client check for ?client=)
    with django_assert_max_num_queries(4):
        client_page = client_api.get(URL).json()
    with django_assert_max_num_queries(4):
        assert trainer_api.get(URL).json()["count"] == workouts
    with django_assert_max_num_queries(5):
        assert trainer_api.get(URL, {"client": client_user.id}).json()["count"] == workouts
    assert client_page["count"] == workouts
    assert sum(len(w["sets"]) for w in client_page["results"]) == min(workouts, 20) * sets_each


@pytest.mark.parametrize(("set_count", "prescribed"), [(1, True), (20, True), (20, False)])
def test_logging_a_workout_takes_constant_queries_and_leaves_the_trainer_to_a_task(
    api_as,
    trainer,
    client_user,
    exercises,
    set_count,
    prescribed,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
):
    day, planned = published_day(trainer=trainer, client=client_user, exercises=exercises)
    sets = [
        a_set(
            planned[n % 3].exercise.slug,
            planned_exercise=planned[n % 3].id if prescribed else None,
            set_number=n // 3 + 1,
            rpe=8,
        )
        for n in range(set_count)
    ]
    body = {"date": client_user.local_today().isoformat(), "plan_day": day.id, "sets": sets}
    api = api_as(client_user)

    # auth, the prescriptions with their exercises (which prove the plan day) or else the library and the plan
    # day, and one statement storing the workout with its sets and its notice, no transaction around it. The
    # trainer is told by a task queued for after the commit, and the answer is not read back.
    queries = 3 if prescribed else 4
    with django_capture_on_commit_callbacks() as queued, django_assert_max_num_queries(queries):
        response = api.post(URL, body, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["plan_day"] == day.id
    assert len(response.json()["sets"]) == response.json()["total_sets"] == set_count
    assert api.get(f"{URL}{response.json()['id']}/").json() == response.json()
    assert not Notification.objects.exists()
    for callback in queued:  # the commit
        callback()
    assert Notification.objects.get(user=trainer).event == "workout_logged"
