"""Writes that push stored notifications to devices through fcm-django's batched send.

Each device's push is a `PushDelivery` row. A delivery is claimed (status `sending`) in a committed
transaction before its message goes out, so a repeated or concurrent task never sends it again; the
price is that a worker dying mid-send leaves its claims unsent (at most once, never twice).
"""

import datetime
import threading
from email.utils import parsedate_to_datetime

import firebase_admin
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from fcm_django.models import FCMDevice
from firebase_admin import credentials, exceptions, messaging

from monitoring.metrics import NOTIFICATIONS_SENT
from notifications.models import DeliveryStatus, Notification, PushDelivery, PushStatus

FIREBASE_APP_NAME = "kinetix"
NOT_CONFIGURED = "FCM is not configured (set FCM_CREDENTIALS_FILE or FCM_PROJECT_ID)."
# FCM says the token will never work again: unregistered, another sender's, or malformed. fcm-django
# deactivates only the first two; INVALID_ARGUMENT is ours to handle.
DEAD_TOKEN_ERRORS = (messaging.UnregisteredError, messaging.SenderIdMismatchError, exceptions.InvalidArgumentError)
# Worth another try later: throttling (429), FCM trouble (5xx), timeouts and broken connections.
TRANSIENT_ERRORS = (
    exceptions.ResourceExhaustedError,
    exceptions.UnavailableError,
    exceptions.InternalError,
    exceptions.DeadlineExceededError,
    exceptions.UnknownError,
)

# The `reason` label of kinetix_notifications_sent_total for FCM's errors: a short fixed list, first match wins.
ERROR_REASONS = (
    (messaging.UnregisteredError, "unregistered"),
    (messaging.SenderIdMismatchError, "sender_mismatch"),
    (exceptions.InvalidArgumentError, "invalid_token"),
    (exceptions.ResourceExhaustedError, "throttled"),
    (exceptions.UnavailableError, "unavailable"),
    (exceptions.InternalError, "unavailable"),
    (exceptions.DeadlineExceededError, "timeout"),
)

_app_lock = threading.Lock()
# Rows per bulk_update statement. Django writes one CASE WHEN per field with a branch per row, which
# PostgreSQL evaluates for every row: 10,000 deliveries in one statement ran past the statement timeout
# (docs/BENCHMARKS.md, fan-out). FCM's own batch size keeps each statement small.
UPDATE_BATCH = 500


def firebase_app() -> firebase_admin.App | None:
    """Return the Firebase app pushes go through, or None when FCM is not configured.

    An app already initialised under FIREBASE_APP_NAME (a custom setup, the tests' fake FCM) is used as it is.
    """
    with _app_lock:
        try:
            return firebase_admin.get_app(FIREBASE_APP_NAME)
        except ValueError:
            pass
        if not (settings.FCM_CREDENTIALS_FILE or settings.FCM_PROJECT_ID):
            return None
        credential = (
            credentials.Certificate(settings.FCM_CREDENTIALS_FILE)
            if settings.FCM_CREDENTIALS_FILE
            else credentials.ApplicationDefault()  # the platform's service account (Cloud Run, GKE)
        )
        options = {"projectId": settings.FCM_PROJECT_ID} if settings.FCM_PROJECT_ID else {}
        return firebase_admin.initialize_app(credential, options, name=FIREBASE_APP_NAME)


def message_build(notification: Notification) -> messaging.Message:
    """Build the FCM message of a notification; fcm-django sets each device's token."""
    data = {
        **notification.data,
        "notification_id": str(notification.id),
        "event": notification.event,
        "category": notification.category,
    }
    if notification.deep_link:
        data["deep_link"] = notification.deep_link
    return messaging.Message(
        notification=messaging.Notification(title=notification.title, body=notification.body),
        data=data,
        android=messaging.AndroidConfig(priority="high"),
    )


