from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        import stripe
        from django.conf import settings
        from djstripe import signals
        from djstripe.models import Event, WebhookEventTrigger
        from djstripe.signals import WEBHOOK_SIGNALS

        from billing.receivers import RECEIVERS, TRIGGER_RECEIVERS

        if settings.STRIPE_API_BASE:  # another Stripe-protocol server: a proxy, or the tests' fake
            stripe.api_base = settings.STRIPE_API_BASE
        for event_type, receiver in RECEIVERS.items():
            WEBHOOK_SIGNALS[event_type].connect(receiver, sender=Event, dispatch_uid=f"billing:{event_type}")
        for signal_name, receiver in TRIGGER_RECEIVERS.items():
            getattr(signals, signal_name).connect(
                receiver, sender=WebhookEventTrigger, dispatch_uid=f"billing:{signal_name}"
            )
