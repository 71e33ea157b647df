"""The whole flow through a real Celery worker on Redis: request, draft, review, approval."""

import time

import pytest

from aiplans.models import GenerationStatus, PlanGeneration
from tests.aiplans.conftest import REQUEST
from tests.factories import ClientFactory, TrainerFactory

WAIT_SECONDS = 60


def _wait_for(generation_id: int, status: str) -> PlanGeneration:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        generation = PlanGeneration.objects.get(pk=generation_id)
        if generation.status == status:
            return generation
        time.sleep(0.2)
    pytest.fail(f"Generation {generation_id} stayed {generation.status}, never {status}: {generation.failure_reason}")


# serialized_rollback: the flush after a transactional test would take the migrations' seeded rows with it.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_drafts_the_plan_and_a_redelivery_does_nothing_twice(live_celery, api_as):
    from aiplans.tasks import generation_run_task

    trainer = TrainerFactory()
    client = ClientFactory(trainer=trainer)

    response = api_as(trainer).post("/api/v1/ai/generate-plan/", {**REQUEST, "client": client.pk}, format="json")

    assert response.status_code == 202
    assert response.data["status"] == "queued"
    generation = _wait_for(response.data["id"], GenerationStatus.NEEDS_REVIEW)
    assert generation.provider == "offline"
    assert generation.report["passed"]

    generation_run_task.delay(generation_id=generation.pk)  # as a redelivery would: the claim refuses it
    time.sleep(2)
    generation.refresh_from_db()
    assert generation.attempts == 1
    assert generation.status == GenerationStatus.NEEDS_REVIEW

    approved = api_as(trainer).post(f"/api/v1/ai/generations/{generation.pk}/approve/", {}, format="json")
    assert approved.status_code == 201