def notifications_due_ids(*, now: datetime.datetime) -> list[int]:
    """Return the ids of notifications to push now: scheduled ones that are due and retries that got lost."""
    lost_retry = Q(push_status=PushStatus.RETRYING, push_after__lte=now - settings.PUSH_RETRY_GRACE)
    due = Q(push_status=PushStatus.SCHEDULED, push_after__lte=now)
    return list(Notification.objects.filter(due | lost_retry).order_by("push_after").values_list("id", flat=True))


def notifications_push_due() -> int:
    """Queue the pushes whose time has come (after quiet hours, digests, lost retries); return how many."""
    # Imported here: the tasks module imports this one.
    from notifications.tasks import notification_push_task

    notification_ids = notifications_due_ids(now=timezone.now())
    for notification_id in notification_ids:
        notification_push_task.delay(notification_id=notification_id)
    return len(notification_ids)


@transaction.atomic
def _claim(*, notification_id: int) -> tuple[Notification, list[PushDelivery], firebase_admin.App] | None:
    """Take the notification's unsent deliveries for this attempt, or None when there is nothing to send."""
    notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
    now = timezone.now()
    if notification is None or notification.push_status not in (PushStatus.SCHEDULED, PushStatus.RETRYING):
        return None
    if notification.push_status == PushStatus.SCHEDULED and notification.push_after > now:
        return None  # still inside quiet hours or a digest window
    app = firebase_app()
    if app is None:
        _finish(notification, PushStatus.SKIPPED, NOT_CONFIGURED)
        _count_on_commit(notification, [("skipped", "not_configured")])
        return None
    if notification.push_status == PushStatus.SCHEDULED:  # the first attempt: one delivery per active device
        devices = FCMDevice.objects.filter(user_id=notification.user_id, active=True).values_list(
            "id", "registration_id"
        )
        PushDelivery.objects.bulk_create(
            PushDelivery(notification=notification, device_id=device_id, registration_id=token)
            for device_id, token in devices
        )
    deliveries = list(notification.deliveries.filter(status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRY]))
    if not deliveries:
        _finish(notification, PushStatus.SKIPPED, "The user has no active device.")
        _count_on_commit(notification, [("skipped", "no_device")])
        return None
    for delivery in deliveries:  # bulk_update leaves auto_now alone: updated_at is set here
        delivery.status, delivery.updated_at = DeliveryStatus.SENDING, now
        delivery.attempts += 1
    PushDelivery.objects.bulk_update(deliveries, ["status", "attempts", "updated_at"], batch_size=UPDATE_BATCH)
    notification.push_status = PushStatus.SENDING
    notification.save(update_fields=["push_status"])
    return notification, deliveries, app


def _count_on_commit(notification: Notification, outcomes: list[tuple[str, str]]) -> None:
    """Count pushes by (outcome, reason) once the transaction that stores them commits."""
    event = notification.event

    def count() -> None:
        for outcome, reason in outcomes:
            NOTIFICATIONS_SENT.labels(channel="push", event=event, outcome=outcome, reason=reason).inc()

    transaction.on_commit(count)


def _reason(response: messaging.SendResponse | None) -> str:
    """Name why a delivery did not go out, from a short fixed list; empty when it did."""
    if response is None:
        return "device_gone"
    if response.success:
        return ""
    return next((reason for kind, reason in ERROR_REASONS if isinstance(response.exception, kind)), "other")


def _finish(notification: Notification, status: str, note: str) -> None:
    notification.push_status = status
    notification.push_note = note[: Notification._meta.get_field("push_note").max_length]
    notification.save(update_fields=["push_status", "push_note", "pushed_at", "push_after"])


def _retry_after_seconds(error: exceptions.FirebaseError) -> float:
    """Read FCM's Retry-After (seconds or an HTTP date) from a throttled or unavailable answer."""
    header = error.http_response.headers.get("Retry-After", "") if error.http_response is not None else ""
    if header.strip().isdigit():
        return float(header)
    try:
        return max(0.0, (parsedate_to_datetime(header) - timezone.now()).total_seconds())
    except (TypeError, ValueError):
        return 0.0


