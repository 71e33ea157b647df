"""Admin of billing: each trainer's tier with their subscriptions and payments, and webhooks to re-process."""

import stripe
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from djstripe.admin.admin import WebhookEventTriggerAdmin as DjstripeWebhookEventTriggerAdmin
from djstripe.models import Charge, Subscription, WebhookEventTrigger

from billing.models import BillingAccount
from billing.selectors import customer_for
from billing.services import customer_sync_from_stripe, webhook_trigger_reprocess
from kinetix.errors import ApplicationError


def _change_link(obj: Subscription | Charge) -> str:
    url = reverse(f"admin:djstripe_{obj._meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, obj.id)


@admin.register(BillingAccount)
class BillingAccountAdmin(admin.ModelAdmin):
    """Read-only: a tier comes from Stripe; "Sync from Stripe" re-reads it."""

    list_display = (
        "user",
        "tier",
        "interval",
        "status",
        "current_period_end",
        "cancel_at_period_end",
        "scheduled_tier",
        "payment_failed_at",
    )
    list_filter = ("tier", "status", "cancel_at_period_end")
    search_fields = ("user__email", "user__full_name", "subscription_id")
    list_select_related = ("user",)
    readonly_fields = (
        "user",
        "tier",
        "interval",
        "subscription_id",
        "status",
        "current_period_end",
        "cancel_at_period_end",
        "scheduled_tier",
        "scheduled_interval",
        "payment_failed_at",
        "payment_failure_reason",
        "updated_at",
        "subscriptions",
        "payments",
    )
    actions = ["sync_from_stripe"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: BillingAccount | None = None) -> bool:
        return False

    @admin.display(description="Stripe subscriptions")
    def subscriptions(self, account: BillingAccount) -> str:
        rows = Subscription.objects.filter(customer__subscriber=account.user).order_by("-created")
        return (
            format_html_join(
                "",
                "<div>{} {}: {}</div>",
                (
                    (
                        _change_link(subscription),
                        subscription.stripe_data.get("status"),
                        ", ".join(
                            item["price"].get("lookup_key") or item["price"]["id"]
                            for item in subscription.stripe_data.get("items", {}).get("data", [])
                        ),
                    )
                    for subscription in rows
                ),
            )
            or "-"
        )

    @admin.display(description="Payments")
    def payments(self, account: BillingAccount) -> str:
        rows = Charge.objects.filter(customer__subscriber=account.user).order_by("-created")[:50]
        return (
            format_html_join(
                "",
                "<div>{} {} {} {} {}, refunded {} {}</div>",
                (
                    (
                        _change_link(charge),
                        charge.created.date() if charge.created else "",
                        f"{charge.stripe_data['amount'] / 100:.2f}",
                        charge.stripe_data["currency"].upper(),
                        charge.stripe_data["status"],
                        f"{charge.stripe_data.get('amount_refunded', 0) / 100:.2f}",
                        charge.stripe_data.get("failure_message") or "",
                    )
                    for charge in rows
                ),
            )
            or "-"
        )

    @admin.action(description="Sync from Stripe", permissions=["view"])
    def sync_from_stripe(self, request: HttpRequest, queryset: QuerySet[BillingAccount]) -> None:
        synced, failed = 0, []
        for account in queryset.select_related("user"):
            customer = customer_for(user=account.user)
            try:
                if customer is None:
                    raise ApplicationError("no_customer", "no Stripe customer")
                customer_sync_from_stripe(customer=customer)
            except (ApplicationError, stripe.StripeError) as exc:
                failed.append(f"{account.user}: {exc}")
            else:
                synced += 1
        if synced:
            self.message_user(request, f"Synced {synced} account(s) from Stripe.", messages.SUCCESS)
        if failed:
            self.message_user(request, "Not synced: " + "; ".join(failed), messages.WARNING)


class WebhookOutcomeFilter(admin.SimpleListFilter):
    title = "outcome"
    parameter_name = "outcome"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin):
        return [("failed", "Failed (to re-process)"), ("processed", "Processed"), ("invalid", "Invalid signature")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[WebhookEventTrigger]) -> QuerySet:
        match self.value():
            case "failed":
                return queryset.filter(valid=True, processed=False)
            case "processed":
                return queryset.filter(processed=True)
            case "invalid":
                return queryset.filter(valid=False)
        return queryset


admin.site.unregister(WebhookEventTrigger)


@admin.register(WebhookEventTrigger)
class WebhookEventTriggerAdmin(DjstripeWebhookEventTriggerAdmin):
    """dj-stripe's list of received webhooks, with failed ones found by a filter and re-processed by an action."""

    list_filter = (WebhookOutcomeFilter, "created")
    actions = ["reprocess"]

    @admin.action(description="Re-process selected webhooks", permissions=["view"])
    def reprocess(self, request: HttpRequest, queryset: QuerySet[WebhookEventTrigger]) -> None:
        for trigger in queryset.select_related("webhook_endpoint"):
            if not trigger.valid:
                self.message_user(
                    request, f"Skipped webhook {trigger.id}: its signature was invalid.", messages.WARNING
                )
            elif webhook_trigger_reprocess(trigger=trigger):
                self.message_user(request, f"Processed webhook {trigger.id}.", messages.SUCCESS)
            else:
                self.message_user(request, f"Webhook {trigger.id} failed again: {trigger.exception}", messages.ERROR)
