"""WeeklyPlan schema version 2 (per-set targets) beside version 1 clients (docs/API.md "Versions")."""

import datetime

import pytest

from aiplans.models import GenerationStatus, PlanGeneration
from kinetix.coaching.models import Exercise, PlannedExercise
from kinetix.coaching.plan_document import PlanDocumentError, document_validate
from tests.factories import plan_document

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 11, 30)
PYRAMID = [
    {"reps_min": 10, "reps_max": 12, "rpe": 6, "load_kg": 60},
    {"reps_min": 8, "reps_max": 10, "rpe": 7, "load_kg": 70},
    {"reps_min": 5, "reps_max": 6, "rpe": 9, "load_kg": 80},
]


def v2_document(slugs: list[str], **overrides) -> dict:
    """A version 2 document whose first prescription is a pyramid, the others v1-style summaries upgraded."""
    document = plan_document(slugs, days=1, **overrides)
    document["schema_version"] = 2
    for item in document["days"][0]["exercises"]:
        for name in ("sets", "reps_min", "reps_max", "rpe", "load_kg"):
            item.pop(name)
        item["set_targets"] = [{"reps_min": 6, "reps_max": 8, "rpe": 8, "load_kg": None}] * 4
    document["days"][0]["exercises"][0]["set_targets"] = PYRAMID
    return document


def create(api, client_user, document: dict, query: str = ""):
    body = {"client": client_user.id, "week_start": MONDAY.isoformat(), "document": document}
    return api.post(f"/api/v1/plans/{query}", body, format="json")


def test_a_v1_document_is_upgraded_to_as_many_equal_set_targets(exercises):
    document = plan_document([exercises[0].slug], days=1)
    document["days"][0]["exercises"][0].update(sets=3, reps_min=5, reps_max=5, rpe=8.5, load_kg=100)

    upgraded = document_validate(document, exercises=Exercise.objects.all()).document

    assert upgraded.schema_version == 2
    item = upgraded.days[0].exercises[0]
    assert [target.model_dump() for target in item.set_targets] == [
        {"reps_min": 5, "reps_max": 5, "rpe": 8.5, "load_kg": 100.0}
    ] * 3
    assert (item.sets, item.reps_min, item.reps_max, item.rpe, item.load_kg) == (3, 5, 5, 8.5, 100.0)


def test_a_v1_clients_errors_name_v1_fields(exercises):
    document = plan_document([exercises[0].slug], days=1, schema_version=1)
    document["days"][0]["exercises"][0]["reps_min"] = 0
    document["days"][0]["exercises"][0]["sets"] = 11

    with pytest.raises(PlanDocumentError) as refused:
        document_validate(document, exercises=Exercise.objects.all())

    assert [(e.path, e.code) for e in refused.value.errors] == [
        ("days.0.exercises.0.reps_min", "greater_than_equal"),
        ("days.0.exercises.0.sets", "less_than_equal"),
    ]


def test_a_summary_edited_after_reading_prescribes_equal_sets_as_in_v1(exercises):
    # A client that knows only v1 fields reads the default (v2) answer, changes `sets` and sends it back.
    document = v2_document([exercises[0].slug])
    document["days"][0]["exercises"][0].update(sets=4, reps_min=5, reps_max=12, rpe=9, load_kg=75)

    item = document_validate(document, exercises=Exercise.objects.all()).document.days[0].exercises[0]

    assert [target.model_dump() for target in item.set_targets] == [
        {"reps_min": 5, "reps_max": 12, "rpe": 9.0, "load_kg": 75.0}
    ] * 4


def test_a_summary_that_agrees_with_the_set_targets_keeps_them(exercises):
    document = v2_document([exercises[0].slug])
    document["days"][0]["exercises"][0].update(sets=3, reps_min=5, reps_max=12, rpe=9, load_kg=80)

    item = document_validate(document, exercises=Exercise.objects.all()).document.days[0].exercises[0]

    assert [target.load_kg for target in item.set_targets] == [60.0, 70.0, 80.0]


def test_a_prescription_needs_set_targets_or_a_v1_summary(exercises):
    document = v2_document([exercises[0].slug])
    document["days"][0]["exercises"][0] = {"exercise": exercises[0].slug, "sets": 3}

    with pytest.raises(PlanDocumentError) as refused:
        document_validate(document, exercises=Exercise.objects.all())

    assert [(e.path, e.code) for e in refused.value.errors] == [("days.0.exercises.0", "set_targets_missing")]


def test_set_targets_in_a_document_without_a_version_are_refused_as_v1(exercises):
    document = v2_document([exercises[0].slug])
    del document["schema_version"]

    with pytest.raises(PlanDocumentError) as refused:
        document_validate(document, exercises=Exercise.objects.all())

    assert ("days.0.exercises.0.set_targets", "extra_forbidden") in {(e.path, e.code) for e in refused.value.errors}


def test_a_pyramid_comes_back_set_by_set_with_its_summary(api_as, trainer, client_user, exercises):
    response = create(api_as(trainer), client_user, v2_document([e.slug for e in exercises]))

    assert response.status_code == 201, response.json()
    assert "Deprecation" not in response
    document = response.json()["document"]
    assert document["schema_version"] == 2
    pyramid, uniform = document["days"][0]["exercises"][:2]
    assert pyramid["set_targets"] == [{**target, "rpe": float(target["rpe"])} for target in PYRAMID]
    summary = {name: pyramid[name] for name in ("sets", "reps_min", "reps_max", "rpe", "load_kg")}
    assert summary == {"sets": 3, "reps_min": 5, "reps_max": 12, "rpe": 9.0, "load_kg": 80.0}
    assert uniform["set_targets"] == [{"reps_min": 6, "reps_max": 8, "rpe": 8.0, "load_kg": None}] * 4


