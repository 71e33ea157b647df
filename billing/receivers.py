"""Receivers of dj-stripe's webhook signals: the one hook dj-stripe leaves us. Each calls one service.

`RECEIVERS` act on events; `TRIGGER_RECEIVERS` make deliveries of one event run one at a time, and
count each delivery's outcome (processed, failed, refused for its signature) once per attempt, around
dj-stripe's processing of it.

dj-stripe's own receivers run first (they are connected first): they verify nothing more but
re-fetch the event's object from Stripe and sync it, so what these see is Stripe's current
state, whatever order the events came in.
"""

from typing import Any

from djstripe.models import Event, WebhookEventTrigger

from billing import services


def account_refresh(sender: type[Event], event: Event, **kwargs: Any) -> None:
    services.billing_account_sync(customer=event.customer)


def invoice_paid(sender: type[Event], event: Event, **kwargs: Any) -> None:
    services.invoice_paid_record(invoice_id=event.data["object"]["id"])


def invoice_payment_failed(sender: type[Event], event: Event, **kwargs: Any) -> None:
    services.invoice_payment_failed_record(invoice_id=event.data["object"]["id"])


def charge_refunded(sender: type[Event], event: Event, **kwargs: Any) -> None:
    services.charge_refunds_sync(charge_id=event.data["object"]["id"])


def webhook_processing(sender: type[WebhookEventTrigger], instance: WebhookEventTrigger, **kwargs: Any) -> None:
    services.webhook_event_lock(trigger=instance)


def webhook_processed(sender: type[WebhookEventTrigger], instance: WebhookEventTrigger, **kwargs: Any) -> None:
    services.webhook_count(trigger=instance, outcome="ok")


def webhook_failed(sender: type[WebhookEventTrigger], instance: WebhookEventTrigger, **kwargs: Any) -> None:
    services.webhook_count(trigger=instance, outcome="failed")


def webhook_validated(
    sender: type[WebhookEventTrigger], instance: WebhookEventTrigger, valid: bool, **kwargs: Any
) -> None:
    if not valid:
        services.webhook_count(trigger=instance, outcome="rejected")


# dj-stripe's signal names (djstripe.signals) and what each one does.
TRIGGER_RECEIVERS = {
    "webhook_pre_process": webhook_processing,
    "webhook_post_process": webhook_processed,
    "webhook_processing_error": webhook_failed,
    "webhook_post_validate": webhook_validated,
}

RECEIVERS = {
    "checkout.session.completed": account_refresh,
    "customer.subscription.created": account_refresh,
    "customer.subscription.updated": account_refresh,
    "customer.subscription.deleted": account_refresh,
    "customer.subscription.paused": account_refresh,
    "customer.subscription.resumed": account_refresh,
    "customer.subscription.pending_update_applied": account_refresh,
    "customer.subscription.pending_update_expired": account_refresh,
    "subscription_schedule.created": account_refresh,
    "subscription_schedule.updated": account_refresh,
    "subscription_schedule.released": account_refresh,
    "subscription_schedule.canceled": account_refresh,
    "subscription_schedule.completed": account_refresh,
    "invoice.paid": invoice_paid,
    "invoice.payment_failed": invoice_payment_failed,
    "charge.refunded": charge_refunded,
}
