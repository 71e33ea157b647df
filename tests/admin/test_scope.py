"""A trainer reaches only their own objects in the admin; a superuser reaches everything."""

import pytest
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.messages import get_messages
from django.urls import reverse

from kinetix.accounts.models import CoachingLink, Invitation, User
from kinetix.accounts.services import coaching_link_end
from kinetix.coaching.models import BodyMetric, Exercise, PlanStatus, WeeklyPlan, WorkoutSession
from tests.admin.helpers import admin_url, changelist_pks
from tests.factories import (
    BodyMetricFactory,
    ClientFactory,
    ExerciseFactory,
    InvitationFactory,
    WeeklyPlanFactory,
    WorkoutSessionFactory,
)

pytestmark = pytest.mark.django_db

ADMIN_INDEX = reverse("admin:index")


@pytest.fixture
def world(trainer, other_trainer, client_user, other_client):
    """One of each object for `trainer` (mine) and for `other_trainer` (theirs)."""

    def objects(owner, client):
        return {
            WeeklyPlan: WeeklyPlanFactory(trainer=owner, client=client, title=f"Plan of {owner.email}"),
            Invitation: InvitationFactory(trainer=owner),
            Exercise: ExerciseFactory(owner=owner, name=f"Private of {owner.email}"),
            User: client,
            WorkoutSession: WorkoutSessionFactory(client=client),
            BodyMetric: BodyMetricFactory(client=client),
        }

    return {"mine": objects(trainer, client_user), "theirs": objects(other_trainer, other_client)}


@pytest.mark.parametrize("model", [WeeklyPlan, Invitation, Exercise, User, WorkoutSession, BodyMetric])
def test_changelist_shows_the_trainers_own_objects_only(browser_as, trainer, world, model):
    response = browser_as(trainer).get(admin_url(model, "changelist"))

    assert response.status_code == 200
    shown = changelist_pks(response)
    assert world["mine"][model].pk in shown
    assert world["theirs"][model].pk not in shown


def test_exercise_changelist_also_shows_the_shared_library(browser_as, trainer, world):
    shared = ExerciseFactory(owner=None)

    shown = changelist_pks(browser_as(trainer).get(admin_url(Exercise, "changelist")))

    assert shared.pk in shown
    assert set(Exercise.objects.filter(pk__in=shown, owner__isnull=False).values_list("pk", flat=True)) == {
        world["mine"][Exercise].pk
    }


def test_client_list_filter_names_only_the_trainers_own_clients(browser_as, trainer, world):
    WeeklyPlanFactory(trainer=trainer)  # a second client: Django shows a filter only with two choices or more
    response = browser_as(trainer).get(admin_url(WeeklyPlan, "changelist"))

    choices = [
        choice["display"]
        for spec in response.context["cl"].filter_specs
        for choice in spec.choices(response.context["cl"])
        if spec.title == "client"
    ]
    assert str(world["mine"][User]) in choices
    assert str(world["theirs"][User]) not in choices
    assert str(world["theirs"][User]) not in response.content.decode()


def test_superuser_sees_every_trainers_objects(browser_as, superuser, world):
    browser = browser_as(superuser)
    for model in (WeeklyPlan, Invitation, Exercise, User, WorkoutSession, BodyMetric):
        shown = changelist_pks(browser.get(admin_url(model, "changelist")))
        assert {world["mine"][model].pk, world["theirs"][model].pk} <= shown, model
        assert browser.get(admin_url(model, "change", world["theirs"][model].pk)).status_code == 200


def _redirected_as_missing(response) -> bool:
    # What Django admin answers for an object outside get_queryset: the same as for an id that does
    # not exist, a redirect to the admin index with a "doesn't exist" warning.
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    return response.status_code == 302 and response.url == ADMIN_INDEX and "doesn\u2019t exist" in " ".join(messages)


@pytest.mark.parametrize("model", [WeeklyPlan, Invitation, Exercise, User])
def test_trainer_cannot_open_another_trainers_object(browser_as, trainer, world, model):
    browser = browser_as(trainer)
    theirs = world["theirs"][model]

    for view in ("change", "delete", "history"):
        response = browser.get(admin_url(model, view, theirs.pk))
        if view == "delete" and model is User:
            assert response.status_code == 403  # trainers may delete no user at all: refused before the lookup
        else:
            assert _redirected_as_missing(response), (view, response.status_code)
    # Indistinguishable from an id that does not exist at all.
    missing = browser.get(admin_url(model, "change", 10**9))
    assert missing.status_code == 302
    assert missing.url == ADMIN_INDEX


def test_trainer_cannot_change_another_trainers_plan(browser_as, trainer, world):
    theirs = world["theirs"][WeeklyPlan]
    before = WeeklyPlan.objects.values().get(pk=theirs.pk)

    response = browser_as(trainer).post(
        admin_url(WeeklyPlan, "change", theirs.pk),
        {"title": "Hijacked", "goal": "strength", "level": "beginner", "week_start": "2030-01-07"},
    )

    assert _redirected_as_missing(response)
    assert WeeklyPlan.objects.values().get(pk=theirs.pk) == before


@pytest.mark.parametrize("model", [WeeklyPlan, Invitation, Exercise])
def test_trainer_cannot_delete_another_trainers_object(browser_as, trainer, world, model):
    theirs = world["theirs"][model]

    response = browser_as(trainer).post(admin_url(model, "delete", theirs.pk), {"post": "yes"})

    assert _redirected_as_missing(response)
    assert model.objects.filter(pk=theirs.pk).exists()


