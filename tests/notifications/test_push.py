"""Pushes through firebase-admin's real send path to the fake FCM server, via fcm-django's batched send."""

import datetime
import itertools
from collections import Counter

import pytest
from django.db import connection, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from fcm_django.models import FCMDevice
from firebase_admin.messaging import _MessagingService

from notifications.models import DeliveryStatus, Notification, PushStatus
from notifications.push import notification_push, notifications_push_due
from notifications.services import notify
from notifications.tasks import notification_push_task
from tests.factories import ClientFactory
from tests.notifications.fake_fcm import BAD_GATEWAY, OK, UNAVAILABLE, throttled

pytestmark = pytest.mark.django_db

# Queries of a push, each transaction a savepoint here (2 queries): taken (locked, marked sending) and
# closed (deliveries counted, status stored); and of each slice of up to 500 devices: devices read,
# deliveries made, tokens read by fcm-django, results stored (on PostgreSQL, one INSERT for 500 rows).
QUERIES_PER_PUSH = 2 + 2 + 2 * 2
QUERIES_PER_SLICE = 4 + 2 * 2
CONTEXT = {"trainer_name": "Ana", "plan_title": "Strength base", "week_start": "2026-03-02", "plan_id": "7"}


def _notification(user, **fields) -> Notification:
    """Store a notification without pushing it, as notify() leaves it before its transaction commits."""
    notification = notify(user=user, event="plan_activated", context=CONTEXT)
    Notification.objects.filter(pk=notification.pk).update(**fields)
    return notification


def _statuses(notification: Notification) -> dict[str, str]:
    return dict(notification.deliveries.values_list("registration_id", "status"))


def test_fcm_endpoint_hook_still_exists():
    # The fake server is reached by replacing this class constant; an upgrade that drops it must fail here.
    assert isinstance(_MessagingService.FCM_URL, str)
    assert _MessagingService.FCM_URL.endswith("/v1/projects/{0}/messages:send")


def test_the_push_reaches_the_users_devices_with_the_rendered_message(fcm, add_device):
    client = ClientFactory()
    add_device(client, "ok-phone")
    add_device(client, "ok-tablet", type="ios")
    add_device(ClientFactory(), "ok-someone-else")
    notification = _notification(client)

    assert notification_push(notification_id=notification.pk) is None

    notification.refresh_from_db()
    assert notification.push_status == PushStatus.SENT
    assert notification.pushed_at is not None
    assert _statuses(notification) == {"ok-phone": DeliveryStatus.SENT, "ok-tablet": DeliveryStatus.SENT}
    assert all(d.message_id.startswith("projects/kinetix-test/messages/") for d in notification.deliveries.all())
    sent = fcm.requests_for("ok-phone")[0].message
    assert sent["notification"] == {"title": "Your new plan is ready", "body": notification.body}
    assert sent["data"] == {
        "plan_id": "7",
        "notification_id": str(notification.pk),
        "event": "plan_activated",
        "category": "plans",
        "deep_link": "kinetix://plans/7",
    }
    assert fcm.requests_for("ok-someone-else") == []


def _devices(user, count: int) -> list[str]:
    tokens = [f"ok-{n:05}" for n in range(count)]
    FCMDevice.objects.bulk_create(FCMDevice(user=user, registration_id=token, type="android") for token in tokens)
    return tokens


def _push_queries(notification: Notification) -> int:
    with CaptureQueriesContext(connection) as queries:
        notification_push(notification_id=notification.pk)
    return len(queries)


def test_fan_out_to_1001_devices_goes_in_three_batches(fcm, fcm_batches):
    client = ClientFactory()
    _devices(client, 1001)
    notification = _notification(client)

    notification_push(notification_id=notification.pk)

    assert fcm_batches == [500, 500, 1]
    assert len({r.token for r in fcm.received}) == len(fcm.received) == 1001
    assert notification.deliveries.filter(status=DeliveryStatus.SENT).count() == 1001


def test_a_fan_out_costs_the_same_queries_for_each_slice(fcm):
    one_slice, three_slices = ClientFactory(), ClientFactory()
    _devices(one_slice, 1)
    FCMDevice.objects.bulk_create(
        FCMDevice(user=three_slices, registration_id=f"ok-big-{n:04}", type="android") for n in range(1001)
    )

    small = _push_queries(_notification(one_slice))
    large = _push_queries(_notification(three_slices))

    assert large - small == 2 * QUERIES_PER_SLICE
    assert small == QUERIES_PER_PUSH + QUERIES_PER_SLICE


