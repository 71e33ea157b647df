"""Writes of the notifications domain. `notify()` is the one door other apps use."""

import datetime
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from fcm_django.models import DeviceType, FCMDevice

from kinetix.accounts.models import Locale, User
from kinetix.errors import ApplicationError, FieldError
from notifications.events import EVENTS, Event, event_get
from notifications.models import (
    Category,
    Notification,
    NotificationPreference,
    NotificationTemplate,
    PushStatus,
)
from notifications.rendering import render
from notifications.selectors import preference_get

CONTEXT_SCALARS = (str, int, float, Decimal, datetime.date, datetime.time)
DIGESTED_EVENT = "workout_logged"
DIGEST_EVENT = "workout_digest"
DEDUPE_KEY_LENGTH = Notification._meta.get_field("dedupe_key").max_length


# Notify ----------------------------------------------------------------------------------------


def _context_strings(*, event: Event, context: Mapping[str, Any]) -> dict[str, str]:
    errors = [
        FieldError(f"context.{name}", "required", f"The {event.key} event needs {{{name}}}.")
        for name in event.placeholders
        if name not in context
    ]
    errors += [
        FieldError(f"context.{name}", "invalid_type", "Give a string, number, date or time.")
        for name, value in context.items()
        if isinstance(value, bool) or not isinstance(value, CONTEXT_SCALARS)
    ]
    if errors:
        raise ApplicationError("notification_context_invalid", f"Bad context for {event.key}.", errors=errors)
    return {
        name: value.isoformat() if isinstance(value, datetime.date | datetime.time) else str(value)
        for name, value in context.items()
        if name in event.placeholders
    }


def _template_for(*, event: str, locale: str) -> NotificationTemplate:
    # The user's language first, English when that translation is missing.
    templates = {t.locale: t for t in NotificationTemplate.objects.filter(event=event, locale__in={locale, Locale.EN})}
    template = templates.get(locale) or templates.get(Locale.EN)
    if template is None:
        raise ApplicationError("notification_template_missing", f"No template for {event}, not even in English.")
    return template


def _rendered(*, template: NotificationTemplate, context: dict[str, str]) -> dict[str, Any]:
    try:
        return {
            "locale": template.locale,
            "title": render(template.title, context),
            "body": render(template.body, context),
            "data": {str(key): render(str(value), context) for key, value in template.data.items()},
            "deep_link": render(template.deep_link, context),
        }
    except ValueError as exc:  # the template was written past the admin's validation
        raise ApplicationError("notification_template_invalid", f"Template {template}: {exc}") from exc


def quiet_hours_end(*, preference: NotificationPreference, at: datetime.datetime) -> datetime.datetime | None:
    """Return when the quiet hours around `at` end, or None when `at` lies outside them."""
    start, end = preference.quiet_hours_start, preference.quiet_hours_end
    if start is None or end is None:
        return None
    tz = preference.user.tzinfo
    local = at.astimezone(tz)
    now_time = local.time().replace(tzinfo=None)
    inside = start <= now_time < end if start < end else (now_time >= start or now_time < end)
    if not inside:
        return None
    end_date = local.date() if now_time < end else local.date() + datetime.timedelta(days=1)
    return datetime.datetime.combine(end_date, end, tzinfo=tz).astimezone(datetime.UTC)


def _push_plan(*, user: User, category: str, at: datetime.datetime) -> tuple[str, datetime.datetime, str]:
    """Return the push status, time and note of a notification created at `at`."""
    preference = preference_get(user=user)
    if category in preference.muted_categories:
        return PushStatus.SKIPPED, at, f"The user turned off {category} notifications."
    return PushStatus.SCHEDULED, quiet_hours_end(preference=preference, at=at) or at, ""


def _push_queue_on_commit(notification: Notification) -> None:
    if notification.push_status == PushStatus.SCHEDULED and notification.push_after <= timezone.now():
        # Imported here: the tasks module imports this one.
        from notifications.tasks import notification_push_task

        notification_id = notification.id
        transaction.on_commit(lambda: notification_push_task.delay(notification_id=notification_id))
    # A later push (quiet hours, digest) is picked up by notifications_push_due_task.


@transaction.atomic
def notify(*, user: User, event: str, context: Mapping[str, Any], dedupe_key: str = "") -> Notification:
    """Render the event in the user's language, store it in their inbox and push it once the transaction commits.

    `context` holds every placeholder of the event (see notifications/events.py); values are strings,
    numbers, dates or times. A repeat with the same non-empty `dedupe_key` returns the first notification.
    """
    spec = event_get(event)
    values = _context_strings(event=spec, context=context)
    if len(dedupe_key) > DEDUPE_KEY_LENGTH:
        message = f"At most {DEDUPE_KEY_LENGTH} characters."
        raise ApplicationError("invalid", message, errors=[FieldError("dedupe_key", "string_too_long", message)])
    if dedupe_key:
        existing = Notification.objects.filter(user=user, event=event, dedupe_key=dedupe_key).first()
        if existing:
            return existing
    now = timezone.now()
    if event == DIGESTED_EVENT:
        # One trainer's workouts are counted and folded one at a time, so two never open two digests.
        User.objects.select_for_update().filter(pk=user.pk).first()
        if _digest_due(user=user, now=now):
            return _digest_add(user=user, context=values, now=now)
    status, push_after, note = _push_plan(user=user, category=spec.category, at=now)
    rendered = _rendered(template=_template_for(event=event, locale=user.locale), context=values)
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user=user,
                event=event,
                category=spec.category,
                context=values,
                dedupe_key=dedupe_key,
                created_at=now,
                push_status=status,
                push_after=push_after,
                push_note=note,
                **rendered,
            )
    except IntegrityError:  # a concurrent call with the same dedupe_key stored it first
        return Notification.objects.get(user=user, event=event, dedupe_key=dedupe_key)
    _push_queue_on_commit(notification)
    return notification


