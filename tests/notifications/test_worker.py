"""One trip through the real queue: notify() commits, Redis carries the push, a worker process sends it."""

import time

from notifications.models import Notification, PushStatus
from notifications.push import NOT_CONFIGURED
from notifications.services import notify
from tests.factories import ClientFactory


def test_a_committed_notification_is_pushed_by_a_celery_worker(live_celery):
    client = ClientFactory()

    notification = notify(
        user=client,
        event="plan_activated",
        context={"trainer_name": "Ana", "plan_title": "P", "week_start": "2026-03-02", "plan_id": "1"},
    )

    deadline = time.monotonic() + 30
    while Notification.objects.get(pk=notification.pk).push_status == PushStatus.SCHEDULED:
        assert time.monotonic() < deadline, f"The worker did not push it:\n{live_celery.log()[-3000:]}"
        time.sleep(0.2)
    notification.refresh_from_db()
    # The worker has no FCM credentials: it records the skip, which only it could have written.
    assert (notification.push_status, notification.push_note) == (PushStatus.SKIPPED, NOT_CONFIGURED)
    assert "notifications.push" in live_celery.log()
