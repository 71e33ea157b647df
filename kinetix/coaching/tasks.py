"""Celery tasks of the coaching domain: thin, each calls a service."""

from celery import shared_task
from django.utils import timezone

from kinetix.coaching import services


@shared_task(name="coaching.workout_reminders")
def workout_reminders_task() -> int:
    """Send this hour's daily workout reminders (run hourly by Celery beat)."""
    return services.workout_reminders_send(now=timezone.now())


@shared_task(name="coaching.workout_notices_send")
def workout_notices_send_task() -> int:
    """Tell trainers of the workouts their clients logged (queued once workouts commit, and each minute by beat)."""
    return services.workout_notices_send()


@shared_task(name="coaching.workout_logged")
def workout_logged_notify_task(*, workout_id: int) -> None:
    """Tell the trainer about one logged workout: the messages that the release before the notices queued.

    Such a workout has no notice, so it is told once either way. Remove this task in the release after.
    """
    services.workout_logged_notify(workout_id=workout_id)