# serialized_rollback: the flush after a transactional test would take the migrations' seeded templates with it.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_slice_is_claimed_before_it_is_sent_and_stored_before_the_next(fcm, fcm_batches):
    client = ClientFactory()
    tokens = _devices(client, 1001)
    with transaction.atomic():  # stored waiting, so the push queued at commit finds it not due yet
        notification = _notification(client, push_after=timezone.now() + datetime.timedelta(hours=1))
    Notification.objects.filter(pk=notification.pk).update(push_after=timezone.now())
    seen_by_fcm = {}

    def committed_statuses() -> None:  # what another worker would see while FCM holds the second batch
        seen_by_fcm.update(notification.deliveries.values_list("status").annotate(n=Count("id")).order_by())
        connection.close()  # this server thread's own connection

    fcm.when_received(tokens[500], committed_statuses)

    notification_push(notification_id=notification.pk)

    assert fcm_batches == [500, 500, 1]
    # The first slice's results were stored, the second slice was claimed, the third not yet made.
    assert seen_by_fcm == {DeliveryStatus.SENT: 500, DeliveryStatus.SENDING: 500}
    assert Counter(r.token for r in fcm.received) == dict.fromkeys(tokens, 1)
    assert set(notification.deliveries.values_list("status", "attempts")) == {(DeliveryStatus.SENT, 1)}
    assert notification_push(notification_id=notification.pk) is None  # a redelivered task
    assert len(fcm.received) == 1001


def test_a_retry_larger_than_a_slice_sends_each_waiting_device_once_per_attempt(fcm, fcm_batches):
    client = ClientFactory()
    tokens = _devices(client, 501)
    for token in tokens:
        fcm.script(token, throttled(), throttled(), OK)
    notification = _notification(client)

    assert notification_push(notification_id=notification.pk) is not None
    assert notification_push(notification_id=notification.pk) is not None  # throttled again: back to retry
    assert notification_push(notification_id=notification.pk) is None

    assert fcm_batches == [500, 1] * 3
    assert Counter(r.token for r in fcm.received) == dict.fromkeys(tokens, 3)
    assert set(notification.deliveries.values_list("status", "attempts")) == {(DeliveryStatus.SENT, 3)}
    notification.refresh_from_db()
    assert (notification.push_status, notification.push_note) == (PushStatus.SENT, "501 sent")


def test_unregistered_and_malformed_tokens_deactivate_their_devices(fcm, add_device):
    client = ClientFactory()
    add_device(client, "ok-phone")
    add_device(client, "unregistered-old-phone")
    add_device(client, "invalid-garbled")
    notification = _notification(client)

    notification_push(notification_id=notification.pk)

    assert _statuses(notification) == {
        "ok-phone": DeliveryStatus.SENT,
        "unregistered-old-phone": DeliveryStatus.DEACTIVATED,
        "invalid-garbled": DeliveryStatus.DEACTIVATED,
    }
    assert dict(FCMDevice.objects.values_list("registration_id", "active")) == {
        "ok-phone": True,
        "unregistered-old-phone": False,
        "invalid-garbled": False,
    }
    codes = dict(notification.deliveries.values_list("registration_id", "error_code"))
    assert codes["unregistered-old-phone"] == "NOT_FOUND"
    assert codes["invalid-garbled"] == "INVALID_ARGUMENT"
    notification.refresh_from_db()
    assert notification.push_status == PushStatus.SENT
    assert notification.push_note == "2 deactivated, 1 sent"


def test_a_503_is_retried_and_then_delivered(fcm, add_device):
    client = ClientFactory()
    add_device(client, "ok-flaky")
    fcm.script("ok-flaky", UNAVAILABLE, OK)
    notification = _notification(client)

    notification_push_task.delay(notification_id=notification.pk)

    assert [r.status for r in fcm.requests_for("ok-flaky")] == [503, 200]
    delivery = notification.deliveries.get()
    assert delivery.status == DeliveryStatus.SENT


def test_a_5xx_beyond_the_sdks_own_retries_is_retried_by_the_task_for_that_device_only(fcm, add_device):
    client = ClientFactory()
    add_device(client, "ok-steady")
    add_device(client, "ok-behind-bad-gateway")
    fcm.script("ok-behind-bad-gateway", BAD_GATEWAY, OK)
    notification = _notification(client)

    notification_push_task.delay(notification_id=notification.pk)  # eager: Celery's retry runs at once

    assert [r.status for r in fcm.requests_for("ok-behind-bad-gateway")] == [502, 200]
    assert len(fcm.requests_for("ok-steady")) == 1  # nothing is sent twice
    delivery = notification.deliveries.get(registration_id="ok-behind-bad-gateway")
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 2)
    notification.refresh_from_db()
    assert notification.push_status == PushStatus.SENT


