import datetime
import json

import pytest

from kinetix.coaching.models import Exercise, PlannedExercise, WeeklyPlan
from kinetix.coaching.plan_document import (
    SCHEMA_VERSION,
    PlanDocumentError,
    WeeklyPlanDocument,
    WeeklyPlanDocumentV1,
    document_dumped_read,
    document_from_plan,
    document_in_version,
    document_read,
    document_upgrade,
    document_validate,
    documents_read,
    documents_streamed,
    json_schema,
)
from kinetix.coaching.selectors import plan_with_content
from kinetix.coaching.services import plan_create, plan_update
from tests.factories import ExerciseFactory, SetLogFactory, plan_document

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 11, 30)


def test_document_round_trips_through_storage(trainer, client_user, exercises):
    document = plan_document([e.slug for e in exercises], days=2)
    document["days"][1]["exercises"][0].update(rpe=7.5, load_kg=102.5, tempo="3-1-1-0", notes="Pause at the bottom")

    plan = plan_create(trainer=trainer, client_id=client_user.id, week_start=MONDAY, document=document)
    stored = document_in_version(document_from_plan(plan_with_content(plan=plan)), 1)

    for day in stored["days"]:
        assert day.pop("id")
        for exercise in day["exercises"]:
            assert exercise.pop("id")
    assert stored == document


def test_the_one_query_read_renders_what_the_prefetched_plan_renders(
    trainer, client_user, exercises, django_assert_num_queries
):
    document = plan_document([e.slug for e in exercises], days=3)
    document["days"][2]["exercises"][0].update(rpe=7.5, load_kg=102.5, tempo="3-1-1-0", notes="Pause at the bottom")
    plan = plan_create(trainer=trainer, client_id=client_user.id, week_start=MONDAY, document=document)
    PlannedExercise.objects.filter(day__plan=plan, day__weekday=2).delete()  # a day left empty (admin edits)

    with django_assert_num_queries(1):
        read = document_read(plan)

    assert read == document_from_plan(plan_with_content(plan=plan))
    assert read["days"][1]["exercises"] == []


def test_plans_read_together_render_each_as_it_renders_alone(
    trainer, client_user, exercises, django_assert_num_queries
):
    slugs = [e.slug for e in exercises]
    pyramid = dict(plan_document(slugs, days=2), schema_version=2)
    first = pyramid["days"][0]["exercises"][0]
    for name in ("sets", "reps_min", "reps_max", "rpe", "load_kg"):
        first.pop(name)
    first["set_targets"] = [{"reps_min": 8, "reps_max": 10, "rpe": 7, "load_kg": 60}, {"reps_min": 5, "reps_max": 5}]
    documents = [plan_document(slugs, days=3), pyramid, plan_document(slugs[:1], days=1)]
    weeks = [MONDAY + datetime.timedelta(weeks=n) for n in range(3)]
    plans = [
        plan_create(trainer=trainer, client_id=client_user.id, week_start=week_start, document=document)
        for week_start, document in zip(weeks, documents, strict=True)
    ]
    plans[2].days.all().delete()  # a plan left without days (admin edits)
    PlannedExercise.objects.filter(day=plans[0].days.last()).delete()  # and a day without prescriptions

    with django_assert_num_queries(1):
        streamed = [(plan, document) for plan, document in documents_streamed(WeeklyPlan.objects.order_by("-pk"))]

    assert [plan.pk for plan, _ in streamed] == [plan.pk for plan in plans]  # in the order of their ids
    assert [plan.title for plan, _ in streamed] == [document["title"] for document in documents]
    streamed = {plan.pk: document for plan, document in streamed}
    assert streamed == documents_read(plans)
    assert streamed == {plan.pk: document_from_plan(plan_with_content(plan=plan)) for plan in plans}


def test_upgrading_a_version_1_document_leaves_it_as_it_was(exercises):
    document = plan_document([e.slug for e in exercises], days=2)
    sent = json.loads(json.dumps(document))

    upgraded = document_upgrade(document)

    assert document == sent
    assert upgraded["schema_version"] == SCHEMA_VERSION
    assert upgraded["days"][1]["exercises"][0] == {
        **sent["days"][1]["exercises"][0],
        "set_targets": [{"reps_min": 6, "reps_max": 8, "rpe": 8, "load_kg": None}] * 4,
    }


def test_every_library_exercise_slug_is_a_valid_document_slug():
    # The shipped library is loaded by a data migration; a plan must be able to name any of it.
    slugs = list(Exercise.objects.filter(owner=None).values_list("slug", flat=True))
    assert len(slugs) >= 150
    document = plan_document(slugs[:15], days=1)
    assert document_validate(document, exercises=Exercise.objects.all()).document.exercise_slugs() == set(slugs[:15])


def test_newer_schema_version_is_refused_with_a_clear_error(exercises):
    document = plan_document([e.slug for e in exercises], schema_version=SCHEMA_VERSION + 1)
    with pytest.raises(PlanDocumentError) as refused:
        document_validate(document, exercises=Exercise.objects.all())
    assert [(e.path, e.code) for e in refused.value.errors] == [("schema_version", "unsupported_schema_version")]


