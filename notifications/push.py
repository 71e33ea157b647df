"""Writes that push stored notifications to devices through fcm-django's batched send.

Each device's push is a `PushDelivery` row. A push goes in slices of one FCM batch: a slice of deliveries
is claimed (status `sending`) in a committed transaction, sent, and its results stored before the next
slice is claimed, so memory is bounded by the slice, not by the number of devices. Only the attempt that
moved the notification to `sending` claims its deliveries, and a claimed delivery is never claimed again
unless FCM asked for a retry: a repeated or concurrent task sends nothing twice. The price is that a worker
dying mid-push leaves its last slice claimed but unsent, and the slices after it unmade (at most once).
"""

import datetime
import threading
from collections import Counter
from email.utils import parsedate_to_datetime

import firebase_admin
from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from fcm_django.models import MAX_MESSAGES_PER_BATCH, FCMDevice
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
# Deliveries per slice: each slice is claimed, sent as one FCM batch (fcm-django's batch size, send_each's
# limit) and its results stored before the next, so memory and statement sizes stay bounded by the slice,
# not by the number of devices (docs/BENCHMARKS.md, fan-out).
SLICE = MAX_MESSAGES_PER_BATCH
# What storing FCM's answer writes on a delivery.
RESULT_FIELDS = ["status", "message_id", "error_code", "error_message", "retry_at", "updated_at"]


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
def _push_start(*, notification_id: int) -> tuple[Notification, firebase_admin.App, bool] | None:
    """Take a due notification for this attempt (status `sending`); None when it is not due or already taken.

    Only the attempt that moves the notification to `sending` pushes it: a repeated or racing task stops here.
    The third value says whether this is the first attempt (deliveries still to be made from the devices).
    """
    notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
    if notification is None or notification.push_status not in (PushStatus.SCHEDULED, PushStatus.RETRYING):
        return None
    if notification.push_status == PushStatus.SCHEDULED and notification.push_after > timezone.now():
        return None  # still inside quiet hours or a digest window
    app = firebase_app()
    if app is None:
        _finish(notification, PushStatus.SKIPPED, NOT_CONFIGURED)
        _count_on_commit(notification, Counter([("skipped", "not_configured")]))
        return None
    first_attempt = notification.push_status == PushStatus.SCHEDULED
    notification.push_status = PushStatus.SENDING
    notification.save(update_fields=["push_status"])
    return notification, app, first_attempt


@transaction.atomic
def _slice_claim(*, notification: Notification, first_attempt: bool, after: int) -> list[PushDelivery]:
    """Claim the next slice of deliveries past the cursor `after`, committed as `sending` before any send.

    The first attempt makes one delivery per active device, in device order (`after` is a device id);
    a retry takes the deliveries waiting to retry, in delivery order (`after` is a delivery id), so the
    ones this attempt sends back to `retry` are not taken again before the next attempt.
    """
    if first_attempt:
        devices = FCMDevice.objects.filter(user_id=notification.user_id, active=True, pk__gt=after).order_by("pk")
        return PushDelivery.objects.bulk_create(
            PushDelivery(
                notification=notification,
                device_id=device_id,
                registration_id=token,
                status=DeliveryStatus.SENDING,
                attempts=1,
            )
            for device_id, token in devices.values_list("id", "registration_id")[:SLICE]
        )
    deliveries = list(notification.deliveries.filter(status=DeliveryStatus.RETRY, pk__gt=after).order_by("pk")[:SLICE])
    now = timezone.now()  # update() leaves auto_now alone
    PushDelivery.objects.filter(pk__in=[d.pk for d in deliveries]).update(
        status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, updated_at=now
    )
    for delivery in deliveries:
        delivery.status, delivery.attempts = DeliveryStatus.SENDING, delivery.attempts + 1
    return deliveries