def test_a_429_backs_off_and_retries_only_the_throttled_device(fcm, add_device, settings):
    settings.PUSH_RETRY_BACKOFF_SECONDS = 10.0
    client = ClientFactory()
    add_device(client, "ok-steady")
    add_device(client, "ok-throttled")
    fcm.script("ok-throttled", throttled(), OK)
    notification = _notification(client)
    before = timezone.now()

    retry_in = notification_push(notification_id=notification.pk)

    assert retry_in == 10.0
    delivery = notification.deliveries.get(registration_id="ok-throttled")
    assert (delivery.status, delivery.error_code) == (DeliveryStatus.RETRY, "RESOURCE_EXHAUSTED")
    assert delivery.retry_at >= before + datetime.timedelta(seconds=10)
    notification.refresh_from_db()
    assert notification.push_status == PushStatus.RETRYING

    assert notification_push(notification_id=notification.pk) is None  # the task's retry, after its countdown

    assert _statuses(notification) == {"ok-steady": DeliveryStatus.SENT, "ok-throttled": DeliveryStatus.SENT}
    assert len(fcm.requests_for("ok-steady")) == 1
    assert len(fcm.requests_for("ok-throttled")) == 2


def test_a_429_with_retry_after_waits_at_least_that_long(fcm, add_device, settings):
    # firebase-admin itself honours Retry-After four times (a second each here); then the header sets our wait.
    settings.PUSH_RETRY_BACKOFF_SECONDS = 0.5
    client = ClientFactory()
    add_device(client, "ok-throttled")
    fcm.script("ok-throttled", *[throttled("1")] * 5, OK)
    notification = _notification(client)

    retry_in = notification_push(notification_id=notification.pk)

    answered = fcm.requests_for("ok-throttled")
    assert [r.status for r in answered] == [429] * 5
    assert all(later.at - earlier.at >= 0.9 for earlier, later in itertools.pairwise(answered))
    assert retry_in == 1.0
    assert notification_push(notification_id=notification.pk) is None
    assert notification.deliveries.get().status == DeliveryStatus.SENT


def test_a_device_failing_every_attempt_ends_failed(fcm, add_device, settings):
    settings.PUSH_MAX_ATTEMPTS = 2
    client = ClientFactory()
    add_device(client, "ok-down")
    fcm.script("ok-down", BAD_GATEWAY, BAD_GATEWAY, BAD_GATEWAY)
    notification = _notification(client)

    notification_push_task.delay(notification_id=notification.pk)

    assert len(fcm.requests_for("ok-down")) == 2
    delivery = notification.deliveries.get()
    assert (delivery.status, delivery.attempts, delivery.error_code) == (DeliveryStatus.FAILED, 2, "UNAVAILABLE")
    notification.refresh_from_db()
    assert notification.push_status == PushStatus.FAILED


def test_a_pushed_notification_is_never_sent_again(fcm, add_device):
    client = ClientFactory()
    add_device(client, "ok-phone")
    notification = _notification(client)

    notification_push(notification_id=notification.pk)
    notification_push(notification_id=notification.pk)  # a redelivered task, or the due sweep racing it

    assert len(fcm.requests_for("ok-phone")) == 1


def test_a_user_without_devices_is_recorded_as_skipped(fcm):
    notification = _notification(ClientFactory())

    notification_push(notification_id=notification.pk)

    notification.refresh_from_db()
    assert (notification.push_status, notification.push_note) == (PushStatus.SKIPPED, "The user has no active device.")


def test_the_due_sweep_pushes_what_waited_for_quiet_hours(fcm, add_device):
    client = ClientFactory()
    add_device(client, "ok-phone")
    waiting = _notification(client, push_after=timezone.now() + datetime.timedelta(hours=2))
    due = _notification(client, push_after=timezone.now() - datetime.timedelta(minutes=1))

    assert notifications_push_due() == 1

    assert Notification.objects.get(pk=due.pk).push_status == PushStatus.SENT
    assert Notification.objects.get(pk=waiting.pk).push_status == PushStatus.SCHEDULED
    assert notification_push(notification_id=waiting.pk) is None  # still too early
    assert len(fcm.received) == 1
