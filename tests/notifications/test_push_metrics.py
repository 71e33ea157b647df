"""Push metrics, counted by the real send path against the fake FCM server (tests/notifications/fake_fcm.py)."""

import pytest
from prometheus_client import REGISTRY

from notifications.models import PushStatus
from notifications.push import notification_push
from tests.factories import ClientFactory
from tests.notifications.fake_fcm import BAD_GATEWAY, throttled
from tests.notifications.test_push import _notification

pytestmark = pytest.mark.django_db

OUTCOMES = [
    ("sent", ""),
    ("retry", "unavailable"),
    ("retry", "throttled"),
    ("failed", "unavailable"),
    ("deactivated", "unregistered"),
    ("deactivated", "invalid_token"),
    ("skipped", "no_device"),
    ("skipped", "not_configured"),
]


def counts() -> dict[tuple[str, str], float]:
    def sample(outcome: str, reason: str) -> float:
        labels = {"channel": "push", "event": "plan_activated", "outcome": outcome, "reason": reason}
        return REGISTRY.get_sample_value("kinetix_notifications_sent_total", labels) or 0.0

    return {key: sample(*key) for key in OUTCOMES}


def changes(before: dict, after: dict) -> dict:
    return {key: after[key] - before[key] for key in after if after[key] != before[key]}


def test_each_devices_result_is_counted_by_outcome_and_reason(fcm, add_device, django_capture_on_commit_callbacks):
    client = ClientFactory()
    for token in ("ok-phone", "ok-tablet", "unregistered-old", "invalid-typo", "busy-phone", "down-phone"):
        add_device(client, token)
    fcm.script("busy-phone", throttled())  # firebase-admin retries neither a 429 without Retry-After nor a 502
    fcm.script("down-phone", BAD_GATEWAY)
    notification = _notification(client)
    before = counts()

    with django_capture_on_commit_callbacks(execute=True):
        notification_push(notification_id=notification.pk)

    assert changes(before, counts()) == {
        ("sent", ""): 2,
        ("deactivated", "unregistered"): 1,
        ("deactivated", "invalid_token"): 1,
        ("retry", "throttled"): 1,
        ("retry", "unavailable"): 1,
    }


def test_a_retry_that_runs_out_counts_failed(fcm, add_device, settings, django_capture_on_commit_callbacks):
    settings.PUSH_MAX_ATTEMPTS = 1
    client = ClientFactory()
    add_device(client, "down-phone")
    fcm.script("down-phone", BAD_GATEWAY)
    notification = _notification(client)
    before = counts()

    with django_capture_on_commit_callbacks(execute=True):
        notification_push(notification_id=notification.pk)

    notification.refresh_from_db()
    assert notification.push_status == PushStatus.FAILED
    assert changes(before, counts()) == {("failed", "unavailable"): 1}


def test_a_user_without_devices_counts_skipped_no_device(fcm, django_capture_on_commit_callbacks):
    no_device = _notification(ClientFactory())
    before = counts()

    with django_capture_on_commit_callbacks(execute=True):
        notification_push(notification_id=no_device.pk)

    assert changes(before, counts()) == {("skipped", "no_device"): 1}


def test_a_push_without_fcm_counts_not_configured(settings, django_capture_on_commit_callbacks):
    settings.FCM_CREDENTIALS_FILE = settings.FCM_PROJECT_ID = ""
    notification = _notification(ClientFactory())
    before = counts()

    with django_capture_on_commit_callbacks(execute=True):
        notification_push(notification_id=notification.pk)

    notification.refresh_from_db()
    assert notification.push_status == PushStatus.SKIPPED
    assert changes(before, counts()) == {("skipped", "not_configured"): 1}


def test_a_rolled_back_push_is_not_counted(fcm, add_device):
    client = ClientFactory()
    add_device(client, "ok-phone")
    notification = _notification(client)
    before = counts()

    notification_push(notification_id=notification.pk)  # the test's transaction never commits

    assert changes(before, counts()) == {}
