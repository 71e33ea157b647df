"""Reads of billing: entitlements, the subscription summary, invoices and payments, scoped to their owner.

Invoices and charges are dj-stripe's synced rows. With the pinned API version dj-stripe leaves
some of their links empty (an invoice's subscription, a charge's invoice), so what we show is
read from each row's `stripe_data`.
"""

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet
from djstripe.models import Charge, Customer, Invoice, Price

from billing.catalog import FREE_TIER, TIERS, Interval, Limits, Tier, TierCode
from billing.models import BillingAccount
from billing.stripe_api import billing_configured
from kinetix.accounts.models import User
from kinetix.accounts.selectors import trainer_clients
from kinetix.errors import ApplicationError, NotFoundError


@dataclass(frozen=True)
class Entitlements:
    tier: Tier

    @property
    def limits(self) -> Limits:
        return self.tier.limits


def billing_account_get(*, user: User) -> BillingAccount | None:
    """Return the user's billing account, if billing ever looked at them."""
    return BillingAccount.objects.filter(user=user).first()


def entitlements_for(user: User) -> Entitlements:
    """Return what the user's tier allows; the free tier while billing is not configured."""
    if not billing_configured():
        return Entitlements(FREE_TIER)
    account = billing_account_get(user=user)
    return Entitlements(TIERS[TierCode(account.tier)] if account else FREE_TIER)


def client_count(*, trainer: User) -> int:
    """Return how many active clients count against the trainer's limit."""
    return trainer_clients(trainer=trainer).count()


@dataclass(frozen=True)
class SubscriptionSummary:
    tier: Tier
    interval: str
    status: str
    current_period_end: datetime.datetime | None
    cancel_at_period_end: bool
    scheduled_tier: Tier | None
    scheduled_interval: str
    payment_failed_at: datetime.datetime | None
    payment_failure_reason: str
    clients: int


def subscription_summary(*, user: User) -> SubscriptionSummary:
    """Return the user's tier, its Stripe state, and the usage its limits apply to."""
    account = billing_account_get(user=user) or BillingAccount(user=user)
    return SubscriptionSummary(
        tier=TIERS[TierCode(account.tier)],
        interval=account.interval,
        status=account.status,
        current_period_end=account.current_period_end,
        cancel_at_period_end=account.cancel_at_period_end,
        scheduled_tier=TIERS[TierCode(account.scheduled_tier)] if account.scheduled_tier else None,
        scheduled_interval=account.scheduled_interval,
        payment_failed_at=account.payment_failed_at,
        payment_failure_reason=account.payment_failure_reason,
        clients=client_count(trainer=user) if user.is_trainer else 0,
    )


def customer_for(*, user: User) -> Customer | None:
    """Return the user's Stripe customer, if one was made."""
    return Customer.objects.filter(subscriber=user).order_by("-djstripe_created").first()


def price_for(*, tier: Tier, interval: Interval) -> Price:
    """Return the synced Stripe Price that bills `tier` per `interval`."""
    lookup_key = tier.price(interval).lookup_key
    price = Price.objects.filter(stripe_data__lookup_key=lookup_key, active=True).order_by("-created").first()
    if price is None:
        raise ApplicationError(
            "billing_not_configured",
            f"The Stripe price {lookup_key!r} is not set up; run `manage.py billing_setup`.",
            status_code=503,
        )
    return price


def invoice_list_for_user(*, user: User) -> QuerySet[Invoice]:
    """Return the user's Stripe invoices, newest first."""
    return Invoice.objects.filter(customer__subscriber=user).order_by("-created", "-djstripe_id")


def invoice_get_for_user(*, user: User, invoice_id: str) -> Invoice:
    """Return one of the user's invoices, or answer 404."""
    invoice = invoice_list_for_user(user=user).filter(id=invoice_id).first()
    if invoice is None:
        raise NotFoundError("Invoice")
    return invoice


def payment_list_for_user(*, user: User) -> QuerySet[Charge]:
    """Return the user's payments (Stripe charges), newest first, with their refunds."""
    return (
        Charge.objects.filter(customer__subscriber=user)
        .prefetch_related("refunds")
        .order_by("-created", "-djstripe_id")
    )


def invoice_period(invoice: Invoice) -> tuple[datetime.datetime | None, datetime.datetime | None]:
    """Return the service period an invoice bills: the span of its lines."""
    periods = [line["period"] for line in invoice.stripe_data.get("lines", {}).get("data", []) if line.get("period")]
    if not periods:
        return None, None
    start = min(period["start"] for period in periods)
    end = max(period["end"] for period in periods)
    return _from_timestamp(start), _from_timestamp(end)


def _from_timestamp(value: int | None) -> datetime.datetime | None:
    return datetime.datetime.fromtimestamp(value, tz=datetime.UTC) if value else None
