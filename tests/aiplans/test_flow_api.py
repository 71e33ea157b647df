"""The generation flow through the HTTP API with the default offline provider."""

import datetime

import pytest
from django.utils import timezone

from aiplans.models import GenerationStatus, PlanGeneration
from notifications.models import Notification
from tests.aiplans.conftest import next_monday
from tests.factories import ClientFactory, TrainerFactory

pytestmark = pytest.mark.django_db


def test_a_trainer_request_is_accepted_and_drafted_for_review(trainer, client_user, generate, api_as):
    response = generate(trainer, client=client_user.pk)

    assert response.status_code == 202
    assert set(response.data) == {"id", "status"}
    detail = api_as(trainer).get(f"/api/v1/ai/generations/{response.data['id']}/").data
    assert detail["status"] == "needs_review"
    assert detail["errors"] == []
    assert detail["report"]["passed"] is True
    assert len(detail["document"]["days"]) == 4
    assert detail["provider"] == "offline"
    assert detail["prompt_version"] == "plan-v1"
    assert detail["attempts"] == 1
    notification = Notification.objects.get(user=trainer, event="ai_draft_ready")
    assert notification.context["generation_id"] == str(detail["id"])


def test_the_idempotency_key_answers_the_first_request_again(trainer, generate):
    headers = {"HTTP_IDEMPOTENCY_KEY": "draft-1"}
    first = generate(trainer, headers=headers)
    again = generate(trainer, headers=headers)
    changed = generate(trainer, headers=headers, days_per_week=3)

    assert again.status_code == 202
    assert again.data["id"] == first.data["id"]
    assert PlanGeneration.objects.filter(requested_by=trainer).count() == 1
    assert changed.status_code == 422
    assert changed.data["code"] == "idempotency_key_reused"


def test_a_client_request_goes_to_their_trainers_review_queue(trainer, client_user, generate, api_as):
    response = generate(client_user, equipment=[])

    generation = PlanGeneration.objects.get(pk=response.data["id"])
    assert (generation.trainer, generation.client) == (trainer, client_user)
    assert api_as(client_user).get(f"/api/v1/ai/generations/{generation.pk}/").status_code == 200
    listed = api_as(trainer).get("/api/v1/ai/generations/", {"status": "needs_review"}).data
    assert [item["id"] for item in listed["results"]] == [generation.pk]


def test_a_client_without_a_trainer_is_refused(generate):
    response = generate(ClientFactory(trainer=False))

    assert response.status_code == 409
    assert response.data["code"] == "no_trainer"


def test_another_trainers_client_and_generation_answer_404(trainer, other_client, generate, api_as):
    assert generate(trainer, client=other_client.pk).status_code == 404
    generation_id = generate(trainer).data["id"]
    assert api_as(TrainerFactory()).get(f"/api/v1/ai/generations/{generation_id}/").status_code == 404


def test_invalid_requests_name_each_field(trainer, generate):
    response = generate(trainer, goal="bulk", days_per_week=9, equipment=["spaceship"], injuries=["soul"])

    assert response.status_code == 400
    assert {e["path"] for e in response.data["errors"]} == {"goal", "days_per_week", "equipment.0", "injuries.0"}


def test_the_free_tier_quota_is_refused_with_a_clear_code(trainer, generate):
    for _ in range(3):
        assert generate(trainer).status_code == 202
    response = generate(trainer)

    assert response.status_code == 429
    assert response.data["code"] == "ai_draft_quota_exceeded"
    assert response.data["limit"] == 3


def test_failed_generations_and_last_month_do_not_count(trainer, generate):
    generate(trainer)
    PlanGeneration.objects.update(status=GenerationStatus.FAILED)
    generate(trainer)
    PlanGeneration.objects.filter(status=GenerationStatus.NEEDS_REVIEW).update(
        created_at=timezone.now() - datetime.timedelta(days=40)
    )

    assert generate(trainer).status_code == 202
    assert generate(trainer).status_code == 202


def test_approving_publishes_the_plan_to_the_client(
    trainer, client_user, generate, api_as, django_capture_on_commit_callbacks
):
    generation_id = generate(trainer, client=client_user.pk).data["id"]
    week_start = next_monday()

    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(trainer).post(
            f"/api/v1/ai/generations/{generation_id}/approve/", {"week_start": week_start.isoformat()}, format="json"
        )

    assert response.status_code == 201
    assert response.data["status"] == "active"
    assert response.data["client"] == client_user.pk
    generation = PlanGeneration.objects.get(pk=generation_id)
    assert generation.status == GenerationStatus.APPROVED
    assert generation.plan_id == response.data["id"]
    assert not generation.was_edited
    mine = api_as(client_user).get("/api/v1/me/plan/", {"date": week_start.isoformat()})
    assert mine.status_code == 200
    assert mine.json()["plan_id"] == response.data["id"]
    # One notification for the client, saying where the plan came from.
    assert list(Notification.objects.filter(user=client_user).values_list("event", flat=True)) == ["ai_plan_approved"]


