"""Coaching tasks: trainers told of their clients' workouts through the notices' outbox, and on their own."""

import time

import psycopg
from django.conf import settings
from django.core.cache import cache

from kinetix.accounts.models import Locale
from kinetix.coaching.models import WorkoutNotice
from kinetix.coaching.services import NOTICES_DRAIN_QUEUED_KEY, workout_notices_send
from kinetix.coaching.tasks import workout_logged_notify_task
from notifications.models import Notification, NotificationTemplate
from tests.celery_worker import database_url
from tests.factories import ClientFactory, ExerciseFactory, SetLogFactory, TrainerFactory, WorkoutSessionFactory

URL = "/api/v1/workouts/"


def log(api_as, client, sets: int = 2):
    """Log a workout of `sets` sets of squats as the client's app does."""
    body = {
        "date": client.local_today().isoformat(),
        "sets": [{"exercise": "test-squat", "set_number": n, "reps": 5, "load_kg": 100} for n in range(1, sets + 1)],
    }
    response = api_as(client).post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_logged_workouts_reach_the_trainer_through_a_celery_worker(live_celery, api_as, trainer, exercises):
    client = ClientFactory(trainer=trainer, full_name="Jelena")

    workouts = [log(api_as, client, sets=n) for n in (2, 3)]

    deadline = time.monotonic() + 30
    while Notification.objects.filter(user=trainer).count() < len(workouts):
        assert time.monotonic() < deadline, f"The worker did not notify:\n{live_celery.log()[-3000:]}"
        time.sleep(0.2)
    first, second = Notification.objects.filter(user=trainer).order_by("pk")
    assert (first.event, first.title) == ("workout_logged", "Jelena logged a workout")
    assert [first.body, second.body] == [f"Workout of {client.local_today()}: {n} sets." for n in (2, 3)]
    assert first.data == {"workout_id": str(workouts[0]["id"]), "client_id": str(client.pk)}
    assert not WorkoutNotice.objects.exists()
    assert "Task coaching.workout_notices_send[" in live_celery.log()


def test_a_workout_logged_while_a_drain_is_queued_waits_for_that_drain(api_as, trainer, exercises, committed):
    client = ClientFactory(trainer=trainer)
    cache.add(NOTICES_DRAIN_QUEUED_KEY, True)  # a drain queued, not yet started

    with committed():
        workout = log(api_as, client)

    assert not Notification.objects.exists()  # no drain of its own: the queued one tells it
    assert workout_notices_send() == 1
    assert Notification.objects.get(user=trainer).data["workout_id"] == str(workout["id"])
    assert not WorkoutNotice.objects.exists()
    assert workout_notices_send() == 0  # told once


def test_a_notice_that_cannot_be_told_waits_without_holding_up_the_others(api_as, exercises, committed):
    english_trainer, serbian_trainer = TrainerFactory(locale=Locale.EN), TrainerFactory(locale=Locale.SR_LATN)
    cache.add(NOTICES_DRAIN_QUEUED_KEY, True)
    with committed():
        first = log(api_as, ClientFactory(trainer=english_trainer))
        log(api_as, ClientFactory(trainer=serbian_trainer))
    english = NotificationTemplate.objects.get(event="workout_logged", locale=Locale.EN)
    english.delete()  # the English trainer's notice cannot be rendered

    assert workout_notices_send() == 1

    assert Notification.objects.get().user == serbian_trainer
    assert list(WorkoutNotice.objects.values_list("workout_id", flat=True)) == [first["id"]]
    english.save()
    assert workout_notices_send() == 1
    assert Notification.objects.get(user=english_trainer).data["workout_id"] == str(first["id"])


def test_a_drain_skips_the_notice_another_drain_holds_and_tells_the_rest(
    api_as, trainer, django_db_serialized_rollback, transactional_db
):
    ExerciseFactory(slug="test-squat")
    cache.add(NOTICES_DRAIN_QUEUED_KEY, True)  # the workouts below wait for a drain
    held, *others = [log(api_as, ClientFactory(trainer=trainer))["id"] for _ in range(3)]

    with psycopg.connect(database_url(settings.DATABASES["default"])) as other_drain:
        other_drain.execute("SELECT 1 FROM coaching_workoutnotice WHERE workout_id = %s FOR UPDATE", [held])

        assert workout_notices_send() == 2  # without waiting for the other drain's transaction

        told = {int(n.data["workout_id"]) for n in Notification.objects.filter(event="workout_logged")}
        assert told == set(others)
        assert list(WorkoutNotice.objects.values_list("workout_id", flat=True)) == [held]
    assert workout_notices_send() == 1
    assert not WorkoutNotice.objects.exists()


def test_nobody_is_told_of_a_workout_deleted_before_the_drain(api_as, trainer, exercises, committed):
    client = ClientFactory(trainer=trainer)
    cache.add(NOTICES_DRAIN_QUEUED_KEY, True)
    with committed():
        workout = log(api_as, client)

    assert api_as(client).delete(f"{URL}{workout['id']}/").status_code == 204

    assert workout_notices_send() == 0
    assert not Notification.objects.exists()


def test_a_task_of_the_previous_release_delivered_twice_tells_the_trainer_once(db, trainer):
    workout = WorkoutSessionFactory(client=ClientFactory(trainer=trainer))
    SetLogFactory(session=workout)

    workout_logged_notify_task.delay(workout_id=workout.pk)
    workout_logged_notify_task.delay(workout_id=workout.pk)

    assert Notification.objects.get(user=trainer).body == f"Workout of {workout.date}: 1 sets."


def test_nobody_is_told_of_a_workout_deleted_before_the_task_ran_or_of_a_client_without_trainer(db, trainer):
    deleted = WorkoutSessionFactory(client=ClientFactory(trainer=trainer))
    deleted_id = deleted.pk
    deleted.delete()
    alone = WorkoutSessionFactory(client=ClientFactory(trainer=False))

    workout_logged_notify_task.delay(workout_id=deleted_id)
    workout_logged_notify_task.delay(workout_id=alone.pk)

    assert not Notification.objects.exists()