def _backoff_seconds(attempts: int) -> float:
    return min(settings.PUSH_RETRY_BACKOFF_SECONDS * 2 ** (attempts - 1), settings.PUSH_RETRY_BACKOFF_MAX_SECONDS)


def _record(delivery: PushDelivery, response: messaging.SendResponse | None, now: datetime.datetime) -> float | None:
    """Store FCM's answer on the delivery; return the seconds to wait when it is to be retried."""
    error = response.exception if response is not None else None
    delivery.error_code, delivery.error_message, delivery.updated_at = "", "", now
    if response is None:
        delivery.status = DeliveryStatus.FAILED
        delivery.error_message = "The device was deactivated or moved to another user before the send."
        return None
    if response.success:
        delivery.status, delivery.message_id = DeliveryStatus.SENT, response.message_id or ""
        return None
    delivery.error_code = str(getattr(error, "code", "") or type(error).__name__)[:64]
    delivery.error_message = str(error)
    if isinstance(error, DEAD_TOKEN_ERRORS):
        delivery.status = DeliveryStatus.DEACTIVATED
        return None
    if isinstance(error, TRANSIENT_ERRORS) and delivery.attempts < settings.PUSH_MAX_ATTEMPTS:
        wait = max(_retry_after_seconds(error), _backoff_seconds(delivery.attempts))
        delivery.status, delivery.retry_at = DeliveryStatus.RETRY, now + datetime.timedelta(seconds=wait)
        return wait
    delivery.status = DeliveryStatus.FAILED
    return None


def notification_push(*, notification_id: int) -> float | None:
    """Send a due notification to the user's active devices; return the seconds to wait before a retry, if any."""
    claimed = _claim(notification_id=notification_id)
    if claimed is None:
        return None
    notification, deliveries, app = claimed
    devices = FCMDevice.objects.filter(pk__in=[d.device_id for d in deliveries], user_id=notification.user_id)
    try:
        # Batches of 500 messages; fcm-django deactivates unregistered and mismatched tokens itself.
        result = devices.send_message(message_build(notification), app=app)
        responses = dict(zip(result.registration_ids_sent, result.response.responses, strict=True))
    except exceptions.FirebaseError as exc:  # the batch as a whole failed; every device may try again
        responses = {d.registration_id: messaging.SendResponse(None, exc) for d in deliveries}
    return _results_store(notification=notification, deliveries=deliveries, responses=responses)


@transaction.atomic
def _results_store(
    *, notification: Notification, deliveries: list[PushDelivery], responses: dict[str, messaging.SendResponse]
) -> float | None:
    now = timezone.now()
    waits = [wait for d in deliveries if (wait := _record(d, responses.get(d.registration_id), now)) is not None]
    _count_on_commit(notification, [(d.status, _reason(responses.get(d.registration_id))) for d in deliveries])
    PushDelivery.objects.bulk_update(
        deliveries,
        ["status", "message_id", "error_code", "error_message", "retry_at", "updated_at"],
        batch_size=UPDATE_BATCH,
    )
    dead = [d.registration_id for d in deliveries if d.status == DeliveryStatus.DEACTIVATED]
    if dead:  # fcm-django already did the unregistered ones; this catches the malformed
        FCMDevice.objects.filter(registration_id__in=dead).deactivate(
            reason="dead_token", source="notifications.push", metadata={"notification_id": notification.id}
        )
    by_status = notification.deliveries.values("status").annotate(n=Count("id")).order_by("status")
    counts = {row["status"]: row["n"] for row in by_status}
    summary = ", ".join(f"{n} {status}" for status, n in counts.items())
    if counts.get(DeliveryStatus.SENT) and notification.pushed_at is None:
        notification.pushed_at = now
    if waits:
        notification.push_after = now + datetime.timedelta(seconds=max(waits))
        _finish(notification, PushStatus.RETRYING, summary)
        return max(waits)
    _finish(notification, PushStatus.SENT if counts.get(DeliveryStatus.SENT) else PushStatus.FAILED, summary)
    return None
