from django.conf import settings
from django.db import models

from billing.catalog import TIERS, Interval, TierCode

TIER_CHOICES = [(tier.code.value, tier.name) for tier in TIERS.values()]
INTERVAL_CHOICES = [(interval.value, interval.value) for interval in Interval]


class BillingAccount(models.Model):
    """A trainer's tier as their Stripe subscriptions grant it, refreshed from Stripe on every relevant event."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="billing_account")
    tier = models.CharField(max_length=16, choices=TIER_CHOICES, default=TierCode.FREE.value)
    interval = models.CharField(max_length=8, choices=INTERVAL_CHOICES, blank=True)
    subscription_id = models.CharField(
        max_length=255, blank=True, help_text="The Stripe subscription that grants the tier."
    )
    status = models.CharField(max_length=32, blank=True, help_text="That subscription's Stripe status.")
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    scheduled_tier = models.CharField(
        max_length=16, choices=TIER_CHOICES, blank=True, help_text="A downgrade that takes effect at period end."
    )
    scheduled_interval = models.CharField(max_length=8, choices=INTERVAL_CHOICES, blank=True)
    payment_failed_at = models.DateTimeField(null=True, blank=True)
    payment_failure_reason = models.CharField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user__email"]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_tier_display()}"
