"""Notifications: templates per event and language, the inbox, preferences and push deliveries.

Devices are fcm-django's `FCMDevice` (app label `fcm_django`); this app records what was sent to them.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from kinetix.accounts.models import Locale

TITLE_LENGTH = 120
BODY_LENGTH = 500
DEEP_LINK_LENGTH = 300


class Category(models.TextChoices):
    PLANS = "plans", "Plans"
    WORKOUTS = "workouts", "Workouts"
    BILLING = "billing", "Billing"
    COACHING = "coaching", "Coaching"


class NotificationTemplate(models.Model):
    """The words of one event in one language; `{name}` placeholders are filled from the event's context."""

    event = models.CharField(max_length=64)
    locale = models.CharField(max_length=8, choices=Locale.choices)
    title = models.CharField(max_length=TITLE_LENGTH)
    body = models.TextField(max_length=BODY_LENGTH)
    data = models.JSONField(
        default=dict, blank=True, help_text="Extra push data: an object of string templates, sent as FCM data."
    )
    deep_link = models.CharField(max_length=DEEP_LINK_LENGTH, blank=True, help_text="App link template.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["event", "locale"]
        constraints = [models.UniqueConstraint(fields=["event", "locale"], name="notificationtemplate_event_locale")]

    def __str__(self) -> str:
        return f"{self.event} [{self.locale}]"


class PushStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    SENDING = "sending", "Sending"
    RETRYING = "retrying", "Retrying"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class Notification(models.Model):
    """One entry of a user's inbox, rendered in their language, with the state of its push."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    event = models.CharField(max_length=64)
    category = models.CharField(max_length=16, choices=Category.choices)
    locale = models.CharField(max_length=8, choices=Locale.choices, help_text="Language of the template used.")
    title = models.CharField(max_length=TITLE_LENGTH * 4)
    body = models.TextField()
    data = models.JSONField(default=dict, blank=True)
    deep_link = models.CharField(max_length=DEEP_LINK_LENGTH * 4, blank=True)
    context = models.JSONField(default=dict, blank=True, help_text="The values the texts were rendered from.")
    dedupe_key = models.CharField(
        max_length=128, blank=True, help_text="A repeat of the same event with this key is not stored again."
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    push_status = models.CharField(max_length=16, choices=PushStatus.choices, default=PushStatus.SCHEDULED)
    push_after = models.DateTimeField(default=timezone.now, help_text="Not pushed before this (quiet hours).")
    push_note = models.CharField(max_length=200, blank=True, help_text="Why the push was skipped or failed.")
    pushed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "event", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="notification_unique_dedupe_key",
            )
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(fields=["user", "read_at"]),
            models.Index(fields=["push_status", "push_after"]),
        ]

    def __str__(self) -> str:
        return f"{self.event} for {self.user_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    RETRY = "retry", "Waiting to retry"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    DEACTIVATED = "deactivated", "Token dead, device deactivated"


class PushDelivery(models.Model):
    """The push of one notification to one device, with FCM's answer."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    device = models.ForeignKey("fcm_django.FCMDevice", on_delete=models.SET_NULL, null=True, related_name="+")
    registration_id = models.TextField(help_text="The token as it was when sent.")
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    message_id = models.CharField(max_length=255, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    retry_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "push deliveries"
        indexes = [models.Index(fields=["notification", "status"])]

    def __str__(self) -> str:
        return f"{self.status}: {self.registration_id[:16]}…"


class NotificationPreference(models.Model):
    """Which categories a user wants pushed, and the local hours when pushes wait."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    muted_categories = models.JSONField(default=list, blank=True, help_text="Categories not pushed.")
    quiet_hours_start = models.TimeField(null=True, blank=True, help_text="Local time; pushes wait until the end.")
    quiet_hours_end = models.TimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(quiet_hours_start__isnull=True, quiet_hours_end__isnull=True)
                | Q(quiet_hours_start__isnull=False, quiet_hours_end__isnull=False),
                name="notificationpreference_quiet_hours_pair",
            )
        ]

    def __str__(self) -> str:
        return f"Notification preferences of {self.user_id}"
