"""The training-data export: staff only, streamed JSON Lines, pseudonymised, in every format."""

import datetime
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pydantic import ValidationError

from aiplans import training_data
from aiplans.models import GenerationStatus, PlanGeneration
from aiplans.validation import document_plain
from kinetix.coaching.models import Exercise, WeeklyPlan
from kinetix.coaching.plan_document import WeeklyPlanDocument, document_read, document_upgrade, without_ids
from kinetix.coaching.services import plan_activate, plan_create, plan_update
from tests.aiplans.conftest import next_monday
from tests.factories import ClientFactory, SuperuserFactory, TrainerFactory, plan_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(generate, api_as, good_plan):
    """A published trainer plan, an approved-after-edit AI draft and a rejected one followed by an approval."""
    trainer = TrainerFactory(full_name="Ana Petrovic")
    client = ClientFactory(trainer=trainer, full_name="Marko Jovanovic")
    own = dict(good_plan, title="Marko Jovanovic strength block", notes="Call Marko at marko@example.com")
    plan_activate(plan=plan_create(trainer=trainer, client_id=client.pk, week_start=next_monday(), document=own))
    trainer_api = api_as(trainer)
    rejected = generate(trainer, client=client.pk).data["id"]
    trainer_api.post(f"/api/v1/ai/generations/{rejected}/reject/", {"reason": "Marko hates lunges."}, format="json")
    edited = generate(trainer, client=client.pk).data["id"]
    document = trainer_api.get(f"/api/v1/ai/generations/{edited}/").data["document"]
    document["days"][0]["exercises"][0]["sets"] += 1
    approve = trainer_api.post(f"/api/v1/ai/generations/{edited}/approve/", {"document": document}, format="json")
    assert approve.status_code == 201
    return trainer, client


def _lines(response) -> list[dict]:
    return [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]


def test_only_staff_with_the_export_permission_may_download(api_as, trainer):
    assert api_as(trainer).get("/api/v1/ai/training-data/").status_code == 403  # trainers are staff too
    assert api_as(ClientFactory()).get("/api/v1/ai/training-data/").status_code == 403


def test_openai_chat_lines_pair_the_prompt_with_the_plan(api_as, history):
    response = api_as(SuperuserFactory()).get("/api/v1/ai/training-data/", {"format": "openai-chat"})

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/jsonl"
    lines = _lines(response)
    assert len(lines) == 2  # the trainer's own plan and the approved draft
    roles = [[m["role"] for m in line["messages"]] for line in lines]
    assert roles == [["system", "user", "assistant"]] * 2
    assert json.loads(lines[0]["messages"][2]["content"])["title"] == "the client strength block"


def test_every_format_keeps_people_out(api_as, history):
    trainer, client = history
    superuser = api_as(SuperuserFactory())
    for export_format in ("openai-chat", "anthropic", "preference-pairs", "pseudonymised"):
        body = b"".join(superuser.get("/api/v1/ai/training-data/", {"format": export_format}).streaming_content)
        text = body.decode()
        assert text, export_format
        for secret in ("Marko", "Ana", "Petrovic", client.email, trainer.email, "@example.com"):
            assert secret not in text, (export_format, secret)


def test_preference_pairs_come_from_edits_and_rejections(api_as, history):
    lines = _lines(api_as(SuperuserFactory()).get("/api/v1/ai/training-data/", {"format": "preference-pairs"}))

    reasons = sorted(line["metadata"]["reason"] for line in lines)
    assert reasons == ["The trainer edited the draft before approving it.", "the client hates lunges."]
    for line in lines:
        assert line["preferred_output"][0]["content"] != line["non_preferred_output"][0]["content"]


def test_the_command_writes_each_format_and_the_stats(history, tmp_path):
    output = tmp_path / "anthropic.jsonl"
    call_command("export_training_data", "--format", "anthropic", "-o", str(output), stderr=StringIO())
    lines = [json.loads(line) for line in output.read_text().splitlines()]
    assert [set(line) for line in lines] == [{"system", "messages"}] * 2

    stats = StringIO()
    call_command("export_training_data", "--stats", stdout=stats)
    assert stats.getvalue().split("\n")[:3] == ["trainer_plan: 1", "approved_ai: 1", "preference_pairs: 2"]


def test_the_export_reads_in_a_fixed_number_of_queries(api_as, history, django_assert_max_num_queries):
    superuser = api_as(SuperuserFactory())
    with django_assert_max_num_queries(12):
        _lines(superuser.get("/api/v1/ai/training-data/", {"format": "pseudonymised"}))
    assert PlanGeneration.objects.count() == 2


def _publish(trainer, client, document: dict, *, weeks_ahead: int = 0):
    week_start = next_monday() + datetime.timedelta(weeks=weeks_ahead)
    return plan_activate(
        plan=plan_create(trainer=trainer, client_id=client.pk, week_start=week_start, document=document)
    )


