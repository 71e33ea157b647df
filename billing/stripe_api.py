"""How billing talks to Stripe: whether it may, and the options every stripe-python call carries."""

import uuid
from typing import Any

from django.conf import settings
from rest_framework import status

from kinetix.errors import ApplicationError

# The events the Stripe webhook endpoint sends: those billing's receivers act on (billing/receivers.py)
# and those dj-stripe syncs for the invoices, payments and catalog that billing reads.
WEBHOOK_EVENTS = [
    "charge.failed",
    "charge.refunded",
    "charge.succeeded",
    "charge.updated",
    "checkout.session.completed",
    "customer.created",
    "customer.deleted",
    "customer.subscription.created",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.pending_update_applied",
    "customer.subscription.pending_update_expired",
    "customer.subscription.resumed",
    "customer.subscription.updated",
    "customer.updated",
    "invoice.created",
    "invoice.finalized",
    "invoice.marked_uncollectible",
    "invoice.paid",
    "invoice.payment_action_required",
    "invoice.payment_failed",
    "invoice.updated",
    "invoice.voided",
    "payment_intent.payment_failed",
    "payment_intent.requires_action",
    "payment_intent.succeeded",
    "payment_method.attached",
    "payment_method.detached",
    "price.created",
    "price.deleted",
    "price.updated",
    "product.created",
    "product.deleted",
    "product.updated",
    "subscription_schedule.canceled",
    "subscription_schedule.completed",
    "subscription_schedule.created",
    "subscription_schedule.released",
    "subscription_schedule.updated",
]


def billing_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def billing_require_configured() -> None:
    """Refuse, with a stable code, what cannot work without Stripe keys."""
    if not billing_configured():
        raise ApplicationError(
            "billing_not_configured",
            "Billing is not configured on this server (STRIPE_SECRET_KEY is not set); every trainer has the free tier.",
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        )


def stripe_options(*, idempotency_key: str | None = None) -> dict[str, Any]:
    """Return the key, pinned API version and (for writes) idempotency key of one Stripe request."""
    options: dict[str, Any] = {"api_key": settings.STRIPE_SECRET_KEY, "stripe_version": settings.STRIPE_API_VERSION}
    if idempotency_key:
        options["idempotency_key"] = idempotency_key
    return options


def idempotency_key(*parts: object, unique: bool = False) -> str:
    """Name one write: the same parts name the same write; `unique` adds a nonce for writes that may repeat."""
    key = ":".join(["kinetix", *(str(part) for part in parts)])
    return f"{key}:{uuid.uuid4().hex}" if unique else key
