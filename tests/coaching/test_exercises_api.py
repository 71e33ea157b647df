import re

import factory
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kinetix.coaching.models import Exercise
from tests.factories import (
    ClientFactory,
    ExerciseFactory,
    InvitationFactory,
    PlannedExerciseFactory,
    SetLogFactory,
    TrainerFactory,
    plan_document,
)

pytestmark = pytest.mark.django_db

EXERCISES = "/api/v1/exercises/"
# The shipped library may already be in the database; every name made here carries this
# term so that a search for it sees only this test's rows.
TERM = "zqxj"
BATCH_NAME = factory.Sequence(lambda n: f"{TERM} Batch {n:04d}")


def slugs(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [item["slug"] for item in response.json()["results"]]


def error_paths(response) -> dict[str, str]:
    return {error["path"]: error["code"] for error in response.json()["errors"]}


def private_exercise(api, name=f"{TERM} Landmine Press", **fields):
    body = {"name": name, "equipment": "barbell", "primary_muscles": ["front_delts"], **fields}
    response = api.post(EXERCISES, body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.fixture
def library(db):
    """A small shared library, every row findable by TERM."""
    return {
        exercise.slug: exercise
        for exercise in [
            ExerciseFactory(
                slug=f"{TERM}-back-squat", name=f"{TERM} Back Squat", level="intermediate", muscles=["quads", "glutes"]
            ),
            ExerciseFactory(
                slug=f"{TERM}-db-press", name=f"{TERM} Dumbbell Press", equipment="dumbbell", muscles=["chest"]
            ),
            ExerciseFactory(
                slug=f"{TERM}-cable-row",
                name=f"{TERM} Cable Row",
                equipment="cable",
                level="advanced",
                muscles=["lats"],
            ),
            ExerciseFactory(
                slug=f"{TERM}-hip-stretch",
                name=f"{TERM} Hip Stretch",
                equipment="bodyweight",
                category="mobility",
                muscles=["hip_flexors"],
            ),
        ]
    }


# Listing and filters ---------------------------------------------------------------------------


def test_list_is_paginated_and_items_carry_the_contract_fields(api_as, client_user, library):
    response = api_as(client_user).get(EXERCISES, {"search": TERM})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 4
    squat = next(item for item in body["results"] if item["slug"] == f"{TERM}-back-squat")
    assert squat["name"] == f"{TERM} Back Squat"
    assert squat["equipment"] == "barbell"
    assert squat["muscles"] == ["quads", "glutes"]
    assert squat["level"] == "intermediate"
    assert squat["private"] is False


def test_list_is_ordered_by_name(api_as, trainer, library):
    assert slugs(api_as(trainer).get(EXERCISES, {"search": TERM})) == [
        f"{TERM}-back-squat",
        f"{TERM}-cable-row",
        f"{TERM}-db-press",
        f"{TERM}-hip-stretch",
    ]


def test_search_matches_name_or_slug_ignoring_case(api_as, trainer, library):
    api = api_as(trainer)

    assert slugs(api.get(EXERCISES, {"search": f"{TERM.upper()} cable"})) == [f"{TERM}-cable-row"]
    assert slugs(api.get(EXERCISES, {"search": f"{TERM}-db"})) == [f"{TERM}-db-press"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("equipment=dumbbell", {"db-press"}),
        ("equipment=dumbbell&equipment=cable", {"db-press", "cable-row"}),
        ("equipment=dumbbell,cable", {"db-press", "cable-row"}),
        ("equipment=dumbbell,cable&equipment=bodyweight", {"db-press", "cable-row", "hip-stretch"}),
        ("muscle=glutes", {"back-squat"}),
        ("muscle=chest,lats", {"db-press", "cable-row"}),
        ("level=beginner", {"db-press", "hip-stretch"}),
        ("level=intermediate&level=advanced", {"back-squat", "cable-row"}),
        ("category=mobility", {"hip-stretch"}),
        ("equipment=barbell&muscle=chest", set()),
        ("equipment=barbell,dumbbell&level=beginner", {"db-press"}),
    ],
)
def test_filters_narrow_the_list(api_as, trainer, library, query, expected):
    response = api_as(trainer).get(f"{EXERCISES}?search={TERM}&{query}")

    assert set(slugs(response)) == {f"{TERM}-{slug}" for slug in expected}


@pytest.mark.parametrize(
    ("query", "path"),
    [
        ("equipment=spaceship", "equipment"),
        ("equipment=barbell,spaceship", "equipment"),
        ("muscle=wings", "muscle"),
        ("level=expert", "level"),
        ("category=yoga", "category"),
        (f"search={'x' * 101}", "search"),
    ],
)
def test_invalid_filter_value_is_400_with_its_path(api_as, trainer, query, path):
    response = api_as(trainer).get(f"{EXERCISES}?{query}")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert set(error_paths(response)) == {path}


def test_page_size_is_capped_at_100(api_as, trainer):
    ExerciseFactory.create_batch(101, name=BATCH_NAME)

    response = api_as(trainer).get(EXERCISES, {"search": TERM, "page_size": 500})

    body = response.json()
    assert body["count"] == 101
    assert len(body["results"]) == 100
    assert body["next"] is not None
    assert len(api_as(trainer).get(EXERCISES, {"search": TERM, "page_size": 7}).json()["results"]) == 7


def test_list_reads_in_constant_queries(api_as, trainer, client_user, library):
    def count_queries(api) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get(EXERCISES, {"search": TERM, "page_size": 100}).status_code == 200
        return len(queries)

    api = api_as(client_user)
    few = count_queries(api)
    ExerciseFactory.create_batch(20, name=BATCH_NAME, muscles=["chest", "triceps"])
    private_exercise(api_as(trainer))

    assert count_queries(api) == few


def test_empty_filter_values_are_ignored(api_as, trainer, library):
    response = api_as(trainer).get(f"{EXERCISES}?search=&equipment=&muscle=&level=&category=&mine=")

    assert response.status_code == 200, response.json()
    assert response.json()["count"] == Exercise.objects.filter(owner__isnull=True).count()


def test_anonymous_cannot_read_the_library(api, library):
    response = api.get(EXERCISES)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


# Private exercises -----------------------------------------------------------------------------


def test_trainer_creates_private_exercise_with_slug_from_name(api_as, trainer):
    api = api_as(trainer)

    created = private_exercise(
        api,
        name=f"{TERM.title()} Landmine Press!",
        primary_muscles=["front_delts", "chest"],
        secondary_muscles=["triceps"],
        level="intermediate",
        instructions="Press the bar up and forward.",
    )

    assert created["slug"] == f"{TERM}-landmine-press"
    assert created["private"] is True
    assert created["muscles"] == ["front_delts", "chest", "triceps"]
    assert created["primary_muscles"] == ["front_delts", "chest"]
    assert created["secondary_muscles"] == ["triceps"]
    assert created["level"] == "intermediate"
    assert Exercise.objects.get(slug=created["slug"]).owner == trainer
    assert slugs(api.get(EXERCISES, {"search": TERM})) == [created["slug"]]
    assert api.get(f"{EXERCISES}{created['slug']}/").json() == created
    assert api.get(f"{EXERCISES}{created['id']}/").json() == created


def test_slug_gets_a_unique_suffix_when_the_name_is_taken(api_as, trainer, other_trainer, library):
    first = private_exercise(api_as(trainer), name=f"{TERM} Back Squat")
    second = private_exercise(api_as(trainer), name=f"{TERM} back squat")
    theirs = private_exercise(api_as(other_trainer), name=f"{TERM} Back Squat")

    assert [first["slug"], second["slug"], theirs["slug"]] == [
        f"{TERM}-back-squat-2",
        f"{TERM}-back-squat-3",
        f"{TERM}-back-squat-4",
    ]


@pytest.mark.parametrize(
    "name",
    [f"{TERM} Pull_Up", f"{TERM} {'a' * 64} Finish", "1000", "2024 Challenge"],
    ids=["underscore", "cut-at-a-hyphen", "number", "leading-number"],
)
def test_private_exercise_slug_works_in_urls_and_plans(api_as, trainer, client_user, name):
    api = api_as(trainer)
    created = private_exercise(api, name=name)

    assert created["name"] == name
    assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", created["slug"]), created["slug"]
    assert api.get(f"{EXERCISES}{created['slug']}/").json()["id"] == created["id"]
    plan = {"client": client_user.id, "week_start": "2026-11-30", "document": plan_document([created["slug"]], days=1)}
    assert api.post("/api/v1/plans/", plan, format="json").status_code == 201


def test_slug_of_an_unsluggable_name_still_works(api_as, trainer):
    created = private_exercise(api_as(trainer), name="!!!")

    assert created["slug"].startswith("exercise")
    assert api_as(trainer).get(f"{EXERCISES}{created['slug']}/").status_code == 200


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"primary_muscles": []}, "primary_muscles"),
        ({"primary_muscles": ["wings"]}, "primary_muscles.0"),
        ({"equipment": "spaceship"}, "equipment"),
        ({"secondary_muscles": ["front_delts"]}, "secondary_muscles"),
        ({"name": ""}, "name"),
    ],
)
def test_invalid_private_exercise_is_refused_at_its_field(api_as, trainer, fields, path):
    body = {"name": f"{TERM} Thing", "equipment": "barbell", "primary_muscles": ["front_delts"], **fields}

    response = api_as(trainer).post(EXERCISES, body, format="json")

    assert response.status_code == 400
    assert path in error_paths(response)
    assert not Exercise.objects.filter(owner=trainer).exists()