def _library(count: int) -> list[str]:
    return list(Exercise.objects.filter(owner__isnull=True).order_by("pk").values_list("slug", flat=True)[:count])


def test_a_trainer_plan_is_exported_as_its_validated_document(api_as):
    trainer = TrainerFactory(full_name="Ana Petrovic")
    client = ClientFactory(trainer=trainer, full_name="Marko Jovanovic")
    document = plan_document(_library(3), days=2, title="Strength block", notes="Keep it light.")
    document["schema_version"] = 2
    pyramid = [
        {"reps_min": 8, "reps_max": 10, "rpe": 7, "load_kg": 60},
        {"reps_min": 5, "reps_max": 5, "rpe": 8.5, "load_kg": 72.5},
    ]
    first = document["days"][0]["exercises"][0]
    for name in ("sets", "reps_min", "reps_max", "rpe", "load_kg"):
        first.pop(name)
    first.update(set_targets=pyramid, tempo="3010", notes="Brace hard.")
    plan = _publish(trainer, client, document)

    lines = _lines(api_as(SuperuserFactory()).get("/api/v1/ai/training-data/", {"format": "openai-chat"}))

    # What validating the stored plan gives, notes blanked: the schema's values and field order, no ids.
    expected = document_plain(WeeklyPlanDocument.model_validate(document_read(plan)))
    expected["notes"] = ""
    for day in expected["days"]:
        day["notes"] = ""
        for item in day["exercises"]:
            item["notes"] = ""
    assert [line["messages"][2]["content"] for line in lines] == [
        json.dumps(expected, ensure_ascii=False, separators=(",", ":"))
    ]
    assert expected["days"][0]["exercises"][0]["set_targets"][1] == {
        "reps_min": 5, "reps_max": 5, "rpe": 8.5, "load_kg": 72.5,
    }  # fmt: skip


def test_an_ai_draft_approved_before_schema_version_2_is_exported_upgraded(api_as, history):
    version_1 = plan_document(_library(2), days=4, title="Hypertrophy block")
    # Stored before the services flagged what they validated: the export validates it.
    PlanGeneration.objects.filter(status=GenerationStatus.APPROVED).update(
        approved_document=version_1, documents_validated=False
    )

    lines = _lines(api_as(SuperuserFactory()).get("/api/v1/ai/training-data/", {"format": "pseudonymised"}))

    (approved,) = [line["document"] for line in lines if line["source"] == "approved_ai"]
    assert approved["schema_version"] == 2
    assert (
        approved["days"][0]["exercises"][0]["set_targets"]
        == [{"reps_min": 6, "reps_max": 8, "rpe": 8.0, "load_kg": None}] * 4
    )


def test_trainer_plans_stream_in_a_fixed_number_of_queries_per_window(monkeypatch):
    monkeypatch.setattr(training_data, "PLAN_WINDOW", 2)
    trainer = TrainerFactory()
    client = ClientFactory(trainer=trainer)
    document = plan_document(_library(4), days=3)

    def export_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            lines = list(training_data.training_data_lines(export_format="openai-chat"))
        return len(lines), len(queries)

    for week in range(2):
        _publish(trainer, client, document, weeks_ahead=week)
    one_window = export_queries()
    for week in range(2, 6):
        _publish(trainer, client, document, weeks_ahead=week)
    three_windows = export_queries()

    # Each further window of plans costs one query for its plans and content; the exercises were read first.
    assert (three_windows[0], three_windows[1] - one_window[1]) == (6, 2)
    assert one_window[1] <= 6


def test_a_plan_naming_an_exercise_first_named_during_the_export_is_exported(monkeypatch):
    monkeypatch.setattr(training_data, "PLAN_WINDOW", 1)
    trainer = TrainerFactory()
    client = ClientFactory(trainer=trainer)
    squat, kettlebell = (
        _library(1)[0],
        Exercise.objects.create(
            slug="kettlebell-swing-export", name="Kettlebell swing", category="strength", equipment="kettlebell"
        ),
    )
    first, second = (_publish(trainer, client, plan_document([squat], days=1), weeks_ahead=week) for week in range(2))

    lines = training_data.training_data_lines(export_format="pseudonymised")
    assert json.loads(next(lines))["id"] == training_data.pseudonym("plan", first.pk)
    # Between two windows' streams: the second plan now names an exercise no plan named when the export began.
    plan_update(plan=second, document=plan_document([kettlebell.slug], days=1))
    (line,) = map(json.loads, lines)

    assert line["id"] == training_data.pseudonym("plan", second.pk)
    assert line["request"]["equipment"] == ["kettlebell"]
    assert line["document"]["days"][0]["exercises"][0]["exercise"] == kettlebell.slug


