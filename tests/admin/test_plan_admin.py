import datetime

import pytest
from django.contrib.messages import get_messages

from kinetix.accounts.services import coaching_link_end
from kinetix.coaching.models import PlanDay, PlannedExercise, PlanStatus, WeeklyPlan
from tests.admin.helpers import admin_url, form_data, form_errors
from tests.factories import (
    ClientFactory,
    ExerciseFactory,
    PlanDayFactory,
    PlannedExerciseFactory,
    WeeklyPlanFactory,
)

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 11, 30)


def add_plan(browser, **fields):
    data = form_data(browser.get(admin_url(WeeklyPlan, "add")))
    data.update(week_start=MONDAY.isoformat(), title="Push pull legs", goal="hypertrophy", level="intermediate")
    data.update({"days-0-weekday": 1, "days-0-title": "Push"})
    data.update(fields)
    return browser.post(admin_url(WeeklyPlan, "add"), data)


# Adding a plan ------------------------------------------------------------------------------------


def test_add_form_offers_only_the_trainers_own_clients(browser_as, trainer, client_user, other_client):
    response = browser_as(trainer).get(admin_url(WeeklyPlan, "add"))

    form = response.context["adminform"].form
    assert list(form.fields["client"].queryset) == [client_user]
    assert "trainer" not in form.fields  # set to the signed-in trainer, never picked
    assert other_client.email not in response.content.decode()


def test_trainer_adds_a_plan_with_a_day_and_owns_it(browser_as, trainer, client_user):
    response = add_plan(browser_as(trainer), client=client_user.pk)

    assert response.status_code == 302, form_errors(response)
    plan = WeeklyPlan.objects.get()
    assert (plan.trainer, plan.client, plan.status) == (trainer, client_user, PlanStatus.DRAFT)
    assert [(day.weekday, day.title) for day in plan.days.all()] == [(1, "Push")]


def test_posting_another_trainers_client_is_a_form_error(browser_as, trainer, client_user, other_client):
    response = add_plan(browser_as(trainer), client=other_client.pk)

    assert response.status_code == 200
    assert "client" in form_errors(response)
    assert not WeeklyPlan.objects.exists()


def test_a_former_client_cannot_be_picked(browser_as, trainer):
    former = ClientFactory(trainer=trainer)
    coaching_link_end(trainer=trainer, client=former)

    response = add_plan(browser_as(trainer), client=former.pk)

    assert "client" in form_errors(response)
    assert not WeeklyPlan.objects.exists()


def test_superuser_picks_the_trainer_and_a_client_of_theirs(browser_as, superuser, trainer, client_user, other_client):
    browser = browser_as(superuser)

    refused = add_plan(browser, trainer=trainer.pk, client=other_client.pk)
    assert "client" in form_errors(refused)
    accepted = add_plan(browser, trainer=trainer.pk, client=client_user.pk)
    assert accepted.status_code == 302, form_errors(accepted)
    assert WeeklyPlan.objects.get().trainer == trainer


def test_two_days_on_one_weekday_is_a_form_error(browser_as, trainer, client_user):
    browser = browser_as(trainer)
    data = form_data(browser.get(admin_url(WeeklyPlan, "add")))
    data.update(client=client_user.pk, week_start=MONDAY.isoformat(), title="T", goal="strength", level="beginner")
    data.update({"days-TOTAL_FORMS": 2, "days-0-weekday": 3, "days-1-weekday": 3})

    response = browser.post(admin_url(WeeklyPlan, "add"), data)

    assert response.status_code == 200
    assert form_errors(response)["days"]
    assert not WeeklyPlan.objects.exists()


# Prescriptions inline -----------------------------------------------------------------------------


@pytest.fixture
def plan(trainer, client_user):
    plan = WeeklyPlanFactory(trainer=trainer, client=client_user, week_start=MONDAY)
    PlanDayFactory(plan=plan, weekday=1, title="Push")
    PlanDayFactory(plan=plan, weekday=3, title="Pull")
    return plan


def change_plan(browser, plan, **fields):
    data = form_data(browser.get(admin_url(WeeklyPlan, "change", plan.pk)))
    data.update(fields)
    return browser.post(admin_url(WeeklyPlan, "change", plan.pk), data)


def test_prescription_day_choices_are_the_plans_own_days(browser_as, trainer, plan):
    WeeklyPlanFactory(trainer=trainer, client=plan.client, week_start=MONDAY + datetime.timedelta(days=7))
    PlanDayFactory(plan=WeeklyPlan.objects.exclude(pk=plan.pk).get(), weekday=1)

    response = browser_as(trainer).get(admin_url(WeeklyPlan, "change", plan.pk))

    formset = next(f.formset for f in response.context["inline_admin_formsets"] if f.formset.prefix == "prescriptions")
    assert set(formset.empty_form.fields["day"].queryset) == set(plan.days.all())
    assert set(formset.forms[0].fields["day"].queryset) == set(plan.days.all())