def test_an_edited_document_is_what_the_client_gets(trainer, client_user, generate, api_as):
    generation_id = generate(trainer, client=client_user.pk).data["id"]
    document = api_as(trainer).get(f"/api/v1/ai/generations/{generation_id}/").data["document"]
    document["days"][0]["exercises"][0]["sets"] = 5

    response = api_as(trainer).post(
        f"/api/v1/ai/generations/{generation_id}/approve/", {"document": document}, format="json"
    )

    assert response.status_code == 201
    assert response.data["document"]["days"][0]["exercises"][0]["sets"] == 5
    assert PlanGeneration.objects.get(pk=generation_id).was_edited


def test_an_invalid_edit_is_refused_like_any_plan_with_every_path(trainer, client_user, generate, api_as):
    generation_id = generate(trainer, client=client_user.pk).data["id"]
    document = api_as(trainer).get(f"/api/v1/ai/generations/{generation_id}/").data["document"]
    document["days"][0]["exercises"][0]["sets"] = 99
    document["days"][1]["exercises"][0]["exercise"] = "no-such-exercise"

    response = api_as(trainer).post(
        f"/api/v1/ai/generations/{generation_id}/approve/", {"document": document}, format="json"
    )

    assert response.status_code == 400
    assert response.data["code"] == "invalid_document"
    assert {e["path"] for e in response.data["errors"]} == {"days.0.exercises.0.sets", "days.1.exercises.0.exercise"}
    assert PlanGeneration.objects.get(pk=generation_id).status == GenerationStatus.NEEDS_REVIEW


def test_approving_twice_is_refused(trainer, client_user, generate, api_as):
    generation_id = generate(trainer, client=client_user.pk).data["id"]
    url = f"/api/v1/ai/generations/{generation_id}/approve/"
    assert api_as(trainer).post(url, {}, format="json").status_code == 201

    again = api_as(trainer).post(url, {}, format="json")

    assert again.status_code == 409
    assert again.data["code"] == "generation_already_approved"


def test_a_stale_draft_is_refused(trainer, client_user, generate, api_as):
    old = generate(trainer, client=client_user.pk).data["id"]
    PlanGeneration.objects.filter(pk=old).update(created_at=timezone.now() - datetime.timedelta(days=15))
    response = api_as(trainer).post(f"/api/v1/ai/generations/{old}/approve/", {}, format="json")
    assert response.status_code == 409
    assert response.data["code"] == "generation_stale"

    earlier = generate(trainer, client=client_user.pk).data["id"]
    later = generate(trainer, client=client_user.pk).data["id"]
    assert api_as(trainer).post(f"/api/v1/ai/generations/{later}/approve/", {}, format="json").status_code == 201
    superseded = api_as(trainer).post(f"/api/v1/ai/generations/{earlier}/approve/", {}, format="json")
    assert superseded.status_code == 409
    assert superseded.data["code"] == "generation_stale"


def test_a_draft_without_a_client_needs_one_to_be_approved(trainer, client_user, generate, api_as):
    generation_id = generate(trainer).data["id"]
    url = f"/api/v1/ai/generations/{generation_id}/approve/"

    missing = api_as(trainer).post(url, {}, format="json")
    assert missing.status_code == 400
    assert missing.data["errors"][0]["path"] == "client"
    assert api_as(trainer).post(url, {"client": client_user.pk}, format="json").status_code == 201


def test_rejecting_keeps_the_reason_and_ends_the_review(trainer, client_user, generate, api_as):
    generation_id = generate(trainer, client=client_user.pk).data["id"]
    url = f"/api/v1/ai/generations/{generation_id}/reject/"

    assert api_as(trainer).post(url, {"reason": " "}, format="json").status_code == 400
    response = api_as(trainer).post(url, {"reason": "Too much volume for her knee."}, format="json")

    assert response.status_code == 200
    assert response.data["status"] == "rejected"
    assert response.data["rejection_reason"] == "Too much volume for her knee."
    assert api_as(trainer).post(url, {"reason": "again"}, format="json").data["code"] == "generation_not_in_review"
    approve = api_as(trainer).post(f"/api/v1/ai/generations/{generation_id}/approve/", {}, format="json")
    assert approve.status_code == 409


def test_clients_cannot_approve_or_reject(client_user, generate, api_as):
    generation_id = generate(client_user).data["id"]

    for action in ("approve", "reject"):
        response = api_as(client_user).post(f"/api/v1/ai/generations/{generation_id}/{action}/", {}, format="json")
        assert response.status_code == 403