# Workout digest --------------------------------------------------------------------------------


def _digest_due(*, user: User, now: datetime.datetime) -> bool:
    """Tell whether the trainer already had their fill of single workout notifications in this window."""
    since = now - settings.NOTIFICATIONS_DIGEST_WINDOW
    recent = Notification.objects.filter(user=user, event=DIGESTED_EVENT, created_at__gte=since).count()
    return recent >= settings.NOTIFICATIONS_DIGEST_AFTER


def _digest_add(*, user: User, context: dict[str, str], now: datetime.datetime) -> Notification:
    """Fold one more logged workout into the trainer's open digest, which is pushed when its window closes."""
    digest = (
        Notification.objects.filter(
            user=user, event=DIGEST_EVENT, push_status__in=[PushStatus.SCHEDULED, PushStatus.SKIPPED]
        )
        .filter(created_at__gte=now - settings.NOTIFICATIONS_DIGEST_WINDOW, pushed_at__isnull=True)
        .first()
    )
    spec = EVENTS[DIGEST_EVENT]
    if digest is None:
        status, push_after, note = _push_plan(
            user=user, category=spec.category, at=now + settings.NOTIFICATIONS_DIGEST_WINDOW
        )
        digest = Notification(
            user=user,
            event=DIGEST_EVENT,
            category=spec.category,
            created_at=now,
            push_status=status,
            push_after=push_after,
            push_note=note,
        )
        names: list[str] = []
        count = 0
    else:
        names = digest.context["client_names"].split(", ")
        count = int(digest.context["workout_count"])
    if context["client_name"] not in names:
        names.append(context["client_name"])
    digest.context = {"workout_count": str(count + 1), "client_names": ", ".join(names)}
    rendered = _rendered(template=_template_for(event=DIGEST_EVENT, locale=user.locale), context=digest.context)
    for field, value in rendered.items():
        setattr(digest, field, value)
    digest.read_at = None  # news again for the inbox
    digest.save()
    return digest


# Inbox -----------------------------------------------------------------------------------------


@transaction.atomic
def notification_mark_read(*, notification: Notification) -> Notification:
    """Mark one inbox entry read (again is harmless)."""
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread inbox entry of the user read; return how many changed."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


@transaction.atomic
def preference_update(
    *,
    user: User,
    muted_categories: list[str],
    quiet_hours_start: datetime.time | None,
    quiet_hours_end: datetime.time | None,
) -> NotificationPreference:
    """Replace the user's notification preferences."""
    errors = [
        FieldError(f"muted_categories.{index}", "invalid_choice", f"Categories are {', '.join(Category.values)}.")
        for index, category in enumerate(muted_categories)
        if category not in Category.values
    ]
    if (quiet_hours_start is None) != (quiet_hours_end is None):
        missing = "quiet_hours_end" if quiet_hours_end is None else "quiet_hours_start"
        errors.append(FieldError(missing, "required", "Give both ends of the quiet hours, or neither."))
    elif quiet_hours_start is not None and quiet_hours_start == quiet_hours_end:
        errors.append(FieldError("quiet_hours_end", "empty_range", "Quiet hours must not start and end together."))
    if errors:
        raise ApplicationError("invalid", "The preferences have invalid fields.", errors=errors)
    preference, _ = NotificationPreference.objects.select_for_update().get_or_create(user=user)
    preference.muted_categories = sorted(set(muted_categories))
    preference.quiet_hours_start = quiet_hours_start
    preference.quiet_hours_end = quiet_hours_end
    preference.save()
    return preference


# Devices ---------------------------------------------------------------------------------------

REGISTRATION_ID_LENGTH = 4096


@transaction.atomic
def device_register(
    *, user: User, registration_id: str, type: str, name: str = "", device_id: str = ""
) -> tuple[FCMDevice, bool]:
    """Register the app's FCM token for the user, taking it over from whoever held it; tell if it is new."""
    errors = []
    if not registration_id or len(registration_id) > REGISTRATION_ID_LENGTH:
        errors.append(FieldError("registration_id", "invalid", f"Give the FCM token (1 to {REGISTRATION_ID_LENGTH})."))
    if type not in DeviceType.values:
        errors.append(FieldError("type", "invalid_choice", f"Type is one of {', '.join(DeviceType.values)}."))
    if errors:
        raise ApplicationError("invalid", "The device has invalid fields.", errors=errors)
    device = FCMDevice.objects.select_for_update().filter(registration_id=registration_id).first()
    created = device is None
    if created:
        try:
            with transaction.atomic():
                device = FCMDevice.objects.create(registration_id=registration_id, user=user, type=type)
        except IntegrityError:  # registered concurrently: take the row over like any re-registration
            device, created = FCMDevice.objects.select_for_update().get(registration_id=registration_id), False
    # A token belongs to one app install; whoever signs in on it now receives its pushes.
    device.user = user
    device.type = type
    device.name = name or None
    device.device_id = device_id or None
    device.active = True
    device.save()
    return device, created


@transaction.atomic
def device_delete(*, device: FCMDevice) -> None:
    """Forget a device; it receives no more pushes."""
    device.delete()


# Admin -----------------------------------------------------------------------------------------


@transaction.atomic
def notification_send_test(*, user: User, event: str) -> Notification:
    """Send the user a notification of the event filled with its sample context."""
    return notify(user=user, event=event, context=event_get(event).placeholders)