def test_trainer_prescribes_an_exercise_on_a_day_of_the_plan(browser_as, trainer, plan, exercises):
    push = plan.days.get(weekday=1)

    response = change_plan(
        browser_as(trainer),
        plan,
        **{
            "prescriptions-0-day": push.pk,
            "prescriptions-0-exercise": exercises[1].pk,
            "prescriptions-0-sets": 4,
            "prescriptions-0-reps_min": 6,
            "prescriptions-0-reps_max": 8,
        },
    )

    assert response.status_code == 302, form_errors(response)
    planned = PlannedExercise.objects.get()
    assert (planned.day, planned.exercise, planned.sets, planned.reps_min, planned.reps_max) == (
        push,
        exercises[1],
        4,
        6,
        8,
    )


def test_a_day_of_another_plan_is_a_form_error(browser_as, trainer, plan, exercises):
    elsewhere = PlanDayFactory(plan=WeeklyPlanFactory(trainer=trainer, client=plan.client), weekday=2)

    response = change_plan(
        browser_as(trainer),
        plan,
        **{
            "prescriptions-0-day": elsewhere.pk,
            "prescriptions-0-exercise": exercises[0].pk,
            "prescriptions-0-sets": 3,
            "prescriptions-0-reps_min": 8,
            "prescriptions-0-reps_max": 10,
        },
    )

    assert "day" in form_errors(response)["prescriptions-0"]
    assert not PlannedExercise.objects.exists()


def test_another_trainers_private_exercise_is_a_form_error(browser_as, trainer, other_trainer, plan):
    theirs = ExerciseFactory(owner=other_trainer)

    response = change_plan(
        browser_as(trainer),
        plan,
        **{
            "prescriptions-0-day": plan.days.first().pk,
            "prescriptions-0-exercise": theirs.pk,
            "prescriptions-0-sets": 3,
            "prescriptions-0-reps_min": 8,
            "prescriptions-0-reps_max": 10,
        },
    )

    assert "exercise" in form_errors(response)["prescriptions-0"]
    assert not PlannedExercise.objects.exists()


def test_reps_min_above_reps_max_is_a_form_error_not_an_integrity_error(browser_as, trainer, plan, exercises):
    response = change_plan(
        browser_as(trainer),
        plan,
        **{
            "prescriptions-0-day": plan.days.first().pk,
            "prescriptions-0-exercise": exercises[0].pk,
            "prescriptions-0-sets": 3,
            "prescriptions-0-reps_min": 12,
            "prescriptions-0-reps_max": 8,
        },
    )

    assert response.status_code == 200
    assert form_errors(response)["prescriptions-0"] == {"reps_max": ["Must not be below the minimum reps."]}
    assert not PlannedExercise.objects.exists()


def test_field_bounds_come_from_the_model_validators(browser_as, trainer, plan, exercises):
    response = change_plan(
        browser_as(trainer),
        plan,
        **{
            "prescriptions-0-day": plan.days.first().pk,
            "prescriptions-0-exercise": exercises[0].pk,
            "prescriptions-0-sets": 11,
            "prescriptions-0-reps_min": 8,
            "prescriptions-0-reps_max": 51,
        },
    )

    assert set(form_errors(response)["prescriptions-0"]) == {"sets", "reps_max"}
    assert not PlannedExercise.objects.exists()


def test_deleting_a_day_while_editing_its_prescription_saves_cleanly(browser_as, trainer, plan, exercises):
    push = plan.days.get(weekday=1)
    planned = PlannedExerciseFactory(day=push, exercise=exercises[0], sets=3)
    browser = browser_as(trainer)
    data = form_data(browser.get(admin_url(WeeklyPlan, "change", plan.pk)))
    day_prefix = next(
        key[: -len("-id")]
        for key, value in data.items()
        if key.startswith("days-") and key.endswith("-id") and value == push.pk
    )
    data[f"{day_prefix}-DELETE"] = "on"
    data["prescriptions-0-sets"] = 5

    response = browser.post(admin_url(WeeklyPlan, "change", plan.pk), data)

    assert response.status_code == 302, form_errors(response)
    assert not PlanDay.objects.filter(pk=push.pk).exists()
    assert not PlannedExercise.objects.filter(pk=planned.pk).exists()


def test_change_page_renders_the_plan_document(browser_as, trainer, plan, exercises):
    PlannedExerciseFactory(day=plan.days.get(weekday=1), exercise=exercises[0], sets=4, reps_min=6, reps_max=8)

    content = browser_as(trainer).get(admin_url(WeeklyPlan, "change", plan.pk)).content.decode()

    assert "Monday: Push" in content
    assert "Wednesday: Pull" in content
    assert "test-squat" in content
    assert "&quot;schema_version&quot;: 2" in content


PYRAMID = [
    {"reps_min": 10, "reps_max": 12, "rpe": None, "load_kg": 60},
    {"reps_min": 6, "reps_max": 8, "rpe": 9, "load_kg": 80},
]