@pytest.mark.parametrize("model", [WeeklyPlan, Invitation, Exercise])
def test_bulk_delete_ignores_another_trainers_objects(browser_as, trainer, world, model):
    theirs = world["theirs"][model]

    browser_as(trainer).post(
        admin_url(model, "changelist"), {"action": "delete_selected", "_selected_action": [theirs.pk], "post": "yes"}
    )

    assert model.objects.filter(pk=theirs.pk).exists()


def test_activate_action_ignores_another_trainers_plan(browser_as, trainer, world):
    theirs = world["theirs"][WeeklyPlan]

    browser_as(trainer).post(
        admin_url(WeeklyPlan, "changelist"), {"action": "activate", "_selected_action": [theirs.pk]}
    )

    theirs.refresh_from_db()
    assert theirs.status == PlanStatus.DRAFT


def test_revoke_action_ignores_another_trainers_invitation(browser_as, trainer, world):
    theirs = world["theirs"][Invitation]

    browser_as(trainer).post(admin_url(Invitation, "changelist"), {"action": "revoke", "_selected_action": [theirs.pk]})

    theirs.refresh_from_db()
    assert theirs.status == "pending"


def test_shared_exercise_is_read_only_for_a_trainer(browser_as, trainer):
    shared = ExerciseFactory(owner=None, name="Back Squat")
    browser = browser_as(trainer)

    page = browser.get(admin_url(Exercise, "change", shared.pk))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert not page.context["has_delete_permission"]
    assert browser.post(admin_url(Exercise, "change", shared.pk), {"name": "Renamed"}).status_code == 403
    assert browser.get(admin_url(Exercise, "delete", shared.pk)).status_code == 403
    assert browser.post(admin_url(Exercise, "delete", shared.pk), {"post": "yes"}).status_code == 403
    shared.refresh_from_db()
    assert shared.name == "Back Squat"


def test_bulk_delete_of_a_shared_exercise_is_refused(browser_as, trainer):
    shared = ExerciseFactory(owner=None)

    response = browser_as(trainer).post(
        admin_url(Exercise, "changelist"), {"action": "delete_selected", "_selected_action": [shared.pk], "post": "yes"}
    )

    assert response.status_code == 403  # Django refuses a bulk delete that lacks a permission on any object
    assert Exercise.objects.filter(pk=shared.pk).exists()


def test_exercise_autocomplete_offers_shared_and_own_exercises_only(browser_as, trainer, world):
    shared = ExerciseFactory(owner=None, name="Private of nobody: shared")

    response = browser_as(trainer).get(
        reverse("admin:autocomplete"),
        {"term": "Private of", "app_label": "coaching", "model_name": "plannedexercise", "field_name": "exercise"},
    )

    assert response.status_code == 200
    offered = {int(result["id"]) for result in response.json()["results"]}
    assert offered == {shared.pk, world["mine"][Exercise].pk}


def test_user_autocomplete_offers_the_trainers_own_clients_only(browser_as, trainer, world, other_trainer):
    response = browser_as(trainer).get(
        reverse("admin:autocomplete"),
        {"term": "", "app_label": "coaching", "model_name": "weeklyplan", "field_name": "trainer"},
    )

    assert response.status_code == 200
    assert {int(result["id"]) for result in response.json()["results"]} == {world["mine"][User].pk}


def test_trainer_reads_own_client_but_cannot_change_them(browser_as, trainer, client_user):
    browser = browser_as(trainer)

    page = browser.get(admin_url(User, "change", client_user.pk))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert "password" not in flatten_fieldsets(page.context["adminform"].fieldsets)
    response = browser.post(admin_url(User, "change", client_user.pk), {"email": "x@example.com"})
    assert response.status_code == 403
    assert browser.get(reverse("admin:auth_user_password_change", args=[client_user.pk])).status_code == 403
    client_user.refresh_from_db()
    assert client_user.email != "x@example.com"


def test_trainer_cannot_reach_other_trainers_in_the_user_admin(browser_as, trainer, other_trainer, superuser):
    browser = browser_as(trainer)

    shown = changelist_pks(browser.get(admin_url(User, "changelist")))
    assert not shown & {trainer.pk, other_trainer.pk, superuser.pk}
    for user in (other_trainer, superuser, trainer):
        assert _redirected_as_missing(browser.get(admin_url(User, "change", user.pk)))
    assert browser.get(admin_url(User, "add")).status_code == 403


def test_former_client_leaves_the_trainers_reach(browser_as, trainer):
    former = ClientFactory(trainer=trainer)
    workout = WorkoutSessionFactory(client=former)
    coaching_link_end(trainer=trainer, client=former)
    browser = browser_as(trainer)

    assert former.pk not in changelist_pks(browser.get(admin_url(User, "changelist")))
    assert workout.pk not in changelist_pks(browser.get(admin_url(WorkoutSession, "changelist")))


def test_workouts_and_body_metrics_are_read_only_for_a_trainer(browser_as, trainer, world):
    browser = browser_as(trainer)
    for model in (WorkoutSession, BodyMetric):
        mine = world["mine"][model]
        page = browser.get(admin_url(model, "change", mine.pk))
        assert page.status_code == 200
        assert not page.context["has_change_permission"]
        assert browser.post(admin_url(model, "change", mine.pk), {}).status_code == 403
        assert browser.get(admin_url(model, "add")).status_code == 403


def test_coaching_links_are_for_superusers_only(browser_as, trainer, superuser, client_user):
    link = CoachingLink.objects.get(client=client_user)

    assert browser_as(trainer).get(admin_url(CoachingLink, "changelist")).status_code == 403
    assert browser_as(trainer).get(admin_url(CoachingLink, "change", link.pk)).status_code == 403
    assert browser_as(superuser).get(admin_url(CoachingLink, "change", link.pk)).status_code == 200
