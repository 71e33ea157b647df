"""The admin review queue: scoped to the trainer, readable, edit-then-approve, reject, bulk reject."""

import json

import pytest
from django.test import Client

from aiplans.models import GenerationStatus, PlanGeneration
from tests.admin.helpers import admin_url, changelist_pks
from tests.aiplans.conftest import next_monday
from tests.factories import ClientFactory, TrainerFactory

pytestmark = pytest.mark.django_db


def _signed_in(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


@pytest.fixture
def drafts(generate, trainer, client_user):
    ids = [generate(trainer, client=client_user.pk).data["id"] for _ in range(2)]
    return list(PlanGeneration.objects.filter(pk__in=ids).order_by("pk"))


def test_the_queue_lists_only_the_trainers_own_drafts(drafts, trainer, generate):
    stranger = TrainerFactory()
    generate(stranger, client=ClientFactory(trainer=stranger).pk)

    response = _signed_in(trainer).get(admin_url(PlanGeneration, "changelist"), {"status__exact": "needs_review"})

    assert changelist_pks(response) == {d.pk for d in drafts}
    assert _signed_in(stranger).get(admin_url(PlanGeneration, "change", drafts[0].pk)).status_code == 302


def test_a_draft_reads_as_a_plan_with_its_report(drafts, trainer):
    response = _signed_in(trainer).get(admin_url(PlanGeneration, "change", drafts[0].pk))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Passed every check." in page
    assert "Weekly hard sets per major group" in page
    assert "<h4>Monday: Upper A</h4>" in page
    assert 'name="_approve"' in page
    assert 'name="_reject"' in page


def test_edit_then_approve_publishes_the_edit(drafts, trainer, client_user):
    draft = drafts[0]
    document = json.loads(json.dumps(draft.draft))
    document["days"][0]["exercises"][0]["sets"] = 6
    response = _signed_in(trainer).post(
        admin_url(PlanGeneration, "change", draft.pk),
        {"document": json.dumps(document), "week_start": next_monday().isoformat(), "_approve": "1"},
    )

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == GenerationStatus.APPROVED
    assert draft.was_edited
    assert draft.plan.days.first().exercises.first().sets == 6


def test_a_refused_approval_shows_the_reasons_on_the_page(drafts, trainer):
    document = json.loads(json.dumps(drafts[0].draft))
    document["days"][0]["exercises"][0]["sets"] = 60

    response = _signed_in(trainer).post(
        admin_url(PlanGeneration, "change", drafts[0].pk), {"document": json.dumps(document), "_approve": "1"}
    )

    assert response.status_code == 200
    assert "days.0.exercises.0.sets" in response.content.decode()
    assert PlanGeneration.objects.get(pk=drafts[0].pk).status == GenerationStatus.NEEDS_REVIEW


def test_reject_with_a_reason(drafts, trainer):
    response = _signed_in(trainer).post(
        admin_url(PlanGeneration, "change", drafts[0].pk), {"reason": "Not for her knees.", "_reject": "1"}
    )

    assert response.status_code == 302
    drafts[0].refresh_from_db()
    assert (drafts[0].status, drafts[0].rejection_reason) == (GenerationStatus.REJECTED, "Not for her knees.")


def test_bulk_reject_asks_for_one_reason(drafts, trainer):
    url = admin_url(PlanGeneration, "changelist")
    selected = {"action": "reject_selected", "_selected_action": [d.pk for d in drafts]}
    browser = _signed_in(trainer)

    confirm = browser.post(url, selected)
    assert confirm.status_code == 200
    assert "Reject these drafts" in confirm.content.decode()
    done = browser.post(url, {**selected, "apply": "1", "reason": "Wrong split for this client."})

    assert done.status_code == 302
    assert set(PlanGeneration.objects.values_list("status", "rejection_reason")) == {
        (GenerationStatus.REJECTED, "Wrong split for this client.")
    }