def test_a_v1_client_reads_the_summary_and_is_told_v1_is_deprecated(api_as, trainer, client_user, exercises):
    api = api_as(trainer)
    plan_id = create(api, client_user, v2_document([e.slug for e in exercises])).json()["id"]

    response = api.get(f"/api/v1/plans/{plan_id}/?schema_version=1")

    assert response.status_code == 200
    document = response.json()["document"]
    assert document["schema_version"] == 1
    pyramid = document["days"][0]["exercises"][0]
    assert "set_targets" not in pyramid
    assert (pyramid["sets"], pyramid["reps_min"], pyramid["reps_max"], pyramid["load_kg"]) == (3, 5, 12, 80.0)
    assert response["Deprecation"].startswith("@")
    assert response["Sunset"].endswith("GMT")
    assert 'rel="deprecation"' in response["Link"]


def test_a_v1_document_sent_as_before_still_creates_the_plan(api_as, trainer, client_user, exercises):
    response = create(api_as(trainer), client_user, plan_document([e.slug for e in exercises]))

    assert response.status_code == 201, response.json()
    assert response.json()["document"]["schema_version"] == 2
    assert response["Deprecation"].startswith("@")


def test_a_v1_client_sending_a_plan_back_keeps_the_set_targets_it_cannot_see(api_as, trainer, client_user, exercises):
    api = api_as(trainer)
    plan_id = create(api, client_user, v2_document([e.slug for e in exercises])).json()["id"]
    read = api.get(f"/api/v1/plans/{plan_id}/?schema_version=1").json()["document"]
    read["title"] = "Renamed by an old app"
    read["days"][0]["exercises"][1]["sets"] = 3  # the uniform one, changed

    response = api.put(f"/api/v1/plans/{plan_id}/", read, format="json")

    assert response.status_code == 200, response.json()
    pyramid, changed = response.json()["document"]["days"][0]["exercises"][:2]
    assert [target["load_kg"] for target in pyramid["set_targets"]] == [60.0, 70.0, 80.0]
    assert changed["set_targets"] == [{"reps_min": 6, "reps_max": 8, "rpe": 8.0, "load_kg": None}] * 3


def test_a_v1_client_changing_a_pyramid_gets_equal_sets(api_as, trainer, client_user, exercises):
    api = api_as(trainer)
    plan_id = create(api, client_user, v2_document([e.slug for e in exercises])).json()["id"]
    read = api.get(f"/api/v1/plans/{plan_id}/?schema_version=1").json()["document"]
    read["days"][0]["exercises"][0]["load_kg"] = 75

    response = api.put(f"/api/v1/plans/{plan_id}/?schema_version=1", read, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["document"]["days"][0]["exercises"][0]["load_kg"] == 75.0
    stored = PlannedExercise.objects.get(pk=read["days"][0]["exercises"][0]["id"])
    assert (stored.sets, stored.reps_min, stored.reps_max, stored.set_targets) == (3, 5, 12, [])


def test_the_client_reads_todays_plan_in_either_version(
    api_as, trainer, client_user, exercises, django_assert_max_num_queries
):
    api = api_as(trainer)
    plan_id = create(api, client_user, v2_document([e.slug for e in exercises])).json()["id"]
    api.post(f"/api/v1/plans/{plan_id}/activate/")
    client_api = api_as(client_user)

    with django_assert_max_num_queries(3):
        latest = client_api.get(f"/api/v1/me/plan/?date={MONDAY}").json()
    v1 = client_api.get(f"/api/v1/me/plan/?date={MONDAY}&schema_version=1").json()

    assert latest["plan_id"] == v1["plan_id"] == plan_id
    assert len(latest["days"][0]["exercises"][0]["set_targets"]) == 3
    assert v1["schema_version"] == 1
    assert "set_targets" not in v1["days"][0]["exercises"][0]


@pytest.mark.parametrize("asked", ["3", "0", "two"])
def test_an_unknown_version_asked_for_is_a_clear_400(api_as, trainer, client_user, asked):
    response = api_as(client_user).get(f"/api/v1/me/plan/?schema_version={asked}")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "unsupported_schema_version"
    assert [error["path"] for error in body["errors"]] == ["schema_version"]


def test_a_draft_stored_in_v1_is_answered_in_v2_and_approved(api_as, trainer, client_user, exercises):
    draft = plan_document([exercises[0].slug], days=1, schema_version=1)
    generation = PlanGeneration.objects.create(
        trainer=trainer,
        requested_by=trainer,
        client=client_user,
        goal="hypertrophy",
        level="intermediate",
        equipment=["barbell"],
        days_per_week=1,
        session_minutes=45,
        status=GenerationStatus.NEEDS_REVIEW,
        draft=draft,
    )
    api = api_as(trainer)

    latest = api.get(f"/api/v1/ai/generations/{generation.id}/").json()["document"]
    as_stored = api.get(f"/api/v1/ai/generations/{generation.id}/?schema_version=1").json()["document"]
    approved = api.post(f"/api/v1/ai/generations/{generation.id}/approve/", {}, format="json")

    assert latest["schema_version"] == 2
    assert len(latest["days"][0]["exercises"][0]["set_targets"]) == 4
    assert as_stored == draft
    assert approved.status_code == 201, approved.json()
    generation.refresh_from_db()
    assert not generation.was_edited


def test_a_body_that_is_not_json_is_still_a_clear_400_on_a_versioned_route(api_as, trainer):
    response = api_as(trainer).generic(
        "POST", "/api/v1/plans/?schema_version=9", b"\xac{", content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "unsupported_schema_version"