def test_private_exercise_is_hidden_from_other_trainers_and_their_clients(api_as, trainer, other_trainer):
    created = private_exercise(api_as(trainer))
    outsiders = [other_trainer, ClientFactory(trainer=other_trainer), ClientFactory(trainer=False)]

    for outsider in outsiders:
        api = api_as(outsider)
        assert slugs(api.get(EXERCISES, {"search": TERM})) == []
        for key in (created["slug"], created["id"]):
            response = api.get(f"{EXERCISES}{key}/")
            assert response.status_code == 404
            assert response.json()["code"] == "not_found"


def test_trainers_own_client_sees_the_private_exercise(api_as, trainer, client_user, library):
    created = private_exercise(api_as(trainer))
    api = api_as(client_user)

    listed = slugs(api.get(EXERCISES, {"search": TERM}))
    assert created["slug"] in listed
    assert len(listed) == 5
    assert api.get(f"{EXERCISES}{created['slug']}/").json()["private"] is True


def test_client_stops_seeing_private_exercises_of_a_former_trainer(api_as, trainer, client_user):
    created = private_exercise(api_as(trainer))
    invitation = InvitationFactory(trainer=TrainerFactory())
    accept = api_as(client_user).post("/api/v1/invitations/accept/", {"code": invitation.code}, format="json")
    assert accept.status_code == 200

    assert api_as(client_user).get(f"{EXERCISES}{created['slug']}/").status_code == 404