def test_an_export_abandoned_mid_stream_leaves_the_connection_and_its_transaction_serving():
    trainer = TrainerFactory()
    client = ClientFactory(trainer=trainer)
    for week in range(3):
        _publish(trainer, client, plan_document(_library(2), days=2), weeks_ahead=week)
    lines = training_data.training_data_lines(export_format="pseudonymised")
    assert json.loads(next(lines))["source"] == "trainer_plan"  # the plans' stream is open: two more to read

    lines.close()  # what closing the endpoint's streamed response does when its client hangs up

    # Served, and in the test's transaction still: the stream was read to its end, not cancelled.
    assert WeeklyPlan.objects.filter(client=client).count() == 3


def _notes_blanked(expected: dict) -> dict:
    expected["notes"] = ""
    for day in expected["days"]:
        day["notes"] = ""
        for item in day["exercises"]:
            item["notes"] = ""
    return expected


def test_an_approved_draft_is_exported_as_validating_it_gives(api_as, history):
    approved = PlanGeneration.objects.get(status=GenerationStatus.APPROVED)
    assert approved.documents_validated  # stored by the services, which validated it

    lines = _lines(api_as(SuperuserFactory()).get("/api/v1/ai/training-data/", {"format": "anthropic"}))

    # A stored document is written as validating it gives: upgraded, no ids (notes blanked).
    expected = _notes_blanked(
        document_plain(WeeklyPlanDocument.model_validate(document_upgrade(approved.approved_document)))
    )
    assert lines[-1]["messages"][1]["content"] == json.dumps(expected, ensure_ascii=False, separators=(",", ":"))


def test_a_document_stored_invalid_outside_the_services_still_stops_the_export(history):
    invalid = plan_document(_library(2), days=2)
    invalid["days"][0]["exercises"][0]["sets"] = 99
    PlanGeneration.objects.filter(status=GenerationStatus.APPROVED).update(
        approved_document=invalid, documents_validated=False
    )

    with pytest.raises(ValidationError):
        list(training_data.training_data_lines(export_format="openai-chat"))


def test_loads_and_names_are_written_as_json_dumps_writes_them(api_as):
    trainer = TrainerFactory(full_name="Đorđe Šćekić")
    client = ClientFactory(trainer=trainer, full_name='Zoë "Iron" Ünal')
    document = plan_document(_library(2), days=1, title='Zoë\'s "blok" \u2028 snaga \\ 1e-05')
    document["schema_version"] = 2
    first = document["days"][0]["exercises"][0]
    for name in ("sets", "reps_min", "reps_max", "rpe", "load_kg"):
        first.pop(name)
    # Loads under 1e-4 kg are where fast JSON encoders part from json.dumps (0.00005 and 1e-7 against 5e-05, 1e-07).
    first["set_targets"] = [
        {"reps_min": 5, "reps_max": 5, "rpe": 8.5, "load_kg": 0.00005},
        {"reps_min": 5, "reps_max": 5, "rpe": 9, "load_kg": 1e-07},
        {"reps_min": 3, "reps_max": 3, "rpe": 10, "load_kg": 0.1 + 0.2},
    ]
    plan = _publish(trainer, client, document)

    response = api_as(SuperuserFactory()).get("/api/v1/ai/training-data/", {"format": "openai-chat"})
    # Split at newlines only: U+2028 is written as it is, and str.splitlines() would split there too.
    lines = [json.loads(line) for line in b"".join(response.streaming_content).decode().split("\n")[:-1]]

    expected = _notes_blanked(without_ids(document_read(plan)))
    expected["title"] = expected["title"].replace("Zoë", "the client")
    assert [line["messages"][2]["content"] for line in lines] == [
        json.dumps(expected, ensure_ascii=False, separators=(",", ":"))
    ]
    assert "5e-05" in lines[0]["messages"][2]["content"]
    assert "1e-07" in lines[0]["messages"][2]["content"]


def test_people_are_kept_out_of_whichever_day_title_names_them(api_as):
    trainer = TrainerFactory(full_name="Ana Petrovic", email="ana.petrovic@example.com")
    client = ClientFactory(trainer=trainer, full_name="Marko Jovanovic")
    named = plan_document(_library(2), days=3, title="Strength block")
    named["days"][2]["title"] = "MARKO's deload, ask ana.petrovic@example.com"
    _publish(trainer, client, named)
    _publish(trainer, client, plan_document(_library(2), days=2, title="Ana's template"), weeks_ahead=1)

    lines = _lines(api_as(SuperuserFactory()).get("/api/v1/ai/training-data/", {"format": "pseudonymised"}))

    titles = [(line["document"]["title"], [day["title"] for day in line["document"]["days"]]) for line in lines]
    assert sorted(titles) == [
        ("Strength block", ["Day 1", "Day 2", "the client's deload, ask [email]"]),
        ("the trainer's template", ["Day 1", "Day 2"]),
    ]
