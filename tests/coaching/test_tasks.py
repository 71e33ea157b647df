"""Coaching tasks: the trainer's workout notification, through the real queue and on its own."""

import time

from kinetix.coaching.tasks import workout_logged_notify_task
from notifications.models import Notification
from tests.factories import ClientFactory, SetLogFactory, WorkoutSessionFactory


def test_a_logged_workout_reaches_the_trainer_through_a_celery_worker(live_celery, api_as, trainer, exercises):
    client = ClientFactory(trainer=trainer, full_name="Jelena")
    body = {
        "date": client.local_today().isoformat(),
        "sets": [{"exercise": "test-squat", "set_number": n, "reps": 5, "load_kg": 100} for n in (1, 2)],
    }

    response = api_as(client).post("/api/v1/workouts/", body, format="json")

    assert response.status_code == 201, response.json()
    deadline = time.monotonic() + 30
    while not Notification.objects.filter(user=trainer).exists():
        assert time.monotonic() < deadline, f"The worker did not notify:\n{live_celery.log()[-3000:]}"
        time.sleep(0.2)
    notification = Notification.objects.get(user=trainer)
    assert (notification.event, notification.title) == ("workout_logged", "Jelena logged a workout")
    assert notification.body == f"Workout of {client.local_today()}: 2 sets."
    assert notification.data == {"workout_id": str(response.json()["id"]), "client_id": str(client.pk)}
    assert "coaching.workout_logged" in live_celery.log()


def test_a_task_delivered_twice_tells_the_trainer_once(db, trainer):
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