def test_mine_lists_only_the_trainers_private_exercises(api_as, trainer, other_trainer, library):
    created = private_exercise(api_as(trainer))
    private_exercise(api_as(other_trainer), name=f"{TERM} Other Press")

    assert slugs(api_as(trainer).get(EXERCISES, {"mine": "true"})) == [created["slug"]]


@pytest.mark.parametrize("key", ["no-such-exercise", "99999999", "99999999999999999999", "²", "nul%00byte"])
def test_unknown_exercise_is_404(api_as, trainer, key):
    response = api_as(trainer).get(f"{EXERCISES}{key}/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_trainer_changes_own_private_exercise_keeping_its_slug(api_as, trainer):
    api = api_as(trainer)
    created = private_exercise(api, secondary_muscles=["triceps"])

    response = api.patch(
        f"{EXERCISES}{created['slug']}/", {"name": f"{TERM} Landmine Push", "level": "advanced"}, format="json"
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["slug"], body["name"], body["level"]) == (created["slug"], f"{TERM} Landmine Push", "advanced")
    assert body["muscles"] == ["front_delts", "triceps"]
    assert api.get(f"{EXERCISES}{created['id']}/").json() == body


def test_patch_replaces_muscles(api_as, trainer):
    api = api_as(trainer)
    created = private_exercise(api, secondary_muscles=["triceps"])

    response = api.patch(
        f"{EXERCISES}{created['id']}/", {"primary_muscles": ["chest"], "secondary_muscles": []}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["muscles"] == ["chest"]


def test_shared_and_others_exercises_cannot_be_changed_or_deleted(api_as, trainer, other_trainer, library):
    theirs = private_exercise(api_as(other_trainer))
    shared = library[f"{TERM}-back-squat"]
    api = api_as(trainer)

    for key in (shared.slug, theirs["slug"], theirs["id"]):
        assert api.patch(f"{EXERCISES}{key}/", {"name": "Renamed"}, format="json").status_code == 404
        assert api.delete(f"{EXERCISES}{key}/").status_code == 404

    assert Exercise.objects.get(pk=shared.pk).name == shared.name
    assert Exercise.objects.get(pk=theirs["id"]).name == theirs["name"]


def test_trainer_deletes_an_unused_private_exercise(api_as, trainer):
    api = api_as(trainer)
    created = private_exercise(api)

    response = api.delete(f"{EXERCISES}{created['slug']}/")

    assert response.status_code == 204
    assert api.get(f"{EXERCISES}{created['slug']}/").status_code == 404
    assert not Exercise.objects.filter(pk=created["id"]).exists()


def test_exercise_used_in_a_plan_or_workout_cannot_be_deleted(api_as, trainer):
    api = api_as(trainer)
    planned = Exercise.objects.get(pk=private_exercise(api)["id"])
    logged = Exercise.objects.get(pk=private_exercise(api, name=f"{TERM} Logged Lift")["id"])
    PlannedExerciseFactory(exercise=planned, day__plan__trainer=trainer)
    SetLogFactory(exercise=logged)

    for exercise in (planned, logged):
        response = api.delete(f"{EXERCISES}{exercise.slug}/")
        assert response.status_code == 409
        assert response.json()["code"] == "exercise_in_use"
        assert Exercise.objects.filter(pk=exercise.pk).exists()


def test_clients_cannot_create_change_or_delete_exercises(api_as, trainer, client_user):
    created = private_exercise(api_as(trainer))
    api = api_as(client_user)

    create = api.post(
        EXERCISES, {"name": f"{TERM} Mine", "equipment": "barbell", "primary_muscles": ["quads"]}, format="json"
    )
    change = api.patch(f"{EXERCISES}{created['slug']}/", {"name": "Renamed"}, format="json")
    delete = api.delete(f"{EXERCISES}{created['slug']}/")

    assert [create.status_code, change.status_code, delete.status_code] == [403, 403, 403]
    assert create.json()["code"] == "permission_denied"
    assert Exercise.objects.filter(owner__isnull=False).count() == 1
    assert Exercise.objects.get(pk=created["id"]).name == created["name"]