def test_change_page_shows_each_sets_target_when_they_differ(browser_as, trainer, plan, exercises):
    day = plan.days.get(weekday=1)
    PlannedExerciseFactory(day=day, exercise=exercises[0], sets=2, reps_min=6, reps_max=12, set_targets=PYRAMID)

    content = browser_as(trainer).get(admin_url(WeeklyPlan, "change", plan.pk)).content.decode()

    assert "2: 10-12 @ 60 kg, RPE — · 6-8 @ 80 kg, RPE 9" in content


def test_a_summary_changed_in_admin_makes_the_sets_alike(browser_as, trainer, plan, exercises):
    day = plan.days.get(weekday=1)
    planned = PlannedExerciseFactory(
        day=day, exercise=exercises[0], sets=2, reps_min=6, reps_max=12, load_kg=80, rpe=9, set_targets=PYRAMID
    )
    response = change_plan(browser_as(trainer), plan, **{"prescriptions-0-load_kg": 70})

    assert response.status_code == 302, form_errors(response)
    planned.refresh_from_db()
    assert (planned.load_kg, planned.set_targets) == (70, [])


def test_a_change_in_admin_reaches_the_clients_next_read_of_the_plan(browser_as, api_as, trainer, plan, exercises):
    WeeklyPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.ACTIVE)
    PlannedExerciseFactory(
        day=plan.days.get(weekday=1), exercise=exercises[0], sets=3, reps_min=8, reps_max=10, load_kg=60
    )
    client_api = api_as(plan.client)

    def load_read() -> float:
        answer = client_api.get("/api/v1/me/plan/", {"date": MONDAY.isoformat()})
        return answer.json()["days"][0]["exercises"][0]["load_kg"]

    assert load_read() == 60  # read, and kept in the cache
    response = change_plan(browser_as(trainer), plan, **{"prescriptions-0-load_kg": 70})

    assert response.status_code == 302, form_errors(response)
    assert load_read() == 70


# Status: services only ---------------------------------------------------------------------------


def test_activate_action_publishes_and_archives_the_overlapping_active_plan(browser_as, trainer, client_user):
    current = WeeklyPlanFactory(trainer=trainer, client=client_user, week_start=MONDAY, status=PlanStatus.ACTIVE)
    draft = WeeklyPlanFactory(trainer=trainer, client=client_user, week_start=MONDAY + datetime.timedelta(days=3))

    response = browser_as(trainer).post(
        admin_url(WeeklyPlan, "changelist"), {"action": "activate", "_selected_action": [draft.pk]}
    )

    assert response.status_code == 302
    current.refresh_from_db()
    draft.refresh_from_db()
    assert (draft.status, current.status) == (PlanStatus.ACTIVE, PlanStatus.ARCHIVED)
    assert draft.activated_at is not None
    assert "Activated 1 plan(s)." in [str(m) for m in get_messages(response.wsgi_request)]


def test_activate_action_reports_what_the_service_refuses(browser_as, trainer, client_user):
    archived = WeeklyPlanFactory(trainer=trainer, client=client_user, status=PlanStatus.ARCHIVED)

    response = browser_as(trainer).post(
        admin_url(WeeklyPlan, "changelist"), {"action": "activate", "_selected_action": [archived.pk]}
    )

    archived.refresh_from_db()
    assert archived.status == PlanStatus.ARCHIVED
    assert any("cannot be activated" in str(m) for m in get_messages(response.wsgi_request))


def test_archive_action_withdraws_a_plan(browser_as, trainer, client_user):
    active = WeeklyPlanFactory(trainer=trainer, client=client_user, status=PlanStatus.ACTIVE)

    browser_as(trainer).post(
        admin_url(WeeklyPlan, "changelist"), {"action": "archive", "_selected_action": [active.pk]}
    )

    active.refresh_from_db()
    assert active.status == PlanStatus.ARCHIVED


def test_status_is_never_a_form_field(browser_as, trainer, plan):
    response = change_plan(browser_as(trainer), plan, status=PlanStatus.ACTIVE)

    assert response.status_code == 302, form_errors(response)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT


def test_an_active_plan_keeps_its_week(browser_as, trainer, plan):
    WeeklyPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.ACTIVE)

    response = change_plan(browser_as(trainer), plan, week_start="2030-01-07", title="Renamed")

    assert response.status_code == 302, form_errors(response)
    plan.refresh_from_db()
    assert (plan.week_start, plan.title) == (MONDAY, "Renamed")


def test_an_archived_plan_is_read_only(browser_as, trainer, plan):
    WeeklyPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.ARCHIVED)
    browser = browser_as(trainer)

    page = browser.get(admin_url(WeeklyPlan, "change", plan.pk))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert browser.post(admin_url(WeeklyPlan, "change", plan.pk), {"title": "Renamed"}).status_code == 403


def test_trainer_deletes_own_plan(browser_as, trainer, plan):
    response = browser_as(trainer).post(admin_url(WeeklyPlan, "delete", plan.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not WeeklyPlan.objects.filter(pk=plan.pk).exists()
    assert not PlanDay.objects.filter(plan_id=plan.pk).exists()
