"""Reads of the notifications domain, each scoped to the asking user."""

from django.db.models import QuerySet
from fcm_django.models import FCMDevice

from kinetix.accounts.models import User
from kinetix.errors import NotFoundError
from notifications.models import Notification, NotificationPreference


def device_list(*, user: User) -> QuerySet[FCMDevice]:
    """Return the user's registered devices, newest first."""
    return FCMDevice.objects.filter(user=user).order_by("-date_created", "-id")


def device_get_for_user(*, user: User, registration_id: str) -> FCMDevice:
    """Return the user's device with this token, or answer 404 (also for another user's token)."""
    if "\x00" in registration_id:  # PostgreSQL can neither store nor compare a NUL: no token holds one
        raise NotFoundError("Device")
    device = FCMDevice.objects.filter(user=user, registration_id=registration_id).first()
    if device is None:
        raise NotFoundError("Device")
    return device


def notification_list(*, user: User, unread: bool = False) -> QuerySet[Notification]:
    """Return the user's inbox, newest first, optionally only the unread entries."""
    notifications = Notification.objects.filter(user=user)
    return notifications.filter(read_at__isnull=True) if unread else notifications


def notification_unread_count(*, user: User) -> int:
    """Count the user's unread inbox entries."""
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notification_get_for_user(*, user: User, notification_id: int) -> Notification:
    """Return one of the user's inbox entries, or answer 404 (also for another user's)."""
    notification = Notification.objects.filter(user=user, pk=notification_id).first()
    if notification is None:
        raise NotFoundError("Notification")
    return notification


def preference_get(*, user: User) -> NotificationPreference:
    """Return the user's preferences, or the unsaved defaults (everything on, no quiet hours) if never set."""
    return NotificationPreference.objects.filter(user=user).first() or NotificationPreference(user=user)
