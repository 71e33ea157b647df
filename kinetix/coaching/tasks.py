"""Celery tasks of the coaching domain: thin, each calls a service."""

from celery import shared_task
from django.utils import timezone

from kinetix.coaching import services


@shared_task(name="coaching.workout_reminders")
def workout_reminders_task() -> int:
    """Send this hour's daily workout reminders (run hourly by Celery beat)."""
    return services.workout_reminders_send(now=timezone.now())


@shared_task(name="coaching.workout_logged")
def workout_logged_notify_task(*, workout_id: int) -> None:
    """Tell the trainer about a workout their client logged (queued when the workout commits)."""
    services.workout_logged_notify(workout_id=workout_id)