def _count_on_commit(notification: Notification, outcomes: Counter[tuple[str, str]]) -> None:
    """Count pushes by (outcome, reason) once the transaction that stores them commits."""
    event = notification.event

    def count() -> None:
        for (outcome, reason), n in outcomes.items():
            NOTIFICATIONS_SENT.labels(channel="push", event=event, outcome=outcome, reason=reason).inc(n)

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
    delivery.error_code, delivery.error_message = "", ""
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
    started = _push_start(notification_id=notification_id)
    if started is None:
        return None
    notification, app, first_attempt = started
    message = message_build(notification)
    retry_in, after = None, 0
    while deliveries := _slice_claim(notification=notification, first_attempt=first_attempt, after=after):
        after = deliveries[-1].device_id if first_attempt else deliveries[-1].pk
        wait = _slice_store(
            notification=notification,
            deliveries=deliveries,
            responses=_slice_send(notification=notification, deliveries=deliveries, message=message, app=app),
        )
        if wait is not None:
            retry_in = max(wait, retry_in or 0.0)
        if len(deliveries) < SLICE:
            break
    return _push_finish(notification=notification, retry_in=retry_in)


def _slice_send(
    *,
    notification: Notification,
    deliveries: list[PushDelivery],
    message: messaging.Message,
    app: firebase_admin.App,
) -> dict[str, messaging.SendResponse]:
    """Send one slice as one FCM batch; return FCM's answer by token (none for a device gone since its claim)."""
    devices = FCMDevice.objects.filter(pk__in=[d.device_id for d in deliveries], user_id=notification.user_id)
    try:
        # fcm-django deactivates unregistered and mismatched tokens itself.
        result = devices.send_message(message, app=app)
        return dict(zip(result.registration_ids_sent, result.response.responses, strict=True))
    except exceptions.FirebaseError as exc:  # the batch as a whole failed; every device may try again
        return {d.registration_id: messaging.SendResponse(None, exc) for d in deliveries}


@transaction.atomic
def _slice_store(
    *, notification: Notification, deliveries: list[PushDelivery], responses: dict[str, messaging.SendResponse]
) -> float | None:
    """Store FCM's answers for a slice and deactivate its dead tokens; return the longest wait of its retries."""
    now = timezone.now()
    waits = [wait for d in deliveries if (wait := _record(d, responses.get(d.registration_id), now)) is not None]
    _count_on_commit(notification, Counter((d.status, _reason(responses.get(d.registration_id))) for d in deliveries))
    # One INSERT .. ON CONFLICT (id) DO UPDATE for the slice: bulk_update's CASE WHEN per row and field
    # cost more than the send itself, in Python and in PostgreSQL (docs/BENCHMARKS.md, fan-out).
    PushDelivery.objects.bulk_create(
        deliveries, update_conflicts=True, unique_fields=["id"], update_fields=RESULT_FIELDS
    )
    dead = [d.registration_id for d in deliveries if d.status == DeliveryStatus.DEACTIVATED]
    if dead:  # fcm-django already did the unregistered ones; this catches the malformed
        FCMDevice.objects.filter(registration_id__in=dead).deactivate(
            reason="dead_token", source="notifications.push", metadata={"notification_id": notification.id}
        )
    return max(waits, default=None)


@transaction.atomic
def _push_finish(*, notification: Notification, retry_in: float | None) -> float | None:
    """Close the attempt from its deliveries' statuses: sent, failed, retrying after `retry_in`, or no device."""
    now = timezone.now()
    by_status = notification.deliveries.values("status").annotate(n=Count("id")).order_by("status")
    counts = {row["status"]: row["n"] for row in by_status}
    if not counts:
        _finish(notification, PushStatus.SKIPPED, "The user has no active device.")
        _count_on_commit(notification, Counter([("skipped", "no_device")]))
        return None
    summary = ", ".join(f"{n} {status}" for status, n in counts.items())
    if counts.get(DeliveryStatus.SENT) and notification.pushed_at is None:
        notification.pushed_at = now
    if retry_in is not None:
        notification.push_after = now + datetime.timedelta(seconds=retry_in)
        _finish(notification, PushStatus.RETRYING, summary)
        return retry_in
    _finish(notification, PushStatus.SENT if counts.get(DeliveryStatus.SENT) else PushStatus.FAILED, summary)
    return None