def test_duplicate_weekdays_and_structure_errors_are_reported_together(exercises):
    document = plan_document([e.slug for e in exercises], days=2)
    document["days"][1]["weekday"] = 1
    document["days"][0]["exercises"][0]["rest_seconds"] = 601
    with pytest.raises(PlanDocumentError) as refused:
        document_validate(document, exercises=Exercise.objects.all())
    assert [(e.path, e.code) for e in refused.value.errors] == [
        ("days.0.exercises.0.rest_seconds", "less_than_equal"),
        ("days.1.weekday", "duplicate_weekday"),
    ]


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d.update(days=[]), "days"),
        (lambda d: d["days"][0].update(exercises=[]), "days.0.exercises"),
        (lambda d: d.update(goal="bulk"), "goal"),
        (lambda d: d.update(level="pro"), "level"),
        (lambda d: d["days"][0].update(weekday=8), "days.0.weekday"),
        (lambda d: d["days"][0]["exercises"][0].update(rpe=11), "days.0.exercises.0.rpe"),
        (lambda d: d["days"][0]["exercises"][0].update(load_kg=-1), "days.0.exercises.0.load_kg"),
        (lambda d: d["days"][0]["exercises"][0].update(reps_min=0), "days.0.exercises.0.reps_min"),
        (lambda d: d["days"][0]["exercises"][0].update(surprise=1), "days.0.exercises.0.surprise"),
        (lambda d: d.pop("title"), "title"),
    ],
)
def test_each_bound_is_enforced_at_its_path(exercises, change, path):
    document = plan_document([e.slug for e in exercises], days=1)
    change(document)
    with pytest.raises(PlanDocumentError) as refused:
        document_validate(document, exercises=Exercise.objects.all())
    assert path in {e.path for e in refused.value.errors}


def test_json_schema_carries_the_bounds_for_an_llm():
    schema = json_schema()
    planned = schema["$defs"]["PlannedExerciseDocument"]["properties"]
    assert planned["set_targets"]["anyOf"][0]["minItems"] == 1
    assert planned["set_targets"]["anyOf"][0]["maxItems"] == 10
    assert schema["$defs"]["SetTargetDocument"]["properties"]["reps_max"]["maximum"] == 50
    assert schema["properties"]["days"]["maxItems"] == 7


def test_update_keeps_prescriptions_sent_back_with_their_ids(trainer, client_user, exercises):
    plan = plan_create(
        trainer=trainer, client_id=client_user.id, week_start=MONDAY, document=plan_document([exercises[0].slug])
    )
    read = document_from_plan(plan_with_content(plan=plan))
    kept = read["days"][0]["exercises"][0]
    logged = SetLogFactory(planned_exercise_id=kept["id"], exercise=exercises[0], session__client=client_user)
    dropped_ids = [day["exercises"][0]["id"] for day in read["days"][1:]]

    kept["sets"] = 5
    read["days"][0]["exercises"].append({"exercise": exercises[1].slug, "sets": 2, "reps_min": 10, "reps_max": 12})
    read["days"] = read["days"][:1]
    plan_update(plan=plan, document=read)

    logged.refresh_from_db()
    assert logged.planned_exercise_id == kept["id"]
    assert PlannedExercise.objects.get(pk=kept["id"]).sets == 5
    assert not PlannedExercise.objects.filter(pk__in=dropped_ids).exists()
    assert PlannedExercise.objects.filter(day__plan=plan).count() == 2


def test_ids_of_another_plan_are_not_adopted(trainer, client_user, exercises):
    first = plan_create(
        trainer=trainer, client_id=client_user.id, week_start=MONDAY, document=plan_document([exercises[0].slug])
    )
    foreign_id = PlannedExercise.objects.filter(day__plan=first).first().id
    second = plan_create(
        trainer=trainer,
        client_id=client_user.id,
        week_start=MONDAY + datetime.timedelta(days=7),
        document=plan_document([exercises[0].slug]),
    )
    document = plan_document([exercises[1].slug], days=1)
    document["days"][0]["exercises"][0]["id"] = foreign_id
    plan_update(plan=second, document=document)

    assert PlannedExercise.objects.get(pk=foreign_id).day.plan_id == first.id
    assert PlannedExercise.objects.filter(day__plan=second).get().exercise.slug == exercises[1].slug


def test_private_exercise_of_another_trainer_is_unknown(trainer, other_trainer, client_user):
    private = ExerciseFactory(owner=other_trainer)
    with pytest.raises(PlanDocumentError) as refused:
        plan_create(
            trainer=trainer, client_id=client_user.id, week_start=MONDAY, document=plan_document([private.slug])
        )
    assert {e.code for e in refused.value.errors} == {"unknown_exercise"}


def _dumped(model: type, document: dict) -> dict:
    dumped = model.model_validate(document).model_dump(mode="json")
    for day in dumped["days"]:
        day.pop("id")
        for item in day["exercises"]:
            item.pop("id")
    return dumped


@pytest.mark.parametrize("version", [1, 2])
def test_a_stored_dump_reads_back_as_validating_it_gives(version):
    document = plan_document(["back-squat", "bench-press"], days=2)
    document["days"][0]["exercises"][0].update(rpe=7.5, load_kg=102.5, tempo="3010")
    if version == 2:
        document["schema_version"] = 2
        document["days"][1]["exercises"][1] = {
            "exercise": "bench-press",
            "set_targets": [{"reps_min": 8, "reps_max": 10, "rpe": 7, "load_kg": 60}, {"reps_min": 5, "reps_max": 5}],
        }
    # As the services store it (validated, dumped, no ids), and as jsonb gives it back: keys in another order.
    stored = json.loads(
        json.dumps(_dumped({1: WeeklyPlanDocumentV1, 2: WeeklyPlanDocument}[version], document), sort_keys=True)
    )

    read = document_dumped_read(stored)

    assert json.dumps(read) == json.dumps(_dumped(WeeklyPlanDocument, document_upgrade(stored)))
    assert read["schema_version"] == SCHEMA_VERSION
