"""Events wired into the domain's services: each ends in notify() for the right person."""

import datetime

import pytest
from django.utils import timezone

from kinetix.coaching.models import PlanStatus
from kinetix.coaching.services import workout_reminders_send
from notifications.models import Notification, PushStatus
from tests.factories import (
    PASSWORD,
    ClientFactory,
    InvitationFactory,
    PlanDayFactory,
    PlannedExerciseFactory,
    TrainerFactory,
    WeeklyPlanFactory,
    WorkoutSessionFactory,
)

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _inbox(user) -> list[tuple[str, str]]:
    return list(Notification.objects.filter(user=user).order_by("id").values_list("event", "title"))


def test_activating_a_plan_puts_it_in_the_clients_inbox(api_as, trainer, client_user):
    plan = WeeklyPlanFactory(trainer=trainer, client=client_user, title="Strength base")

    response = api_as(trainer).post(f"/api/v1/plans/{plan.pk}/activate/")

    assert response.status_code == 200, response.json()
    notification = Notification.objects.get(user=client_user)
    assert notification.event == "plan_activated"
    assert notification.body == f'{trainer} sent you "Strength base" for the week of {plan.week_start}.'
    assert notification.data == {"plan_id": str(plan.pk)}
    assert not Notification.objects.filter(user=trainer).exists()


def test_logging_a_workout_tells_the_trainer(
    api_as, trainer, client_user, exercises, django_capture_on_commit_callbacks
):
    # The notification is a task queued when the workout commits (eager here).
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(client_user).post(
            "/api/v1/workouts/",
            {
                "date": client_user.local_today().isoformat(),
                "sets": [{"exercise": "test-squat", "set_number": n, "reps": 5, "load_kg": 100} for n in (1, 2, 3)],
            },
            format="json",
        )

    assert response.status_code == 201, response.json()
    notification = Notification.objects.get(user=trainer)
    assert notification.event == "workout_logged"
    assert notification.title == f"{client_user} logged a workout"
    assert notification.body == f"Workout of {client_user.local_today()}: 3 sets."
    assert notification.data == {"workout_id": str(response.json()["id"]), "client_id": str(client_user.pk)}


def test_many_workouts_in_an_hour_fold_into_one_digest_pushed_when_the_window_closes(
    api_as, trainer, exercises, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFICATIONS_DIGEST_AFTER = 2
    clients = [ClientFactory(trainer=trainer, full_name=name) for name in ("Ana", "Marko", "Jelena", "Ana B")]
    body = {
        "date": timezone.localdate().isoformat(),
        "sets": [{"exercise": "test-squat", "set_number": 1, "reps": 5, "load_kg": 60}],
    }

    for client in [*clients, clients[1]]:
        with django_capture_on_commit_callbacks(execute=True):
            assert api_as(client).post("/api/v1/workouts/", body, format="json").status_code == 201

    events = [event for event, _ in _inbox(trainer)]
    assert events == ["workout_logged", "workout_logged", "workout_digest"]
    digest = Notification.objects.get(user=trainer, event="workout_digest")
    assert digest.title == "3 workouts logged"
    assert digest.body == "Your clients have been training: Jelena, Ana B, Marko."
    assert digest.push_status == PushStatus.SCHEDULED
    expected = digest.created_at + settings.NOTIFICATIONS_DIGEST_WINDOW
    assert abs(digest.push_after - expected) < datetime.timedelta(seconds=5)


def test_a_client_accepting_an_invitation_tells_the_trainer(api):
    trainer = TrainerFactory(locale="sr-latn")
    invitation = InvitationFactory(trainer=trainer, email="jelena@example.com")

    response = api.post(
        "/api/v1/auth/register/",
        {"email": "jelena@example.com", "password": PASSWORD, "invite_code": invitation.code, "full_name": "Jelena"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert _inbox(trainer) == [("invitation_accepted", "Novi klijent: Jelena")]


@pytest.mark.parametrize(
    ("utc_now", "reminded"),
    [
        # Wednesday 2026-03-04: 07:00 UTC is 08:00 in Belgrade, 16:00 in Tokyo, 02:00 in New York.
        ("2026-03-04T07:05:00", {"Europe/Belgrade"}),
        # 13:00 UTC is 08:00 in New York (UTC-5 before its DST switch on 8 March).
        ("2026-03-04T13:05:00", {"America/New_York"}),
        # 23:00 UTC on Tuesday is 08:00 on Wednesday in Tokyo.
        ("2026-03-03T23:05:00", {"Asia/Tokyo"}),
        ("2026-03-04T10:05:00", set()),
    ],
)
def test_the_reminder_schedule_across_time_zones(settings, utc_now, reminded):
    settings.WORKOUT_REMINDER_HOUR = 8
    wednesday = datetime.date(2026, 3, 4)
    clients = {}
    for zone in ("Europe/Belgrade", "America/New_York", "Asia/Tokyo"):
        client = ClientFactory(timezone=zone, trainer=False)
        plan = WeeklyPlanFactory(client=client, status=PlanStatus.ACTIVE, week_start=datetime.date(2026, 3, 2))
        PlannedExerciseFactory(day=PlanDayFactory(plan=plan, weekday=3, title="Wednesday"))
        clients[zone] = client

    sent = workout_reminders_send(now=datetime.datetime.fromisoformat(utc_now).replace(tzinfo=datetime.UTC))

    assert sent == len(reminded)
    got = {zone for zone, client in clients.items() if Notification.objects.filter(user=client).exists()}
    assert got == reminded
    for zone in reminded:
        assert Notification.objects.get(user=clients[zone]).data == {
            "plan_id": str(clients[zone].plans.get().pk),
            "date": wednesday.isoformat(),
        }


def test_no_reminder_for_a_day_already_logged_a_rest_day_or_twice_in_an_hour(settings):
    settings.WORKOUT_REMINDER_HOUR = 8
    now = datetime.datetime(2026, 3, 4, 8, 5, tzinfo=datetime.UTC)  # a Wednesday, 08:05 in UTC
    week = datetime.date(2026, 3, 2)
    planned = ClientFactory(timezone="UTC", trainer=False)
    done = ClientFactory(timezone="UTC", trainer=False)
    resting = ClientFactory(timezone="UTC", trainer=False)
    for client, weekday in ((planned, 3), (done, 3), (resting, 4)):
        plan = WeeklyPlanFactory(client=client, status=PlanStatus.ACTIVE, week_start=week, title="Strength base")
        day = PlanDayFactory(plan=plan, weekday=weekday, title="")
        PlannedExerciseFactory(day=day)
        PlannedExerciseFactory(day=day)
    WorkoutSessionFactory(client=done, date=datetime.date(2026, 3, 4))

    assert workout_reminders_send(now=now) == 1
    workout_reminders_send(now=now + datetime.timedelta(minutes=30))  # a rerun of the same hour

    reminder = Notification.objects.get(event="workout_reminder")
    assert reminder.user == planned
    assert reminder.title == "Today: Strength base"  # an untitled day goes by its plan's title
    assert reminder.body == "2 exercises are planned for today. Log your workout when you are done."
