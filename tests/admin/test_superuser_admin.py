import pytest

from kinetix.accounts.models import CoachingLink, Invitation, User
from kinetix.coaching.models import BodyMetric, Exercise, WeeklyPlan, WorkoutSession
from tests.admin.helpers import admin_url, form_data, form_errors
from tests.factories import (
    BodyMetricFactory,
    InvitationFactory,
    PlanDayFactory,
    PlannedExerciseFactory,
    SetLogFactory,
    WeeklyPlanFactory,
    WorkoutSessionFactory,
)

pytestmark = pytest.mark.django_db


def test_every_admin_page_renders_for_a_superuser(browser_as, superuser, trainer, client_user):
    plan = WeeklyPlanFactory(trainer=trainer, client=client_user)
    planned = PlannedExerciseFactory(day=PlanDayFactory(plan=plan, weekday=2))
    session = WorkoutSessionFactory(client=client_user, plan_day=planned.day)
    SetLogFactory(session=session, exercise=planned.exercise, planned_exercise=planned)
    objects = {
        User: client_user,
        Invitation: InvitationFactory(trainer=trainer),
        CoachingLink: CoachingLink.objects.get(client=client_user),
        Exercise: planned.exercise,
        WeeklyPlan: plan,
        WorkoutSession: session,
        BodyMetric: BodyMetricFactory(client=client_user),
    }
    browser = browser_as(superuser)

    for model, obj in objects.items():
        for view, args in (("changelist", ()), ("add", ()), ("change", (obj.pk,)), ("delete", (obj.pk,))):
            response = browser.get(admin_url(model, view, *args))
            assert response.status_code == 200, (model, view, response.status_code)


def test_superuser_creates_a_user_who_signs_in_with_email(browser_as, superuser):
    browser = browser_as(superuser)
    data = form_data(browser.get(admin_url(User, "add")))
    data.update(
        email="New.Trainer@Example.com",
        role="trainer",
        usable_password="true",
        password1="a-long-and-unusual-passphrase",
        password2="a-long-and-unusual-passphrase",
    )

    response = browser.post(admin_url(User, "add"), data)

    assert response.status_code == 302, form_errors(response)
    user = User.objects.get(email="new.trainer@example.com")
    assert user.check_password("a-long-and-unusual-passphrase")
    assert user.role == "trainer"


def test_superuser_cannot_give_a_taken_email_in_another_case(browser_as, superuser, client_user):
    browser = browser_as(superuser)
    data = form_data(browser.get(admin_url(User, "change", superuser.pk)))
    data["email"] = client_user.email.upper()

    response = browser.post(admin_url(User, "change", superuser.pk), data)

    assert "email" in form_errors(response)


def test_trainer_pages_render(browser_as, trainer, client_user):
    plan = WeeklyPlanFactory(trainer=trainer, client=client_user)
    planned = PlannedExerciseFactory(day=PlanDayFactory(plan=plan, weekday=2))
    session = WorkoutSessionFactory(client=client_user, plan_day=planned.day)
    SetLogFactory(session=session, exercise=planned.exercise, planned_exercise=planned)
    browser = browser_as(trainer)

    for model, obj in ((WeeklyPlan, plan), (WorkoutSession, session), (User, client_user)):
        for view, args in (("changelist", ()), ("change", (obj.pk,))):
            response = browser.get(admin_url(model, view, *args))
            assert response.status_code == 200, (model, view, response.status_code)
    for model in (WeeklyPlan, Invitation, Exercise):
        assert browser.get(admin_url(model, "add")).status_code == 200
