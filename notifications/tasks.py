"""Celery tasks of the notifications domain: thin, each loads by id and calls a service."""

from celery import shared_task

from notifications import push


@shared_task(name="notifications.push")
def notification_push_task(*, notification_id: int) -> None:
    """Push one notification to its user's devices, queueing a later attempt for throttled and failed sends."""
    retry_in = push.notification_push(notification_id=notification_id)
    if retry_in is not None:
        # A fresh message rather than self.retry(): the service bounds the attempts per device, and
        # it runs the same in eager mode, where Celery's retry raises instead of retrying.
        notification_push_task.apply_async(kwargs={"notification_id": notification_id}, countdown=retry_in)


@shared_task(name="notifications.push_due")
def notifications_push_due_task() -> int:
    """Queue the pushes that waited for quiet hours or a digest window to end."""
    return push.notifications_push_due()
